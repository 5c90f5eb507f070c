#!/usr/bin/python3
"""click.py TAG ROWS MESSAGES TEAM FAKE_URL - one signed Slack click
(block_actions, the Approve button of the delivered message) per request
whose external_id starts with TAG-, as Slack sends it: "timestamp<TAB>
signature<TAB>body" lines, signed now with SLACK_SIGNING_SECRET (valid 5
minutes).  ROWS: "external_id request_id assignment_id approver channel ts"
lines; MESSAGES: the fake Slack's /_fake/messages.  The same payload as
t/bench/ack builds.
"""
import hashlib, hmac, json, os, sys, time, urllib.parse
tag, rows, msgs, team, fake = sys.argv[1:6]
secret = os.environ["SLACK_SIGNING_SECRET"].encode()
bymsg = {(m.get("channel"), m.get("ts")): m for m in json.load(open(msgs))}
compact = lambda o: json.dumps(o, separators=(",", ":"))
now = time.time()
for k, line in enumerate(open(rows)):
    ext, rid, aid, user, channel, ts = line.split()
    if not ext.startswith(tag + "-"):
        continue
    m = bymsg.get((channel, ts))
    if m is None:
        sys.exit("no message %s %s at the fake" % (channel, ts))
    blocks = m.get("blocks") or []
    button = block_id = None
    for b in blocks:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            if e.get("action_id") == "hub_approve":
                button, block_id = e, b.get("block_id")
    if button is None:
        sys.exit("no Approve button in the message for %s" % rid)
    value = json.loads(button["value"])
    if value.get("r") != rid or str(value.get("a")) != aid:
        sys.exit("button value %s is not for %s/%s" % (button["value"], rid, aid))
    action_ts = "%.6f" % (now + k / 1000)
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "approver" + user[2:].lstrip("0"),
                 "name": "approver" + user[2:].lstrip("0"), "team_id": team},
        "api_app_id": "A0BENCHAPP",
        "token": "bench-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                      "is_ephemeral": False},
        "trigger_id": "%d.%d.%032x" % (int(now), 4400000000 + k, k * 7919),
        "team": {"id": team, "domain": "bench"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "subtype": "bot_message", "text": m.get("text", ""),
                    "ts": ts, "bot_id": "B0BENCH", "blocks": blocks},
        "state": {"values": {}},
        "response_url": "%s/actions/%s/%d/bench%024x" % (fake, team, 7000000000 + k, k),
        "actions": [{"action_id": "hub_approve", "block_id": block_id,
                     "text": button.get("text"), "value": button["value"],
                     "style": button.get("style", "primary"), "type": "button",
                     "action_ts": action_ts}],
    }
    body = "payload=" + urllib.parse.quote_plus(compact(payload))
    stamp = str(int(time.time()))
    sig = "v0=" + hmac.new(secret, ("v0:%s:%s" % (stamp, body)).encode(),
                           hashlib.sha256).hexdigest()
    print("%s\t%s\t%s" % (stamp, sig, body))
