"""Self-test for the fakes:  python3 -m unittest t/fakes/test_fakes.py"""
import base64
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from callback_receiver import sign  # noqa: E402

TOKEN = "xoxb-test-1"
TEAM = "T0TEST"


def start(script, *args, json_port=False):
    d = tempfile.mkdtemp(prefix="fake-")
    pf = os.path.join(d, "port")
    cmd = [sys.executable, os.path.join(HERE, script), "--port-file", pf] + list(args)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while time.time() < deadline:
        if os.path.exists(pf):
            with open(pf) as f:
                content = f.read()
            return p, (json.loads(content) if json_port else int(content))
        if p.poll() is not None:
            raise RuntimeError("%s died: %s" % (script, p.stderr.read().decode()))
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("%s did not write its port file" % script)


def stop(p, test):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        test.fail("process did not exit on SIGTERM")
    p.stderr.close()
    test.assertEqual(rc, 0)


def http(port, path, body=None, headers=None, method=None, raw=None):
    url = "http://127.0.0.1:%d%s" % (port, path)
    data = raw
    h = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json; charset=utf-8")
    req = urllib.request.Request(url, data=data, headers=h, method=method or ("POST" if data is not None else "GET"))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class SlackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port = start("fake_slack.py", "--port", "0", "--token", "%s=%s" % (TOKEN, TEAM))

    @classmethod
    def tearDownClass(cls):
        stop(cls.proc, cls())

    def setUp(self):
        self.ctl("reset", {})
        self.ctl("channels", [{"id": "C1", "name": "approvals"},
                              {"id": "C2", "name": "outside", "is_member": False},
                              {"id": "C3", "name": "old", "is_archived": True}])
        self.ctl("users", [{"id": "U1", "email": "ann@example.com", "name": "ann"},
                           {"id": "U2", "email": "bob@example.com", "name": "bob"}])

    def ctl(self, what, body):
        st, _, txt = http(self.port, "/_fake/" + what, body)
        self.assertEqual(st, 200, txt)
        return json.loads(txt)

    def get(self, what):
        st, _, txt = http(self.port, "/_fake/" + what)
        self.assertEqual(st, 200, txt)
        return json.loads(txt)

    def api(self, method, args=None, token=TOKEN, form=False):
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        if form:
            enc = {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in (args or {}).items()}
            h["Content-Type"] = "application/x-www-form-urlencoded"
            st, hd, txt = http(self.port, "/api/" + method, raw=urllib.parse.urlencode(enc).encode(), headers=h)
        else:
            st, hd, txt = http(self.port, "/api/" + method, args or {}, headers=h)
        return st, hd, json.loads(txt)

    def ok(self, method, args=None, **kw):
        st, _, r = self.api(method, args, **kw)
        self.assertEqual(st, 200)
        self.assertTrue(r["ok"], r)
        return r

    def err(self, method, args, error, **kw):
        st, _, r = self.api(method, args, **kw)
        self.assertEqual(st, 200)
        self.assertFalse(r["ok"])
        self.assertEqual(r["error"], error, r)
        return r

    # --- auth ---
    def test_auth_errors(self):
        self.err("auth.test", {}, "not_authed", token=None)
        self.err("auth.test", {}, "invalid_auth", token="xoxb-nope")
        r = self.ok("auth.test")
        self.assertEqual(r["team_id"], TEAM)
        self.assertTrue(r["user_id"] and r["bot_id"] and r["url"].startswith("https://"))
        self.ctl("revoke", {"token": TOKEN})
        self.err("auth.test", {}, "token_revoked")
        self.ctl("reset", {})
        self.assertTrue(self.ok("auth.revoke")["revoked"])
        self.err("chat.postMessage", {"channel": "C1", "text": "x"}, "token_revoked")

    # --- chat ---
    def test_post_and_update_reflected(self):
        r = self.ok("chat.postMessage", {"channel": "C1", "text": "hello"}, form=True)
        self.assertEqual(r["channel"], "C1")
        self.assertRegex(r["ts"], r"^\d{10}\.\d{6}$")
        r2 = self.ok("chat.postMessage", {"channel": "#approvals", "text": "again"})
        self.assertGreater(float(r2["ts"]), float(r["ts"]))
        self.assertEqual(r2["channel"], "C1")
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Approved* by ann"}}]
        u = self.ok("chat.update", {"channel": "C1", "ts": r["ts"], "text": "done", "blocks": blocks})
        self.assertEqual(u["ts"], r["ts"])
        msgs = self.get("messages?channel=C1")
        self.assertEqual(len(msgs), 2)
        self.assertEqual(msgs[0]["text"], "done")
        self.assertEqual(msgs[0]["blocks"], blocks)
        self.assertIn("edited", msgs[0])
        self.err("chat.update", {"channel": "C1", "ts": "1.000001", "text": "x"}, "message_not_found")
        other = self.ctl("messages", {"channel": "C1", "text": "human", "user": "U1"})
        self.err("chat.update", {"channel": "C1", "ts": other["ts"], "text": "x"}, "cant_update_message")
        calls = self.get("calls?method=chat.update")
        self.assertEqual(calls[0]["args"]["blocks"], blocks)

    def test_channel_errors(self):
        self.err("chat.postMessage", {"channel": "C2", "text": "x"}, "not_in_channel")
        self.err("chat.postMessage", {"channel": "C9", "text": "x"}, "channel_not_found")
        self.err("chat.postMessage", {"channel": "C3", "text": "x"}, "is_archived")
        self.err("chat.postMessage", {"channel": "C1"}, "no_text")
        info = self.ok("conversations.info", {"channel": "C2"})["channel"]
        self.assertFalse(info["is_member"])
        self.err("conversations.info", {"channel": "C9"}, "channel_not_found")

    def test_ephemeral_in_a_dm_and_its_errors(self):
        im = self.ok("conversations.open", {"users": "U1"})["channel"]["id"]
        r = self.ok("chat.postEphemeral", {"channel": im, "user": "U1", "text": "just you"})
        self.assertRegex(r["message_ts"], r"^\d{10}\.\d{6}$")
        self.assertEqual(self.get("ephemeral?channel=" + im)[0]["ephemeral_user"], "U1")
        self.assertEqual(self.get("messages?channel=" + im), [])
        self.err("chat.postEphemeral", {"channel": im, "user": "U2", "text": "x"}, "user_not_in_channel")
        self.err("chat.postEphemeral", {"channel": im, "user": "U404", "text": "x"}, "user_not_in_channel")
        self.err("chat.postEphemeral", {"channel": "C9", "user": "U1", "text": "x"}, "channel_not_found")

    def test_unknown_arguments_recorded_or_refused(self):
        self.ok("chat.postMessage", {"channel": "C1", "text": "x", "response_type": "ephemeral",
                                     "replace_original": False})
        self.ok("chat.postMessage", {"channel": "C1", "text": "y", "thread_ts": "1.2"})
        calls = self.get("calls?method=chat.postMessage")
        self.assertEqual(calls[0]["unknown_args"], ["replace_original", "response_type"])
        self.assertEqual(calls[1]["unknown_args"], [])
        self.ctl("config", {"strict_args": True})
        r = self.err("chat.postMessage", {"channel": "C1", "text": "x", "response_type": "ephemeral"},
                     "invalid_arguments")
        self.assertIn("response_type", r["response_metadata"]["messages"][0])
        self.assertEqual(len(self.get("messages?channel=C1")), 2)

    def test_missing_scope_when_checked(self):
        self.ctl("tokens", [{"token": "xoxb-narrow", "team_id": TEAM, "scope": "chat:write,im:write"}])
        im = self.ok("conversations.open", {"users": "U1"}, token="xoxb-narrow")["channel"]["id"]
        self.ok("conversations.history", {"channel": im}, token="xoxb-narrow")
        self.ctl("config", {"check_scopes": True})
        r = self.err("conversations.history", {"channel": im}, "missing_scope", token="xoxb-narrow")
        self.assertEqual(r["needed"], "im:history")
        self.assertEqual(r["provided"], "chat:write,im:write")
        self.assertEqual(self.err("conversations.history", {"channel": "C1"}, "missing_scope",
                                  token="xoxb-narrow")["needed"], "channels:history")
        self.assertEqual(self.err("conversations.open", {"users": "U1,U2"}, "missing_scope",
                                  token="xoxb-narrow")["needed"], "mpim:write")
        self.ok("chat.postMessage", {"channel": im, "text": "fine"}, token="xoxb-narrow")
        self.ok("auth.test", token="xoxb-narrow")

    def test_long_text_truncated(self):
        r = self.ok("chat.postMessage", {"channel": "C1", "text": "a" * 40100})
        self.assertEqual(len(r["message"]["text"]), 40000)

    def test_block_validation(self):
        fifty_one = [{"type": "divider"}] * 51
        r = self.err("chat.postMessage", {"channel": "C1", "text": "x", "blocks": fifty_one}, "invalid_blocks")
        self.assertTrue(r["response_metadata"]["messages"][0].startswith("[ERROR]"))
        self.assertIn("/blocks", r["errors"][0])
        self.ok("chat.postMessage", {"channel": "C1", "text": "x", "blocks": fifty_one[:50]})
        btn = {"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                                "text": {"type": "plain_text", "text": "b" * 76}}]}
        r = self.err("chat.postMessage", {"channel": "C1", "text": "x", "blocks": [btn]}, "invalid_blocks",
                     form=True)
        self.assertIn("/blocks/0/elements/0/text/text", r["errors"][0])
        btn["elements"][0]["text"]["text"] = "b" * 75
        self.ok("chat.postMessage", {"channel": "C1", "text": "x", "blocks": [btn]})
        bad = [
            [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}],
            [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            [{"type": "bogus"}],
            [{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}],
            [{"type": "actions", "elements": [
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "1"}},
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "2"}}]}],
            [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "value": "v" * 2001,
                                               "text": {"type": "plain_text", "text": "1"}}]}],
            [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        ]
        for blocks in bad:
            self.err("chat.update" if False else "chat.postMessage",
                     {"channel": "C1", "text": "x", "blocks": blocks}, "invalid_blocks")

    # --- views / triggers ---
    def modal(self, **kw):
        v = {"type": "modal", "title": {"type": "plain_text", "text": "Reject request"},
             "submit": {"type": "plain_text", "text": "Reject"},
             "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Why"},
                         "element": {"type": "plain_text_input", "action_id": "r"}}]}
        v.update(kw)
        return v

    def test_trigger_single_use_and_expiry(self):
        t = self.ctl("trigger", {})["trigger_id"]
        r = self.ok("views.open", {"trigger_id": t, "view": self.modal()}, form=True)
        self.assertTrue(r["view"]["id"].startswith("V"))
        self.err("views.open", {"trigger_id": t, "view": self.modal()}, "exchanged_trigger_id")
        self.err("views.open", {"trigger_id": "123.456.abc", "view": self.modal()}, "invalid_trigger_id")
        t2 = self.ctl("trigger", {"ttl": 0.3})["trigger_id"]
        time.sleep(0.5)
        self.err("views.open", {"trigger_id": t2, "view": self.modal()}, "expired_trigger_id")
        vid = r["view"]["id"]
        u = self.ok("views.update", {"view_id": vid, "view": self.modal(private_metadata="p")})
        self.assertEqual(u["view"]["id"], vid)
        self.err("views.update", {"view_id": "VNOPE", "view": self.modal()}, "not_found")

    def test_view_validation(self):
        t = self.ctl("trigger", {})["trigger_id"]
        r = self.err("views.open", {"trigger_id": t, "view": self.modal(
            title={"type": "plain_text", "text": "x" * 25})}, "invalid_arguments")
        self.assertIn("/view/title/text", r["response_metadata"]["messages"][0])
        r = self.err("views.open", {"trigger_id": t, "view": self.modal(private_metadata="p" * 3001)},
                     "invalid_arguments")
        self.err("views.open", {"trigger_id": t, "view": self.modal(
            blocks=[{"type": "section", "text": {"type": "plain_text", "text": "x" * 200000}}] * 2)},
            "view_too_large")
        # still usable: failed calls do not exchange the trigger
        self.ok("views.open", {"trigger_id": t, "view": self.modal()})
        home = {"type": "home", "blocks": [{"type": "divider"}] * 100}
        self.ok("views.publish", {"user_id": "U1", "view": home})
        home["blocks"] = [{"type": "divider"}] * 101
        self.err("views.publish", {"user_id": "U1", "view": home}, "invalid_arguments")
        views = self.get("views?user=U1")
        self.assertEqual(len(views), 1)
        self.assertEqual(len(views[0]["blocks"]), 100)

    # --- users / conversations ---
    def test_users_and_conversations(self):
        r = self.ok("users.lookupByEmail", {"email": "Ann@Example.com"}, form=True)
        self.assertEqual(r["user"]["id"], "U1")
        self.assertEqual(r["user"]["profile"]["email"], "ann@example.com")
        self.err("users.lookupByEmail", {"email": "nobody@example.com"}, "users_not_found")
        self.err("users.info", {"user": "U404"}, "user_not_found")
        self.assertEqual(self.ok("users.info", {"user": "U2"})["user"]["name"], "bob")
        im = self.ok("conversations.open", {"users": "U1"})["channel"]["id"]
        self.assertTrue(im.startswith("D"))
        self.assertEqual(self.ok("conversations.open", {"users": "U1"})["channel"]["id"], im)
        mp = self.ok("conversations.open", {"users": "U2,U1"})["channel"]["id"]
        self.assertEqual(self.ok("conversations.open", {"users": "U1,U2"})["channel"]["id"], mp)
        self.assertTrue(mp.startswith("G"))
        self.err("conversations.open", {"users": ",".join("U%d" % i for i in range(9))}, "too_many_users")
        self.ok("chat.postMessage", {"channel": im, "text": "dm"})
        r = self.ok("chat.postMessage", {"channel": "U2", "text": "dm by user id"})
        self.assertTrue(r["channel"].startswith("D"))

    def test_conversations_history_metadata(self):
        md = {"event_type": "hub_delivery", "event_payload": {"key": "k1"}}
        a = self.ok("chat.postMessage", {"channel": "U1", "text": "one", "metadata": md})
        self.ok("chat.postMessage", {"channel": "U1", "text": "reply", "thread_ts": a["ts"]})
        time.sleep(0.02)
        between = "%.6f" % (time.time() - 0.01)
        b = self.ok("chat.postMessage", {"channel": "U1", "text": "two",
                                         "metadata": dict(md, event_payload={"key": "k2"})}, form=True)
        im = a["channel"]
        r = self.ok("conversations.history", {"channel": im, "include_all_metadata": "true",
                                              "limit": "50", "oldest": "0"}, form=True)
        self.assertEqual([m["ts"] for m in r["messages"]], [b["ts"], a["ts"]])
        self.assertEqual([m["metadata"]["event_payload"]["key"] for m in r["messages"]], ["k2", "k1"])
        r = self.ok("conversations.history", {"channel": im})
        self.assertTrue(all("metadata" not in m for m in r["messages"]))
        r = self.ok("conversations.history", {"channel": im, "oldest": between, "limit": 1})
        self.assertEqual([m["ts"] for m in r["messages"]], [b["ts"]])
        self.assertFalse(r["has_more"])
        self.err("conversations.history", {"channel": "C2"}, "not_in_channel")
        self.err("conversations.history", {"channel": "C404"}, "channel_not_found")

    # --- oauth ---
    def test_oauth(self):
        code = self.ctl("oauth_code", {"team_id": "T2", "team_name": "Acme", "rotate": True})["code"]
        args = {"client_id": "1111.2222", "client_secret": "fake-client-secret", "code": code}
        self.err("oauth.v2.access", dict(args, client_secret="wrong"), "bad_client_secret", token=None, form=True)
        self.err("oauth.v2.access", dict(args, client_id="9"), "invalid_client_id", token=None, form=True)
        r = self.ok("oauth.v2.access", args, token=None, form=True)
        self.assertEqual(r["token_type"], "bot")
        self.assertEqual(r["team"], {"id": "T2", "name": "Acme"})
        self.assertIsNone(r["enterprise"])
        self.assertTrue(r["refresh_token"] and r["expires_in"] > 0 and r["bot_user_id"])
        self.err("oauth.v2.access", args, "invalid_code", token=None, form=True)
        self.assertEqual(self.ok("auth.test", token=r["access_token"])["team_id"], "T2")
        basic = base64.b64encode(b"1111.2222:fake-client-secret").decode()
        st, _, txt = http(self.port, "/api/oauth.v2.access", headers={
            "Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"},
            raw=urllib.parse.urlencode({"grant_type": "refresh_token",
                                        "refresh_token": r["refresh_token"]}).encode())
        r2 = json.loads(txt)
        self.assertTrue(r2["ok"], r2)
        self.assertNotEqual(r2["access_token"], r["access_token"])
        self.ctl("expire", {"token": r2["access_token"]})
        self.err("auth.test", {}, "token_expired", token=r2["access_token"])

    # --- rate limits / failures ---
    def test_rate_limit(self):
        for _ in range(5):
            self.ok("chat.postMessage", {"channel": "C1", "text": "x"})  # off by default
        self.ctl("config", {"rate_limits": True, "method_limits": {"users.info": 3}})
        for _ in range(3):
            self.ok("users.info", {"user": "U1"})
        st, hd, r = self.api("users.info", {"user": "U1"})
        self.assertEqual(st, 429)
        self.assertEqual(r, {"ok": False, "error": "ratelimited"})
        self.assertGreaterEqual(int(hd["Retry-After"]), 1)
        # chat.postMessage: per-channel bucket (burst 3)
        codes = [self.api("chat.postMessage", {"channel": "C1", "text": "x"})[0] for _ in range(4)]
        self.assertEqual(codes, [200, 200, 200, 429])
        calls = self.get("calls?method=chat.postMessage")
        self.assertEqual(calls[-1]["status"], 429)
        self.ctl("config", {"rate_limits": False})
        self.ctl("ratelimit", {"method": "chat.update", "retry_after": 7, "count": 1})
        st, hd, r = self.api("chat.update", {"channel": "C1", "ts": "1", "text": "x"})
        self.assertEqual((st, hd["Retry-After"]), (429, "7"))

    def test_fail_and_stall(self):
        self.ctl("fail", {"method": "chat.postMessage", "error": "fatal_error", "count": 1})
        self.err("chat.postMessage", {"channel": "C1", "text": "x"}, "fatal_error")
        self.ok("chat.postMessage", {"channel": "C1", "text": "x"})
        self.ctl("fail", {"method": "chat.postMessage", "http_status": 503, "count": 1})
        self.assertEqual(self.api("chat.postMessage", {"channel": "C1", "text": "x"})[0], 503)
        self.ctl("stall", {"method": "auth.test", "seconds": 0.6, "count": 1})
        t0 = time.time()
        self.ok("auth.test")
        self.assertGreaterEqual(time.time() - t0, 0.5)

    # --- webhooks ---
    def test_webhooks(self):
        p = self.ctl("webhooks", {"path": "/services/T0TEST/B1/secret1", "channel": "C1"})["path"]
        st, hd, body = http(self.port, p, {"text": "hello"})
        self.assertEqual((st, body), (200, "ok"))
        self.assertTrue(hd["Content-Type"].startswith("text/plain"))
        self.assertEqual(self.get("messages?channel=C1")[-1]["text"], "hello")
        self.assertEqual(http(self.port, p, raw=b"{nope", headers={"Content-Type": "application/json"})[::2],
                         (400, "invalid_payload"))
        self.assertEqual(http(self.port, p, {"username": "x"})[::2], (400, "no_text"))
        self.assertEqual(http(self.port, p, {"text": "x", "blocks": [{"type": "divider"}] * 51})[::2],
                         (400, "invalid_blocks"))
        self.assertEqual(http(self.port, "/services/T/B/unknown", {"text": "x"})[::2], (404, "no_service"))
        a = self.ctl("webhooks", {"path": "/services/T/B2/s", "channel": "C3"})["path"]
        self.assertEqual(http(self.port, a, {"text": "x"})[::2], (410, "channel_is_archived"))
        f = self.ctl("webhooks", {"path": "/services/T/B3/s", "channel": "C1", "state": "prohibited"})["path"]
        self.assertEqual(http(self.port, f, {"text": "x"})[::2], (403, "action_prohibited"))
        self.ctl("config", {"rate_limits": True})
        self.assertEqual(http(self.port, p, {"text": "1"})[0], 200)
        st, hd, _ = http(self.port, p, {"text": "2"})
        self.assertEqual(st, 429)
        self.assertGreaterEqual(int(hd["Retry-After"]), 1)

    def test_response_url(self):
        ts = self.ok("chat.postMessage", {"channel": "C1", "text": "please approve"})["ts"]
        p = self.ctl("response_url", {"channel": "C1", "message_ts": ts, "user": "U1", "uses": 2})["path"]
        st, _, body = http(self.port, p, {"replace_original": True, "text": "Approved by ann"})
        self.assertEqual((st, json.loads(body)), (200, {"ok": True}))
        self.assertEqual(self.get("messages?channel=C1")[0]["text"], "Approved by ann")
        self.assertEqual(http(self.port, p, {"text": "only you"})[0], 200)
        self.assertEqual(self.get("ephemeral")[0]["ephemeral_user"], "U1")
        st, _, body = http(self.port, p, {"text": "third"})
        self.assertEqual((st, json.loads(body)["error"]), (404, "used_url"))
        p2 = self.ctl("response_url", {"channel": "C1", "ttl": 0.2})["path"]
        time.sleep(0.3)
        self.assertEqual(json.loads(http(self.port, p2, {"text": "x"})[2])["error"], "expired_url")


