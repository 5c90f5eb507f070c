#!/usr/bin/env python3
"""Fake Slack: Web API (POST /api/<method>) + incoming webhooks (/services/T/B/X).

Speaks Slack's wire format (HTTP 200 + {"ok":false,"error":...} for API errors,
429 + Retry-After when rate limited), records every call, and is steered by a
JSON control API under /_fake/.  See t/fakes/README.md.

    python3 t/fakes/fake_slack.py --port 0 --port-file FILE \
        [--token xoxb-...=T123 ...] [--state-dir DIR]
"""
import argparse
import base64
import copy
import hashlib
import json
import math
import os
import secrets
import sys
import threading
import time
import urllib.parse
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blockkit  # noqa: E402
from fakelib import STOP, BaseHandler, Server, install_signal_handlers, stall, write_port_file  # noqa: E402

TIER = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIER = {
    "chat.postMessage": None,       # special: per channel + workspace cap
    "chat.update": 3,
    "chat.postEphemeral": 4,
    "chat.delete": 3,
    "views.publish": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "users.lookupByEmail": 3,
    "users.info": 4,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.history": 3,
    "oauth.v2.access": 4,
    "auth.test": 4,
    "auth.revoke": 3,
    "api.test": 4,
}
NO_AUTH_METHODS = {"oauth.v2.access", "api.test"}

# The arguments Slack documents for each method (docs.slack.dev/reference/
# methods/<method>).  Slack takes no others; every call records the ones it
# got beyond these as "unknown_args", and with config strict_args the call
# is refused with invalid_arguments.  None: anything (api.test echoes).
_MESSAGE_ARGS = {"token", "channel", "text", "blocks", "attachments", "as_user", "icon_emoji",
                 "icon_url", "link_names", "markdown_text", "parse", "thread_ts", "username"}
METHOD_ARGS = {
    "chat.postMessage": _MESSAGE_ARGS | {"metadata", "mrkdwn", "reply_broadcast", "unfurl_links",
                                         "unfurl_media"},
    "chat.postEphemeral": _MESSAGE_ARGS | {"user"},
    "chat.update": {"token", "channel", "ts", "text", "blocks", "attachments", "as_user",
                    "file_ids", "link_names", "markdown_text", "metadata", "parse",
                    "reply_broadcast"},
    "chat.delete": {"token", "channel", "ts", "as_user"},
    "views.open": {"token", "trigger_id", "interactivity_pointer", "view"},
    "views.push": {"token", "trigger_id", "interactivity_pointer", "view"},
    "views.publish": {"token", "user_id", "view", "hash"},
    "views.update": {"token", "view", "view_id", "external_id", "hash"},
    "users.lookupByEmail": {"token", "email"},
    "users.info": {"token", "user", "include_locale"},
    "conversations.open": {"token", "channel", "users", "return_im", "prevent_creation"},
    "conversations.info": {"token", "channel", "include_locale", "include_num_members"},
    "conversations.history": {"token", "channel", "cursor", "include_all_metadata", "inclusive",
                              "latest", "limit", "oldest"},
    "oauth.v2.access": {"client_id", "client_secret", "code", "grant_type", "redirect_uri",
                        "refresh_token"},
    "auth.test": {"token"},
    "auth.revoke": {"token", "test"},
    "api.test": None,
}


# Bot scopes Slack documents per method; for conversations.* the one for
# the conversation's type.  Checked only with config check_scopes.
METHOD_SCOPE = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write", "chat.delete": "chat:write",
    "users.lookupByEmail": "users:read.email", "users.info": "users:read",
}
CONVERSATION_SCOPE = {"conversations.info": "read", "conversations.history": "history"}


def unknown_args(method, args):
    known = METHOD_ARGS.get(method)
    if known is None:
        return []
    return sorted(k for k in args if k not in known)

DEFAULT_CONFIG = {
    "rate_limits": False,
    "method_limits": {},            # method -> calls per minute (overrides tier)
    "workspace_cap_per_min": None,  # chat.postMessage per team per minute
    "channel_per_sec": 1.0,         # chat.postMessage per channel: rate ...
    "channel_burst": 3,             # ... and bucket size
    "webhook_per_sec": 1.0,
    "webhook_burst": 1,
    "latency_ms": 0,
    "trigger_ttl": 3.0,
    "client_id": "1111.2222",
    "client_secret": "fake-client-secret",
    "app_id": "A0FAKEAPP",
    "refresh_token_single_use": True,
    "token_expires_in": 43200,
    "update_text_max": 4000,
    "text_truncate": 40000,
    "strict_args": False,
    "check_scopes": False,
}

WEBHOOK_STATES = {
    "ok": (200, "ok"),
    "archived": (410, "channel_is_archived"),
    "channel_is_archived": (410, "channel_is_archived"),
    "channel_not_found": (404, "channel_not_found"),
    "prohibited": (403, "action_prohibited"),
    "action_prohibited": (403, "action_prohibited"),
    "revoked": (404, "no_service"),
    "no_service": (404, "no_service"),
    "invalid_token": (403, "invalid_token"),
    "no_team": (404, "no_team"),
}
WEBHOOK_ERROR_STATUS = {
    "invalid_payload": 400, "user_not_found": 400, "no_text": 400,
    "invalid_blocks": 400, "invalid_blocks_format": 400,
    "action_prohibited": 403, "invalid_token": 403,
    "channel_not_found": 404, "no_service": 404, "no_team": 404,
    "channel_is_archived": 410, "rollup_error": 500,
}


def _short_hash(*parts):
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:9].upper()


class RateLimiter:
    def __init__(self):
        self.windows = {}
        self.buckets = {}

    def window(self, key, limit, period, now):
        """Sliding window. Returns 0 (allowed, counted) or retry-after seconds."""
        dq = self.windows.setdefault(key, deque())
        while dq and dq[0] <= now - period:
            dq.popleft()
        if len(dq) >= limit:
            return max(1, int(math.ceil(dq[0] + period - now)))
        dq.append(now)
        return 0

    def unwindow(self, key):
        dq = self.windows.get(key)
        if dq:
            dq.pop()

    def bucket(self, key, rate, burst, now):
        tokens, last = self.buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self.buckets[key] = (tokens - 1.0, now)
            return 0
        self.buckets[key] = (tokens, now)
        return max(1, int(math.ceil((1.0 - tokens) / rate)))


class SlackError(Exception):
    def __init__(self, error, status=200, **extra):
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


