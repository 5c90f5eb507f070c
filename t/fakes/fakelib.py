"""Shared helpers for the test fakes (Python 3.11 standard library only).

Every fake listens on 127.0.0.1 only, writes the port(s) it bound to a port file
(atomically: write a temp file, then rename) and exits cleanly on SIGTERM/SIGINT.
"""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Set when the process is asked to stop; stalls wait on it so they end at once.
STOP = threading.Event()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def write_port_file(path, content):
    if not path:
        return
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(content)
    os.replace(tmp, path)


def install_signal_handlers(servers):
    """SIGTERM/SIGINT: shut every server down; serve_forever() then returns."""

    def handler(signum, frame):
        if STOP.is_set():
            return
        STOP.set()
        for s in servers:
            threading.Thread(target=s.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def stall(seconds):
    """Sleep, but wake up immediately when the process is stopping."""
    if seconds and seconds > 0:
        STOP.wait(seconds)


class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm
    # the body waited for the client's delayed ACK, 40 ms on every answer
    # of a kept-alive connection, which no real service adds.
    disable_nagle_algorithm = True
    server_version = "fake/1.0"
    sys_version = ""
    quiet = True

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._read_chunked()
            return b""
        try:
            n = int(n)
        except ValueError:
            return b""
        return self.rfile.read(n) if n > 0 else b""

    def _read_chunked(self):
        out = b""
        while True:
            line = self.rfile.readline()
            if not line:
                break
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:
                    t = self.rfile.readline()
                    if t in (b"\r\n", b"\n", b""):
                        break
                break
            out += self.rfile.read(size)
            self.rfile.readline()
        return out

    def send_raw(self, status, body, ctype="text/plain; charset=utf-8", headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, str(v))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_json(self, status, obj, headers=None):
        self.send_raw(status, json.dumps(obj), "application/json; charset=utf-8", headers)

    def json_body(self, raw):
        if not raw.strip():
            return {}
        return json.loads(raw.decode("utf-8"))

    def header_dict(self):
        d = {}
        for k, v in self.headers.items():
            d[k] = v
        return d
