#!/usr/bin/env python3
"""Fake OpenAI-compatible inference service: embeddings and chat completions.

    python3 t/fakes/fake_inference.py --port 0 --port-file FILE [--key K]

Speaks the wire format of Heroku Managed Inference / OpenAI:

  POST /v1/embeddings        {"model", "input": str | [str]}
      -> {"object": "list", "data": [{"object": "embedding", "index", "embedding": [...]}],
          "model", "usage": {"prompt_tokens", "total_tokens"}}
  POST /v1/chat/completions  {"model", "messages": [{role, content}], "temperature", ...}
      -> {"id", "object": "chat.completion", "created", "model",
          "choices": [{"index": 0, "message": {"role": "assistant", "content"},
                       "finish_reason": "stop"}], "usage": {...}}

Errors as OpenAI sends them: {"error": {"message", "type", "param", "code"}} with
401 (missing or wrong key: invalid_api_key), 400 (bad body), 404 (unknown
path), 429 (rate limited, with Retry-After), 500.

Embeddings are deterministic: a 64-dimension bag of concepts (words are
lower-cased, a plural 's' dropped, and words of one concept group share a
dimension: "flight", "airfare", "plane" ...), L2-normalised, so texts about the
same thing are close even without a shared word.

The chat answer, by default, reads the request the hub fenced in the user
message (between the lines "<<<REQUEST" and "REQUEST>>>", JSON) and answers
strict JSON {"summary", "risk_score", "risk_reasons"}: the summary names the
title, the score is 7 when the amount is 10 000 or more, else 2.

Control (JSON):
  POST /_fake/reset
  POST /_fake/answer    {"content": "...", "count": N}   next N chat answers' content
  POST /_fake/fail      {"path": "/v1/...", "status": 500, "count": N, "retry_after": S}
  POST /_fake/stall     {"path": "/v1/...", "seconds": S, "count": N}
  GET  /_fake/calls     every request: {path, headers, body (parsed JSON or text)}
"""
import argparse
import hashlib
import json
import math
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import BaseHandler, Server, install_signal_handlers, stall, write_port_file  # noqa: E402

DIM = 64
CONCEPTS = [
    ("flight", "flights", "airfare", "plane", "airline", "fly", "ticket"),
    ("hotel", "lodging", "accommodation", "motel", "room", "nights"),
    ("laptop", "computer", "notebook", "macbook", "pc"),
    ("conference", "summit", "event", "congress", "kubecon"),
    ("software", "licence", "license", "subscription", "saas", "seat", "seats"),
    ("meal", "dinner", "lunch", "catering", "food"),
    ("contract", "agreement", "counsel", "legal"),
    ("chair", "desk", "furniture", "ergonomic"),
]
WORD_DIM = {}
for i, group in enumerate(CONCEPTS):
    for w in group:
        WORD_DIM[w] = i


def word_dim(w):
    if w in WORD_DIM:
        return WORD_DIM[w]
    h = int(hashlib.sha256(w.encode()).hexdigest(), 16)
    return len(CONCEPTS) + h % (DIM - len(CONCEPTS))


def embed(text):
    v = [0.0] * DIM
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if len(w) > 3 and w.endswith("s") and w[:-1] in WORD_DIM:
            w = w[:-1]
        v[word_dim(w)] += 1.0
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [round(x / n, 6) for x in v]


def default_answer(messages):
    text = "\n".join(m.get("content", "") for m in messages if isinstance(m, dict))
    m = re.search(r"<<<REQUEST\n(.*?)\nREQUEST>>>", text, re.S)
    req = {}
    if m:
        try:
            req = json.loads(m.group(1))
        except ValueError:
            req = {}
    title = str(req.get("title") or "an approval request")
    amount = 0
    meta = req.get("metadata") if isinstance(req.get("metadata"), dict) else {}
    for k in ("amount", "total", "value"):
        if isinstance(meta.get(k), (int, float)):
            amount = meta[k]
    score = 7 if amount >= 10000 else 2
    reasons = ["Amount of %s is high" % amount] if score > 5 else []
    return json.dumps({"summary": "Request: %s." % title[:200], "risk_score": score,
                       "risk_reasons": reasons})


def oai_error(status, message, etype, code=None, param=None):
    return status, {"error": {"message": message, "type": etype, "param": param, "code": code}}