class State:
    def __init__(self, cli_tokens, state_dir=None, client_id=None, client_secret=None):
        self.lock = threading.RLock()
        self.cli_tokens = cli_tokens
        self.state_dir = state_dir
        self.cli_client = (client_id, client_secret)
        self.ts_counter = 1700000000 * 1000000  # never reset: ts stay unique
        self.id_counter = 0
        self.reset()

    # ---- lifecycle ------------------------------------------------------
    def reset(self):
        with self.lock:
            self.config = copy.deepcopy(DEFAULT_CONFIG)
            if self.cli_client[0]:
                self.config["client_id"] = self.cli_client[0]
            if self.cli_client[1]:
                self.config["client_secret"] = self.cli_client[1]
            self.tokens = {}
            self.refresh_tokens = {}
            self.users = {}
            self.channels = {}
            self.messages = {}      # channel -> [msg]
            self.ephemeral = []
            self.views = {}         # view_id -> view
            self.home = {}          # (team, user) -> view_id
            self.triggers = {}      # trigger_id -> {issued, ttl, used}
            self.codes = {}
            self.webhooks = {}
            self.response_urls = {}
            self.calls = []
            self.fails = []         # [{method, error, count, http_status}]
            self.stalls = []
            self.forced_rl = []
            self.limiter = RateLimiter()
            for tok, team in self.cli_tokens:
                self.add_token({"token": tok, "team_id": team})

    def next_ts(self):
        self.ts_counter += 100
        return "%d.%06d" % divmod(self.ts_counter, 1000000)

    def next_id(self, prefix):
        self.id_counter += 1
        return "%s%08d" % (prefix, self.id_counter)

    def add_token(self, t):
        team = t.get("team_id") or "T0FAKETEAM"
        rec = {
            "token": t["token"],
            "team_id": team,
            "team_name": t.get("team_name") or ("Team %s" % team),
            "bot_user_id": t.get("bot_user_id") or ("UB" + _short_hash(team, "bot")),
            "bot_id": t.get("bot_id") or ("B" + _short_hash(team, "botid")),
            "user_name": t.get("user_name") or "approvalhub",
            "scope": t.get("scope") or "chat:write,im:write,mpim:write,users:read,"
                                       "users:read.email,channels:read,groups:read",
            "app_id": t.get("app_id") or self.config["app_id"],
            "revoked": bool(t.get("revoked", False)),
            "expires_at": (time.time() + t["expires_in"]) if t.get("expires_in") else None,
            "enterprise_id": t.get("enterprise_id"),
        }
        self.tokens[rec["token"]] = rec
        return rec

    def user_visible(self, u, tok):
        return not u.get("team") or tok is None or u["team"] == tok["team_id"]

    def find_user(self, uid, tok):
        u = self.users.get(uid)
        if u and self.user_visible(u, tok):
            return u
        return None

    def user_object(self, u, tok):
        team = u.get("team") or (tok["team_id"] if tok else "T0FAKETEAM")
        name = u.get("name") or u["id"].lower()
        return {
            "id": u["id"], "team_id": team, "name": name,
            "deleted": bool(u.get("deleted", False)),
            "real_name": u.get("real_name") or name,
            "tz": u.get("tz", "Europe/Warsaw"), "tz_offset": u.get("tz_offset", 3600),
            "is_bot": bool(u.get("is_bot", False)), "is_admin": bool(u.get("is_admin", False)),
            "is_app_user": False, "updated": 1700000000,
            "profile": {
                "email": u.get("email"), "real_name": u.get("real_name") or name,
                "display_name": u.get("display_name") or name, "team": team,
            },
        }

    # ---- recording ------------------------------------------------------
    def record(self, rec):
        with self.lock:
            rec["seq"] = len(self.calls) + 1
            self.calls.append(rec)
            if self.state_dir:
                try:
                    with open(os.path.join(self.state_dir, "calls.jsonl"), "a") as f:
                        f.write(json.dumps(rec) + "\n")
                except OSError:
                    pass

    def dump(self):
        with self.lock:
            return {
                "config": self.config, "tokens": list(self.tokens.values()),
                "users": list(self.users.values()), "channels": list(self.channels.values()),
                "messages": self.messages, "views": self.views, "webhooks": self.webhooks,
                "calls": len(self.calls),
            }

    # ---- one-shot injections -------------------------------------------
    @staticmethod
    def _take(lst, method):
        for item in lst:
            if item["method"] in (method, "*") and item["count"] > 0:
                item["count"] -= 1
                return dict(item)
        return None

    # ---- channels -------------------------------------------------------
    def dm_channel(self, tok, user_ids):
        ids = sorted(set(user_ids))
        if len(ids) == 1:
            cid = "D" + _short_hash(tok["team_id"], ids[0])
            if cid not in self.channels:
                self.channels[cid] = {
                    "id": cid, "name": ids[0], "is_im": True, "is_member": True,
                    "is_archived": False, "user": ids[0], "members": ids + [tok["bot_user_id"]],
                    "team": tok["team_id"], "created": int(time.time()),
                }
                return cid, False
            return cid, True
        cid = "G" + _short_hash(tok["team_id"], *ids)
        if cid not in self.channels:
            self.channels[cid] = {
                "id": cid, "name": "mpdm-" + "--".join(ids) + "-1", "is_mpim": True,
                "is_private": True, "is_member": True, "is_archived": False,
                "members": ids + [tok["bot_user_id"]], "team": tok["team_id"],
                "created": int(time.time()),
            }
            return cid, False
        return cid, True

    def channel_visible(self, ch, tok):
        return not ch.get("team") or ch["team"] == tok["team_id"]

    def resolve_channel(self, tok, ref):
        if not ref or not isinstance(ref, str):
            raise SlackError("channel_not_found")
        ch = self.channels.get(ref)
        if ch is None:
            name = ref[1:] if ref.startswith("#") else ref
            for c in self.channels.values():
                if c.get("name") == name and not c.get("is_im") and self.channel_visible(c, tok):
                    ch = c
                    break
        if ch is None and ref.startswith(("U", "W")):
            u = self.find_user(ref, tok)
            if u:
                cid, _ = self.dm_channel(tok, [ref])
                ch = self.channels[cid]
        if ch is None or not self.channel_visible(ch, tok):
            raise SlackError("channel_not_found")
        return ch

    def channel_for_post(self, tok, ref):
        ch = self.resolve_channel(tok, ref)
        if ch.get("is_archived"):
            raise SlackError("is_archived")
        if not ch.get("is_member", True):
            raise SlackError("not_in_channel")
        return ch

    def needed_scope(self, method, tok, args):
        """The scope method needs for these args, or None."""
        if method in METHOD_SCOPE:
            return METHOD_SCOPE[method]
        if method == "conversations.open":
            users = args.get("users") or ""
            n = len(users) if isinstance(users, list) else len([u for u in users.split(",") if u])
            return "mpim:write" if n > 1 else "im:write"
        if method in CONVERSATION_SCOPE:
            try:
                ch = self.resolve_channel(tok, args.get("channel"))
            except SlackError:
                return None     # the method answers channel_not_found
            kind = ("im" if ch.get("is_im") else "mpim" if ch.get("is_mpim") else
                    "groups" if ch.get("is_private") or ch["id"].startswith("G") else "channels")
            return "%s:%s" % (kind, CONVERSATION_SCOPE[method])
        return None

    def channel_object(self, ch):
        im = bool(ch.get("is_im"))
        mpim = bool(ch.get("is_mpim"))
        private = bool(ch.get("is_private")) or ch["id"].startswith("G")
        o = {
            "id": ch["id"], "name": ch.get("name"), "is_channel": not (im or mpim or private),
            "is_group": private and not mpim, "is_im": im, "is_mpim": mpim,
            "is_private": private or im, "created": ch.get("created", 1700000000),
            "is_archived": bool(ch.get("is_archived")), "is_general": bool(ch.get("is_general")),
            "is_shared": False, "is_ext_shared": False, "is_org_shared": False,
            "is_member": bool(ch.get("is_member", True)),
            "context_team_id": ch.get("team") or "T0FAKETEAM",
        }
        if im:
            o["user"] = ch.get("user")
            o["is_open"] = True
        return o


