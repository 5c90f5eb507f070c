#!/usr/bin/env python3
"""Fake source system: receives the hub's signed decision callbacks.

    python3 t/fakes/callback_receiver.py --port 0 --port-file FILE --secret S

Any POST outside /_fake/ is a callback.  It is verified per DESIGN.md
("Decision callback"): X-Hub-Signature: v1=<hex HMAC-SHA256(secret,
"v1:" + X-Hub-Request-Timestamp + ":" + body)>, timestamp within 300 s.
Bad signature/timestamp -> 401; otherwise 200 {"ok":true}.  Every POST is
recorded.  Control: POST /_fake/{reset,fail,stall,secret}, GET /_fake/calls.
"""
import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import BaseHandler, Server, install_signal_handlers, stall, write_port_file  # noqa: E402

MAX_SKEW = 300


def sign(secret, ts, body):
    if isinstance(body, str):
        body = body.encode("utf-8")
    mac = hmac.new(secret.encode("utf-8"), b"v1:" + str(ts).encode() + b":" + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class State:
    def __init__(self, secret):
        self.lock = threading.Lock()
        self.default_secret = secret
        self.reset()

    def reset(self):
        with self.lock:
            self.secret = self.default_secret
            self.path_secrets = {}
            self.calls = []
            self.fails = []
            self.stalls = []


def take(lst):
    for item in lst:
        if item["count"] > 0:
            item["count"] -= 1
            return dict(item)
    return None


def matches(item, path):
    return not item.get("path") or item["path"] == path


class Handler(BaseHandler):
    st = None

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/_fake/calls":
            with self.st.lock:
                out = [c for c in self.st.calls if not q.get("path") or c["path"] == q["path"]]
            return self.send_json(200, out)
        if u.path == "/_fake/health":
            return self.send_json(200, {"ok": True})
        self.send_json(404, {"error": "not found"})

    def do_PUT(self):
        self.do_POST()

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        raw = self.read_body()
        if u.path.startswith("/_fake/"):
            return self.control(u.path[7:], raw)
        st = self.st
        with st.lock:
            s = None
            for item in st.stalls:
                if item["count"] > 0 and matches(item, u.path):
                    item["count"] -= 1
                    s = dict(item)
                    break
        if s:
            stall(float(s.get("seconds", 0)))
        with st.lock:
            secret = st.path_secrets.get(u.path, st.secret)
            verified, reason = self.verify(secret, raw)
            forced = None
            for item in st.fails:
                if item["count"] > 0 and matches(item, u.path):
                    item["count"] -= 1
                    forced = dict(item)
                    break
            if forced:
                status = int(forced.get("status", 500))
                body = {"ok": False, "error": "forced failure"}
            elif not verified:
                status, body = 401, {"ok": False, "error": reason}
            else:
                status, body = 200, {"ok": True}
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                parsed = None
            st.calls.append({
                "seq": len(st.calls) + 1, "ts": time.time(), "method": self.command,
                "path": u.path, "query": u.query, "headers": self.header_dict(),
                "body": raw.decode("utf-8", "replace"), "json": parsed,
                "verified": verified, "reason": reason, "status": status,
            })
        self.send_json(status, body)

    def verify(self, secret, raw):
        sig = self.headers.get("X-Hub-Signature")
        ts = self.headers.get("X-Hub-Request-Timestamp")
        if not sig or not ts:
            return False, "missing signature headers"
        try:
            tsn = int(ts)
        except ValueError:
            return False, "bad timestamp"
        if abs(time.time() - tsn) > MAX_SKEW:
            return False, "stale timestamp"
        if not hmac.compare_digest(sign(secret, ts, raw), sig.strip()):
            return False, "bad signature"
        return True, "ok"

    def control(self, what, raw):
        st = self.st
        try:
            body = self.json_body(raw)
        except ValueError:
            return self.send_json(400, {"error": "invalid json"})
        with st.lock:
            if what == "reset":
                pass
            elif what == "fail":
                st.fails.append({"count": int(body.get("count", 1)), "status": int(body.get("status", 500)),
                                 "path": body.get("path")})
            elif what == "stall":
                st.stalls.append({"count": int(body.get("count", 1)), "seconds": float(body.get("seconds", 5)),
                                  "path": body.get("path")})
            elif what == "secret":
                if body.get("path"):
                    st.path_secrets[body["path"]] = body["secret"]
                else:
                    st.secret = body["secret"]
            else:
                return self.send_json(404, {"error": "unknown control endpoint"})
        if what == "reset":
            st.reset()
        self.send_json(200, {"ok": True})


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake callback receiver")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--secret", default="test-source-secret")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    Handler.st = State(a.secret)
    Handler.quiet = not a.verbose
    srv = Server(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]
    install_signal_handlers([srv])
    write_port_file(a.port_file, "%d\n" % port)
    sys.stderr.write("callback_receiver listening on 127.0.0.1:%d\n" % port)
    sys.stderr.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
