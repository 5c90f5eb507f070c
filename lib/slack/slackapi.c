/*
 * slackapi.c - Slack Web API and incoming webhooks: one request each, the
 * answer classified from two tables (methods, error codes).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/form.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/slackapi.h"

/* How a method's arguments travel.  Slack accepts JSON bodies only for
 * write methods; read methods and OAuth take a form. */
enum enc {
	ENC_JSON = 0,
	ENC_FORM,
	ENC_FORM_CLIENT,   /* form, no bearer: client_id/client_secret in args */
};

/* Rate tiers; TIER_POST is chat.postMessage's own scheme (per channel +
 * workspace cap), TIER_NONE has no workspace yet (OAuth). */
enum tier {
	TIER_NONE = 0,
	TIER_2,
	TIER_3,
	TIER_4,
	TIER_POST,
};

static const int tier_per_minute[] = {
	[TIER_NONE] = 0, [TIER_2] = 20, [TIER_3] = 50, [TIER_4] = 100, [TIER_POST] = 60,
};

/* Bursts: Slack tolerates short bursts; keep them a small share of the
 * minute so a burst never empties a shared budget. */
static const int tier_burst[] = {
	[TIER_NONE] = 0, [TIER_2] = 3, [TIER_3] = 5, [TIER_4] = 10, [TIER_POST] = 3,
};

struct method {
	const char	*name;
	enum enc	 enc;
	enum tier	 tier;
};

static const struct method methods[] = {
	{ "chat.postMessage",		ENC_JSON,	 TIER_POST },
	{ "chat.update",		ENC_JSON,	 TIER_3 },
	{ "chat.delete",		ENC_JSON,	 TIER_3 },
	{ "chat.postEphemeral",		ENC_JSON,	 TIER_4 },
	{ "conversations.open",		ENC_JSON,	 TIER_3 },
	{ "conversations.info",		ENC_FORM,	 TIER_3 },
	{ "conversations.history",	ENC_FORM,	 TIER_3 },
	{ "users.lookupByEmail",	ENC_FORM,	 TIER_3 },
	{ "users.info",			ENC_FORM,	 TIER_4 },
	{ "views.open",			ENC_JSON,	 TIER_4 },
	{ "views.push",			ENC_JSON,	 TIER_4 },
	{ "views.update",		ENC_JSON,	 TIER_4 },
	{ "views.publish",		ENC_JSON,	 TIER_4 },
	{ "auth.test",			ENC_FORM,	 TIER_4 },
	{ "auth.revoke",		ENC_FORM,	 TIER_3 },
	{ "api.test",			ENC_FORM,	 TIER_4 },
	{ "oauth.v2.access",		ENC_FORM_CLIENT, TIER_NONE },
};

/* Unknown methods: JSON at the strictest tier. */
static const struct method method_default = { NULL, ENC_JSON, TIER_2 };

struct code {
	const char		*code;
	enum hub_slack_class	 cls;
	const char		*fix;
};

#define FIX_BUG "The hub sent a request Slack refused as malformed; this is a bug in " \
	"the hub: report it with the error detail"
#define FIX_RETRY "Slack had a temporary problem; the hub retries by itself"
#define FIX_REINSTALL "Reinstall the app (or paste a new bot token) and enable the connection"

