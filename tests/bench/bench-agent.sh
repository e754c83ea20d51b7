#!/bin/sh
# make bench: the daemon end to end. Latency from write() of a matching line to the alert
# on the agent's stdout (p50, p99, max over N alerts), at idle and while a background
# writer appends other lines to a second tailed file; the background rate reached; RSS
# at idle with the shipped starter rules. Then the sustained rate: lines/s the agent
# keeps up with on one core (taskset, when present) tailing 10 files with the starter
# rules, and the lag while a writer offers 80 % of that rate; and memory: RSS after a
# long run of failed logins from many distinct source addresses (correlation group caps).
# Prints Markdown tables.
#   BENCH_AGENT_N (default 10000) alerts per run, BENCH_AGENT_BG (default 100000) lines/s.
#   BENCH_AGENT_PARTS (default "latency rate memory"): which parts run.
#   BENCH_AGENT_RATE_LINES (default 2000000) lines of the maximum-rate run,
#   BENCH_AGENT_RATE_SECS (default 10) seconds of the bounded-lag run,
#   BENCH_AGENT_MEM_LINES (default 10000000) lines and BENCH_AGENT_MEM_KEYS (default
#   1000000) distinct source addresses of the memory run.
set -u
: "${EVIDENT:?EVIDENT must point at the built binary (run through make bench)}"
: "${EV_SRCDIR:=.}"
command -v python3 >/dev/null 2>&1 || { echo "bench-agent: python3 needed"; exit 0; }
T=$(mktemp -d /tmp/evident-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
PARTS=${BENCH_AGENT_PARTS:-latency rate memory}
case " $PARTS " in *" latency "*)
EVIDENT_DATADIR="$EV_SRCDIR/conf" python3 - "$EVIDENT" "$T" "${BENCH_AGENT_N:-10000}" "${BENCH_AGENT_BG:-100000}" <<'EOF'
import os, select, signal, subprocess, sys, threading, time
evident, T, N, BG = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(T + "/rules")
with open(T + "/rules/bench.yml", "w") as f:
    f.write("title: bench token\nid: 0d9c2f4e-1b7a-4c3e-9f5d-6a8b7c9d0e1f\nlevel: high\n"
            "logsource:\n  product: linux\ndetection:\n  sel:\n    message|contains: 'BENCHTOKEN'\n"
            "  condition: sel\n")
def config(path, rules):
    with open(path, "w") as f:
        f.write("agent:\n  state_dir: %s/state\n  control_socket: %s/ctl.sock\n" % (T, T))
        f.write("sources:\n  journal: false\n  files: [%s/hit.log, %s/bg.log]\n" % (T, T))
        if rules:
            f.write("rules:\n  paths: [%s]\n" % rules)
        f.write("store:\n  path: %s/store\n" % T)
for n in ("hit.log", "bg.log"):
    open(T + "/" + n, "w").close()

def start(cfg):
    p = subprocess.Popen([evident, "agent", "--foreground", "--config", cfg], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while not os.path.exists(T + "/ctl.sock"):
        if time.time() > deadline or p.poll() is not None:
            sys.exit("bench-agent: the agent did not start")
        time.sleep(0.01)
    return p

def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=20)

def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def measure(p, n, bg_rate):
    stop_bg = threading.Event()
    written = [0]
    def background():
        line = b"Nov 27 02:00:00 host1 app[9]: background line without the token, some padding text here\n"
        batch = max(1, bg_rate // 100)
        fd = os.open(T + "/bg.log", os.O_WRONLY | os.O_APPEND)
        t0 = time.monotonic()
        while not stop_bg.is_set():
            os.write(fd, line * batch)
            written[0] += batch
            ahead = written[0] / bg_rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        os.close(fd)
    th = None
    if bg_rate:
        th = threading.Thread(target=background, daemon=True)
        th.start()
        time.sleep(0.5)
    fd = os.open(T + "/hit.log", os.O_WRONLY | os.O_APPEND)
    out = p.stdout.fileno()
    buf = b""
    lat = []
    t_start = time.monotonic()
    for i in range(n):
        tok = b"BENCHTOKEN-%d-" % i
        t0 = time.monotonic()
        os.write(fd, b"Nov 27 02:00:00 host1 sshd[1]: " + tok + b" end\n")
        while tok not in buf:
            r, _, _ = select.select([out], [], [], 10)
            if not r:
                sys.exit("bench-agent: no alert within 10 s (alert %d)" % i)
            buf += os.read(out, 1 << 20)
        lat.append(time.monotonic() - t0)
        buf = buf[buf.index(tok):]
        nl = buf.find(b"\n")
        buf = buf[nl + 1:] if nl >= 0 else b""
    elapsed = time.monotonic() - t_start
    stop_bg.set()
    if th:
        th.join()
    os.close(fd)
    lat.sort()
    q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))] * 1000
    return q(0.5), q(0.99), lat[-1] * 1000, (written[0] / elapsed if bg_rate else 0)

