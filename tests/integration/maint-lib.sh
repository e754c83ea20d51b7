# Helpers for the maint-*.sh tests and the maintenance benchmark (sourced after lib.sh):
# a service stand-in (python3: a health endpoint on 127.0.0.1, a configuration file read
# at start and on SIGHUP, a log file), a key, and a configuration ($M_CONF) naming the
# service in incidents.services with a restart command.
command -v python3 >/dev/null 2>&1 || skip "python3 is needed for the service stand-in"
trap 'chattr -R -i "$T_TMP" 2>/dev/null; [ -n "${M_PID:-}" ] && kill "$M_PID" 2>/dev/null; rm -rf "$T_TMP"' EXIT
M_CONF="$T_TMP/evident.yaml"
M_STATE="$T_TMP/state"
M_SVC="$T_TMP/svc"
M_LOG="$T_TMP/svc.log"
M_PID=""
mkdir -p "$T_TMP/keys" "$M_SVC"
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || fail "keygen"

# The stand-in: "mode = ok" in app.conf is healthy; anything else is a configuration
# error (logged, health 500). Each health request is a log line.
cat >"$T_TMP/service.py" <<'EOPY'
import http.server, os, signal, sys, time
conf, log, portfile = sys.argv[1], sys.argv[2], sys.argv[3]
state = {"ok": False}
def say(level, msg):
    with open(log, "a") as f:
        f.write("%s host svc[%d]: %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), os.getpid(), level, msg))
def load(*_):
    try:
        lines = [l.strip() for l in open(conf) if l.strip() and not l.startswith("#")]
        state["ok"] = all("=" in l for l in lines) and "mode = ok" in lines
    except OSError:
        state["ok"] = False
    if state["ok"]:
        say("INFO", "configuration loaded")
    else:
        say("ERROR", "configuration %s is invalid: cannot parse line 1" % conf)
signal.signal(signal.SIGHUP, load)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200 if state["ok"] else 500
        say("INFO" if code == 200 else "ERROR", "GET %s %d" % (self.path, code))
        self.send_response(code); self.end_headers(); self.wfile.write(b"ok\n" if code == 200 else b"bad\n")
    def log_message(self, *a):
        pass
load()
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
EOPY
cat >"$T_TMP/check.py" <<'EOPY'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:%s/health" % sys.argv[1], timeout=5).status == 200 else 1)
except Exception as e:
    print(e); sys.exit(1)
EOPY

# service_start: app.conf healthy, the stand-in running, $M_PORT and $M_PID set.
service_start() {
	printf 'mode = ok\nworkers = 4\n' >"$M_SVC/app.conf"
	rm -f "$T_TMP/port"
	python3 "$T_TMP/service.py" "$M_SVC/app.conf" "$M_LOG" "$T_TMP/port" &
	M_PID=$!
	T_DEADLINE=10 wait_for "the service stand-in" test -s "$T_TMP/port"
	M_PORT=$(cat "$T_TMP/port")
}
wait_for() { # wait_for WHAT CMD...: poll every 50 ms for up to ${T_DEADLINE:-10} s
	_what=$1; shift
	_end=$(($(date +%s) + ${T_DEADLINE:-10}))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -lt "$_end" ] || { fail "timed out waiting for $_what"; return 1; }
		sleep 0.05
	done
}
maint_config() { # maint_config [YAML appended]
	cat >"$M_CONF" <<EOC
agent:
  state_dir: $M_STATE
  control_socket: $T_TMP/run/control.sock
  control_group: evident-test-nonexistent
sources:
  journal: false
  files: [$M_LOG]
store:
  path: $T_TMP/store
  key: $T_TMP/keys/k.key
actions:
  seal_commands: []
incidents:
  services: ["svc: file:$M_LOG"]
maintenance:
  restart: ["svc=/bin/kill -HUP $M_PID"]
  health_wait: 10s
${1:-}
EOC
}