static const struct code codes[] = {
	/* authentication: the connection is unusable until an admin acts */
	{ "invalid_auth", HUB_SLACK_AUTH,
	  "The token is not valid: " FIX_REINSTALL },
	{ "not_authed", HUB_SLACK_AUTH,
	  "No token was sent: set the connection's bot token" },
	{ "token_revoked", HUB_SLACK_AUTH,
	  "Reinstall the app: the token was revoked" },
	{ "token_expired", HUB_SLACK_AUTH,
	  "The rotating token expired and was not refreshed: " FIX_REINSTALL },
	{ "account_inactive", HUB_SLACK_AUTH,
	  "The token belongs to a deactivated user or an uninstalled app: " FIX_REINSTALL },
	{ "malformed_token", HUB_SLACK_AUTH,
	  "The stored token is malformed: " FIX_REINSTALL },
	{ "invalid_token", HUB_SLACK_AUTH,
	  "The incoming webhook is no longer valid: create a new webhook and update the "
	  "connection" },
	{ "no_service", HUB_SLACK_AUTH,
	  "The incoming webhook was removed or disabled: create a new webhook and update "
	  "the connection" },
	/* people */
	{ "users_not_found", HUB_SLACK_NOT_FOUND_USER,
	  "No Slack account has this email in the workspace (or the app lacks "
	  "users:read.email); the approver is reached by the fallback" },
	{ "user_not_found", HUB_SLACK_NOT_FOUND_USER,
	  "The Slack user does not exist in this workspace; check the approver's Slack id" },
	{ "user_disabled", HUB_SLACK_NOT_FOUND_USER,
	  "The Slack user is deactivated; reassign the approver" },
	/* channels */
	{ "not_in_channel", HUB_SLACK_CHANNEL,
	  "Invite the bot to the channel with /invite @YourApp (type it in the channel)" },
	{ "channel_not_found", HUB_SLACK_CHANNEL,
	  "Check the channel id (channel details, it starts with C or G); a private "
	  "channel needs the bot invited with /invite @YourApp first" },
	{ "is_archived", HUB_SLACK_CHANNEL,
	  "The channel is archived: unarchive it or choose another channel" },
	{ "channel_is_archived", HUB_SLACK_CHANNEL,
	  "The webhook's channel is archived: unarchive it or create a webhook for "
	  "another channel" },
	{ "action_prohibited", HUB_SLACK_CHANNEL,
	  "A workspace admin restricted posting in that channel: ask them, or use another "
	  "channel" },
	{ "restricted_action", HUB_SLACK_CHANNEL,
	  "A workspace admin restricted posting in that channel: ask them, or use another "
	  "channel" },
	{ "restricted_action_read_only_channel", HUB_SLACK_CHANNEL,
	  "The channel is read-only for the bot: choose another channel" },
	{ "restricted_action_thread_only_channel", HUB_SLACK_CHANNEL,
	  "The channel only allows thread replies: choose another channel" },
	{ "user_not_in_channel", HUB_SLACK_CHANNEL,
	  "The user is not a member of that channel" },
	/* our request was wrong */
	{ "invalid_blocks", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_blocks_format", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_arguments", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_arg_name", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_array_arg", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_charset", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_form_data", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_post_type", HUB_SLACK_INVALID, FIX_BUG },
	{ "missing_post_type", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_json", HUB_SLACK_INVALID, FIX_BUG },
	{ "json_not_object", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_payload", HUB_SLACK_INVALID, FIX_BUG },
	{ "invalid_attachments", HUB_SLACK_INVALID, FIX_BUG },
	{ "too_many_attachments", HUB_SLACK_INVALID, FIX_BUG },
	{ "msg_too_long", HUB_SLACK_INVALID, FIX_BUG },
	{ "no_text", HUB_SLACK_INVALID, FIX_BUG },
	{ "view_too_large", HUB_SLACK_INVALID, FIX_BUG },
	{ "too_many_users", HUB_SLACK_INVALID, FIX_BUG },
	{ "not_enough_users", HUB_SLACK_INVALID, FIX_BUG },
	/* wait */
	{ "ratelimited", HUB_SLACK_RATELIMITED,
	  "Slack is rate limiting the app; delivery continues after Retry-After" },
	{ "rate_limited", HUB_SLACK_RATELIMITED,
	  "Slack is rate limiting the webhook; delivery continues after Retry-After" },
	{ "local_ratelimit", HUB_SLACK_RATELIMITED,
	  "The shared rate budget is used up; delivery continues shortly" },
	/* retry */
	{ "fatal_error", HUB_SLACK_TRANSIENT, FIX_RETRY },
	{ "internal_error", HUB_SLACK_TRANSIENT, FIX_RETRY },
	{ "service_unavailable", HUB_SLACK_TRANSIENT, FIX_RETRY },
	{ "request_timeout", HUB_SLACK_TRANSIENT, FIX_RETRY },
	{ "rollup_error", HUB_SLACK_TRANSIENT, FIX_RETRY },
	{ "timeout", HUB_SLACK_TRANSIENT,
	  "Slack did not answer in time; the hub retries by itself" },
	{ "connect", HUB_SLACK_TRANSIENT,
	  "Could not connect to Slack (network, DNS, proxy or SLACK_API_URL); the hub "
	  "retries by itself" },
	{ "transport", HUB_SLACK_TRANSIENT, FIX_RETRY },
	{ "invalid_response", HUB_SLACK_TRANSIENT,
	  "Slack's answer was not understood; the hub retries by itself" },
	/* permanent, named */
	{ "missing_scope", HUB_SLACK_OTHER,
	  "The app lacks a scope this needs (see the error detail): add it in the app's "
	  "OAuth settings and reinstall" },
	{ "no_permission", HUB_SLACK_OTHER,
	  "The bot may not do this here: check the app's scopes and the channel settings" },
	{ "message_not_found", HUB_SLACK_OTHER,
	  "The message was deleted in Slack; nothing to update" },
	{ "cant_update_message", HUB_SLACK_OTHER,
	  "Only the bot's own messages can be updated" },
	{ "invalid_code", HUB_SLACK_OTHER,
	  "The OAuth code is unknown, used or expired: start the installation again" },
	{ "bad_client_secret", HUB_SLACK_OTHER,
	  "SLACK_CLIENT_SECRET does not match the app: copy it from the app's Basic "
	  "Information page" },
	{ "invalid_client_id", HUB_SLACK_OTHER,
	  "SLACK_CLIENT_ID does not match the app: copy it from the app's Basic "
	  "Information page" },
	{ "bad_redirect_uri", HUB_SLACK_OTHER,
	  "The redirect URL is not listed in the app's OAuth settings: add "
	  "PUBLIC_URL/slack/oauth/callback there" },
	{ "invalid_refresh_token", HUB_SLACK_AUTH,
	  "The refresh token was refused: " FIX_REINSTALL },
	{ "unknown_method", HUB_SLACK_OTHER,
	  "Slack does not know this method: check SLACK_API_URL" },
	{ "bad_url", HUB_SLACK_OTHER,
	  "The URL is not http(s): check SLACK_API_URL or the webhook URL" },
	{ "response_too_big", HUB_SLACK_OTHER,
	  "Slack's answer exceeded the hub's size limit" },
	/* the hub's own: no step, request, source or default connection */
	{ "no_connection", HUB_SLACK_OTHER,
	  "Add a Slack connection: install the app at PUBLIC_URL/slack/install, set "
	  "SLACK_BOT_TOKEN where the worker runs (it becomes the connection default), or run "
	  "approvalhub connection add NAME --type SLACK_APP --token-stdin; "
	  "approvalhub connection set-default NAME makes one the default" },
};

#define FIX_DEFAULT "See Slack's documentation of this error code (api.slack.com/methods)"

static const char *const class_names[] = {
	[HUB_SLACK_OK] = "ok",
	[HUB_SLACK_RATELIMITED] = "ratelimited",
	[HUB_SLACK_AUTH] = "auth",
	[HUB_SLACK_NOT_FOUND_USER] = "user_not_found",
	[HUB_SLACK_CHANNEL] = "channel",
	[HUB_SLACK_INVALID] = "invalid",
	[HUB_SLACK_TRANSIENT] = "transient",
	[HUB_SLACK_OTHER] = "other",
};

const char *
hub_slack_class_name(int c)
{
	if (c < 0 || (size_t)c >= HUB_NELEM(class_names))
		return "unknown";
	return class_names[c];
}

static const struct code *
find_code(const char *error)
{
	size_t i;

	if (error == NULL)
		return NULL;
	for (i = 0; i < HUB_NELEM(codes); i++)
		if (strcmp(codes[i].code, error) == 0)
			return &codes[i];
	return NULL;
}

enum hub_slack_class
hub_slack_classify(const char *error)
{
	const struct code *c = find_code(error);

	if (c != NULL)
		return c->cls;
	/* Slack's documented families not worth one row each. */
	if (error != NULL && (strncmp(error, "invalid_", 8) == 0 ||
	    strncmp(error, "missing_", 8) == 0))
		return HUB_SLACK_INVALID;
	return HUB_SLACK_OTHER;
}

const char *
hub_slack_fix(const char *error)
{
	const struct code *c = find_code(error);

	if (c != NULL)
		return c->fix;
	if (hub_slack_classify(error) == HUB_SLACK_INVALID)
		return FIX_BUG;
	return FIX_DEFAULT;
}

static const struct method *
find_method(const char *name)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(methods); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return &method_default;
}

/* Method names are dotted words; anything else must not reach a URL. */
static int
method_ok(const char *m)
{
	size_t n = 0;

	for (; m[n] != '\0'; n++)
		if (!isalnum((unsigned char)m[n]) && m[n] != '.' && m[n] != '_')
			return 0;
	return n > 0 && n <= 64;
}

/* A token goes into a header: printable ASCII without spaces only. */
static int
token_ok(const char *t)
{
	size_t n = 0;

	for (; t[n] != '\0'; n++)
		if (t[n] <= ' ' || t[n] > '~')
			return 0;
	return n > 0 && n <= 512;
}

void
hub_slack_result_init(struct hub_slack_result *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

void
hub_slack_result_free(struct hub_slack_result *r)
{
	if (r->resp != NULL)
		json_object_put(r->resp);
	hub_slack_result_init(r);
}

static void
set_error(struct hub_slack_result *r, enum hub_slack_class cls, const char *error)
{
	r->cls = cls;
	snprintf(r->error, sizeof(r->error), "%s", error);
}

/* Error codes from a body are shown to admins: keep [a-z0-9_] only. */
static int
code_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= sizeof(((struct hub_slack_result *)0)->error))
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* response_metadata.messages (Block Kit complaints) or the "needed" scope,
 * joined into detail. */
static void
set_detail(struct hub_slack_result *r)
{
	struct hub_buf d = HUB_BUF_INIT(sizeof(r->detail) - 1);
	json_object *meta, *msgs, *m;
	const char *s;
	size_t i, n;

	if (hub_json_get_string(r->resp, "needed", 200, &s) == HUB_JSON_OK)
		hub_buf_printf(&d, "needed: %s", s);
	if (hub_json_get_object(r->resp, "response_metadata", &meta) == HUB_JSON_OK &&
	    hub_json_get_array(meta, "messages", &msgs) == HUB_JSON_OK) {
		n = json_object_array_length(msgs);
		for (i = 0; i < n; i++) {
			m = json_object_array_get_idx(msgs, i);
			if (!json_object_is_type(m, json_type_string))
				continue;
			if (d.len && hub_buf_adds(&d, "; ") != HUB_BUF_OK)
				break;
			if (hub_buf_adds(&d, json_object_get_string(m)) != HUB_BUF_OK)
				break;
		}
	}
	snprintf(r->detail, sizeof(r->detail), "%s", hub_buf_str(&d));
	hub_buf_release(&d);
}

/* Transport failure: class and our own code. */
static void
transport_error(struct hub_slack_result *r, int herr, const struct hub_httpc_resp *hr)
{
	switch (herr) {
	case HUB_HTTPC_TIMEOUT:
		set_error(r, HUB_SLACK_TRANSIENT, "timeout");
		break;
	case HUB_HTTPC_CONNECT:
		set_error(r, HUB_SLACK_TRANSIENT, "connect");
		break;
	case HUB_HTTPC_BADURL:
		set_error(r, HUB_SLACK_OTHER, "bad_url");
		break;
	case HUB_HTTPC_TOOBIG:
		set_error(r, HUB_SLACK_OTHER, "response_too_big");
		break;
	default:
		set_error(r, HUB_SLACK_TRANSIENT, "transport");
		break;
	}
	/* curl's messages name hosts, never paths: no webhook secret here. */
	snprintf(r->detail, sizeof(r->detail), "%s", hr->error);
}

static void
set_ratelimited(struct hub_slack_result *r, const struct hub_httpc_resp *hr)
{
	r->cls = HUB_SLACK_RATELIMITED;
	/* Slack always sends Retry-After with 429; without one, a minute is
	 * the window every tier is counted in. */
	r->retry_after = hr->retry_after >= 1 ? hr->retry_after : 60;
	if (r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "ratelimited");
}

/* Web API answer: JSON {"ok":...} at any status. */
static void
classify_api(struct hub_slack_result *r, const struct hub_httpc_resp *hr)
{
	const char *err = NULL;
	int ok = 0, parsed;

	r->status = hr->status;
	parsed = hub_json_parse_object(hub_buf_str(&hr->body), hr->body.len, HUB_SLACK_BODY_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &r->resp) == HUB_JSON_OK;
	if (parsed && hub_json_get_string(r->resp, "error", 200, &err) == HUB_JSON_OK &&
	    code_ok(err, strlen(err)))
		snprintf(r->error, sizeof(r->error), "%s", err);
	if (parsed)
		set_detail(r);
	if (hr->status == 429) {
		set_ratelimited(r, hr);
		return;
	}
	if (hr->status >= 500 || hr->status == 408) {
		r->cls = HUB_SLACK_TRANSIENT;
		if (r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "http_%ld", hr->status);
		return;
	}
	if (!parsed || hub_json_get_bool(r->resp, "ok", &ok) != HUB_JSON_OK) {
		if (hr->status == 200)
			set_error(r, HUB_SLACK_TRANSIENT, "invalid_response");
		else if (r->error[0] == '\0') {
			r->cls = HUB_SLACK_OTHER;
			snprintf(r->error, sizeof(r->error), "http_%ld", hr->status);
		} else
			r->cls = hub_slack_classify(r->error);
		return;
	}
	if (ok && hr->status == 200) {
		r->ok = 1;
		r->cls = HUB_SLACK_OK;
		return;
	}
	if (r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "%s", hr->status == 200 ? "unknown_error" :
		    "http_error");
	r->cls = hub_slack_classify(r->error);
	if (r->cls == HUB_SLACK_RATELIMITED)
		r->retry_after = hr->retry_after >= 1 ? hr->retry_after : 60;
}

/* args as application/x-www-form-urlencoded; non-string values go as
 * their JSON text (how Slack takes blocks in a form). */
static int
form_encode(json_object *args, struct hub_buf *out)
{
	const char *v;
	size_t n;

	if (args == NULL)
		return HUB_BUF_OK;
	json_object_object_foreach(args, key, val) {
		if (val == NULL)
			continue;
		if (json_object_is_type(val, json_type_string)) {
			v = json_object_get_string(val);
			n = (size_t)json_object_get_string_len(val);
		} else
			v = hub_json_str(val, &n);
		if ((out->len && hub_buf_addc(out, '&') != HUB_BUF_OK) ||
		    hub_url_encode(key, strlen(key), out) != 0 ||
		    hub_buf_addc(out, '=') != HUB_BUF_OK ||
		    hub_url_encode(v, n, out) != 0)
			return HUB_BUF_TOOBIG;
	}
	return HUB_BUF_OK;
}

/* The headers (hdrs, NULL-ended: the bearer token unless the method
 * authenticates with the client's id, the content type) and the body of
 * a call to m: 0, or -1 with the refusal in r. */
static int
build_request(const struct method *m, const char *token, json_object *args,
    struct hub_buf *auth, struct hub_buf *body, const char *hdrs[3],
    struct hub_slack_result *r)
{
	const char *json;
	size_t n = 0, len;

	if (m->enc != ENC_FORM_CLIENT) {
		if (token == NULL || *token == '\0') {
			set_error(r, HUB_SLACK_AUTH, "not_authed");
			return -1;
		}
		if (!token_ok(token) ||
		    hub_buf_printf(auth, "Authorization: Bearer %s", token) != HUB_BUF_OK) {
			set_error(r, HUB_SLACK_AUTH, "malformed_token");
			return -1;
		}
		hdrs[n++] = auth->data;
	}
	if (m->enc == ENC_JSON) {
		hdrs[n++] = "Content-Type: application/json; charset=utf-8";
		json = args != NULL ? hub_json_str(args, &len) : "{}";
		if (args == NULL)
			len = 2;
		if (hub_buf_add(body, json, len) != HUB_BUF_OK) {
			set_error(r, HUB_SLACK_INVALID, "msg_too_long");
			return -1;
		}
	} else {
		hdrs[n++] = "Content-Type: application/x-www-form-urlencoded";
		if (form_encode(args, body) != HUB_BUF_OK) {
			set_error(r, HUB_SLACK_INVALID, "msg_too_long");
			return -1;
		}
	}
	hdrs[n] = NULL;
	return 0;
}

int
hub_slack_call(struct hub_slack *s, const char *method, const char *token, json_object *args,
    struct hub_slack_result *r)
{
	struct hub_buf url = HUB_BUF_INIT(4096), body = HUB_BUF_INIT(HUB_SLACK_BODY_MAX),
	    auth = HUB_BUF_INIT(600);
	struct hub_httpc_resp hr;
	const char *hdrs[3];
	int herr;

	hub_slack_result_free(r);
	hub_httpc_resp_init(&hr, HUB_SLACK_BODY_MAX);
	if (!method_ok(method)) {
		set_error(r, HUB_SLACK_INVALID, "invalid_method");
		goto out;
	}
	if (build_request(find_method(method), token, args, &auth, &body, hdrs, r) != 0)
		goto out;
	if (hub_buf_printf(&url, "%s%s", s->api_url, method) != HUB_BUF_OK) {
		set_error(r, HUB_SLACK_OTHER, "bad_url");
		goto out;
	}
	herr = hub_httpc_post(s->http, url.data, hdrs, hub_buf_str(&body), body.len,
	    s->timeout_ms > 0 ? s->timeout_ms : HUB_SLACK_TIMEOUT_MS, &hr);
	if (herr != HUB_HTTPC_OK) {
		transport_error(r, herr, &hr);
		goto out;
	}
	classify_api(r, &hr);
out:
	if (r->cls != HUB_SLACK_OK)
		hub_log(r->cls == HUB_SLACK_TRANSIENT || r->cls == HUB_SLACK_RATELIMITED ?
		    HUB_LOG_INFO : HUB_LOG_WARN, "slack_error", "method", method,
		    "class", hub_slack_class_name(r->cls), "error", r->error, NULL);
	/* The header held the token: wipe it before freeing. */
	if (auth.data != NULL)
		memset(auth.data, 0, auth.cap);
	hub_buf_release(&auth);
	hub_buf_release(&url);
	hub_buf_release(&body);
	hub_httpc_resp_free(&hr);
	return r->cls;
}

/* Webhook statuses per Slack's changelog; the body names the error. */
static void
classify_webhook(struct hub_slack_result *r, const struct hub_httpc_resp *hr)
{
	const char *b = hub_buf_str(&hr->body);
	size_t n = hr->body.len;

	r->status = hr->status;
	while (n > 0 && isspace((unsigned char)b[n - 1]))
		n--;
	if (hr->status == 200 && n == 2 && memcmp(b, "ok", 2) == 0) {
		r->ok = 1;
		r->cls = HUB_SLACK_OK;
		return;
	}
	if (code_ok(b, n))
		snprintf(r->error, sizeof(r->error), "%.*s", (int)n, b);
	else
		snprintf(r->error, sizeof(r->error), "http_%ld", hr->status);
	if (hr->status == 429) {
		set_ratelimited(r, hr);
		return;
	}
	if (hr->status >= 500 || hr->status == 408) {
		r->cls = HUB_SLACK_TRANSIENT;
		return;
	}
	if (hr->status == 200) {
		/* 200 with another body: not what a webhook says. */
		set_error(r, HUB_SLACK_TRANSIENT, "invalid_response");
		return;
	}
	r->cls = hub_slack_classify(r->error);
	if (r->cls == HUB_SLACK_OTHER) {
		/* An unknown code: the status decides. */
		switch (hr->status) {
		case 400:
			r->cls = HUB_SLACK_INVALID;
			break;
		case 404:
		case 410:
			r->cls = HUB_SLACK_CHANNEL;
			break;
		default:
			break;
		}
	}
}

int
hub_slack_webhook_post(struct hub_slack *s, const char *url, json_object *body,
    struct hub_slack_result *r)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json; charset=utf-8", NULL };
	struct hub_httpc_resp hr;
	const char *json;
	size_t len = 0;
	int herr;

	hub_slack_result_free(r);
	hub_httpc_resp_init(&hr, 64 * 1024);
	if (url == NULL || body == NULL) {
		set_error(r, HUB_SLACK_INVALID, "invalid_payload");
		goto out;
	}
	json = hub_json_str(body, &len);
	herr = hub_httpc_post(s->http, url, hdrs, json, len,
	    s->timeout_ms > 0 ? s->timeout_ms : HUB_SLACK_TIMEOUT_MS, &hr);
	if (herr != HUB_HTTPC_OK) {
		transport_error(r, herr, &hr);
		goto out;
	}
	classify_webhook(r, &hr);
out:
	if (r->cls != HUB_SLACK_OK)
		hub_log(r->cls == HUB_SLACK_TRANSIENT || r->cls == HUB_SLACK_RATELIMITED ?
		    HUB_LOG_INFO : HUB_LOG_WARN, "slack_webhook_error",
		    "class", hub_slack_class_name(r->cls), "error", r->error, NULL);
	hub_httpc_resp_free(&hr);
	return r->cls;
}

static int
bucket_set(struct hub_ratelimit_bucket *b, int per_minute, int burst, const char *fmt, ...)
    HUB_PRINTF(4, 5);

static int
bucket_set(struct hub_ratelimit_bucket *b, int per_minute, int burst, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->key, sizeof(b->key), fmt, ap);
	va_end(ap);
	b->per_minute = per_minute;
	b->burst = burst;
	return n > 0 && (size_t)n < sizeof(b->key);
}

