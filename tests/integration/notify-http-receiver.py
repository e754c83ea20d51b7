#!/usr/bin/env python3
"""A webhook receiver for the notify tests: an HTTP (or HTTPS) server on 127.0.0.1.

Every POST is stored as OUT/req-N.body (the exact bytes) and OUT/req-N.json (path and
headers). --port 0 picks a free port; the port is written to --port-file. --slow S
answers each request after S seconds; --status N answers N."""
import argparse
import http.server
import json
import os
import ssl
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--port-file")
ap.add_argument("--out", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--slow", type=float, default=0)
ap.add_argument("--status", type=int, default=200)
a = ap.parse_args()
lock = threading.Lock()
# a restarted receiver goes on numbering after what the last one stored
count = [len([f for f in os.listdir(a.out) if f.endswith(".body")])]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if a.slow:
            time.sleep(a.slow)
        with lock:
            count[0] += 1
            k = count[0]
            with open(os.path.join(a.out, "req-%d.json" % k), "w") as f:
                json.dump({"path": self.path, "headers": dict(self.headers)}, f)
            # the body last: a test waiting for it finds the headers written
            with open(os.path.join(a.out, "req-%d.body.tmp" % k), "wb") as f:
                f.write(body)
            os.rename(os.path.join(a.out, "req-%d.body.tmp" % k),
                      os.path.join(a.out, "req-%d.body" % k))
        self.send_response(a.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), H)
if a.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
if a.port_file:
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
srv.serve_forever()
