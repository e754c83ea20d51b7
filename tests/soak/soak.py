#!/usr/bin/env python3
"""Soak the real agent under faults and check that nothing was lost.

The driver runs `evident agent --foreground` with a configuration of its own (20 log
files, a journal directory, a store on a small tmpfs when it may mount one) for a set
time, and meanwhile:

  * writes numbered lines to the 20 files at a rate that varies between a trickle and
    bursts (`--max-rate` lines/s at the top);
  * rotates the files in every way the collector follows: rename and create,
    copytruncate, and compression of older generations;
  * appends numbered entries to a journal file with systemd-journal-remote;
  * sends SIGHUP with the good configuration and with a broken one (the agent must keep
    running on the old one);
  * kills the agent with SIGKILL, or stops it with SIGTERM, at random moments, and starts
    it again;
  * fills the store's filesystem and frees it again;
  * writes lines with hostile timestamps (far future, far past) and then checks that a
    brute-force correlation still fires on current lines;
  * triggers automatic seals and storms of seal requests on the control socket.

At the end it checks: every numbered line alerted (zero lost), duplicates only within a
checkpoint interval before a SIGKILL (counted against that bound), every bundle and the
custody ledger verify, the agent's RSS stayed under --max-rss, and the agent never exited
other than when the driver stopped it. It prints a Markdown summary table and exits 0 when
every check holds, 1 when one fails, 77 when it cannot run (missing binary or tools).

Only loopback and files under the work directory are touched; the tmpfs is mounted under
the work directory and unmounted at the end.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NFILES = 20
LINE_RE = re.compile(r"SOAK-(f\d\d|j)-(\d{7})")
BF_RULE = "5b0c7a1e-2d3f-4a5b-8c6d-7e8f9a0b1c2d"
SEAL_RULE = "6c1d8b2f-3e4a-4b5c-9d7e-8f9a0b1c2d3e"
JREMOTE = "/lib/systemd/systemd-journal-remote"


def log(msg):
    print("# %s %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


class Soak:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.evident = args.evident
        self.work = tempfile.mkdtemp(prefix="evident-soak-")
        self.logs = os.path.join(self.work, "logs")
        self.state = os.path.join(self.work, "state")
        self.storefs = os.path.join(self.work, "storefs")
        self.store = os.path.join(self.storefs, "store")
        self.keys = os.path.join(self.work, "keys")
        self.jdir = os.path.join(self.work, "journal")
        self.sock = os.path.join(self.work, "run", "control.sock")
        self.conf = os.path.join(self.work, "evident.yaml")
        self.good_conf = ""
        for d in (self.logs, self.state, self.storefs, self.keys, self.jdir, os.path.dirname(self.sock)):
            os.makedirs(d, exist_ok=True)
        self.next_no = {"f%02d" % i: 0 for i in range(NFILES)}
        self.next_no["j"] = 0
        self.write_times = []  # (time, count) per write batch, for the duplicate bound
        self.proc = None
        self.run_no = 0
        self.outs = []
        self.kills = []  # times of SIGKILL
        self.unexpected_exits = []
        self.max_rss = 0
        self.mounted = False
        self.counts = {k: 0 for k in ("lines", "journal", "rotate_mv", "rotate_copytruncate", "compress",
                                       "hup_good", "hup_bad", "kill9", "sigterm", "fill", "hostile",
                                       "bf_checks", "bf_missed", "seal_requests", "seal_ok", "seal_failed")}
        self.findings = []
        # AddressSanitizer's shadow memory and quarantine make RSS meaningless
        ldd = subprocess.run(["ldd", self.evident], capture_output=True, text=True).stdout
        self.asan = "libasan" in ldd
        self.events = []  # (time, what): rotations, kills, reloads, for explaining a loss
        self.batches = {}  # file key -> [(first number, time)]
        self.j_base = 0  # journal entries before the first start are not expected (read from the end)

    # -- setup ------------------------------------------------------------------------
    def setup(self):
        if os.geteuid() == 0 and shutil.which("mount"):
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % self.a.store_mb, "evident-soak",
                                self.storefs], capture_output=True)
            self.mounted = r.returncode == 0
        log("store filesystem: %s" % ("tmpfs %d MiB" % self.a.store_mb if self.mounted else "work directory (no tmpfs)"))
        r = subprocess.run([self.evident, "keygen", "--out", self.keys, "--name", "soak"], capture_output=True)
        if r.returncode != 0:
            sys.exit("keygen failed: %s" % r.stderr.decode())
        rules = os.path.join(self.work, "rules")
        os.makedirs(rules)
        os.makedirs(os.path.join(rules, "no-decoders"))
        with open(os.path.join(rules, "every.yml"), "w") as f:
            f.write("title: soak numbered line\nid: 4a9b6c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d\nlevel: low\n"
                    "logsource:\n  product: linux\ndetection:\n  sel:\n    message|contains: 'SOAK-'\n"
                    "  condition: sel\n")
        with open(os.path.join(rules, "seal.yml"), "w") as f:
            f.write("title: soak seal trigger\nid: %s\nlevel: high\nlogsource:\n  product: linux\n"
                    "detection:\n  sel:\n    message|contains: 'SEALME'\n  condition: sel\n" % SEAL_RULE)
        with open(os.path.join(rules, "bf.yml"), "w") as f:
            f.write("title: soak bf line\nid: 7d2e9c3a-4f5b-4c6d-8e9f-0a1b2c3d4e5f\nname: soak_bf_line\n"
                    "level: low\nlogsource:\n  product: linux\ndetection:\n  sel:\n    message|contains: 'BFTRY'\n"
                    "  condition: sel\n---\ntitle: soak brute force\nid: %s\nlevel: medium\n"
                    "correlation:\n  type: event_count\n  rules: [soak_bf_line]\n  group-by: [program]\n"
                    "  timespan: 1m\n  condition:\n    gte: 5\n" % BF_RULE)
        self.good_conf = (
            "agent:\n  state_dir: %s\n  control_socket: %s\n  control_group: evident-soak-nonexistent\n"
            "sources:\n  files: [%s/*.log]\n  journal: true\n  journal_dir: %s\n  checkpoint_interval: %s\n"
            "  stat_interval: 500ms\n"
            "rules:\n  paths: [%s/every.yml, %s/seal.yml, %s/bf.yml]\n  decoders: [%s/no-decoders]\n"
            "store:\n  path: %s\n  key: %s/soak.key\n"
            "actions:\n  seal_on: [rule:%s]\n  seal_rate_per_hour: 600\n  lookback: 2m\n  lookahead: 1s\n"
            "  seal_commands: [ps=/bin/ps -e]\n  stdout: true\n"
            % (self.state, self.sock, self.logs, self.jdir, self.a.checkpoint, rules, rules, rules, rules,
               self.store, self.keys, SEAL_RULE))
        with open(self.conf, "w") as f:
            f.write(self.good_conf)
        r = subprocess.run([self.evident, "config", "check", self.conf], capture_output=True)
        if r.returncode != 0:
            sys.exit("config check failed: %s" % (r.stdout + r.stderr).decode())
        if os.access(JREMOTE, os.X_OK):
            self.journal_append(1)  # the journal file exists before the agent starts
            self.j_base = self.next_no["j"]

    def cleanup(self):
        self.stop_agent(signal.SIGKILL, expected=True)
        if self.mounted:
            subprocess.run(["umount", "-l", self.storefs])
        if self.a.keep:
            log("kept %s" % self.work)
        else:
            subprocess.run(["chattr", "-R", "-i", self.work], capture_output=True)
            shutil.rmtree(self.work, ignore_errors=True)

    # -- the agent --------------------------------------------------------------------
    def start_agent(self):
        self.run_no += 1
        out = os.path.join(self.work, "run-%03d.out" % self.run_no)
        self.outs.append(out)
        err = open(os.path.join(self.work, "agent.err"), "ab")
        self.proc = subprocess.Popen([self.evident, "agent", "--foreground", "--config", self.conf],
                                     stdout=open(out, "wb"), stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.unexpected_exits.append("run %d exited %s at start" % (self.run_no, self.proc.returncode))
                return False
            if self.status() is not None:
                return True
            time.sleep(0.05)
        self.unexpected_exits.append("run %d never answered on the socket" % self.run_no)
        return False

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            self.unexpected_exits.append("run %d exited by itself with %s" % (self.run_no, self.proc.returncode))
            self.proc = None
            self.start_agent()

    def stop_agent(self, sig, expected=True):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.unexpected_exits.append("run %d ignored signal %d for 30 s" % (self.run_no, sig))
                self.proc.kill()
                self.proc.wait()
            if sig == signal.SIGTERM and self.proc.returncode != 0:
                self.unexpected_exits.append("run %d exited %d on SIGTERM" % (self.run_no, self.proc.returncode))
        self.proc = None

    def request(self, obj, timeout=30):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.sock)
            s.sendall(json.dumps(obj).encode() + b"\n")
            buf = b""
            while b"\n" not in buf:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            return json.loads(buf.decode()) if buf.strip() else None
        except (OSError, ValueError):
            return None
        finally:
            s.close()

    def status(self):
        return self.request({"request": "status"}, timeout=5)

    def sample_rss(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        self.max_rss = max(self.max_rss, int(line.split()[1]) * 1024)
        except OSError:
            pass

    # -- the load ---------------------------------------------------------------------
    @staticmethod
    def stamp(t):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)

    def write_lines(self, n):
        now = time.time()
        per = {}
        for _ in range(n):
            k = "f%02d" % self.rng.randrange(NFILES)
            self.next_no[k] += 1
            per.setdefault(k, []).append("%s soakhost app%s[%d]: SOAK-%s-%07d payload %s\n" % (
                self.stamp(now), k[1:], 100 + int(k[1:]), k, self.next_no[k], "x" * self.rng.randrange(80)))
        for k, lines in per.items():
            self.batches.setdefault(k, []).append((self.next_no[k] - len(lines) + 1, now))
            with open(os.path.join(self.logs, k + ".log"), "a") as f:
                f.write("".join(lines))
        self.counts["lines"] += n
        self.write_times.append((now, n))

    def journal_append(self, n):
        chunks = []
        for _ in range(n):
            self.next_no["j"] += 1
            t = int(time.time() * 1e6)
            chunks.append("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                          "_HOSTNAME=soakhost\nSYSLOG_IDENTIFIER=soakj\n_PID=4242\nPRIORITY=5\n"
                          "MESSAGE=SOAK-j-%07d journal entry\n\n" % (t, t, self.next_no["j"]))
        r = subprocess.run([JREMOTE, "-o", os.path.join(self.jdir, "soak.journal"), "-"],
                           input="".join(chunks).encode(), capture_output=True)
        if r.returncode != 0:
            self.findings.append("systemd-journal-remote failed: %s" % r.stderr.decode()[:200])
            self.next_no["j"] -= n
            return
        self.counts["journal"] += n
        self.write_times.append((time.time(), n))

    def rotate(self):
        k = "f%02d" % self.rng.randrange(NFILES)
        base = os.path.join(self.logs, k + ".log")
        if not os.path.exists(base):
            return
        # shift older generations: .4 is dropped (read long ago), .N -> .N+1, compressed ones too
        for i in range(4, 0, -1):
            for ext in ("", ".gz"):
                src = "%s.%d%s" % (base, i, ext)
                if os.path.exists(src):
                    if i == 4:
                        os.unlink(src)
                    else:
                        os.rename(src, "%s.%d%s" % (base, i + 1, ext))
        if self.rng.random() < 0.5:
            os.rename(base, base + ".1")
            open(base, "a").close()
            self.counts["rotate_mv"] += 1
            self.events.append((time.time(), "rotate mv " + k))
        else:
            shutil.copyfile(base, base + ".1")
            os.truncate(base, 0)
            self.counts["rotate_copytruncate"] += 1
            self.events.append((time.time(), "rotate copytruncate " + k))
        # delaycompress: the generation before last is compressed
        g2 = base + ".3"
        if os.path.exists(g2) and self.rng.random() < 0.5:
            subprocess.run(["gzip", "-f", g2])
            self.events.append((time.time(), "gzip " + g2))
            self.counts["compress"] += 1

    def hup(self):
        if self.proc is None:
            return
        bad = self.rng.random() < 0.4
        if bad:
            with open(self.conf, "w") as f:
                f.write(self.good_conf + "rules:\n  paths: [\n")  # a YAML error
        self.events.append((time.time(), "SIGHUP " + ("bad" if bad else "good")))
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        if bad:
            with open(self.conf, "w") as f:
                f.write(self.good_conf)
        self.counts["hup_bad" if bad else "hup_good"] += 1
        if self.status() is None:
            time.sleep(1)
            if self.status() is None and self.proc.poll() is None:
                self.findings.append("no status answer after %s SIGHUP" % ("bad" if bad else "good"))

    def kill(self):
        if self.proc is None:
            return
        if self.rng.random() < 0.75:
            self.kills.append(time.time())
            self.events.append((time.time(), "SIGKILL"))
            self.stop_agent(signal.SIGKILL)
            self.counts["kill9"] += 1
        else:
            self.events.append((time.time(), "SIGTERM"))
            self.stop_agent(signal.SIGTERM)
            self.counts["sigterm"] += 1
        try:
            os.unlink(self.sock)
        except OSError:
            pass
        time.sleep(self.rng.random() * 0.5)
        self.start_agent()
        self.events.append((time.time(), "started run %d" % self.run_no))

    def fill_store(self):
        if not self.mounted:
            return
        filler = os.path.join(self.storefs, "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=1M", "count=%d" % (self.a.store_mb * 2)],
                       capture_output=True)
        self.counts["fill"] += 1
        self.seal_storm(3, tolerate_failure=True)  # these may fail: the disk is full
        self.write_special("SEALME while the store is full")
        time.sleep(1.5)
        os.unlink(filler)
        # after space is back a seal must succeed
        r = self.request({"request": "seal", "lookback": "30s", "note": "after full disk"}, timeout=60)
        self.counts["seal_requests"] += 1
        if r and r.get("ok"):
            self.counts["seal_ok"] += 1
        else:
            self.counts["seal_failed"] += 1
            self.findings.append("seal after freeing the store failed: %s" % r)

    def seal_storm(self, n, tolerate_failure=False):
        import threading
        res = []

        def one():
            res.append(self.request({"request": "seal", "lookback": "20s", "note": "storm"}, timeout=120))
        ts = [threading.Thread(target=one) for _ in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for r in res:
            self.counts["seal_requests"] += 1
            if r and r.get("ok"):
                self.counts["seal_ok"] += 1
            else:
                self.counts["seal_failed"] += 1
                if not tolerate_failure and self.proc is not None and r is not None:
                    err = str(r.get("error", r))
                    if "queue" not in err and "rate" not in err and "busy" not in err:
                        self.findings.append("seal request failed: %s" % err[:200])

    def write_special(self, text, t=None):
        t = time.time() if t is None else t
        with open(os.path.join(self.logs, "special.log"), "a") as f:
            f.write("%s soakhost special[7]: %s\n" % (self.stamp(t), text))

    def hostile_then_bf(self):
        """Hostile timestamps must not blind correlation: after lines dated 2099 and 1970,
        five BFTRY lines stamped now must still raise the brute-force alert."""
        if self.proc is None:
            return
        self.write_special("hostile future line", t=4070908800.0)  # 2099-01-01
        self.write_special("hostile past line", t=86400.0)
        self.counts["hostile"] += 2
        tag = "bf%06d" % self.rng.randrange(10 ** 6)
        now = time.time()
        with open(os.path.join(self.logs, "special.log"), "a") as f:
            for i in range(5):
                f.write("%s soakhost %s[9]: BFTRY attempt %d\n" % (self.stamp(now + i * 0.001), tag, i))
        self.counts["bf_checks"] += 1
        deadline = time.time() + 15
        out = self.outs[-1]
        while time.time() < deadline:
            with open(out, "rb") as f:
                data = f.read()
            if (tag + '"').encode() in data and BF_RULE.encode() in data:
                return
            if self.proc is None or self.proc.poll() is not None:
                return  # killed meanwhile: not a finding of this check
            time.sleep(0.1)
        self.counts["bf_missed"] += 1

    # -- the run ----------------------------------------------------------------------
    def run(self):
        self.setup()
        if not self.start_agent():
            self.findings.append("the agent did not start: %s" % open(os.path.join(self.work, "agent.err")).read()[-500:])
            return
        end = time.time() + self.a.seconds
        next_event = time.time() + 2
        have_jr = os.access(JREMOTE, os.X_OK)
        phase_rate = self.a.max_rate
        last_progress = time.time()
        while time.time() < end:
            # the write rate varies: a new target every few seconds, bursts at the top
            if self.rng.random() < 0.02:
                phase_rate = self.rng.choice([50, 500, self.a.max_rate // 2, self.a.max_rate])
            self.write_lines(max(1, phase_rate // 10))
            if have_jr and self.rng.random() < 0.05:
                self.journal_append(self.rng.randrange(1, 50))
            self.sample_rss()
            self.check_alive()
            if time.time() >= next_event:
                ev = self.rng.choices(["rotate", "hup", "kill", "fill", "hostile", "storm", "seal"],
                                      weights=[40, 10, 10, 3, 8, 4, 6])[0]
                if ev == "rotate":
                    for _ in range(self.rng.randrange(1, 6)):
                        self.rotate()
                elif ev == "hup":
                    self.hup()
                elif ev == "kill":
                    self.kill()
                elif ev == "fill":
                    self.fill_store()
                elif ev == "hostile":
                    self.hostile_then_bf()
                elif ev == "storm":
                    self.seal_storm(self.rng.randrange(4, 12))
                elif ev == "seal":
                    self.write_special("SEALME automatic seal trigger %d" % self.rng.randrange(10 ** 6))
                next_event = time.time() + self.rng.uniform(0.5, 3.0)
            if time.time() - last_progress > 30:
                log("%d lines written, run %d" % (self.counts["lines"], self.run_no))
                last_progress = time.time()
            time.sleep(0.1)
        self.finish()

    def seen(self):
        seen = {}
        for out in self.outs:
            try:
                f = open(out, "rb")
            except OSError:
                continue
            with f:
                for raw in f:
                    try:
                        a = json.loads(raw)
                    except ValueError:
                        # the last line of a run killed with SIGKILL may be cut; any other is a finding
                        if raw.endswith(b"\n"):
                            self.findings.append("a stdout line is not JSON: %r" % raw[:120])
                        continue
                    rule = a.get("rule") if isinstance(a, dict) else None
                    if not isinstance(rule, dict) or rule.get("id") != "4a9b6c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d":
                        continue
                    for e in a.get("events", []):
                        m = LINE_RE.search(e.get("message", ""))
                        if m:
                            key = (m.group(1), int(m.group(2)))
                            seen[key] = seen.get(key, 0) + 1
        return seen

    def finish(self):
        # let the agent catch up, then stop it cleanly
        want = sum(self.next_no.values())
        deadline = time.time() + 60
        while time.time() < deadline:
            self.check_alive()
            if len(self.seen()) >= want:
                break
            time.sleep(0.5)
        self.stop_agent(signal.SIGTERM)
        seen = self.seen()
        self.lost = [(k, i) for k, n in self.next_no.items()
                     for i in range((self.j_base if k == "j" else 0) + 1, n + 1) if (k, i) not in seen]
        self.dups = sum(c - 1 for c in seen.values() if c > 1)
        # the bound: lines written within checkpoint + 1 s before each SIGKILL may repeat
        cp = self.checkpoint_seconds() + 1.0
        self.dup_bound = sum(n for t, n in self.write_times for k in self.kills if k - cp <= t <= k)
        r = subprocess.run([self.evident, "verify", "--pub", os.path.join(self.keys, "soak.pub"), self.store],
                           capture_output=True)
        self.verify_rc = r.returncode
        self.verify_out = (r.stdout + r.stderr).decode()[-2000:]
        self.bundles = len([n for n in os.listdir(os.path.join(self.store, "bundles"))
                            if n.endswith(".tar.gz")]) if os.path.isdir(os.path.join(self.store, "bundles")) else 0
        self.store_bytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(self.store)
                               for f in fs if os.path.isfile(os.path.join(dp, f)))

    def checkpoint_seconds(self):
        m = re.match(r"(\d+)(ms|s)$", self.a.checkpoint)
        return int(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0) if m else 5.0

    def write_time(self, k, i):
        t = None
        for first, bt in self.batches.get(k, []):
            if first > i:
                break
            t = bt
        return t

    def explain_lost(self):
        # lost numbers as ranges per file, each with the driver's events around its write time
        ranges = []
        for k, i in sorted(self.lost):
            if ranges and ranges[-1][0] == k and ranges[-1][2] == i - 1:
                ranges[-1][2] = i
            else:
                ranges.append([k, i, i])
        for k, a, b in ranges[:12]:
            t = self.write_time(k, a)
            near = [("%+.2fs %s" % (et - t, w)) for et, w in self.events if t is not None and abs(et - t) < 3]
            print("# lost %s %d-%d (written %s): %s" % (k, a, b, self.stamp(t) if t else "?", "; ".join(near)))
        if len(ranges) > 12:
            print("# ... %d more lost ranges" % (len(ranges) - 12))

    def report(self):
        c = self.counts
        checks = [
            ("numbered lines lost", len(self.lost), len(self.lost) == 0),
            ("lines alerted twice (bound: written within a checkpoint before a SIGKILL: %d)" % self.dup_bound,
             self.dups, self.dups <= self.dup_bound),
            ("evident verify on the store (exit)", self.verify_rc, self.verify_rc == 0),
            ("agent exits the driver did not cause", len(self.unexpected_exits), not self.unexpected_exits),
            ("peak RSS (MiB, cap %d%s)" % (self.a.max_rss, "; not enforced: AddressSanitizer build" if self.asan else ""),
             round(self.max_rss / 2 ** 20, 1), self.asan or self.max_rss <= self.a.max_rss * 2 ** 20),
            ("brute force missed after hostile timestamps (of %d)" % c["bf_checks"], c["bf_missed"], c["bf_missed"] == 0),
            ("other findings", len(self.findings), not self.findings),
        ]
        print("\n| soak: %d s, seed %d | value |" % (self.a.seconds, self.a.seed))
        print("|---|---|")
        for k in ("lines", "journal", "rotate_mv", "rotate_copytruncate", "compress", "hup_good", "hup_bad",
                  "kill9", "sigterm", "fill", "hostile", "seal_requests", "seal_ok", "seal_failed"):
            print("| %s | %d |" % (k.replace("_", " "), c[k]))
        print("| bundles in the store | %d |" % self.bundles)
        print("| store size at the end (MiB, filesystem %d MiB) | %.1f |" % (self.a.store_mb, self.store_bytes / 2 ** 20))
        print()
        print("| check | value | holds |")
        print("|---|---|---|")
        ok = True
        for name, val, holds in checks:
            ok = ok and holds
            print("| %s | %s | %s |" % (name, val, "yes" if holds else "**NO**"))
        if self.lost:
            self.explain_lost()
        for u in self.unexpected_exits:
            print("# unexpected: %s" % u)
        for f in self.findings[:20]:
            print("# finding: %s" % f)
        if self.verify_rc != 0:
            print("# verify said:\n" + "\n".join("#   " + line for line in self.verify_out.splitlines()[-20:]))
        return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--evident", default=os.environ.get("EVIDENT"), help="the evident binary (default: $EVIDENT)")
    p.add_argument("--seconds", type=int, default=int(os.environ.get("EV_SOAK_SECONDS", "1800")))
    p.add_argument("--max-rate", type=int, default=20000, help="top write rate, lines per second")
    p.add_argument("--max-rss", type=int, default=256, help="RSS cap in MiB")
    p.add_argument("--store-mb", type=int, default=0,
                   help="size of the store's tmpfs in MiB (default: 48 per 10 minutes, so that the bundles the "
                        "soak seals fit; the filler fills it on purpose)")
    p.add_argument("--checkpoint", default="1s", help="sources.checkpoint_interval")
    p.add_argument("--seed", type=int, default=int(os.environ.get("EV_SOAK_SEED", "0")) or int(time.time()))
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    if a.store_mb <= 0:
        a.store_mb = 48 * max(1, -(-a.seconds // 600))
    if not a.evident or not os.access(a.evident, os.X_OK):
        print("SKIP: no evident binary (--evident or $EVIDENT)")
        return 77
    s = Soak(a)
    log("soak for %d s, seed %d, work directory %s" % (a.seconds, a.seed, s.work))
    try:
        s.run()
        ok = s.report()
    finally:
        s.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