size_t
hub_slack_method_bucket(const char *method, const char *team, const char *channel,
    int workspace_cap, struct hub_ratelimit_bucket *out, size_t max)
{
	const struct method *m = find_method(method);
	size_t n = 0;

	if (m->tier == TIER_NONE || team == NULL || *team == '\0')
		return 0;
	if (workspace_cap <= 0)
		workspace_cap = HUB_RATELIMIT_WORKSPACE_CAP;
	if (m->tier == TIER_POST) {
		if (channel != NULL && *channel != '\0' && n < max) {
			if (!bucket_set(&out[n], tier_per_minute[TIER_POST], tier_burst[TIER_POST],
			    "%s:%s:%s", team, method, channel))
				return 0;
			n++;
		}
		if (n < max) {
			/* A tenth of the minute's budget at once at most. */
			if (!bucket_set(&out[n], workspace_cap,
			    workspace_cap / 10 > 1 ? workspace_cap / 10 : 1, "%s:%s", team, method))
				return 0;
			n++;
		}
		return n;
	}
	if (max < 1 || !bucket_set(&out[0], tier_per_minute[m->tier], tier_burst[m->tier],
	    "%s:%s", team, method))
		return 0;
	return 1;
}

void
hub_slack_webhook_bucket(const char *connection_id, struct hub_ratelimit_bucket *out)
{
	/* Slack: one message a second per incoming webhook, no bursts. */
	if (!bucket_set(out, 60, 1, "webhook:%s", connection_id))
		out->key[0] = '\0';
}