class CallbackTest(unittest.TestCase):
    SECRET = "s3cret"

    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port = start("callback_receiver.py", "--port", "0", "--secret", cls.SECRET)

    @classmethod
    def tearDownClass(cls):
        stop(cls.proc, cls())

    def setUp(self):
        http(self.port, "/_fake/reset", {})

    def post(self, body, secret=None, ts=None, path="/callback"):
        raw = json.dumps(body).encode()
        ts = str(int(time.time()) if ts is None else ts)
        h = {"Content-Type": "application/json", "X-Hub-Request-Timestamp": ts,
             "X-Hub-Signature": sign(secret or self.SECRET, ts, raw)}
        return http(self.port, path, raw=raw, headers=h)[0]

    def test_signature(self):
        self.assertEqual(self.post({"id": 1, "status": "Approved"}), 200)
        self.assertEqual(self.post({"id": 1}, secret="wrong"), 401)
        self.assertEqual(self.post({"id": 1}, ts=int(time.time()) - 301), 401)
        self.assertEqual(http(self.port, "/callback", {"id": 1})[0], 401)
        calls = json.loads(http(self.port, "/_fake/calls")[2])
        self.assertEqual([c["verified"] for c in calls], [True, False, False, False])
        self.assertEqual(calls[0]["json"]["status"], "Approved")
        self.assertEqual(calls[0]["path"], "/callback")

    def test_fail_stall_secret(self):
        http(self.port, "/_fake/fail", {"count": 2, "status": 500})
        self.assertEqual([self.post({}) for _ in range(3)], [500, 500, 200])
        http(self.port, "/_fake/secret", {"secret": "other", "path": "/p2"})
        self.assertEqual(self.post({}, path="/p2"), 401)
        self.assertEqual(self.post({}, path="/p2", secret="other"), 200)
        http(self.port, "/_fake/stall", {"count": 1, "seconds": 0.5})
        t0 = time.time()
        self.post({})
        self.assertGreaterEqual(time.time() - t0, 0.45)


class SmtpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, ports = start("smtp_sink.py", "--smtp-port", "0", "--http-port", "0", json_port=True)
        cls.smtp_port, cls.http_port = ports["smtp_port"], ports["http_port"]

    @classmethod
    def tearDownClass(cls):
        stop(cls.proc, cls())

    def test_receive_and_fail(self):
        http(self.http_port, "/_fake/reset", {})
        msg = ("From: hub@example.com\r\nTo: ann@example.com\r\nSubject: Approval needed\r\n"
               "\r\nPlease decide.\r\n.leading dot\r\n")
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
            s.ehlo("hub")
            s.login("user", "pw")
            s.sendmail("hub@example.com", ["ann@example.com", "bob@example.com"], msg)
            s.noop()
            s.rset()
        msgs = json.loads(http(self.http_port, "/_fake/messages")[2])
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertEqual(m["mail_from"], "hub@example.com")
        self.assertEqual(m["rcpt_to"], ["ann@example.com", "bob@example.com"])
        self.assertEqual(m["subject"], "Approval needed")
        self.assertIn(".leading dot", m["data"])
        self.assertEqual(m["auth_user"], "user")
        http(self.http_port, "/_fake/fail", {"count": 1, "code": 451})
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
                s.sendmail("hub@example.com", ["ann@example.com"], msg)
            self.assertEqual(cm.exception.recipients["ann@example.com"][0], 451)
            s.sendmail("hub@example.com", ["ann@example.com"], msg)
        self.assertEqual(len(json.loads(http(self.http_port, "/_fake/messages")[2])), 2)
        # Armed for one sender: another sender passes, then that one fails.
        http(self.http_port, "/_fake/fail", {"count": 1, "code": 554, "stage": "mail",
                                            "mail_from": "Test@example.com"})
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
            s.sendmail("hub@example.com", ["ann@example.com"], msg)
            with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
                s.sendmail("test@example.com", ["ann@example.com"], msg)
            self.assertEqual(cm.exception.smtp_code, 554)
        self.assertEqual(len(json.loads(http(self.http_port, "/_fake/messages")[2])), 3)

    def test_sessions_idle_and_close(self):
        http(self.http_port, "/_fake/reset", {})
        msg = "Subject: s\r\n\r\nbody\r\n"
        self.assertEqual(http(self.http_port, "/_fake/idle", {"seconds": "x"})[0], 400)
        # Two messages on one connection share its session.
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
            s.sendmail("hub@example.com", ["a@example.com"], msg)
            s.sendmail("hub@example.com", ["b@example.com"], msg)
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
            s.sendmail("hub@example.com", ["c@example.com"], msg)
        got = json.loads(http(self.http_port, "/_fake/messages")[2])
        self.assertEqual([m["session"] for m in got], [1, 1, 2])
        # A 421 with close: the reply, then the connection is gone.
        http(self.http_port, "/_fake/fail", {"code": 421, "stage": "mail", "close": True,
                                            "message": "4.3.2 shutting down"})
        s = smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5)
        with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
            s.sendmail("hub@example.com", ["a@example.com"], msg)
        self.assertEqual(cm.exception.smtp_code, 421)
        with self.assertRaises(smtplib.SMTPServerDisconnected):
            s.noop()
        s.close()
        # An idle session is told 421 and closed.
        http(self.http_port, "/_fake/idle", {"seconds": 0.3})
        s = smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5)
        s.ehlo("hub")
        time.sleep(0.6)
        self.assertEqual(s.getreply()[0], 421)
        with self.assertRaises(smtplib.SMTPServerDisconnected):
            s.noop()
        s.close()
        http(self.http_port, "/_fake/reset", {})
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
            time.sleep(0.6)                      # reset: 60 s again
            s.sendmail("hub@example.com", ["a@example.com"], msg)

    def test_stall_until_reset(self):
        http(self.http_port, "/_fake/reset", {})
        self.assertEqual(http(self.http_port, "/_fake/stall", {"seconds": "x"})[0], 400)
        http(self.http_port, "/_fake/stall", {"seconds": 30, "count": 1})
        msg = "Subject: slow\r\n\r\nwaits\r\n"
        done = []

        def send():
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=40) as s:
                done.append(s.sendmail("hub@example.com", ["ann@example.com"], msg))

        t = threading.Thread(target=send)
        t.start()
        health = lambda: json.loads(http(self.http_port, "/_fake/health")[2])
        for _ in range(100):
            if health()["stalled"] == 1:
                break
            time.sleep(0.05)
        self.assertEqual(health()["stalled"], 1)
        self.assertEqual(json.loads(http(self.http_port, "/_fake/messages")[2]), [])
        self.assertEqual(done, [])
        http(self.http_port, "/_fake/reset", {})     # ends the stall
        t.join(10)
        self.assertFalse(t.is_alive())
        self.assertEqual(done, [{}])
        self.assertEqual(health()["stalled"], 0)
        self.assertEqual(len(json.loads(http(self.http_port, "/_fake/messages")[2])), 1)