class State:
    def __init__(self, key):
        self.lock = threading.Lock()
        self.key = key
        self.reset()

    def reset(self):
        with self.lock:
            self.calls = []
            self.answers = []
            self.fails = []
            self.stalls = []
            self.n = 0


def take(lst, path):
    for item in lst:
        if item["count"] > 0 and (not item.get("path") or item["path"] == path):
            item["count"] -= 1
            return dict(item)
    return None


class Handler(BaseHandler):
    state = None

    def do_GET(self):
        if self.path == "/_fake/calls":
            with self.state.lock:
                return self.send_json(200, list(self.state.calls))
        self.send_json(*oai_error(404, "Unknown request URL: GET %s" % self.path,
                                  "invalid_request_error", "unknown_url"))

    def do_POST(self):
        raw = self.read_body()
        if self.path.startswith("/_fake/"):
            return self.control(self.path[len("/_fake/"):], raw)
        st = self.state
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        with st.lock:
            st.calls.append({"path": self.path, "headers": self.header_dict(),
                             "body": body if body is not None else raw.decode("utf-8", "replace"),
                             "at": time.time()})
            fail = take(st.fails, self.path)
            slow = take(st.stalls, self.path)
        if slow:
            stall(slow.get("seconds", 0))
        if st.key and self.headers.get("Authorization") != "Bearer " + st.key:
            return self.send_json(*oai_error(401, "Incorrect API key provided.",
                                             "invalid_request_error", "invalid_api_key"))
        if fail:
            status = fail.get("status", 500)
            headers = {}
            if status == 429:
                headers["Retry-After"] = fail.get("retry_after", 1)
                s, b = oai_error(429, "Rate limit reached for requests", "requests",
                                 "rate_limit_exceeded")
            else:
                s, b = oai_error(status, "The server had an error while processing your request.",
                                 "server_error")
            return self.send_json(s, b, headers)
        if not isinstance(body, dict):
            return self.send_json(*oai_error(400, "We could not parse the JSON body of your request.",
                                             "invalid_request_error"))
        if self.path == "/v1/embeddings":
            return self.embeddings(body)
        if self.path == "/v1/chat/completions":
            return self.chat(body)
        self.send_json(*oai_error(404, "Unknown request URL: POST %s" % self.path,
                                  "invalid_request_error", "unknown_url"))

    def embeddings(self, body):
        inp = body.get("input")
        items = [inp] if isinstance(inp, str) else inp
        if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
            return self.send_json(*oai_error(400, "'input' must be a string or array of strings",
                                             "invalid_request_error", None, "input"))
        data = [{"object": "embedding", "index": i, "embedding": embed(t)} for i, t in enumerate(items)]
        tokens = sum(len(t.split()) for t in items)
        self.send_json(200, {"object": "list", "data": data, "model": body.get("model", "fake-embed"),
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def chat(self, body):
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            return self.send_json(*oai_error(400, "'messages' is a required property",
                                             "invalid_request_error", None, "messages"))
        with self.state.lock:
            ans = take(self.state.answers, None)
            self.state.n += 1
            n = self.state.n
        content = ans["content"] if ans else default_answer(msgs)
        self.send_json(200, {
            "id": "chatcmpl-fake%06d" % n, "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake-chat"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})

    def control(self, what, raw):
        st = self.state
        try:
            arg = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except ValueError:
            return self.send_json(400, {"error": "bad json"})
        if what == "reset":
            st.reset()
        elif what == "answer":
            with st.lock:
                st.answers.append({"content": arg.get("content", ""), "count": arg.get("count", 1)})
        elif what == "fail":
            with st.lock:
                st.fails.append({"path": arg.get("path"), "status": arg.get("status", 500),
                                 "count": arg.get("count", 1), "retry_after": arg.get("retry_after", 1)})
        elif what == "stall":
            with st.lock:
                st.stalls.append({"path": arg.get("path"), "seconds": arg.get("seconds", 5),
                                  "count": arg.get("count", 1)})
        else:
            return self.send_json(404, {"error": "unknown control " + what})
        self.send_json(200, {"ok": True})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--key", default="")
    a = ap.parse_args()
    Handler.state = State(a.key)
    srv = Server(("127.0.0.1", a.port), Handler)
    install_signal_handlers([srv])
    write_port_file(a.port_file, "%d\n" % srv.server_address[1])
    sys.stderr.write("fake_inference listening on 127.0.0.1:%d\n" % srv.server_address[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