print("| measure | value |")
print("|---|---|")
config(T + "/a.yaml", None)  # the shipped starter rules
p = start(T + "/a.yaml")
time.sleep(1.0)
print("| RSS at idle, starter rules | %.1f MiB |" % (rss_kib(p.pid) / 1024.0))
stop(p)
os.remove(T + "/state/positions.json") if os.path.exists(T + "/state/positions.json") else None
config(T + "/b.yaml", T + "/rules")
p = start(T + "/b.yaml")
p50, p99, mx, _ = measure(p, N, 0)
print("| write -> stdout alert, idle (%d alerts) | p50 %.3f ms, p99 %.3f ms, max %.3f ms |" % (N, p50, p99, mx))
p50, p99, mx, rate = measure(p, N, BG)
print("| write -> stdout alert, background writer (%d alerts) | p50 %.3f ms, p99 %.3f ms, max %.3f ms |" % (N, p50, p99, mx))
print("| background lines/s reached (target %d) | %.0f |" % (BG, rate))
print("| RSS after the runs | %.1f MiB |" % (rss_kib(p.pid) / 1024.0))
stop(p)
EOF
;;
esac

# --- sustained rate and memory: 10 tailed files, the shipped starter rules ---
case " $PARTS " in *" rate "* | *" memory "*) ;; *) exit 0 ;; esac
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c 0"
EVIDENT_DATADIR="$EV_SRCDIR/conf" python3 - "$EVIDENT" "$T/s" "$PARTS" "$PIN" \
	"${BENCH_AGENT_RATE_LINES:-2000000}" "${BENCH_AGENT_RATE_SECS:-10}" \
	"${BENCH_AGENT_MEM_LINES:-10000000}" "${BENCH_AGENT_MEM_KEYS:-1000000}" <<'EOF'
import json, os, shutil, signal, socket, subprocess, sys, time
evident, T, parts, pin = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
RATE_LINES, RATE_SECS, MEM_LINES, MEM_KEYS = (int(x) for x in sys.argv[5:9])
NFILES = 10
if len(os.sched_getaffinity(0)) > 1 and pin:
    os.sched_setaffinity(0, {1})  # the writer off the agent's core

