"""isolib.py - the hub as a client sees it, for the isolation test
(test_isolation.py) and benchmarks (t/bench/isolation): a Slack workspace
at the fake, a connection and a source through the CLI, requests through
the API, signed clicks through nginx, state read with psql.  Runs inside
t/integration/env.sh; stdlib only.
"""
import hashlib
import hmac
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

ENV = os.environ
PSQL = os.path.join(ENV["PG_BINDIR"], "psql") if ENV.get("PG_BINDIR") else "psql"


def sql(query):
    """One statement; its rows as lists of strings."""
    out = subprocess.run([PSQL, "-X", "-qtA", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                          "-d", ENV["DATABASE_URL"], "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def sql1(query):
    rows = sql(query)
    return rows[0][0] if rows else None


def http(method, url, body=None, headers=None, timeout=30):
    """(status, body text); HTTP errors are answers too."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def fake(path, obj, base=None):
    status, text = http("POST", "%s/_fake/%s" % (base or ENV["FAKE_SLACK_URL"], path),
                        json.dumps(obj).encode(), {"Content-Type": "application/json"})
    if status != 200:
        raise RuntimeError("fake %s: %d %s" % (path, status, text))
    return json.loads(text) if text else {}


def fake_get(path):
    status, text = http("GET", "%s/_fake/%s" % (ENV["FAKE_SLACK_URL"], path))
    if status != 200:
        raise RuntimeError("fake %s: %d" % (path, status))
    return json.loads(text)


def smtp_get(path):
    """GET /_fake/<path> of the SMTP sink, decoded."""
    status, text = http("GET", "%s/_fake/%s" % (ENV["FAKE_SMTP_CONTROL_URL"], path))
    if status != 200:
        raise RuntimeError("smtp sink %s: %d" % (path, status))
    return json.loads(text)


def cli(*args, stdin=None):
    return subprocess.run([os.path.join(ENV["top_builddir"], "bin", "approvalhub")] +
                          list(args), input=stdin, check=True, capture_output=True,
                          text=True).stdout


def wait_for(what, pred, timeout=60, step=0.05):
    """Poll pred until it is true; its value, or an exception naming what."""
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise RuntimeError("timed out waiting for " + what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tarpit():
    """A callback host that accepts connections and never answers: a
    listening socket nobody reads (the kernel completes the handshakes).
    Keep the socket: closing it ends the tarpit."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    return s, s.getsockname()[1]


class Workspace:
    """A team at the fake, its bot token as the hub's default connection,
    DM delivery, and a source with its API key."""

    def __init__(self, team, users, name="iso"):
        self.team, self.token = team, "xoxb-%s-0001" % team.lower()
        fake("tokens", [{"token": self.token, "team_id": team, "team_name": name,
                         "bot_user_id": "U0%sBOT" % team[-3:], "bot_id": "B0%s" % team[-3:]}])
        fake("users", [{"id": u, "team": team, "name": u.lower(), "real_name": u}
                       for u in users])
        cli("connection", "add", name, "--type", "SLACK_APP", "--token-stdin", "--default",
            stdin=self.token + "\n")
        sql("INSERT INTO settings (key, value) VALUES ('delivery.mode', '\"dm\"')"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
        out = cli("source", "add", name)
        self.source = name
        self.key = [l.split("api key: ")[1] for l in out.splitlines() if "api key: " in l][0]

    def create(self, ext, approver, callback_url=None):
        body = {"request_source": self.source, "external_id": ext, "title": "Laptop " + ext,
                "requester_name": "Ana Lopez", "approver_id": approver,
                "justification_text": "isolation", "metadata": {"amount": 1200}}
        if callback_url:
            body["callback_url"] = callback_url
        status, text = http("POST", ENV["HUB_URL"] + "/api/new-approval",
                            json.dumps(body).encode(),
                            {"Authorization": "Bearer " + self.key,
                             "Content-Type": "application/json"})
        if status != 201:
            raise RuntimeError("create %s: %d %s" % (ext, status, text))
        return json.loads(text)["id"]

    def cancel(self, rid):
        status, text = http("POST", "%s/api/requests/%s/cancel" % (ENV["HUB_URL"], rid),
                            b"{}", {"Authorization": "Bearer " + self.key,
                                    "Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError("cancel %s: %d %s" % (rid, status, text))

    def click_body(self, rid, action):
        """A signed block_actions form for the delivered DM of request rid:
        the button action_id (hub_approve, hub_reject) as sent, a live
        trigger_id from the fake."""
        aid, user, channel, ts = sql(
            "SELECT a.id, a.approver_value, m.channel, m.ts FROM assignments a"
            " JOIN sent_messages m ON m.assignment_id = a.id AND m.kind = 'call_for_action'"
            " WHERE a.request_id = '%s'" % rid)[0]
        msg = [m for m in fake_get("messages")
               if m.get("channel") == channel and m.get("ts") == ts][0]
        button = block = None
        for b in msg.get("blocks") or []:
            for e in b.get("elements", []) if b.get("type") == "actions" else []:
                if e.get("action_id") == action:
                    button, block = e, b.get("block_id")
        trigger = fake("trigger", {"user": user})["trigger_id"]
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(),
                     "team_id": self.team},
            "api_app_id": "A0ISO", "token": "iso-verification-token",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                          "is_ephemeral": False},
            "trigger_id": trigger, "team": {"id": self.team, "domain": "iso"},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "text": msg.get("text", ""), "ts": ts,
                        "blocks": msg.get("blocks")},
            "state": {"values": {}},
            "response_url": "%s/actions/%s/1/iso%s" % (ENV["FAKE_SLACK_URL"], self.team, aid),
            "actions": [{"action_id": action, "block_id": block, "text": button.get("text"),
                         "value": button["value"], "type": "button",
                         "action_ts": "%.6f" % time.time()}],
        }
        return "payload=" + urllib.parse.quote_plus(json.dumps(payload, separators=(",", ":")))


def slack_post(path, body):
    """POST a form to nginx signed as Slack signs it; (status, seconds)."""
    stamp = str(int(time.time()))
    sig = "v0=" + hmac.new(ENV["SLACK_SIGNING_SECRET"].encode(),
                           ("v0:%s:%s" % (stamp, body)).encode(), hashlib.sha256).hexdigest()
    t0 = time.time()
    status, _ = http("POST", ENV["HUB_URL"] + path, body.encode(),
                     {"Content-Type": "application/x-www-form-urlencoded",
                      "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig})
    return status, time.time() - t0


def dm_delivered(rid):
    return sql1("SELECT count(*) FROM sent_messages WHERE request_id = '%s'"
                " AND kind = 'call_for_action'" % rid) != "0"
