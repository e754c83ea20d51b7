#!/usr/bin/env python3
"""Write N realistic detection rules that rarely or never match the benchmark corpus:
keyword rules (several keywords each) and regex rules, the kind a rule pack holds for
rare events (kernel faults, daemon errors, exploit strings).
Usage: gen-rare-rules.py N DIR [SEC_FILE [RG_FILE]]: also the same rules for SEC (Single
rules) and as ripgrep patterns (one a line, for rg -f)."""
import os, sys

import re
n = int(sys.argv[1]); out = sys.argv[2]
sec = open(sys.argv[3], "w") if len(sys.argv) > 3 else None
rg = open(sys.argv[4], "w") if len(sys.argv) > 4 else None
def esc(t):
    return "".join("\\" + c if c in "\\.^$|?*+()[]{}" else c for c in t)
def sec_rule(i, regex):
    if sec:
        sec.write(f"type=Single\nptype=RegExp\npattern={regex}\ndesc=rare {i}\naction=write - ALERT rare_{i}\n\n")
    if rg:
        rg.write(regex + "\n")
os.makedirs(out, exist_ok=True)
phrases = [
    "possible SYN flooding on port", "Call Trace:", "audit: backlog limit exceeded", "BUG: unable to handle",
    "soft lockup - CPU#", "hung_task_timeout_secs", "nf_conntrack: table full", "TCP: request_sock_TCP",
    "watchdog: BUG:", "Kernel panic - not syncing", "general protection fault", "invalid opcode:",
    "martian source", "ata1: hard resetting link", "SMART error", "mce: [Hardware Error]",
    "thermal zone", "CPU frequency throttled", "XFS (dm-", "BTRFS error", "device-mapper: thin:",
    "blocked for more than 120 seconds", "page allocation failure", "unknown filesystem type",
    "authentication token manipulation error", "maximum authentication attempts exceeded",
    "Bad protocol version identification", "Did not receive identification string",
    "Unable to negotiate with", "POSSIBLE BREAK-IN ATTEMPT", "reverse mapping checking getaddrinfo",
    "error: kex_exchange_identification", "fatal: Timeout before authentication",
    "refused connect from", "Connection from UNKNOWN", "segfault at", "traps: ",
    "cannot allocate memory", "No space left on device", "Read-only file system",
    "certificate verify failed", "SSL_do_handshake() failed", "upstream prematurely closed",
    "worker process exited on signal", "too many open files", "could not bind to",
    "deadlock detected", "out of shared memory", "checkpoints are occurring too frequently",
    "replication slot", "corrupted size vs. prev_size", "stack smashing detected",
]
cmds = ["wget http://", "curl -s http://", "chmod +x /tmp/", "base64 -d |", "nc -e /bin/",
        "python -c 'import socket", "/dev/shm/.", "crontab -r", "iptables -F", "setenforce 0",
        "history -c", "unset HISTFILE", "insmod /tmp/", "mkfifo /tmp/", "xmrig", "kdevtmpfsi"]
for i in range(n):
    name = f"rare_{i:03d}"
    with open(os.path.join(out, f"{name}.yml"), "w") as f:
        f.write(f"title: rare event {i}\nid: bench-rare-{i:03d}\nlogsource:\n    product: linux\n")
        if i % 3 == 2:
            # a regex rule on the message
            p = phrases[i % len(phrases)].replace("(", "\\(").replace(")", "\\)").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]").replace("+", "\\+").replace("*", "\\*").replace("?", "\\?").replace("|", "\\|")
            f.write("detection:\n    sel:\n")
            f.write(f"        message|re: '{p} ?[0-9]{{0,5}}.*(err|fail|{i})'\n")
            sec_rule(i, f"{p} ?[0-9]{{0,5}}.*(err|fail|{i})")
            f.write("    condition: sel\nlevel: medium\n")
        else:
            f.write("detection:\n    keywords:\n")
            for k in range(4):
                s = (phrases + cmds)[(i * 4 + k) % (len(phrases) + len(cmds))]
                f.write(f"        - '{s.replace(chr(39), chr(39) * 2)} {i}'\n" if k == 3 else f"        - '{s.replace(chr(39), chr(39) * 2)}'\n")
            f.write("    condition: keywords\nlevel: low\n")
            kws = [(phrases + cmds)[(i * 4 + k) % (len(phrases) + len(cmds))] + (f" {i}" if k == 3 else "") for k in range(4)]
            sec_rule(i, "(?i)(?:" + "|".join(esc(k) for k in kws) + ")")