def setup(tag):
    d = "%s-%s" % (T, tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    files = ["%s/f%d.log" % (d, i) for i in range(NFILES)]
    for f in files:
        open(f, "w").close()
    with open(d + "/c.yaml", "w") as f:
        f.write("agent:\n  state_dir: %s/state\n  control_socket: %s/ctl.sock\n" % (d, d))
        f.write("sources:\n  journal: false\n  files: [%s]\n" % ", ".join(files))
        f.write("store:\n  path: %s/store\n" % d)
    p = subprocess.Popen(pin + [evident, "agent", "--foreground", "--config", d + "/c.yaml"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while not os.path.exists(d + "/ctl.sock"):
        if time.time() > deadline or p.poll() is not None:
            sys.exit("bench-agent: the agent did not start")
        time.sleep(0.01)
    return d, p, [os.open(f, os.O_WRONLY | os.O_APPEND) for f in files]

def status(d):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(d + "/ctl.sock")
    s.sendall(b'{"request":"status"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1 << 20)
        if not c:
            break
        buf += c
    s.close()
    return json.loads(buf)

def rss_kib(pid):
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm

def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)

def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")

# A mixed host: sshd (accepted, failed, invalid users), sudo, cron, kernel, an app.
def mixed_batch(n, seq):
    out = []
    for i in range(n):
        k = (seq + i) % 100
        ip = "192.0.%d.%d" % ((seq + i) // 250 % 250, (seq + i) % 250)
        if k < 3:
            l = "sshd[%d]: Failed password for root from %s port 22 ssh2" % (1000 + k, ip)
        elif k < 5:
            l = "sshd[%d]: Invalid user admin%d from %s port 4242" % (1000 + k, k, ip)
        elif k < 8:
            l = "sshd[%d]: Accepted publickey for deploy from %s port 50022 ssh2" % (1000 + k, ip)
        elif k < 10:
            l = "sudo[77]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl status x"
        elif k < 20:
            l = "CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)" % (5000 + k)
        elif k < 30:
            l = "kernel: [12345.678] IPv4: martian source 10.0.0.%d from 10.0.0.1, on dev eth0" % k
        else:
            l = "app[4242]: GET /api/v1/items/%d 200 12ms user=%d" % (seq + i, k)
        out.append("Nov 27 03:00:00 host1 " + l + "\n")
    return "".join(out).encode()

def wait_lines(d, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if status(d)["lines"] >= n:
            return True
        time.sleep(0.05)
    return False

print()
print("| measure (10 tailed files, starter rules%s) | value |" % (", agent pinned to one core" if pin else ""))
print("|---|---|")
if "rate" in parts:
    d, p, fds = setup("rate")
    BATCH = 10000
    batch = mixed_batch(BATCH, 0)
    c0 = cpu_s(p.pid)
    t0 = time.monotonic()
    written = 0
    while written < RATE_LINES:
        os.write(fds[(written // BATCH) % NFILES], batch)
        written += BATCH
    if not wait_lines(d, written, 600):
        sys.exit("bench-agent: the agent did not catch up within 600 s")
    el = time.monotonic() - t0
    cpu = cpu_s(p.pid) - c0
    rate = written / el
    print("| maximum rate: %d lines written at once, read and matched | %.0f lines/s (%.1f s, agent CPU %.1f s) |" % (written, rate, el, cpu))
    # bounded lag: offer 80 % of that rate, sample the lag every 0.25 s
    offered = int(rate * 0.8)
    base = status(d)["lines"]
    sent = 0
    maxlag = 0
    t0 = time.monotonic()
    nxt = t0
    i = 0
    while time.monotonic() - t0 < RATE_SECS:
        due = int((time.monotonic() - t0) * offered)
        while sent + BATCH <= due:
            os.write(fds[i % NFILES], batch)
            i += 1
            sent += BATCH
        if time.monotonic() >= nxt:
            lag = base + sent - status(d)["lines"]
            maxlag = max(maxlag, lag)
            nxt += 0.25
        time.sleep(0.005)
    t1 = time.monotonic()
    wait_lines(d, base + sent, 600)
    catch = time.monotonic() - t1
    print("| offered %d lines/s for %d s (80 %% of the maximum) | max lag %d lines (%.2f s of input), caught up %.2f s after the writer stopped |" % (offered, RATE_SECS, maxlag, maxlag / max(offered, 1), catch))
    rss, hwm = rss_kib(p.pid)
    print("| RSS after the rate runs | %.1f MiB (peak %.1f MiB) |" % (rss / 1024, hwm / 1024))
    stop(p)
    for f in fds:
        os.close(f)
    shutil.rmtree(d, ignore_errors=True)

if "memory" in parts:
    d, p, fds = setup("mem")
    rss0, _ = rss_kib(p.pid)
    BATCH = 20000
    written = 0
    c0 = cpu_s(p.pid)
    t0 = time.monotonic()
    i = 0
    while written < MEM_LINES:
        n = min(BATCH, MEM_LINES - written)
        out = []
        for j in range(written, written + n):
            a = j % MEM_KEYS
            ip = "10.%d.%d.%d" % (a >> 16 & 255, a >> 8 & 255, a & 255)
            sec = j // 20000  # event time advances: 20000 lines per second of log time
            ts = "Nov 27 %02d:%02d:%02d" % (sec // 3600 % 24, sec // 60 % 60, sec % 60)
            if j % 3:
                out.append("%s host1 sshd[%d]: Failed password for root from %s port %d ssh2\n" % (ts, 100 + j % 900, ip, 1024 + j % 60000))
            else:
                out.append("%s host1 sshd[%d]: Failed password for invalid user u%d from %s port %d ssh2\n" % (ts, 100 + j % 900, j % 5000, ip, 1024 + j % 60000))
        os.write(fds[i % NFILES], "".join(out).encode())
        i += 1
        written += n
        # keep the writer from racing far ahead of the agent (bounded disk and page cache)
        if written % 1000000 == 0:
            while written - status(d)["lines"] > 2000000:
                time.sleep(0.05)
    if not wait_lines(d, written, 1800):
        sys.exit("bench-agent: the agent did not read every line within 30 min")
    el = time.monotonic() - t0
    cpu = cpu_s(p.pid) - c0
    time.sleep(1.0)
    rss, hwm = rss_kib(p.pid)
    st = status(d)
    print("| memory run: %d lines, %d distinct source addresses (failed logins) | %.0f lines/s (%.1f s, agent CPU %.1f s), %d alerts |" % (written, min(MEM_KEYS, written), written / el, el, cpu, st["alerts"]))
    print("| RSS at start / after the run / peak | %.1f / %.1f / %.1f MiB |" % (rss0 / 1024, rss / 1024, hwm / 1024))
    eng = st.get("engine", {})
    if "live_groups" in eng:
        print("| correlation groups live / evicted at the caps (rules.max_groups per correlation) | %s / %s |" % (eng["live_groups"], eng.get("evicted", "?")))
    stop(p)
    for f in fds:
        os.close(f)
    shutil.rmtree(d, ignore_errors=True)
EOF