def _decode_json_arg(args, key):
    """Form-encoded blocks/view arrive as JSON strings; JSON bodies as objects."""
    v = args.get(key)
    if isinstance(v, str):
        try:
            return json.loads(v), len(v.encode("utf-8"))
        except ValueError:
            raise SlackError("invalid_%s_format" % key if key == "blocks" else "invalid_arguments",
                             response_metadata={"messages": ["[ERROR] invalid json [json-pointer:/%s]" % key]})
    if v is None:
        return None, 0
    return v, len(json.dumps(v).encode("utf-8"))


def _truthy(v):
    return v is True or (isinstance(v, str) and v.lower() in ("1", "true", "yes"))


def _int(v, default=None):
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


class Api:
    """Web API method implementations. Called with state.lock held."""

    def __init__(self, st):
        self.st = st

    # -- helpers --
    def check_blocks(self, args, required=False):
        blocks, _ = _decode_json_arg(args, "blocks")
        if blocks is None:
            return None
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        errs = blockkit.validate_message_blocks(blocks)
        if errs:
            raise SlackError("invalid_blocks", errors=errs,
                             response_metadata={"messages": ["[ERROR] " + e for e in errs]})
        return blocks

    def message_text(self, args, blocks, attachments):
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
        if (text is None or text == "") and not blocks and not attachments:
            raise SlackError("no_text")
        return text or ""

    def new_message(self, tok, ch, text, blocks, attachments, args):
        m = {
            "type": "message", "user": tok["bot_user_id"], "bot_id": tok["bot_id"],
            "app_id": tok["app_id"], "team": tok["team_id"], "text": text,
            "ts": self.st.next_ts(), "channel": ch["id"], "_at": time.time(),
        }
        if blocks is not None:
            m["blocks"] = blocks
        if attachments is not None:
            m["attachments"] = attachments
        for k in ("thread_ts", "metadata", "unfurl_links", "unfurl_media", "mrkdwn"):
            if args.get(k) is not None:
                m[k] = args[k]
        if _truthy(args.get("reply_broadcast")):
            m["reply_broadcast"] = True
        return m

    @staticmethod
    def public_message(m):
        return {k: v for k, v in m.items() if k not in ("channel", "history", "via", "_at")}

    # -- chat --
    def chat_postMessage(self, tok, args):
        ch = self.st.channel_for_post(tok, args.get("channel"))
        blocks = self.check_blocks(args)
        attachments, _ = _decode_json_arg(args, "attachments")
        text = self.message_text(args, blocks, attachments)
        cap = self.st.config["text_truncate"]
        if len(text) > cap:
            text = text[:cap]
        m = self.new_message(tok, ch, text, blocks, attachments, args)
        self.st.messages.setdefault(ch["id"], []).append(m)
        return {"ok": True, "channel": ch["id"], "ts": m["ts"], "message": self.public_message(m)}

    def chat_update(self, tok, args):
        ch = self.st.resolve_channel(tok, args.get("channel"))
        ts = args.get("ts")
        msgs = self.st.messages.get(ch["id"], [])
        m = next((x for x in msgs if x["ts"] == ts), None)
        if m is None:
            raise SlackError("message_not_found")
        if m.get("user") != tok["bot_user_id"] or m.get("via") == "webhook":
            raise SlackError("cant_update_message")
        if ch.get("is_archived"):
            raise SlackError("is_archived")
        blocks = self.check_blocks(args)
        attachments, _ = _decode_json_arg(args, "attachments")
        text = args.get("text")
        if text is not None and len(str(text)) > self.st.config["update_text_max"]:
            raise SlackError("msg_too_long")
        if (text is None or text == "") and blocks is None and attachments is None:
            raise SlackError("no_text")
        prev = {k: m.get(k) for k in ("text", "blocks", "attachments")}
        m.setdefault("history", []).append(prev)
        if text is not None:
            m["text"] = str(text)
        # Slack: omitted blocks/attachments are retained; an empty array removes them.
        for key, val in (("blocks", blocks), ("attachments", attachments)):
            if val is None:
                continue
            if val == []:
                m.pop(key, None)
            else:
                m[key] = val
        m["edited"] = {"user": tok["bot_user_id"], "ts": self.st.next_ts()}
        return {"ok": True, "channel": ch["id"], "ts": m["ts"], "text": m["text"],
                "message": self.public_message(m)}

    def chat_postEphemeral(self, tok, args):
        ch = self.st.channel_for_post(tok, args.get("channel"))
        # Slack documents user_not_in_channel for a user who cannot see the
        # channel, and has no user_not_found for this method.
        uid = args.get("user")
        u = self.st.find_user(uid, tok) if uid else None
        members = ch.get("members")
        if u is None or (members is not None and uid not in members):
            raise SlackError("user_not_in_channel")
        blocks = self.check_blocks(args)
        attachments, _ = _decode_json_arg(args, "attachments")
        text = self.message_text(args, blocks, attachments)
        m = self.new_message(tok, ch, text, blocks, attachments, args)
        m["ephemeral_user"] = uid
        self.st.ephemeral.append(m)
        return {"ok": True, "message_ts": m["ts"]}

    def chat_delete(self, tok, args):
        ch = self.st.resolve_channel(tok, args.get("channel"))
        msgs = self.st.messages.get(ch["id"], [])
        m = next((x for x in msgs if x["ts"] == args.get("ts")), None)
        if m is None:
            raise SlackError("message_not_found")
        if m.get("user") != tok["bot_user_id"]:
            raise SlackError("cant_delete_message")
        msgs.remove(m)
        return {"ok": True, "channel": ch["id"], "ts": m["ts"]}

    # -- views --
    def parse_view(self, args):
        if args.get("view") is None:
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] missing required field: view"]})
        view, size = _decode_json_arg(args, "view")
        err, msgs = blockkit.validate_view(view, size)
        if err:
            raise SlackError(err, response_metadata={"messages": msgs})
        return view

    def store_view(self, tok, view, user_id, vid=None, root=None, previous=None):
        vid = vid or ("V" + self.st.next_id("")[-9:].rjust(9, "0"))
        v = copy.deepcopy(view)
        v.update({
            "id": vid, "team_id": tok["team_id"], "app_id": tok["app_id"],
            "bot_id": tok["bot_id"], "app_installed_team_id": tok["team_id"],
            "hash": "%d.%s" % (int(time.time()), secrets.token_hex(4)),
            "state": {"values": {}}, "root_view_id": root or vid,
            "previous_view_id": previous,
        })
        v.setdefault("private_metadata", "")
        v.setdefault("callback_id", "")
        v.setdefault("external_id", "")
        v.setdefault("clear_on_close", False)
        v.setdefault("notify_on_close", False)
        v["_user_id"] = user_id
        self.st.views[vid] = v
        return v

    @staticmethod
    def public_view(v):
        return {k: val for k, val in v.items() if not k.startswith("_")}

    def check_external_id(self, view, exclude=None):
        ext = view.get("external_id")
        if ext:
            for v in self.st.views.values():
                if v.get("external_id") == ext and v["id"] != exclude:
                    raise SlackError("duplicate_external_id")

    def take_trigger(self, args):
        tid = args.get("trigger_id") or args.get("interactivity_pointer")
        if not tid:
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]})
        t = self.st.triggers.get(tid)
        if t is None:
            raise SlackError("invalid_trigger_id")
        if t["used"]:
            raise SlackError("exchanged_trigger_id")
        if time.time() - t["issued"] > t["ttl"]:
            raise SlackError("expired_trigger_id")
        return t

    def views_open(self, tok, args):
        t = self.take_trigger(args)
        view = self.parse_view(args)
        if view.get("type") != "modal":
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] must be a valid enum value [json-pointer:/view/type]"]})
        self.check_external_id(view)
        t["used"] = True
        v = self.store_view(tok, view, t.get("user"))
        return {"ok": True, "view": self.public_view(v)}

    def views_push(self, tok, args):
        t = self.take_trigger(args)
        view = self.parse_view(args)
        self.check_external_id(view)
        t["used"] = True
        v = self.store_view(tok, view, t.get("user"))
        return {"ok": True, "view": self.public_view(v)}

    def views_publish(self, tok, args):
        uid = args.get("user_id")
        if not uid:
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] missing required field: user_id"]})
        if self.st.find_user(uid, tok) is None:
            raise SlackError("user_not_found")
        view = self.parse_view(args)
        if view.get("type") != "home":
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] must be a valid enum value [json-pointer:/view/type]"]})
        key = (tok["team_id"], uid)
        old = self.st.views.get(self.st.home.get(key, ""))
        if args.get("hash") and old and args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        v = self.store_view(tok, view, uid, vid=old["id"] if old else None)
        self.st.home[key] = v["id"]
        return {"ok": True, "view": self.public_view(v)}

    def views_update(self, tok, args):
        vid = args.get("view_id")
        ext = args.get("external_id")
        if not vid and not ext:
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] view_id or external_id is required"]})
        old = None
        if vid:
            old = self.st.views.get(vid)
        else:
            old = next((v for v in self.st.views.values() if v.get("external_id") == ext), None)
        if old is None or old["team_id"] != tok["team_id"]:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        view = self.parse_view(args)
        self.check_external_id(view, exclude=old["id"])
        v = self.store_view(tok, view, old.get("_user_id"), vid=old["id"],
                            root=old.get("root_view_id"), previous=old.get("previous_view_id"))
        return {"ok": True, "view": self.public_view(v)}

    # -- users --
    def users_lookupByEmail(self, tok, args):
        email = (args.get("email") or "").strip().lower()
        if not email:
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] missing required field: email"]})
        for u in self.st.users.values():
            if (u.get("email") or "").lower() == email and self.st.user_visible(u, tok):
                return {"ok": True, "user": self.st.user_object(u, tok)}
        raise SlackError("users_not_found")

    def users_info(self, tok, args):
        u = self.st.find_user(args.get("user"), tok)
        if u is None:
            raise SlackError("user_not_found")
        return {"ok": True, "user": self.st.user_object(u, tok)}

    # -- conversations --
    def conversations_open(self, tok, args):
        if args.get("channel"):
            ch = self.st.resolve_channel(tok, args["channel"])
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": ch["id"]}}
        users = args.get("users")
        if isinstance(users, list):
            ids = [str(x).strip() for x in users]
        else:
            ids = [x.strip() for x in (users or "").split(",")]
        ids = [x for x in ids if x]
        if not ids:
            raise SlackError("not_enough_users")
        if len(set(ids)) > 8:
            raise SlackError("too_many_users")
        for uid in ids:
            if uid == tok["bot_user_id"]:
                raise SlackError("cannot_dm_bot")
            u = self.st.find_user(uid, tok)
            if u is None:
                raise SlackError("user_not_found")
            if u.get("deleted"):
                raise SlackError("user_disabled")
            if u.get("is_bot") and len(ids) == 1:
                raise SlackError("cannot_dm_bot")
        cid, existed = self.st.dm_channel(tok, ids)
        out = {"ok": True, "channel": {"id": cid}}
        if _truthy(args.get("return_im")):
            out["channel"] = self.st.channel_object(self.st.channels[cid])
        if existed:
            out["no_op"] = True
            out["already_open"] = True
        return out

    def conversations_info(self, tok, args):
        ch = self.st.resolve_channel(tok, args.get("channel"))
        return {"ok": True, "channel": self.st.channel_object(ch)}

    def conversations_history(self, tok, args):
        # Top-level messages only (thread replies live in conversations.replies),
        # newest first, oldest < time < latest (inclusive=true includes the ends);
        # metadata only with include_all_metadata, as Slack does.  The fake's ts
        # values are counters, not clocks: oldest/latest are compared with the
        # wall-clock time the fake stored each message at, which is what a
        # Slack ts means.
        ch = self.st.resolve_channel(tok, args.get("channel"))
        if not ch.get("is_member", True) and not ch.get("is_im"):
            raise SlackError("not_in_channel")
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or "inf")
        except (TypeError, ValueError):
            raise SlackError("invalid_ts_oldest")
        incl = _truthy(args.get("inclusive"))
        limit = min(max(_int(args.get("limit"), 100) or 100, 1), 999)
        meta = _truthy(args.get("include_all_metadata"))
        out = []
        for m in self.st.messages.get(ch["id"], []):
            if m.get("thread_ts") and m["thread_ts"] != m["ts"]:
                continue
            t = m.get("_at", 0.0)
            if (t < oldest or t > latest) if incl else (t <= oldest or t >= latest):
                continue
            pm = self.public_message(m)
            pm.pop("metadata", None)
            if meta and m.get("metadata") is not None:
                md = m["metadata"]
                if isinstance(md, str):
                    try:
                        md = json.loads(md)
                    except ValueError:
                        md = None
                if md is not None:
                    pm["metadata"] = md
            out.append(pm)
        out.sort(key=lambda x: float(x["ts"]), reverse=True)
        return {"ok": True, "messages": out[:limit], "has_more": len(out) > limit,
                "pin_count": 0, "response_metadata": {"next_cursor": ""}}

    # -- auth --
    def auth_test(self, tok, args):
        domain = "".join(c for c in tok["team_name"].lower() if c.isalnum()) or "team"
        return {"ok": True, "url": "https://%s.slack.com/" % domain, "team": tok["team_name"],
                "user": tok["user_name"], "team_id": tok["team_id"],
                "user_id": tok["bot_user_id"], "bot_id": tok["bot_id"],
                "is_enterprise_install": False}

    def auth_revoke(self, tok, args):
        if _truthy(args.get("test")):
            return {"ok": True, "revoked": False}
        tok["revoked"] = True
        return {"ok": True, "revoked": True}

    # -- oauth --
    def api_test(self, tok, args, headers):
        # Slack's api.test: no token needed; echoes its arguments.
        resp = {"ok": True}
        plain = {k: v for k, v in args.items() if k != "token" and isinstance(v, str)}
        if plain:
            resp["args"] = plain
        if plain.get("error"):
            raise SlackError(plain["error"])
        return resp

    def oauth_v2_access(self, tok, args, headers):
        cfg = self.st.config
        cid, csec = args.get("client_id"), args.get("client_secret")
        auth = headers.get("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                cid, _, csec = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise SlackError("invalid_client_id")
        if not cid or cid != cfg["client_id"]:
            raise SlackError("invalid_client_id")
        if csec != cfg["client_secret"]:
            raise SlackError("bad_client_secret")
        grant = args.get("grant_type") or "authorization_code"
        if grant == "refresh_token":
            rt = args.get("refresh_token")
            info = self.st.refresh_tokens.get(rt)
            if not info or info.get("used"):
                raise SlackError("invalid_refresh_token")
            if cfg["refresh_token_single_use"]:
                info["used"] = True
            return self._issue(info, rotate=True, refresh=True)
        if grant != "authorization_code":
            raise SlackError("invalid_grant_type")
        code = args.get("code")
        info = self.st.codes.get(code)
        if not info or info.get("used"):
            raise SlackError("invalid_code")
        if info.get("expires_at") and time.time() > info["expires_at"]:
            raise SlackError("invalid_code")
        if info.get("redirect_uri") and args.get("redirect_uri") != info["redirect_uri"]:
            raise SlackError("bad_redirect_uri")
        info["used"] = True
        return self._issue(info, rotate=bool(info.get("rotate")), refresh=False)

    def _issue(self, info, rotate, refresh):
        expires_in = info.get("expires_in") or self.st.config["token_expires_in"]
        if rotate:
            token = "xoxe.xoxb-1-" + secrets.token_hex(16)
        elif refresh:
            token = "xoxb-" + secrets.token_hex(16)
        else:
            token = info.get("token") or ("xoxb-%s-%s" % (info["team_id"], secrets.token_hex(12)))
        rec = self.st.add_token({
            "token": token, "team_id": info["team_id"], "team_name": info.get("team_name"),
            "bot_user_id": info.get("bot_user_id"), "scope": info.get("scope"),
            "expires_in": expires_in if rotate else None,
        })
        out = {
            "ok": True, "app_id": rec["app_id"],
            "authed_user": {"id": info.get("authed_user_id") or "U0INSTALLER"},
            "scope": rec["scope"], "token_type": "bot", "access_token": token,
            "bot_user_id": rec["bot_user_id"],
            "team": {"id": rec["team_id"], "name": rec["team_name"]},
            "enterprise": None, "is_enterprise_install": False,
        }
        if rotate:
            rt = "xoxe-1-" + secrets.token_hex(20)
            self.st.refresh_tokens[rt] = dict(info, used=False, rotate=True)
            out["refresh_token"] = rt
            out["expires_in"] = expires_in
        return out


class Handler(BaseHandler):
    st = None  # set in main
    api = None

    # ------------------------------------------------------------------ GET
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        if u.path.startswith("/api/"):
            self.body = b""
            return self.web_api(u.path[5:], q, {}, "")
        if u.path.startswith("/_fake/"):
            return self.control_get(u.path[7:], q)
        self.send_raw(404, "not found")

    def control_get(self, what, q):
        st = self.st
        with st.lock:
            if what == "calls":
                out = [c for c in st.calls
                       if (not q.get("method") or c["method"] == q["method"])
                       and c["seq"] > _int(q.get("since"), 0)]
                return self.send_json(200, out)
            if what == "messages":
                out = []
                for cid, msgs in st.messages.items():
                    if q.get("channel") and cid != q["channel"]:
                        continue
                    out.extend(msgs)
                out.sort(key=lambda m: m["ts"])
                return self.send_json(200, out)
            if what == "ephemeral":
                out = [m for m in st.ephemeral if not q.get("channel") or m["channel"] == q["channel"]]
                return self.send_json(200, out)
            if what == "views":
                out = []
                for v in st.views.values():
                    if q.get("user") and v.get("_user_id") != q["user"]:
                        continue
                    if q.get("type") and v.get("type") != q["type"]:
                        continue
                    if not q.get("type") and not q.get("all") and v.get("type") != "home":
                        continue
                    pv = Api.public_view(v)
                    pv["user_id"] = v.get("_user_id")
                    out.append(pv)
                return self.send_json(200, out)
            if what == "state":
                return self.send_json(200, st.dump())
            if what == "health":
                return self.send_json(200, {"ok": True})
        self.send_json(404, {"error": "unknown control endpoint"})

    # ----------------------------------------------------------------- POST
    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        raw = self.read_body()
        if u.path.startswith("/api/"):
            q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
            return self.web_api_post(u.path[5:], q, raw)
        if u.path.startswith("/services/"):
            return self.webhook(u.path, raw)
        if u.path.startswith("/actions/"):
            return self.response_url(u.path, raw)
        if u.path.startswith("/_fake/"):
            try:
                body = self.json_body(raw)
            except ValueError:
                return self.send_json(400, {"error": "invalid json"})
            return self.control_post(u.path[7:], body)
        self.send_raw(404, "not found")

    def web_api_post(self, method, q, raw):
        ctype = (self.headers.get("Content-Type") or "").lower()
        args = dict(q)
        warning = None
        if raw:
            if ctype.startswith("application/json"):
                if "charset" not in ctype:
                    warning = "missing_charset"
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    return self.finish_api(method, args, 200, {"ok": False, "error": "invalid_json"})
                if not isinstance(body, dict):
                    return self.finish_api(method, args, 200, {"ok": False, "error": "json_not_object"})
                args.update(body)
            elif ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith("text/plain") or not ctype:
                try:
                    args.update(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
                except UnicodeDecodeError:
                    return self.finish_api(method, args, 200, {"ok": False, "error": "invalid_form_data"})
            elif ctype.startswith("multipart/form-data"):
                pass
            else:
                return self.finish_api(method, args, 200, {"ok": False, "error": "invalid_post_type"})
        self.web_api(method, args, {}, warning)

    def web_api(self, method, args, _unused, warning):
        st = self.st
        cfg_latency = st.config.get("latency_ms") or 0
        stall(cfg_latency / 1000.0)
        with st.lock:
            s = st._take(st.stalls, method)
        if s:
            stall(float(s.get("seconds", 0)))
        with st.lock:
            fn = getattr(self.api, method.replace(".", "_"), None)
            if method not in METHOD_TIER or fn is None:
                return self.finish_api(method, args, 404,
                                       {"ok": False, "error": "unknown_method", "req_method": method})
            rl = st._take(st.forced_rl, method)
            if rl:
                ra = max(1, _int(rl.get("retry_after"), 1))
                return self.finish_api(method, args, 429, {"ok": False, "error": "ratelimited"},
                                       {"Retry-After": str(ra)})
            f = st._take(st.fails, method)
            if f:
                if f.get("http_status"):
                    hs = int(f["http_status"])
                    body = {"ok": False, "error": f.get("error") or "fatal_error"}
                    return self.finish_api(method, args, hs, body)
                return self.finish_api(method, args, 200, {"ok": False, "error": f.get("error") or "fatal_error"})
            tok = None
            if method not in NO_AUTH_METHODS:
                token = None
                auth = self.headers.get("Authorization") or ""
                if auth.lower().startswith("bearer "):
                    token = auth[7:].strip()
                elif isinstance(args.get("token"), str) and args.get("token"):
                    token = args["token"]
                if not token:
                    return self.finish_api(method, args, 200, {"ok": False, "error": "not_authed"})
                tok = st.tokens.get(token)
                if tok is None:
                    return self.finish_api(method, args, 200, {"ok": False, "error": "invalid_auth"})
                if tok["revoked"]:
                    return self.finish_api(method, args, 200, {"ok": False, "error": "token_revoked"})
                if tok["expires_at"] and time.time() > tok["expires_at"]:
                    return self.finish_api(method, args, 200, {"ok": False, "error": "token_expired"})
            if tok is not None and st.config.get("check_scopes"):
                need = st.needed_scope(method, tok, args)
                have = [x.strip() for x in (tok.get("scope") or "").split(",")]
                if need and need not in have:
                    return self.finish_api(method, args, 200, {
                        "ok": False, "error": "missing_scope", "needed": need,
                        "provided": ",".join(have)})
            extra = unknown_args(method, args)
            if extra and st.config.get("strict_args"):
                return self.finish_api(method, args, 200, {
                    "ok": False, "error": "invalid_arguments",
                    "response_metadata": {"messages": ["[ERROR] unknown argument: %s" % k
                                                       for k in extra]}})
            if st.config["rate_limits"]:
                ra = self.rate_check(method, tok, args)
                if ra:
                    return self.finish_api(method, args, 429, {"ok": False, "error": "ratelimited"},
                                           {"Retry-After": str(ra)})
            try:
                if method in NO_AUTH_METHODS:
                    resp = fn(tok, args, self.headers)
                else:
                    resp = fn(tok, args)
                if warning:
                    resp["warning"] = warning
                    resp.setdefault("response_metadata", {})["warnings"] = [warning]
            except SlackError as e:
                resp = {"ok": False, "error": e.error}
                resp.update(e.extra)
            return self.finish_api(method, args, 200, resp)

    def rate_check(self, method, tok, args):
        st = self.st
        cfg = st.config
        now = time.monotonic()
        team = tok["team_id"] if tok else "-"
        limit = cfg["method_limits"].get(method)
        if limit is None and METHOD_TIER.get(method):
            limit = TIER[METHOD_TIER[method]]
        counted = []
        if limit:
            ra = st.limiter.window(("m", team, method), int(limit), 60.0, now)
            if ra:
                return ra
            counted.append(("m", team, method))
        if method == "chat.postMessage":
            cap = cfg.get("workspace_cap_per_min")
            if cap:
                ra = st.limiter.window(("ws", team), int(cap), 60.0, now)
                if ra:
                    for k in counted:
                        st.limiter.unwindow(k)
                    return ra
                counted.append(("ws", team))
            ch = str(args.get("channel"))
            ra = st.limiter.bucket(("ch", team, ch), float(cfg["channel_per_sec"]),
                                   float(cfg["channel_burst"]), now)
            if ra:
                for k in counted:
                    st.limiter.unwindow(k)
                return ra
        return 0

    def finish_api(self, method, args, status, resp, headers=None):
        rec_args = {}
        for k, v in args.items():
            if k in ("blocks", "view", "attachments", "metadata") and isinstance(v, str):
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
            rec_args[k] = v
        self.st.record({
            "kind": "api", "method": method, "ts": time.time(), "headers": self.header_dict(),
            "args": rec_args, "unknown_args": unknown_args(method, args),
            "status": status, "response": resp,
            "retry_after": (headers or {}).get("Retry-After"),
        })
        self.send_json(status, resp, headers)

    # ------------------------------------------------------------- webhooks
    def webhook(self, path, raw):
        st = self.st
        stall((st.config.get("latency_ms") or 0) / 1000.0)
        with st.lock:
            s = st._take(st.stalls, "webhook")
        if s:
            stall(float(s.get("seconds", 0)))
        with st.lock:
            parsed = None
            ctype = (self.headers.get("Content-Type") or "").lower()
            try:
                txt = raw.decode("utf-8")
                if ctype.startswith("application/x-www-form-urlencoded"):
                    form = dict(urllib.parse.parse_qsl(txt, keep_blank_values=True))
                    parsed = json.loads(form["payload"])
                else:
                    parsed = json.loads(txt)
            except (ValueError, KeyError, UnicodeDecodeError):
                parsed = None
            status, body, headers = self.webhook_inner(path, parsed)
            st.record({
                "kind": "webhook", "method": "webhook", "path": path, "ts": time.time(),
                "headers": self.header_dict(), "args": parsed,
                "raw": raw.decode("utf-8", "replace") if parsed is None else None,
                "status": status, "response": body,
                "retry_after": (headers or {}).get("Retry-After"),
            })
        self.send_raw(status, body, "text/plain; charset=utf-8", headers)

    def webhook_inner(self, path, payload):
        st = self.st
        rl = st._take(st.forced_rl, "webhook")
        if rl:
            ra = max(1, _int(rl.get("retry_after"), 1))
            return 429, "rate_limited", {"Retry-After": str(ra)}
        f = st._take(st.fails, "webhook")
        if f:
            err = f.get("error") or "rollup_error"
            return int(f.get("http_status") or WEBHOOK_ERROR_STATUS.get(err, 400)), err, None
        hook = st.webhooks.get(path)
        if hook is None:
            return 404, "no_service", None
        code, err = WEBHOOK_STATES.get(hook.get("state") or "ok", (200, "ok"))
        if code != 200:
            return code, err, None
        ch = st.channels.get(hook["channel"])
        if ch is None:
            return 404, "channel_not_found", None
        if ch.get("is_archived"):
            return 410, "channel_is_archived", None
        if st.config["rate_limits"]:
            ra = st.limiter.bucket(("hook", path), float(st.config["webhook_per_sec"]),
                                   float(st.config["webhook_burst"]), time.monotonic())
            if ra:
                return 429, "rate_limited", {"Retry-After": str(ra)}
        if not isinstance(payload, dict):
            return 400, "invalid_payload", None
        blocks = payload.get("blocks")
        if blocks is not None:
            if not isinstance(blocks, list):
                return 400, "invalid_blocks_format", None
            if blockkit.validate_message_blocks(blocks):
                return 400, "invalid_blocks", None
        text = payload.get("text")
        if not text and not blocks and not payload.get("attachments"):
            return 400, "no_text", None
        m = {"type": "message", "subtype": "bot_message", "text": text or "",
             "ts": st.next_ts(), "channel": ch["id"], "_at": time.time(), "via": "webhook", "webhook": path,
             "bot_id": "B" + _short_hash(path)}
        for k in ("blocks", "attachments", "thread_ts", "username", "icon_emoji", "icon_url",
                  "unfurl_links", "unfurl_media", "mrkdwn"):
            if k in payload:
                m[k] = payload[k]
        st.messages.setdefault(ch["id"], []).append(m)
        return 200, "ok", None

    # --------------------------------------------------------- response_url
    def response_url(self, path, raw):
        st = self.st
        with st.lock:
            s = st._take(st.stalls, "response_url")
        if s:
            stall(float(s.get("seconds", 0)))
        with st.lock:
            try:
                payload = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                payload = None
            status, resp, headers = self.response_url_inner(path, payload)
            st.record({
                "kind": "response_url", "method": "response_url", "path": path, "ts": time.time(),
                "headers": self.header_dict(), "args": payload, "status": status, "response": resp,
                "retry_after": (headers or {}).get("Retry-After"),
            })
        self.send_json(status, resp, headers)

    def response_url_inner(self, path, payload):
        st = self.st
        rl = st._take(st.forced_rl, "response_url")
        if rl:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(max(1, _int(rl.get("retry_after"), 1)))}
        f = st._take(st.fails, "response_url")
        if f:
            return int(f.get("http_status") or 200), {"ok": False, "error": f.get("error") or "fatal_error"}, None
        r = st.response_urls.get(path)
        if r is None:
            return 404, {"ok": False, "error": "no_service"}, None
        if time.time() > r["expires_at"]:
            return 404, {"ok": False, "error": "expired_url"}, None
        if r["uses"] >= r["max_uses"]:
            return 404, {"ok": False, "error": "used_url"}, None
        if not isinstance(payload, dict):
            return 400, {"ok": False, "error": "invalid_payload"}, None
        r["uses"] += 1
        chan = r.get("channel")
        msgs = st.messages.get(chan, []) if chan else []
        orig = next((m for m in msgs if m["ts"] == r.get("message_ts")), None)
        if _truthy(payload.get("delete_original")):
            if orig is None:
                return 404, {"ok": False, "error": "message_not_found"}, None
            msgs.remove(orig)
            return 200, {"ok": True}, None
        blocks = payload.get("blocks")
        if blocks is not None:
            if not isinstance(blocks, list):
                return 200, {"ok": False, "error": "invalid_blocks_format"}, None
            errs = blockkit.validate_message_blocks(blocks)
            if errs:
                return 200, {"ok": False, "error": "invalid_blocks", "errors": errs}, None
        if not payload.get("text") and not blocks and not payload.get("attachments"):
            return 200, {"ok": False, "error": "no_text"}, None
        if _truthy(payload.get("replace_original")):
            if orig is None:
                return 404, {"ok": False, "error": "message_not_found"}, None
            orig.setdefault("history", []).append({k: orig.get(k) for k in ("text", "blocks", "attachments")})
            orig["text"] = payload.get("text") or ""
            for k in ("blocks", "attachments"):
                if k in payload:
                    orig[k] = payload[k]
                else:
                    orig.pop(k, None)
            orig["edited"] = {"user": orig.get("user"), "ts": st.next_ts(), "via": "response_url"}
            return 200, {"ok": True}, None
        m = {"type": "message", "text": payload.get("text") or "", "ts": st.next_ts(), "_at": time.time(),
             "channel": chan, "via": "response_url"}
        for k in ("blocks", "attachments", "thread_ts"):
            if k in payload:
                m[k] = payload[k]
        if payload.get("response_type") == "in_channel" and chan:
            st.messages.setdefault(chan, []).append(m)
        else:
            m["ephemeral_user"] = r.get("user")
            st.ephemeral.append(m)
        return 200, {"ok": True}, None

    # -------------------------------------------------------------- control
    def control_post(self, what, body):
        st = self.st

        def items(b):
            return b if isinstance(b, list) else [b]

        with st.lock:
            if what == "reset":
                st.reset()
                return self.send_json(200, {"ok": True})
            if what == "config":
                for k, v in body.items():
                    if k == "method_limits" and isinstance(v, dict):
                        st.config["method_limits"].update(v)
                    else:
                        st.config[k] = v
                return self.send_json(200, {"ok": True, "config": st.config})
            if what == "users":
                for u in items(body):
                    if "id" not in u:
                        return self.send_json(400, {"error": "user needs id"})
                    st.users[u["id"]] = dict(u)
                return self.send_json(200, {"ok": True})
            if what == "channels":
                for c in items(body):
                    if "id" not in c:
                        return self.send_json(400, {"error": "channel needs id"})
                    rec = {"is_member": True, "is_archived": False, "name": c["id"].lower(),
                           "created": int(time.time())}
                    rec.update(c)
                    st.channels[c["id"]] = rec
                return self.send_json(200, {"ok": True})
            if what == "tokens":
                out = [st.add_token(t) for t in items(body)]
                return self.send_json(200, {"ok": True, "tokens": out})
            if what in ("revoke", "expire"):
                t = st.tokens.get(body.get("token"))
                if t is None:
                    return self.send_json(404, {"error": "unknown token"})
                if what == "revoke":
                    t["revoked"] = True
                else:
                    t["expires_at"] = time.time() - 1
                return self.send_json(200, {"ok": True})
            if what in ("fail", "stall", "ratelimit"):
                if not body.get("method"):
                    return self.send_json(400, {"error": "method required ('*' for any, 'webhook')"})
                item = dict(body)
                item["count"] = _int(body.get("count"), 1)
                {"fail": st.fails, "stall": st.stalls, "ratelimit": st.forced_rl}[what].append(item)
                return self.send_json(200, {"ok": True})
            if what == "trigger":
                tid = "%d.%d.%s" % (int(time.time()), 98765, secrets.token_hex(16))
                ttl = float(body.get("ttl") or st.config["trigger_ttl"])
                st.triggers[tid] = {"issued": time.time(), "ttl": ttl, "used": False,
                                    "user": body.get("user")}
                return self.send_json(200, {"ok": True, "trigger_id": tid, "expires_in": ttl})
            if what == "oauth_code":
                code = body.get("code") or ("%d.%s" % (int(time.time()), secrets.token_hex(16)))
                info = dict(body)
                info["code"] = code
                info.setdefault("team_id", "T0FAKETEAM")
                info["used"] = False
                if body.get("code_ttl"):
                    info["expires_at"] = time.time() + float(body["code_ttl"])
                st.codes[code] = info
                return self.send_json(200, {"ok": True, "code": code})
            if what == "webhooks":
                out = []
                for h in items(body):
                    path = h.get("path") or "/services/T0FAKE/B%s/%s" % (
                        _short_hash(str(time.time()), str(len(st.webhooks))), secrets.token_hex(12))
                    if "://" in path:
                        path = urllib.parse.urlsplit(path).path
                    if not path.startswith("/"):
                        path = "/" + path
                    if not path.startswith("/services/"):
                        path = "/services/" + path.lstrip("/")
                    st.webhooks[path] = {"path": path, "channel": h.get("channel"),
                                         "state": h.get("state") or "ok"}
                    if h.get("channel") and h["channel"] not in st.channels and h.get("create_channel", True):
                        st.channels[h["channel"]] = {"id": h["channel"], "name": h["channel"].lower(),
                                                     "is_member": True, "is_archived": False,
                                                     "created": int(time.time())}
                    out.append(path)
                return self.send_json(200, {"ok": True, "paths": out, "path": out[0] if out else None})
            if what == "response_url":
                path = "/actions/%s/%d/%s" % (body.get("team_id") or "T0FAKETEAM",
                                              len(st.response_urls) + 1000, secrets.token_hex(12))
                st.response_urls[path] = {
                    "channel": body.get("channel"), "message_ts": body.get("message_ts"),
                    "user": body.get("user"), "uses": 0, "max_uses": _int(body.get("uses"), 5),
                    "expires_at": time.time() + float(body.get("ttl") or 1800)}
                return self.send_json(200, {"ok": True, "path": path})
            if what == "messages":
                # inject a message written by someone else (e.g. to test cant_update_message)
                ch = body.get("channel")
                if not ch:
                    return self.send_json(400, {"error": "channel required"})
                m = {"type": "message", "user": body.get("user") or "U0SOMEONE",
                     "text": body.get("text") or "", "ts": st.next_ts(), "channel": ch, "_at": time.time()}
                st.messages.setdefault(ch, []).append(m)
                return self.send_json(200, {"ok": True, "ts": m["ts"]})
        self.send_json(404, {"error": "unknown control endpoint"})


def parse_token_arg(s):
    tok, _, team = s.partition("=")
    return tok, (team or "T0FAKETEAM")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token", action="append", default=[], help="xoxb-...=T123 (repeatable)")
    ap.add_argument("--state-dir")
    ap.add_argument("--client-id")
    ap.add_argument("--client-secret")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    if a.state_dir:
        os.makedirs(a.state_dir, exist_ok=True)
    st = State([parse_token_arg(t) for t in a.token], a.state_dir, a.client_id, a.client_secret)
    Handler.st = st
    Handler.api = Api(st)
    Handler.quiet = not a.verbose
    srv = Server(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]
    install_signal_handlers([srv])
    write_port_file(a.port_file, "%d\n" % port)
    sys.stderr.write("fake_slack listening on 127.0.0.1:%d\n" % port)
    sys.stderr.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        if a.state_dir:
            try:
                with open(os.path.join(a.state_dir, "state.json"), "w") as f:
                    json.dump(st.dump(), f, indent=1, default=str)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