/* The shared buckets a call of method counts against (chat.postMessage
 * also against the workspace's own cap). */
static size_t
method_buckets(struct hub_db *db, const char *team, const char *method, const char *channel,
    struct hub_ratelimit_bucket *b, size_t max)
{
	return hub_slack_method_bucket(method, team, channel,
	    strcmp(method, "chat.postMessage") == 0 ? hub_ratelimit_workspace_cap(db) : 0,
	    b, max);
}

int
hub_slack_take_token(struct hub_db *db, struct hub_slack *s, const char *team,
    const char *method, const char *channel, struct hub_slack_result *r)
{
	struct hub_ratelimit_bucket b[2];
	size_t n;
	long wait_ms = 0;

	hub_slack_result_free(r);
	s->taken = NULL;
	n = method_buckets(db, team, method, channel, b, HUB_NELEM(b));
	if (hub_ratelimit_acquire_all(db, b, n, &wait_ms) == HUB_RATELIMIT_WAIT) {
		set_error(r, HUB_SLACK_RATELIMITED, "local_ratelimit");
		r->wait_ms = wait_ms;
		return r->cls;
	}
	s->taken = method;
	return HUB_SLACK_OK;
}

int
hub_slack_call_limited(struct hub_db *db, struct hub_slack *s, const char *team,
    const char *method, const char *channel, const char *token, json_object *args,
    struct hub_slack_result *r)
{
	struct hub_ratelimit_bucket b[2];
	size_t n, i;
	long wait_ms = 0;

	hub_slack_result_free(r);
	n = method_buckets(db, team, method, channel, b, HUB_NELEM(b));
	if (s->taken != NULL && strcmp(s->taken, method) == 0)
		s->taken = NULL;	/* hub_slack_take_token took them */
	else if (hub_ratelimit_acquire_all(db, b, n, &wait_ms) == HUB_RATELIMIT_WAIT) {
		set_error(r, HUB_SLACK_RATELIMITED, "local_ratelimit");
		r->wait_ms = wait_ms;
		return r->cls;
	}
	/* A database failure must not stop delivery: Slack's own 429 still
	 * protects the workspace. */
	hub_slack_call(s, method, token, args, r);
	if (r->cls == HUB_SLACK_RATELIMITED && r->status == 429)
		/* Which of the buckets Slack counted is unknown: block them all
		 * (a channel's Retry-After is about a second). */
		for (i = 0; i < n; i++)
			hub_ratelimit_penalize(db, b[i].key, r->retry_after);
	return r->cls;
}
