#!/usr/bin/python3
"""slackbodies.py - Slack-signed request bodies for the benchmarks, one per
line: "timestamp<TAB>signature<TAB>body", signed now with
SLACK_SIGNING_SECRET (v0; Slack's 5-minute window starts now).

  slackbodies.py clicks TAG ROWS MESSAGES TEAM FAKE_URL
      One Approve click (block_actions, the button of the delivered
      message) per request whose external_id starts with TAG-, as Slack
      sends it: payload=<JSON>, form-encoded, ~4.6 KB.  ROWS:
      "external_id request_id assignment_id approver channel ts" lines;
      MESSAGES: the fake Slack's /_fake/messages; each click gets a
      response_url of its own from the fake at FAKE_URL.  t/bench/ack and
      t/bench/cost send these.
  slackbodies.py resign FILE
      The bodies of FILE (lines as above) signed again now: the same
      click sent again later (a second click, a Slack retry).
  slackbodies.py home TEAM APP_ID USER...
      One app_home_opened event_callback (tab "home", a fresh event_id)
      per user, JSON.
"""
import hashlib, hmac, json, os, sys, time, urllib.parse, urllib.request

secret = os.environ["SLACK_SIGNING_SECRET"].encode()
compact = lambda o: json.dumps(o, separators=(",", ":"))


def signed(body):
    stamp = str(int(time.time()))
    sig = "v0=" + hmac.new(secret, ("v0:%s:%s" % (stamp, body)).encode(),
                           hashlib.sha256).hexdigest()
    return "%s\t%s\t%s" % (stamp, sig, body)


def approve_button(blocks, rid):
    for b in blocks:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            if e.get("action_id") == "hub_approve":
                return e, b.get("block_id")
    sys.exit("no Approve button in the message for %s" % rid)


def response_url(fake, team, channel, ts, user):
    """A response_url the fake Slack answers (5 uses, 30 minutes), as Slack
    gives one with each click: the worker's ephemeral note after a second
    click goes there."""
    req = urllib.request.Request(fake + "/_fake/response_url", method="POST",
                                 data=compact({"team_id": team, "channel": channel,
                                               "message_ts": ts, "user": user}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return fake + json.load(r)["path"]


def clicks(tag, rows, msgs, team, fake):
    bymsg = {(m.get("channel"), m.get("ts")): m for m in json.load(open(msgs))}
    now = time.time()
    for k, line in enumerate(open(rows)):
        ext, rid, aid, user, channel, ts = line.split()
        if not ext.startswith(tag + "-"):
            continue
        m = bymsg.get((channel, ts))
        if m is None:
            sys.exit("no message %s %s at the fake" % (channel, ts))
        blocks = m.get("blocks") or []
        button, block_id = approve_button(blocks, rid)
        value = json.loads(button["value"])
        if value.get("r") != rid or str(value.get("a")) != aid:
            sys.exit("button value %s is not for %s/%s" % (button["value"], rid, aid))
        name = "approver" + user[2:].lstrip("0")
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": name, "name": name, "team_id": team},
            "api_app_id": "A0BENCHAPP",
            "token": "bench-verification-token",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                          "is_ephemeral": False},
            "trigger_id": "%d.%d.%032x" % (int(now), 4400000000 + k, k * 7919),
            "team": {"id": team, "domain": "bench"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "subtype": "bot_message",
                        "text": m.get("text", ""), "ts": ts, "bot_id": "B0BENCH",
                        "blocks": blocks},
            "state": {"values": {}},
            "response_url": response_url(fake, team, channel, ts, user),
            "actions": [{"action_id": "hub_approve", "block_id": block_id,
                         "text": button.get("text"), "value": button["value"],
                         "style": button.get("style", "primary"), "type": "button",
                         "action_ts": "%.6f" % (now + k / 1000)}],
        }
        print(signed("payload=" + urllib.parse.quote_plus(compact(payload))))


def resign(path):
    for line in open(path):
        print(signed(line.rstrip("\n").split("\t", 2)[2]))


def home(team, app, users):
    now, run = int(time.time()), os.urandom(4).hex().upper()
    for k, user in enumerate(users):
        print(signed(compact({
            "token": "bench-verification-token", "team_id": team, "context_team_id": team,
            "api_app_id": app, "type": "event_callback",
            "event_id": "Ev%s%05d" % (run, k), "event_time": now,
            "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME",
                      "tab": "home", "event_ts": "%d.%06d" % (now, k)},
            "authorizations": [{"enterprise_id": None, "team_id": team,
                                "user_id": "U0COSTBOT", "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False})))


if len(sys.argv) >= 7 and sys.argv[1] == "clicks":
    clicks(*sys.argv[2:7])
elif len(sys.argv) == 3 and sys.argv[1] == "resign":
    resign(sys.argv[2])
elif len(sys.argv) >= 5 and sys.argv[1] == "home":
    home(sys.argv[2], sys.argv[3], sys.argv[4:])
else:
    sys.exit(__doc__)
