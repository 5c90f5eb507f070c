#!/usr/bin/env python3
"""Minimal SMTP sink (no TLS) with an HTTP control port.

    python3 t/fakes/smtp_sink.py --smtp-port 0 --http-port 0 --port-file FILE

The port file gets {"smtp_port": N, "http_port": M}.  Commands: EHLO/HELO,
MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT, VRFY; AUTH PLAIN/LOGIN accept any
credentials (recorded).  HTTP: GET /_fake/messages, GET /_fake/health
({ok, sessions, stalled}), POST /_fake/reset (also ends the stalls in
progress), POST /_fake/fail {count, code, stage: rcpt|mail|data, message,
mail_from, close}, POST /_fake/stall {seconds, count}: the next N DATA
replies wait, POST /_fake/idle {seconds}: a session idle that long is told
421 and closed, as real servers do.  Each message records the session
(connection) it came in on.
"""
import argparse
import base64
import email
import email.policy
import json
import os
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import STOP, BaseHandler, Server, install_signal_handlers, write_port_file  # noqa: E402

MAX_SIZE = 10 * 1024 * 1024
HOSTNAME = "smtp-sink.localhost"


class State:
    def __init__(self):
        self.lock = threading.Condition()
        self.gen = 0          # a reset ends the stalls of earlier generations
        self.stalled = 0      # DATA replies waiting now
        self.reset()

    def reset(self):
        with self.lock:
            self.messages = []
            self.fails = []
            self.stalls = []
            self.sessions = 0
            self.idle = None      # seconds a session may sit idle (None: 60)
            self.gen += 1
            self.lock.notify_all()

    def stall(self):
        """Hold a DATA reply when a stall is armed: until its seconds pass,
        a reset, or shutdown."""
        with self.lock:
            armed = [x for x in self.stalls if x["count"] > 0]
            if not armed:
                return
            armed[0]["count"] -= 1
            end, gen = time.time() + armed[0]["seconds"], self.gen
            self.stalled += 1
            while not STOP.is_set() and self.gen == gen and time.time() < end:
                self.lock.wait(min(0.2, max(0.0, end - time.time())))
            self.stalled -= 1

    def take_fail(self, stage, mail_from):
        # A failure armed for one sender spares every other client of the
        # sink (a worker running beside the test).
        with self.lock:
            for f in self.fails:
                if f["count"] > 0 and f["stage"] == stage and (
                        f["mail_from"] is None or f["mail_from"] == mail_from.lower()):
                    f["count"] -= 1
                    return dict(f)
        return None


ST = State()


class SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, line):
        try:
            self.wfile.write((line + "\r\n").encode("utf-8"))
            self.wfile.flush()
        except OSError:
            pass

    def refuse(self, f):
        """An armed failure's reply; "quit" when it closes the connection."""
        self.reply("%d %s" % (f["code"], f["message"]))
        return "quit" if f["close"] else None

    def readline(self):
        with ST.lock:
            idle = ST.idle
        self.connection.settimeout(idle if idle is not None else self.timeout)
        try:
            line = self.rfile.readline(65536)
        except socket.timeout:
            # RFC 5321 4.5.3.2.7: a server may close an idle session;
            # real ones say 421 first.
            self.reply("421 4.4.2 %s idle timeout, closing connection" % HOSTNAME)
            return None
        if not line:
            return None
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def handle(self):
        with ST.lock:
            ST.sessions += 1
            self.session = ST.sessions
        self.reset_tx()
        self.helo = None
        self.auth_user = None
        self.reply("220 %s ESMTP fake smtp_sink ready" % HOSTNAME)
        while not STOP.is_set():
            try:
                line = self.readline()
            except OSError:
                return
            if line is None:
                return
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            fn = getattr(self, "smtp_" + verb, None)
            if fn is None:
                self.reply("500 5.5.2 command not recognized")
                continue
            if fn(arg.strip()) == "quit":
                return

    def reset_tx(self):
        self.mail_from = None
        self.rcpt_to = []
        self.mail_params = ""

    def smtp_HELO(self, arg):
        self.helo = arg
        self.reset_tx()
        self.reply("250 %s" % HOSTNAME)

    def smtp_EHLO(self, arg):
        self.helo = arg
        self.reset_tx()
        self.reply("250-%s greets %s" % (HOSTNAME, arg or "client"))
        self.reply("250-SIZE %d" % MAX_SIZE)
        self.reply("250-8BITMIME")
        self.reply("250-SMTPUTF8")
        self.reply("250-AUTH PLAIN LOGIN")
        self.reply("250 HELP")

    def smtp_AUTH(self, arg):
        mech, _, initial = arg.partition(" ")
        mech = mech.upper()
        if mech == "PLAIN":
            if not initial:
                self.reply("334 ")
                initial = self.readline() or ""
            try:
                parts = base64.b64decode(initial).split(b"\0")
                self.auth_user = parts[1].decode("utf-8", "replace") if len(parts) > 1 else ""
            except ValueError:
                return self.reply("501 5.5.2 cannot decode")
        elif mech == "LOGIN":
            try:
                if initial:
                    user = base64.b64decode(initial)
                else:
                    self.reply("334 VXNlcm5hbWU6")
                    user = base64.b64decode(self.readline() or "")
                self.reply("334 UGFzc3dvcmQ6")
                self.readline()
                self.auth_user = user.decode("utf-8", "replace")
            except ValueError:
                return self.reply("501 5.5.2 cannot decode")
        else:
            return self.reply("504 5.5.4 unrecognized authentication type")
        self.reply("235 2.7.0 authentication successful")

    def smtp_MAIL(self, arg):
        if not arg.upper().startswith("FROM:"):
            return self.reply("501 5.5.4 syntax: MAIL FROM:<address>")
        if self.mail_from is not None:
            return self.reply("503 5.5.1 nested MAIL command")
        addr, _, params = arg[5:].strip().partition(" ")
        f = ST.take_fail("mail", addr.strip("<>"))
        if f:
            return self.refuse(f)
        self.mail_from = addr.strip("<>")
        self.mail_params = params
        self.reply("250 2.1.0 OK")

    def smtp_RCPT(self, arg):
        if self.mail_from is None:
            return self.reply("503 5.5.1 need MAIL before RCPT")
        if not arg.upper().startswith("TO:"):
            return self.reply("501 5.5.4 syntax: RCPT TO:<address>")
        f = ST.take_fail("rcpt", self.mail_from)
        if f:
            return self.refuse(f)
        addr = arg[3:].strip().partition(" ")[0].strip("<>")
        self.rcpt_to.append(addr)
        self.reply("250 2.1.5 OK")

    def smtp_DATA(self, arg):
        if self.mail_from is None or not self.rcpt_to:
            return self.reply("503 5.5.1 need MAIL and RCPT before DATA")
        self.reply("354 end data with <CR><LF>.<CR><LF>")
        lines = []
        size = 0
        while True:
            raw = self.rfile.readline(1 << 20)
            if not raw:
                return "quit"
            line = raw.rstrip(b"\r\n")
            if line == b".":
                break
            if line.startswith(b".."):
                line = line[1:]
            size += len(line) + 2
            if size <= MAX_SIZE:
                lines.append(line)
        if size > MAX_SIZE:
            self.reset_tx()
            return self.reply("552 5.3.4 message too big")
        ST.stall()
        f = ST.take_fail("data", self.mail_from)
        if f:
            self.reset_tx()
            return self.refuse(f)
        data = b"\r\n".join(lines) + b"\r\n"
        rec = {
            "mail_from": self.mail_from, "rcpt_to": list(self.rcpt_to), "helo": self.helo,
            "auth_user": self.auth_user, "mail_params": self.mail_params,
            "session": self.session,
            "received_at": time.time(), "data": data.decode("utf-8", "replace"),
        }
        try:
            msg = email.message_from_bytes(data, policy=email.policy.default)
            rec["subject"] = str(msg.get("Subject", ""))
            rec["from"] = str(msg.get("From", ""))
            rec["to"] = str(msg.get("To", ""))
            rec["headers"] = {k: str(v) for k, v in msg.items()}
            parts = {}
            for part in msg.walk():
                ct = part.get_content_type()
                if ct in ("text/plain", "text/html") and ct not in parts:
                    try:
                        parts[ct] = part.get_content()
                    except (LookupError, ValueError):
                        parts[ct] = part.get_payload(decode=True).decode("utf-8", "replace")
            rec["text"] = parts.get("text/plain")
            rec["html"] = parts.get("text/html")
        except Exception as e:  # malformed messages are still stored raw
            rec["parse_error"] = str(e)
        with ST.lock:
            rec["id"] = len(ST.messages) + 1
            ST.messages.append(rec)
        self.reset_tx()
        self.reply("250 2.0.0 OK queued as %d" % rec["id"])

    def smtp_RSET(self, arg):
        self.reset_tx()
        self.reply("250 2.0.0 OK")

    def smtp_NOOP(self, arg):
        self.reply("250 2.0.0 OK")

    def smtp_VRFY(self, arg):
        self.reply("252 2.1.5 cannot verify, will accept")

    def smtp_STARTTLS(self, arg):
        self.reply("502 5.5.1 TLS not available")

    def smtp_QUIT(self, arg):
        self.reply("221 2.0.0 bye")
        return "quit"


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class HTTPHandler(BaseHandler):
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/_fake/messages":
            with ST.lock:
                out = [m for m in ST.messages if not q.get("rcpt") or q["rcpt"] in m["rcpt_to"]]
            return self.send_json(200, out)
        if u.path == "/_fake/health":
            with ST.lock:
                return self.send_json(200, {"ok": True, "sessions": ST.sessions,
                                            "stalled": ST.stalled})
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        raw = self.read_body()
        try:
            body = self.json_body(raw)
        except ValueError:
            return self.send_json(400, {"error": "invalid json"})
        if u.path == "/_fake/reset":
            ST.reset()
        elif u.path == "/_fake/fail":
            code = int(body.get("code", 451))
            stage = body.get("stage", "rcpt")
            if stage not in ("mail", "rcpt", "data"):
                return self.send_json(400, {"error": "stage must be mail, rcpt or data"})
            msg = body.get("message") or ("4.3.0 temporary failure (fake)" if code < 500
                                          else "5.0.0 permanent failure (fake)")
            sender = body.get("mail_from")
            if sender is not None and not isinstance(sender, str):
                return self.send_json(400, {"error": "mail_from must be an address"})
            with ST.lock:
                ST.fails.append({"count": int(body.get("count", 1)), "code": code,
                                 "stage": stage, "message": msg,
                                 "mail_from": sender.lower() if sender else None,
                                 "close": bool(body.get("close", False))})
        elif u.path == "/_fake/idle":
            seconds = body.get("seconds")
            if seconds is not None and (not isinstance(seconds, (int, float)) or seconds <= 0):
                return self.send_json(400, {"error": "seconds must be a positive number or null"})
            with ST.lock:
                ST.idle = seconds
        elif u.path == "/_fake/stall":
            try:
                item = {"seconds": float(body.get("seconds", 5)), "count": int(body.get("count", 1))}
            except (TypeError, ValueError):
                return self.send_json(400, {"error": "seconds and count must be numbers"})
            with ST.lock:
                ST.stalls.append(item)
        else:
            return self.send_json(404, {"error": "not found"})
        self.send_json(200, {"ok": True})


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake SMTP sink")
    ap.add_argument("--smtp-port", type=int, default=0)
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--port-file")
    a = ap.parse_args(argv)
    smtp = SMTPServer(("127.0.0.1", a.smtp_port), SMTPHandler)
    http = Server(("127.0.0.1", a.http_port), HTTPHandler)
    install_signal_handlers([smtp, http])
    ports = {"smtp_port": smtp.server_address[1], "http_port": http.server_address[1]}
    t = threading.Thread(target=smtp.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    write_port_file(a.port_file, json.dumps(ports) + "\n")
    sys.stderr.write("smtp_sink smtp 127.0.0.1:%d http 127.0.0.1:%d\n" % (ports["smtp_port"], ports["http_port"]))
    sys.stderr.flush()
    try:
        http.serve_forever(poll_interval=0.2)
    finally:
        smtp.shutdown()
        t.join(2)
        smtp.server_close()
        http.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
