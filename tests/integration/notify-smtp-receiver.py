#!/usr/bin/env python3
"""An SMTP server for the notify tests (aiosmtpd) on 127.0.0.1 that offers STARTTLS with
the test certificate and refuses mail before it (require_starttls). Each message is
stored as OUT/mail-N.eml (the exact DATA bytes) and OUT/mail-N.json (envelope, whether
the session was under TLS). The port goes to --port-file; runs until killed."""
import argparse
import json
import os
import socket
import ssl
import time

from aiosmtpd.controller import Controller

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
a = ap.parse_args()
count = [0]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        count[0] += 1
        k = count[0]
        with open(os.path.join(a.out, "mail-%d.json" % k), "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None}, f)
        with open(os.path.join(a.out, "mail-%d.eml.tmp" % k), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(os.path.join(a.out, "mail-%d.eml.tmp" % k),
                  os.path.join(a.out, "mail-%d.eml" % k))
        return "250 OK"


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.cert, a.key)
c = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx,
               require_starttls=True)
c.start()
with open(a.port_file + ".tmp", "w") as f:
    f.write(str(port))
os.rename(a.port_file + ".tmp", a.port_file)
try:
    while True:
        time.sleep(3600)
finally:
    c.stop()
