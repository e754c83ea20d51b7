#!/bin/sh
# make bench: the daemon end to end. Latency from write() of a matching line to the alert
# on the agent's stdout (p50, p99, max over N alerts), at idle and while a background
# writer appends other lines to a second tailed file; the background rate reached; RSS
# at idle with the shipped starter rules. Prints a Markdown table.
#   BENCH_AGENT_N (default 10000) alerts per run, BENCH_AGENT_BG (default 100000) lines/s.
set -u
: "${EVIDENT:?EVIDENT must point at the built binary (run through make bench)}"
: "${EV_SRCDIR:=.}"
command -v python3 >/dev/null 2>&1 || { echo "bench-agent: python3 needed"; exit 0; }
T=$(mktemp -d /tmp/evident-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
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