class InferenceTest(unittest.TestCase):
    KEY = "inf-key"

    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port = start("fake_inference.py", "--port", "0", "--key", cls.KEY)

    @classmethod
    def tearDownClass(cls):
        stop(cls.proc, cls())

    def setUp(self):
        http(self.port, "/_fake/reset", {})

    def call(self, path, body, key=None):
        st, _, raw = http(self.port, path, body,
                          headers={"Authorization": "Bearer " + (key or self.KEY)})
        return st, json.loads(raw)

    def test_embeddings_by_concept(self):
        st, o = self.call("/v1/embeddings", {"model": "m", "input": ["airfare", "flights home",
                                                                      "hotel nights"]})
        self.assertEqual(st, 200)
        v = [d["embedding"] for d in o["data"]]
        self.assertEqual([d["index"] for d in o["data"]], [0, 1, 2])
        self.assertEqual(len(v[0]), 64)
        dot = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
        self.assertGreater(dot(v[0], v[1]), 0.5)     # airfare ~ flights
        self.assertLess(dot(v[0], v[2]), 0.1)        # airfare !~ hotel
        st, o = self.call("/v1/embeddings", {"input": 3})
        self.assertEqual((st, o["error"]["param"]), (400, "input"))

    def test_chat_reads_the_fenced_request(self):
        req = {"title": "Big laptop", "metadata": {"amount": 25000}}
        msg = "Assess.\n<<<REQUEST\n%s\nREQUEST>>>" % json.dumps(req)
        st, o = self.call("/v1/chat/completions", {"model": "c", "temperature": 0,
                                                   "messages": [{"role": "user", "content": msg}]})
        self.assertEqual(st, 200)
        ans = json.loads(o["choices"][0]["message"]["content"])
        self.assertEqual(ans["risk_score"], 7)
        self.assertIn("Big laptop", ans["summary"])
        self.assertEqual(o["model"], "c")

    def test_controls(self):
        body = {"messages": [{"role": "user", "content": "x"}]}
        http(self.port, "/_fake/answer", {"content": "not json", "count": 1})
        self.assertEqual(self.call("/v1/chat/completions", body)[1]["choices"][0]["message"]
                         ["content"], "not json")
        http(self.port, "/_fake/fail", {"path": "/v1/chat/completions", "status": 429,
                                        "retry_after": 3})
        st, hdrs, raw = http(self.port, "/v1/chat/completions", body,
                             headers={"Authorization": "Bearer " + self.KEY})
        self.assertEqual((st, hdrs.get("Retry-After")), (429, "3"))
        self.assertEqual(json.loads(raw)["error"]["code"], "rate_limit_exceeded")
        http(self.port, "/_fake/fail", {"path": "/v1/embeddings", "status": 500})
        self.assertEqual(self.call("/v1/embeddings", {"input": "x"})[0], 500)
        self.assertEqual(self.call("/v1/embeddings", {"input": "x"})[0], 200)
        self.assertEqual(self.call("/v1/embeddings", {"input": "x"}, key="wrong")[0], 401)
        http(self.port, "/_fake/stall", {"path": "/v1/embeddings", "seconds": 0.5})
        t0 = time.time()
        self.call("/v1/embeddings", {"input": "x"})
        self.assertGreaterEqual(time.time() - t0, 0.45)
        calls = json.loads(http(self.port, "/_fake/calls")[2])
        self.assertEqual(len(calls), 6)
        self.assertEqual(calls[0]["body"]["messages"][0]["content"], "x")


class TapResult(unittest.TestResult):
    """One TAP line per test, for automake's harness (make check)."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def line(self, test, ok, note="", err=None):
        self.n += 1
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, test.id(), note), flush=True)
        if err is not None:
            for text in self._exc_info_to_string(err, test).splitlines():
                print("# " + text)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.line(test, True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.line(test, False, err=err)

    def addError(self, test, err):
        super().addError(test, err)
        self.line(test, False, err=err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.line(test, True, " # SKIP " + reason)


def main():
    """TAP on stdout; python3 -m unittest gives the usual report."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    print("1..%d" % suite.countTestCases(), flush=True)
    result = TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
