#!/usr/bin/env python3
"""Write audit.log records (the kernel's format, as documented for auditd: one event is
SYSCALL, EXECVE/SOCKADDR, CWD, PATH..., PROCTITLE sharing msg=audit(TIME:SERIAL)) from
a small spec on stdin, one event a line:

  exec    TIME SERIAL PID PPID UID CWD EXE ARG...     (execve, 59)
  create  TIME SERIAL PID UID CWD EXE NAME            (openat O_CREAT, 257)
  connect TIME SERIAL PID UID EXE IP PORT             (connect, 42)
  user    TIME SERIAL TYPE EXE ACCT RES               (a user-space record, hostname=?)
  partial ...                                         (as exec, without PROCTITLE/EOE)

An argument's %20 is a space.
Values are encoded as the kernel does: a string with a space, a quote or a byte outside
0x21..0x7e is written as upper-case hex without quotes, others in double quotes."""
import socket
import struct
import sys


def enc(s):
    b = s.encode() if isinstance(s, str) else s
    if any(c <= 0x20 or c >= 0x7F or c == 0x22 for c in b):
        return b.hex().upper()
    return '"' + b.decode() + '"'


def stamp(t, serial):
    return "msg=audit(%s:%s):" % (t, serial)


def syscall(t, serial, nr, pid, ppid, uid, exe, items, success="yes", exitc=0):
    comm = exe.rsplit("/", 1)[-1][:15]
    return ("type=SYSCALL %s arch=c000003e syscall=%d success=%s exit=%d a0=7ffd1b2c a1=3 "
            "a2=0 a3=8 items=%d ppid=%s pid=%s auid=%s uid=%s gid=%s euid=%s suid=%s "
            "fsuid=%s egid=%s sgid=%s fsgid=%s tty=pts0 ses=3 comm=%s exe=%s "
            "subj=unconfined key=(null)" % (stamp(t, serial), nr, success, exitc, items, ppid,
                                            pid, uid, uid, uid, uid, uid, uid, uid, uid, uid,
                                            enc(comm), enc(exe)))


def path(t, serial, item, name, nametype):
    return ("type=PATH %s item=%d name=%s inode=393224 dev=08:01 mode=0100644 ouid=0 "
            "ogid=0 rdev=00:00 nametype=%s cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 "
            "cap_frootid=0" % (stamp(t, serial), item, enc(name), nametype))


def proctitle(t, serial, args):
    return "type=PROCTITLE %s proctitle=%s" % (
        stamp(t, serial), "\0".join(args).encode().hex().upper())


def exec_event(f, partial=False):
    t, serial, pid, ppid, uid, cwd, exe = f[:7]
    args = [a.replace("%20", " ") for a in f[7:]]
    out = [syscall(t, serial, 59, pid, ppid, uid, exe, 2),
           "type=EXECVE %s argc=%d %s" % (stamp(t, serial), len(args),
                                         " ".join("a%d=%s" % (i, enc(a))
                                                  for i, a in enumerate(args))),
           "type=CWD %s cwd=%s" % (stamp(t, serial), enc(cwd)),
           path(t, serial, 0, exe, "NORMAL"),
           path(t, serial, 1, "/lib64/ld-linux-x86-64.so.2", "NORMAL")]
    if not partial:
        out.append(proctitle(t, serial, args))
    return out


def create_event(f):
    t, serial, pid, uid, cwd, exe, name = f
    d = name.rsplit("/", 1)[0] or "/"
    return [syscall(t, serial, 257, pid, 1, uid, exe, 2, exitc=3),
            "type=CWD %s cwd=%s" % (stamp(t, serial), enc(cwd)),
            path(t, serial, 0, d, "PARENT"),
            path(t, serial, 1, name, "CREATE"),
            proctitle(t, serial, [exe, name])]


def connect_event(f):
    t, serial, pid, uid, exe, ip, port = f
    if ":" in ip:
        sa = struct.pack("<H", socket.AF_INET6) + struct.pack(">HI", int(port), 0) + \
            socket.inet_pton(socket.AF_INET6, ip) + b"\0" * 4
    else:
        sa = struct.pack("<H", socket.AF_INET) + struct.pack(">H", int(port)) + \
            socket.inet_aton(ip) + b"\0" * 8
    return [syscall(t, serial, 42, pid, 1, uid, exe, 0, success="no", exitc=-115),
            "type=SOCKADDR %s saddr=%s" % (stamp(t, serial), sa.hex().upper()),
            proctitle(t, serial, [exe, ip, port])]


def user_event(f):
    t, serial, typ, exe, acct, res = f
    return ["type=%s %s pid=4242 uid=0 auid=1000 ses=3 subj=unconfined msg='op=PAM:"
            "accounting grantors=pam_unix acct=%s exe=%s hostname=? addr=? "
            "terminal=/dev/pts/0 res=%s'" % (typ, stamp(t, serial), enc(acct), enc(exe), res)]


for line in sys.stdin:
    f = line.split()
    if not f or f[0].startswith("#"):
        continue
    kind, f = f[0], f[1:]
    rec = {"exec": exec_event, "create": create_event, "connect": connect_event,
           "user": user_event}.get(kind)
    lines = exec_event(f, partial=True) if kind == "partial" else rec(f)
    sys.stdout.write("\n".join(lines) + "\n")
