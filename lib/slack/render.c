/*
 * render.c - the wording and layout of every notification (render.h).
 *
 * One table row per kind says what the message is made of (parts) and how
 * it is worded (title, intro, email subject, each with fallbacks); one
 * builder per output walks the same gathered pieces: Block Kit through
 * blockkit.h (which cuts texts to Slack's limits), the fallback text as
 * mrkdwn with a code-point budget, the email text as plain text and the
 * email HTML through templates/email.html (escaping by default).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "base/buf.h"
#include "base/esc.h"
#include "approval/intake.h"
#include "approval/metadisplay.h"
#include "base/json.h"
#include "approval/engine.h"
#include "slack/render.h"
#include "base/tmpl.h"

#define BIGBUF		(1024 * 1024)	/* any one assembled text */
#define SMALLBUF	(16 * 1024)
#define SUBJECT_MAX	200		/* email subject, characters */
#define EMAIL_FIELD_MAX	2000		/* one metadata value in email */
#define EMAIL_JUST_MAX	10000		/* justification in email */
#define TEXT_JUST_MAX	500		/* justification in the fallback text */
#define FIELDS_PER_SECTION HUB_BK_MAX_FIELDS

/* ------------------------------------------------------------ tables */

/* What a message is made of, in this order. */
enum {
	P_DETAILS	= 1u << 0,	/* requested by, source, step, deadline */
	P_FIELDS	= 1u << 1,	/* metadata display rows */
	P_JUST		= 1u << 2,	/* justification */
	P_AI		= 1u << 3,	/* AI summary and risk */
	P_DELEGATE	= 1u << 4,	/* "Delegating for: X" */
	P_DECIDE	= 1u << 5,	/* approve / reject (+ edit, snooze) */
	P_LINKS		= 1u << 6,	/* decide buttons are always URLs */
	P_OUTCOME	= 1u << 7,	/* outcome, decided by, when, reason */
	P_REASON	= 1u << 8,	/* ctx.reason as its own section */
	P_VIEW		= 1u << 9,	/* View button */
};

#define P_CALL	(P_DETAILS | P_FIELDS | P_JUST | P_AI | P_DELEGATE | \
		 P_DECIDE | P_VIEW)

/* Wordings tried in order; the first whose placeholders all have values
 * wins; the last of each has none, so something always reads well. */
struct wording {
	const char	*w[3];
};

struct kind_row {
	const char	*name;		/* delivery_log kind (approver_rows: only
					   the templates key) */
	struct wording	 title;		/* header, email heading */
	struct wording	 intro;		/* first line */
	struct wording	 subject;	/* email subject */
	const char	*button;	/* email's main button */
	unsigned	 parts;
};

static const struct kind_row kinds[HUB_RENDER_KIND__MAX] = {
	[HUB_RENDER_CALL_FOR_ACTION] = { "call_for_action",
	    { { "{{title}}", "Approval request" } },
	    { { "{{requester_name}} asks for your approval.",
		"You are asked to approve this request." } },
	    { { "Approval needed: {{title}}", "Approval needed" } },
	    "Review and decide", P_CALL },
	[HUB_RENDER_INFO] = { "info",
	    { { "{{title}}", "Approval request" } },
	    { { "For your information: {{requester_name}} submitted this "
		"request. No action is needed from you.",
		"For your information. No action is needed from you." } },
	    { { "FYI: {{title}}", "For your information" } },
	    "View request", P_DETAILS | P_FIELDS | P_JUST | P_AI | P_VIEW },
	[HUB_RENDER_DELEGATE_CALL] = { "delegate_call",
	    { { "{{title}}", "Approval request" } },
	    { { "{{requester_name}} asks {{delegate_for}} for approval; you "
		"decide as their delegate.",
		"You are asked to approve this request as a delegate." } },
	    { { "Approval needed (delegate for {{delegate_for}}): {{title}}",
		"Approval needed: {{title}}", "Approval needed" } },
	    "Review and decide", P_CALL },
	[HUB_RENDER_EXTERNAL_APPROVER] = { "external_approver",
	    { { "{{title}}", "Approval request" } },
	    { { "{{requester_name}} asks for your approval. Open the decision "
		"page to approve or reject.",
		"You are asked to approve this request. Open the decision "
		"page to approve or reject." } },
	    { { "Approval needed: {{title}}", "Approval needed" } },
	    "Review and decide", P_CALL | P_LINKS },
	[HUB_RENDER_REMINDER] = { "reminder",
	    { { "⏰ Reminder: {{title}}", "⏰ Reminder: approval request" } },
	    { { "The request from {{requester_name}} is still waiting for "
		"your decision.",
		"A request is still waiting for your decision." } },
	    { { "Reminder: {{title}}", "Reminder: approval needed" } },
	    "Review and decide", P_CALL },
	[HUB_RENDER_MANUAL_REMINDER] = { "manual_reminder",
	    { { "⏰ Reminder: {{title}}", "⏰ Reminder: approval request" } },
	    { { "{{actor}} reminds you that the request from "
		"{{requester_name}} is waiting for your decision.",
		"The request from {{requester_name}} is waiting for your "
		"decision.",
		"A request is waiting for your decision." } },
	    { { "Reminder from {{actor}}: {{title}}", "Reminder: {{title}}",
		"Reminder: approval needed" } },
	    "Review and decide", P_CALL },
	[HUB_RENDER_DECISION] = { "decision",
	    { { "{{outcome_emoji}} {{status}}: {{title}}",
		"Your request was decided" } },
	    { { "Your request was {{outcome}} by {{decided_by}}.",
		"Your request was {{outcome}}.",
		"Your request was decided." } },
	    { { "Your request was {{outcome}}: {{title}}",
		"Your request was {{outcome}}", "Your request was decided" } },
	    "View request", P_OUTCOME | P_VIEW },
	[HUB_RENDER_WATCHER] = { "watcher",
	    { { "{{outcome_emoji}} {{status}}: {{title}}",
		"A request you watch is complete" } },
	    { { "The request from {{requester_name}} was {{outcome}} by "
		"{{decided_by}}.",
		"The request from {{requester_name}} was {{outcome}}.",
		"A request you watch is complete." } },
	    { { "{{status}}: {{title}}", "A request you watch is complete" } },
	    "View request", P_OUTCOME | P_DETAILS | P_FIELDS | P_VIEW },
	[HUB_RENDER_APPROVER_ADDED] = { "approver_added",
	    { { "{{title}}", "Approval request" } },
	    { { "{{actor}} added you as an approver. {{requester_name}} asks "
		"for your approval.",
		"You were added as an approver. {{requester_name}} asks for "
		"your approval.",
		"You were added as an approver of this request." } },
	    { { "You were added as an approver: {{title}}",
		"You were added as an approver" } },
	    "Review and decide", P_CALL },
	[HUB_RENDER_APPROVER_REMOVED] = { "approver_removed",
	    { { "{{title}}", "Approval request" } },
	    { { "{{actor}} removed you as an approver of this request. No "
		"action is needed from you.",
		"You were removed as an approver of this request. No action "
		"is needed from you." } },
	    { { "You were removed as an approver: {{title}}",
		"You were removed as an approver" } },
	    "View request", P_DETAILS | P_REASON | P_VIEW },
	[HUB_RENDER_DEADLINE_EXPIRED] = { "deadline_expired",
	    { { "⌛ Expired: {{title}}", "⌛ Request expired" } },
	    { { "Your request expired on {{deadline}} before a decision was "
		"made.",
		"Your request expired before a decision was made." } },
	    { { "Your request expired: {{title}}", "Your request expired" } },
	    "View request", P_OUTCOME | P_DETAILS | P_VIEW },
};

/* A request-level kind worded for the approvers it also reaches
 * (ctx.audience "approver"): they never read the requester's "Your
 * request".  The delivery_log kind stays the kind's own. */
static const struct approver_row {
	enum hub_render_kind	 kind;
	struct kind_row		 row;
} approver_rows[] = {
	{ HUB_RENDER_DEADLINE_EXPIRED, { "deadline_expired_approver",
	    { { "⌛ Expired: {{title}}", "⌛ Request expired" } },
	    { { "The request from {{requester_name}} expired on {{deadline}} "
		"before a decision; no action needed.",
		"The request from {{requester_name}} expired before a "
		"decision; no action needed.",
		"This request expired before a decision; no action needed." } },
	    { { "Expired, no action needed: {{title}}",
		"A request expired; no action needed" } },
	    "View request", P_OUTCOME | P_DETAILS | P_VIEW } },
};

static const char *const sync_names[HUB_SYNC__MAX] = {
	[HUB_SYNC_DECIDED] = "decided",
	[HUB_SYNC_NO_ACTION] = "no_action",
	[HUB_SYNC_PROGRESS] = "progress",
	[HUB_SYNC_CANCELLED] = "cancelled",
	[HUB_SYNC_EXPIRED] = "expired",
	[HUB_SYNC_REASSIGNED] = "reassigned",
};

/* A sent copy keeps its layout; the status line replaces the intro and a
 * closed copy loses its whole actions block (the dashboard link moves to
 * the footer). */
static const struct sync_row {
	unsigned	 drop;		/* parts removed from the original */
} syncs[HUB_SYNC__MAX] = {
	[HUB_SYNC_DECIDED] = { P_DECIDE | P_VIEW },
	[HUB_SYNC_NO_ACTION] = { P_DECIDE | P_VIEW },
	[HUB_SYNC_PROGRESS] = { 0 },
	[HUB_SYNC_CANCELLED] = { P_DECIDE | P_VIEW },
	[HUB_SYNC_EXPIRED] = { P_DECIDE | P_VIEW },
	[HUB_SYNC_REASSIGNED] = { P_DECIDE | P_VIEW },
};

/* Request and assignment outcomes: status -> emoji and words. */
static const struct outcome {
	const char	*status;	/* request status or assignment status */
	const char	*emoji;
	const char	*word;		/* "approved" */
	const char	*title;		/* "Approved" */
} outcomes[] = {
	{ "Approved", "✅", "approved", "Approved" },
	{ "Rejected", "❌", "rejected", "Rejected" },
	{ "Cancelled", "🚫", "cancelled", "Cancelled" },
	{ "Expired", "⌛", "expired", "Expired" },
	{ "Lapsed", "⌛", "lapsed", "Lapsed" },
	{ "Pending", "⏳", "pending", "Pending" },
	{ "approved", "✅", "approved", "Approved" },
	{ "rejected", "❌", "rejected", "Rejected" },
	{ "skipped", "➖", "skipped", "Skipped" },
	{ "reassigned", "↪️", "reassigned", "Reassigned" },
	{ "pending", "⏳", "pending", "Pending" },
};

/* Risk bands, by lower bound, highest first. */
static const struct band {
	int		 min;
	const char	*emoji;
	const char	*word;
	const char	*color;		/* email */
} bands[] = {
	{ 7, "🔴", "high", "#b42318" },
	{ 4, "🟡", "medium", "#b54708" },
	{ 0, "🟢", "low", "#067647" },
};

/* What people read for a risk flag (approval/engine.h HUB_ENGINE_FLAG_*). */
/* The AI status line when there is no analysis to show. */
static const struct { const char *status, *words; } ai_words[] = {
	{ "pending", "AI analysis pending" },
	{ "failed", "AI analysis failed" },
	{ "off", "AI analysis off" },
};

/* Snooze choices of the overflow menu (values the interaction reads). */
static const struct hub_bk_option snooze_options[] = {
	{ "1 hour", "1h", NULL, NULL },
	{ "Tomorrow 9:00", "tomorrow", NULL, NULL },
};

/* Placeholders: name -> where in the context, and how to show it. */
enum vfmt { V_STR, V_TIME, V_NUM, V_OUTCOME, V_OUTCOME_EMOJI };

static const struct var {
	const char	*name;
	const char	*obj;		/* NULL = top level */
	const char	*key;
	enum vfmt	 fmt;
} vars[] = {
	{ "id", "request", "id", V_STR },
	{ "title", "request", "title", V_STR },
	{ "status", "request", "status", V_STR },
	{ "source", "request", "source", V_STR },
	{ "preset", "request", "preset", V_STR },
	{ "requester_name", "request", "requester_name", V_STR },
	{ "requester", "request", "requester_name", V_STR },
	{ "requester_email", "request", "requester_email", V_STR },
	{ "justification", "request", "justification", V_STR },
	{ "deadline", "request", "deadline", V_TIME },
	{ "created_at", "request", "created_at", V_TIME },
	{ "decided_by", "request", "decided_by", V_STR },
	{ "decided_at", "request", "decided_at", V_TIME },
	{ "decision_comment", "request", "decision_comment", V_STR },
	{ "comment", "request", "decision_comment", V_STR },
	{ "ai_summary", "request", "ai_summary", V_STR },
	{ "risk_score", "request", "risk_score", V_NUM },
	{ "current_step", "request", "current_step", V_NUM },
	{ "step_count", "request", "step_count", V_NUM },
	{ "approver", "assignment", "display", V_STR },
	{ "delegate_for", "assignment", "delegate_for", V_STR },
	{ "actor", NULL, "actor_display", V_STR },
	{ "actor_display", NULL, "actor_display", V_STR },
	{ "reason", NULL, "reason", V_STR },
	{ "outcome", "request", "status", V_OUTCOME },
	{ "outcome_emoji", "request", "status", V_OUTCOME_EMOJI },
};

/* ------------------------------------------------------------ small helpers */

static int
buf_err(int rc)
{
	return rc == HUB_BUF_OK ? HUB_RENDER_OK : HUB_RENDER_NOMEM;
}

static int
bk_err(int rc)
{
	if (rc == HUB_BK_OK)
		return HUB_RENDER_OK;
	return rc == HUB_BK_NOMEM ? HUB_RENDER_NOMEM : HUB_RENDER_FAILED;
}

static json_object *
child(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* A non-empty string (or a number, shown as text); NULL otherwise. */
static const char *
str(json_object *o, const char *key)
{
	json_object *v = child(o, key);
	const char *s;

	if (v == NULL || !(json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_int)))
		return NULL;
	s = json_object_get_string(v);
	return s != NULL && *s != '\0' ? s : NULL;
}

/* 1 and *out when key holds an integer (a whole double counts). */
static int
num(json_object *o, const char *key, long long *out)
{
	json_object *v = child(o, key);
	double d;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = (long long)json_object_get_int64(v);
		return 1;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (d >= -1e15 && d <= 1e15 && d == (double)(long long)d) {
			*out = (long long)d;
			return 1;
		}
	}
	return 0;
}

static const struct outcome *
outcome_of(const char *status)
{
	size_t i;

	for (i = 0; status != NULL && i < HUB_NELEM(outcomes); i++)
		if (strcmp(outcomes[i].status, status) == 0)
			return &outcomes[i];
	return NULL;
}

static const struct band *
band_of(long long score)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(bands); i++)
		if (score >= bands[i].min)
			return &bands[i];
	return &bands[HUB_NELEM(bands) - 1];
}

/* http(s) URL usable in a button, an href and a mrkdwn link. */
static int
url_ok(const char *u)
{
	const unsigned char *p;

	if (u == NULL || (strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://", 7) != 0) || strlen(u) > HUB_BK_MAX_URL)
		return 0;
	for (p = (const unsigned char *)u; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == '|' || *p == '"' || *p == '\'' || *p == '\\')
			return 0;
	return u[strchr(u, ':') - u + 3] != '\0';
}

static int
slack_id_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' &&
		    s[n] <= '9')))
			return 0;
	return n > 0 && n <= 32;
}

/* mrkdwn-escaped (md) or as is. */
static int
put_user(struct hub_buf *b, int md, const char *s)
{
	if (md)
		return hub_mrkdwn_escape(b, s) == HUB_BK_OK ? HUB_RENDER_OK :
		    HUB_RENDER_NOMEM;
	return buf_err(hub_buf_adds(b, s));
}

/* *s* in mrkdwn (s escaped), s in plain text. */
static int
put_bold(struct hub_buf *b, int md, const char *s)
{
	int rc;

	if (!md)
		return buf_err(hub_buf_adds(b, s));
	if ((rc = buf_err(hub_buf_addc(b, '*'))) != 0 ||
	    (rc = put_user(b, 1, s)) != 0)
		return rc;
	return buf_err(hub_buf_addc(b, '*'));
}

/* ------------------------------------------------------------ time */

static int
digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

static int
parse_iso(const char *s, long long *epoch)
{
	struct tm tm;
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	time_t t;

	if (s == NULL || digits(&p, 4, &y) || *p++ != '-' ||
	    digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.')
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (*p >= '0' && *p <= '9' && digits(&p, 2, &om))
				return -1;
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*epoch = (long long)t - sign * (oh * 3600LL + om * 60LL);
	return 0;
}

int
hub_render_format_time(const char *iso, char *out, size_t outlen,
    long long *epoch)
{
	struct tm tm;
	long long e;
	time_t t;

	if (out == NULL || outlen == 0 || parse_iso(iso, &e) != 0)
		return -1;
	t = (time_t)e;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%a %d %b %H:%M UTC", &tm) == 0)
		return -1;
	if (epoch != NULL)
		*epoch = e;
	return 0;
}

/* A time for people: Slack's date token (their time zone, with our text
 * as its fallback) in mrkdwn, the UTC text elsewhere; unparsable text is
 * shown as given. */
static int
put_time(struct hub_buf *b, int md, const char *iso)
{
	char when[64];
	long long e;

	if (hub_render_format_time(iso, when, sizeof(when), &e) != 0)
		return put_user(b, md, iso);
	if (!md)
		return buf_err(hub_buf_adds(b, when));
	return buf_err(hub_buf_printf(b,
	    "<!date^%lld^{date_short_pretty} {time}|%s>", e, when));
}

/* ------------------------------------------------------------ state */

struct rctx {
	json_object		*ctx, *req, *step, *asg, *links;
	const char		*id;
	enum hub_render_mode	 mode;
	const struct kind_row	*row;
	enum hub_render_kind	 kind;
	const char		*kindkey;	/* templates.<kindkey> */
	unsigned		 parts;
	int			 sync;		/* -1: a notification */
	json_object		*fields;	/* metadata display rows */
	struct hub_buf		 title, intro, subject;
	struct hub_buf		 status_md, status_txt;	/* sync line */
	struct hub_buf		 progress_md, progress_txt;
	char			*value;		/* button value JSON */
	json_object		*mention0;	/* first mention batch or NULL */
};

static void
rctx_release(struct rctx *r)
{
	json_object_put(r->fields);
	json_object_put(r->mention0);
	hub_buf_release(&r->title);
	hub_buf_release(&r->intro);
	hub_buf_release(&r->subject);
	hub_buf_release(&r->status_md);
	hub_buf_release(&r->status_txt);
	hub_buf_release(&r->progress_md);
	hub_buf_release(&r->progress_txt);
	free(r->value);
}

/* ------------------------------------------------------------ wording */

/* Display form of metadata key k (preset formatting: money with its
 * currency, percentages, ranges) into b; -1 when absent. */
static int
meta_value(struct rctx *r, const char *k, struct hub_buf *b)
{
	json_object *meta = child(r->req, "metadata"), *v, *one = NULL,
	    *rows = NULL, *cur;
	const char *s;
	int rc = -1;

	if ((v = child(meta, k)) == NULL || json_object_is_type(v,
	    json_type_null))
		return -1;
	if ((one = json_object_new_object()) == NULL)
		return -2;
	json_object_object_add(one, k, json_object_get(v));
	/* with the currency folded in when the preset does that */
	cur = child(meta, "currency");
	if (cur != NULL && strcmp(k, "currency") != 0) {
		json_object_object_add(one, "currency", json_object_get(cur));
		if (hub_metadisplay_fields(str(r->req, "preset"), one,
		    &rows) == HUB_INTAKE_OK && json_object_array_length(rows)
		    != 1) {
			json_object_put(rows);
			rows = NULL;
		}
		json_object_object_del(one, "currency");
	}
	if (rows == NULL && hub_metadisplay_fields(str(r->req, "preset"),
	    one, &rows) != HUB_INTAKE_OK)
		goto out;
	if (json_object_array_length(rows) < 1 ||
	    (s = str(json_object_array_get_idx(rows, 0), "value")) == NULL)
		goto out;
	rc = hub_buf_adds(b, s) == HUB_BUF_OK ? 0 : -2;
out:
	json_object_put(rows);
	json_object_put(one);
	return rc;
}

/* Value of placeholder name into b: 0, -1 missing, -2 no memory. */
static int
var_value(struct rctx *r, const char *name, struct hub_buf *b)
{
	const struct outcome *o;
	const struct var *v = NULL;
	json_object *obj;
	const char *s;
	long long n;
	char when[64];
	size_t i;

	for (i = 0; i < HUB_NELEM(vars); i++)
		if (strcmp(vars[i].name, name) == 0)
			v = &vars[i];
	if (v == NULL)
		return meta_value(r, strncmp(name, "metadata.", 9) == 0 ?
		    name + 9 : name, b);
	obj = v->obj == NULL ? r->ctx : child(r->ctx, v->obj);
	switch (v->fmt) {
	case V_NUM:
		if (!num(obj, v->key, &n))
			return -1;
		return hub_buf_printf(b, "%lld", n) == HUB_BUF_OK ? 0 : -2;
	case V_TIME:
		if ((s = str(obj, v->key)) == NULL)
			return -1;
		if (hub_render_format_time(s, when, sizeof(when), NULL) == 0)
			s = when;
		break;
	case V_OUTCOME:
	case V_OUTCOME_EMOJI:
		if ((o = outcome_of(str(obj, v->key))) == NULL)
			return -1;
		s = v->fmt == V_OUTCOME ? o->word : o->emoji;
		break;
	default:
		if ((s = str(obj, v->key)) == NULL)
			return -1;
		break;
	}
	return hub_buf_adds(b, s) == HUB_BUF_OK ? 0 : -2;
}

/* Fill the {{name}} placeholders of t into out (plain text): 0, -1 when
 * one has no value or the template is malformed, -2 no memory.  On -1/-2
 * out is left as it was. */
static int
fill(struct rctx *r, const char *t, struct hub_buf *out)
{
	struct hub_buf val = HUB_BUF_INIT(BIGBUF);
	char name[128];
	const char *p = t, *open, *close, *a, *z;
	size_t start = out->len, n;
	int rc = 0;

	while ((open = strstr(p, "{{")) != NULL) {
		if (hub_buf_add(out, p, (size_t)(open - p)) != HUB_BUF_OK) {
			rc = -2;
			goto out;
		}
		if ((close = strstr(open + 2, "}}")) == NULL) {
			rc = -1;
			goto out;
		}
		for (a = open + 2; *a == ' '; a++)
			;
		for (z = close; z > a && z[-1] == ' '; z--)
			;
		n = (size_t)(z - a);
		if (n == 0 || n >= sizeof(name) || strspn(a,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.-") < n) {
			rc = -1;
			goto out;
		}
		memcpy(name, a, n);
		name[n] = '\0';
		hub_buf_reset(&val);
		if ((rc = var_value(r, name, &val)) != 0)
			goto out;
		if (hub_buf_add(out, val.data, val.len) != HUB_BUF_OK) {
			rc = -2;
			goto out;
		}
		p = close + 2;
	}
	if (hub_buf_adds(out, p) != HUB_BUF_OK)
		rc = -2;
out:
	if (rc != 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	hub_buf_release(&val);
	return rc;
}

/* The source's wording for part (templates.<kind>.<part>), then ours. */
static int
word(struct rctx *r, const char *part, const struct wording *w,
    struct hub_buf *out)
{
	const char *t;
	size_t i;
	int rc;

	t = str(child(child(r->ctx, "templates"), r->kindkey), part);
	if (t != NULL) {
		if ((rc = fill(r, t, out)) == -2)
			return HUB_RENDER_NOMEM;
		if (rc == 0 && out->len > 0)
			return HUB_RENDER_OK;
		hub_buf_reset(out);
	}
	for (i = 0; i < HUB_NELEM(w->w) && w->w[i] != NULL; i++) {
		if ((rc = fill(r, w->w[i], out)) == 0 && out->len > 0)
			return HUB_RENDER_OK;
		if (rc == -2)
			return HUB_RENDER_NOMEM;
	}
	return HUB_RENDER_FAILED;	/* a row without a fixed wording */
}

/* ------------------------------------------------------------ pieces */

/* "Step 1 of 2 · any of 3" / "all of 3" / "quorum 2 of 3". */
static int
put_step(struct rctx *r, struct hub_buf *b)
{
	const char *rule = str(r->step, "rule");
	long long pos = 0, count = 0, total = 0, q = 0;
	int rc = HUB_RENDER_OK;

	if (!num(r->step, "position", &pos))
		num(r->req, "current_step", &pos);
	num(r->req, "step_count", &count);
	num(r->step, "total", &total);
	if (pos > 0 && count > 0)
		rc = buf_err(hub_buf_printf(b, "Step %lld of %lld", pos, count));
	else if (pos > 0)
		rc = buf_err(hub_buf_printf(b, "Step %lld", pos));
	if (rc != 0 || rule == NULL)
		return rc;
	if (b->len > 0 && (rc = buf_err(hub_buf_adds(b, " · "))) != 0)
		return rc;
	if (strcmp(rule, "quorum") == 0 && num(r->step, "quorum", &q))
		rc = buf_err(total > 0 ? hub_buf_printf(b, "quorum %lld of %lld",
		    q, total) : hub_buf_printf(b, "quorum %lld", q));
	else if (strcmp(rule, "any") == 0 || strcmp(rule, "all") == 0)
		rc = buf_err(total > 0 ? hub_buf_printf(b, "%s of %lld", rule,
		    total) : hub_buf_adds(b, rule));
	return rc;
}

/* Requester: a mention when the Slack id is known (mrkdwn), else the name. */
static int
put_requester(struct rctx *r, struct hub_buf *b, int md)
{
	const char *id = str(r->req, "requester_slack_id");
	const char *name = str(r->req, "requester_name");

	if (md && slack_id_ok(id))
		return hub_mrkdwn_mention(b, id) == HUB_BK_OK ? HUB_RENDER_OK :
		    HUB_RENDER_NOMEM;
	return put_user(b, md, name != NULL ? name : "Unknown requester");
}

/* Detail rows: label and value (mrkdwn or plain).  Calls fn per row. */
typedef int (*row_fn)(void *arg, const char *label, const char *value,
    const char *url);

enum { D_REQUESTER, D_SOURCE, D_STEP, D_DEADLINE, D__MAX };

static const char *const detail_labels[D__MAX] = {
	"Requested by", "Source", "Approvers", "Deadline",
};

static int
detail_rows(struct rctx *r, int md, row_fn fn, void *arg)
{
	struct hub_buf v = HUB_BUF_INIT(SMALLBUF);
	const char *s;
	int d, rc = HUB_RENDER_OK;

	for (d = 0; d < D__MAX && rc == HUB_RENDER_OK; d++) {
		hub_buf_reset(&v);
		switch (d) {
		case D_REQUESTER:
			rc = put_requester(r, &v, md);
			break;
		case D_SOURCE:
			if ((s = str(r->req, "source")) != NULL)
				rc = put_user(&v, md, s);
			break;
		case D_STEP:
			s = str(r->req, "status");
			if (s == NULL || strcmp(s, "Pending") == 0)
				rc = put_step(r, &v);
			break;
		default:
			if ((s = str(r->req, "deadline")) != NULL)
				rc = put_time(&v, md, s);
			break;
		}
		if (rc == HUB_RENDER_OK && v.len > 0)
			rc = fn(arg, detail_labels[d], hub_buf_str(&v), NULL);
	}
	hub_buf_release(&v);
	return rc;
}

/* Outcome rows of a finished request: Outcome, Decided by, When, Reason. */
static const char *
reason_of(struct rctx *r)
{
	const char *s = str(r->req, "decision_comment"), *st;

	if (s != NULL)
		return s;
	/* a notify job's reason may be just the final status: not a reason */
	s = str(r->ctx, "reason");
	st = str(r->req, "status");
	return s != NULL && st != NULL && strcasecmp(s, st) == 0 ? NULL : s;
}

static int
outcome_rows(struct rctx *r, int md, row_fn fn, void *arg)
{
	struct hub_buf v = HUB_BUF_INIT(SMALLBUF);
	const struct outcome *o = outcome_of(str(r->req, "status"));
	const char *by = str(r->req, "decided_by"), *at;
	int rc = HUB_RENDER_OK;

	if (by == NULL)
		by = str(r->ctx, "actor_display");
	at = str(r->req, "decided_at");
	if (o != NULL && (rc = buf_err(hub_buf_printf(&v, "%s %s", o->emoji,
	    o->title))) == 0)
		rc = fn(arg, "Outcome", hub_buf_str(&v), NULL);
	if (rc == 0 && by != NULL) {
		hub_buf_reset(&v);
		if ((rc = put_user(&v, md, by)) == 0)
			rc = fn(arg, "Decided by", hub_buf_str(&v), NULL);
	}
	if (rc == 0 && at != NULL) {
		hub_buf_reset(&v);
		if ((rc = put_time(&v, md, at)) == 0)
			rc = fn(arg, "When", hub_buf_str(&v), NULL);
	}
	hub_buf_release(&v);
	return rc;
}

/* "7/10 — high" (with the band's emoji in front when emoji). */
static int
put_risk(struct rctx *r, struct hub_buf *b, int emoji, const struct band **bp)
{
	const struct band *bd;
	long long score;
	const char *st = str(r->req, "ai_status");

	/* only a finished analysis has a score (never a made-up 0) */
	if ((st != NULL && strcmp(st, "done") != 0) ||
	    !num(r->req, "risk_score", &score) || score < 0 || score > 10)
		return -1;
	bd = band_of(score);
	if (bp != NULL)
		*bp = bd;
	return buf_err(hub_buf_printf(b, "%s%sRisk: %lld/10 — %s",
	    emoji ? bd->emoji : "", emoji ? " " : "", score, bd->word));
}

/* "AI analysis pending" (failed, off) when the request has no analysis
 * to show; nothing (-1) when it has one or says nothing about it. */
static const char *
ai_status_words(struct rctx *r)
{
	const char *st = str(r->req, "ai_status");
	size_t i;

	for (i = 0; st != NULL && i < HUB_NELEM(ai_words); i++)
		if (strcmp(st, ai_words[i].status) == 0)
			return ai_words[i].words;
	return NULL;
}

/* "Flags: likely duplicate · submitted outside working hours"; nothing
 * without flags.  Unknown flags are shown as they are (escaped). */
#define FLAGS_MAX	10	/* flags a card names at most */

static int
put_flags(struct rctx *r, struct hub_buf *b, int md)
{
	json_object *fl = child(r->req, "risk_flags"), *x;
	const char *f, *w;
	size_t i, n, shown = 0;
	int rc;

	if (fl == NULL || !json_object_is_type(fl, json_type_array) ||
	    (n = json_object_array_length(fl)) == 0)
		return HUB_RENDER_OK;
	if ((rc = buf_err(hub_buf_adds(b, md ? "⚠️ *Flags:* " : "Flags: "))) != 0)
		return rc;
	for (i = 0; i < n && i < FLAGS_MAX; i++) {
		x = json_object_array_get_idx(fl, i);
		if (!json_object_is_type(x, json_type_string))
			continue;
		f = json_object_get_string(x);
		w = hub_engine_flag_words(f, 0);
		if ((shown++ && (rc = buf_err(hub_buf_adds(b, " · "))) != 0) ||
		    (rc = put_user(b, md, w)) != 0)
			return rc;
	}
	return HUB_RENDER_OK;
}

/* The AI block of a message: the summary and the score, or the analysis'
 * status; the flags beside it. */
static int
put_ai_section(struct rctx *r, struct hub_buf *b)
{
	const char *ai = str(r->req, "ai_summary"), *st = ai_status_words(r);
	int rc;

	if (st == NULL && ai != NULL &&
	    ((rc = buf_err(hub_buf_adds(b, "*AI summary*\n"))) != 0 ||
	    (rc = put_user(b, 1, ai)) != 0 ||
	    (rc = buf_err(hub_buf_addc(b, '\n'))) != 0))
		return rc;
	if (st != NULL && (rc = buf_err(hub_buf_printf(b, "_%s_\n", st))) != 0)
		return rc;
	if (put_risk(r, b, 1, NULL) > 0)
		return HUB_RENDER_NOMEM;
	if (b->len > 0 && b->data[b->len - 1] != '\n' && child(r->req, "risk_flags") != NULL &&
	    json_object_array_length(child(r->req, "risk_flags")) > 0 &&
	    (rc = buf_err(hub_buf_addc(b, '\n'))) != 0)
		return rc;
	return put_flags(r, b, 1);
}

/* Status line of a sync copy, mrkdwn or plain. */
static int
status_line(struct rctx *r, int md, struct hub_buf *b)
{
	const struct outcome *o, *ro;
	const char *who, *why, *at, *astatus, *rstatus;
	int rc = HUB_RENDER_OK;

	astatus = str(r->asg, "status");
	rstatus = str(r->req, "status");
	ro = outcome_of(rstatus);
	why = str(r->ctx, "reason");
	switch (r->sync) {
	case HUB_SYNC_DECIDED:
		o = outcome_of(astatus);
		if (o == NULL || (strcmp(o->word, "approved") != 0 &&
		    strcmp(o->word, "rejected") != 0))
			o = ro != NULL && strcmp(ro->word, "rejected") == 0 ?
			    ro : &outcomes[0];
		if ((who = str(r->asg, "decided_by")) == NULL &&
		    (who = str(r->ctx, "actor_display")) == NULL)
			who = str(r->req, "decided_by");
		if ((at = str(r->asg, "decided_at")) == NULL)
			at = str(r->req, "decided_at");
		if (str(r->asg, "comment") != NULL)
			why = str(r->asg, "comment");
		if ((rc = buf_err(hub_buf_printf(b, "%s ", o->emoji))) == 0)
			rc = put_bold(b, md, o->title);
		if (rc == 0 && who != NULL &&
		    (rc = buf_err(hub_buf_adds(b, " by "))) == 0)
			rc = put_user(b, md, who);
		if (rc == 0 && why != NULL && strcmp(o->word, "rejected") == 0 &&
		    (rc = buf_err(hub_buf_adds(b, ": "))) == 0)
			rc = put_user(b, md, why);
		if (rc == 0 && at != NULL &&
		    (rc = buf_err(hub_buf_adds(b, " · "))) == 0)
			rc = put_time(b, md, at);
		break;
	case HUB_SYNC_NO_ACTION:
		o = ro != NULL && strcmp(ro->word, "rejected") == 0 ? ro :
		    &outcomes[0];
		if ((who = str(r->req, "decided_by")) == NULL &&
		    (who = str(r->asg, "decided_by")) == NULL)
			who = str(r->ctx, "actor_display");
		if ((rc = buf_err(hub_buf_printf(b, "No action required — "))) == 0)
			rc = put_bold(b, md, o->title);
		if (rc == 0 && who != NULL &&
		    (rc = buf_err(hub_buf_adds(b, " by "))) == 0)
			rc = put_user(b, md, who);
		if (rc == 0 && (why = reason_of(r)) != NULL &&
		    o != &outcomes[0] && (rc = buf_err(hub_buf_adds(b, ": "))) == 0)
			rc = put_user(b, md, why);
		break;
	case HUB_SYNC_CANCELLED:
	case HUB_SYNC_REASSIGNED:
		o = outcome_of(r->sync == HUB_SYNC_CANCELLED ? "Cancelled" :
		    "reassigned");
		who = str(r->ctx, "actor_display");
		if (who == NULL && r->sync == HUB_SYNC_CANCELLED)
			who = str(r->req, "decided_by");
		if (why == NULL && r->sync == HUB_SYNC_CANCELLED)
			why = str(r->req, "decision_comment");
		if ((rc = buf_err(hub_buf_printf(b, "%s ", o->emoji))) == 0)
			rc = put_bold(b, md, r->sync == HUB_SYNC_CANCELLED ?
			    "Cancelled" : "Reassigned to another approver");
		if (rc == 0 && who != NULL &&
		    (rc = buf_err(hub_buf_adds(b, " by "))) == 0)
			rc = put_user(b, md, who);
		if (rc == 0 && why != NULL &&
		    (rc = buf_err(hub_buf_adds(b, ": "))) == 0)
			rc = put_user(b, md, why);
		if (rc == 0)
			rc = buf_err(hub_buf_adds(b, " — no action required"));
		break;
	case HUB_SYNC_EXPIRED:
		if ((rc = buf_err(hub_buf_adds(b, "⌛ "))) == 0)
			rc = put_bold(b, md, "Expired");
		at = str(r->req, "deadline");
		if (rc == 0 && at != NULL &&
		    (rc = buf_err(hub_buf_adds(b, " — the deadline ("))) == 0 &&
		    (rc = put_time(b, md, at)) == 0)
			rc = buf_err(hub_buf_adds(b, ") passed before a decision"));
		if (rc == 0)
			rc = buf_err(hub_buf_adds(b, ". No action required."));
		break;
	default:
		break;
	}
	return rc;
}

/* "Approved: 2 of 3 — waiting for you" (all: of total; quorum: of N). */
static int
progress_line(struct rctx *r, int md, struct hub_buf *b)
{
	const char *rule = str(r->step, "rule");
	long long ok = 0, of = 0;
	int rc;

	num(r->step, "approved", &ok);
	if (rule != NULL && strcmp(rule, "quorum") == 0)
		num(r->step, "quorum", &of);
	else
		num(r->step, "total", &of);
	if (of <= 0)
		return HUB_RENDER_OK;
	if ((rc = buf_err(hub_buf_adds(b, "⏳ "))) != 0)
		return rc;
	if (md)
		rc = buf_err(hub_buf_printf(b, "*Approved: %lld of %lld*", ok,
		    of));
	else
		rc = buf_err(hub_buf_printf(b, "Approved: %lld of %lld", ok,
		    of));
	if (rc == 0 && r->sync == HUB_SYNC_PROGRESS)
		rc = buf_err(hub_buf_adds(b, " — waiting for you"));
	return rc;
}

/* The button value (slack/actions.h): the request and, on an approver's
 * own copy, the assignment. */
static int
make_value(struct rctx *r)
{
	long long a;

	r->value = hub_action_value(r->id, num(r->asg, "id", &a) ? (int64_t)a :
	    HUB_ACTION_NO_ASSIGNMENT);
	return r->value != NULL ? HUB_RENDER_OK : HUB_RENDER_NOMEM;
}

/* ------------------------------------------------------------ mentions */

/* The distinct, well-formed ids of ids, in order, as the keys of seen. */
static int
distinct_ids(json_object *ids, json_object *seen, size_t *total)
{
	json_object *v;
	const char *id;
	size_t i, n = ids != NULL ? json_object_array_length(ids) : 0;

	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(v, json_type_string) ||
		    !slack_id_ok(id = json_object_get_string(v)) ||
		    json_object_object_get_ex(seen, id, NULL))
			continue;
		if (json_object_object_add(seen, id, NULL) != 0)
			return HUB_RENDER_NOMEM;
		(*total)++;
	}
	return HUB_RENDER_OK;
}

/* A webhook's single text keeps room for " and N more" when not all the
 * mentions fit. */
static size_t
webhook_room(json_object *seen)
{
	size_t all = 0, room = HUB_RENDER_WEBHOOK_MENTION_CHARS;

	json_object_object_foreach(seen, k, v) {
		(void)v;
		all += strlen(k) + 4;
	}
	return all > room ? room - 20 : room;
}

int
hub_render_mentions(json_object *ids, enum hub_render_mode mode,
    json_object **out)
{
	struct hub_buf b = HUB_BUF_INIT(BIGBUF);
	json_object *arr = NULL, *seen = NULL;
	size_t count = 0, total = 0, kept = 0, room;
	int rc = HUB_RENDER_NOMEM;

	if (out == NULL)
		return HUB_RENDER_INVAL;
	*out = NULL;
	if (ids != NULL && !json_object_is_type(ids, json_type_array))
		return HUB_RENDER_INVAL;
	if ((arr = json_object_new_array()) == NULL ||
	    (seen = json_object_new_object()) == NULL ||
	    distinct_ids(ids, seen, &total) != HUB_RENDER_OK)
		goto out;
	room = mode == HUB_RENDER_WEBHOOK ? webhook_room(seen) :
	    HUB_RENDER_WEBHOOK_MENTION_CHARS;
	json_object_object_foreach(seen, k, unused) {
		(void)unused;
		if (mode == HUB_RENDER_APP && count == HUB_RENDER_MENTIONS_PER_MESSAGE) {
			if (json_object_array_add(arr, json_object_new_string_len(
			    b.data, (int)b.len)) != 0)
				goto out;
			hub_buf_reset(&b);
			count = 0;
		}
		if (mode == HUB_RENDER_WEBHOOK &&
		    b.len + (b.len > 0) + strlen(k) + 3 > room)
			break;
		if ((b.len > 0 && hub_buf_addc(&b, ' ') != HUB_BUF_OK) ||
		    hub_mrkdwn_mention(&b, k) != HUB_BK_OK)
			goto out;
		count++;
		kept++;
	}
	if (mode == HUB_RENDER_WEBHOOK && kept < total &&
	    hub_buf_printf(&b, " and %zu more", total - kept) != HUB_BUF_OK)
		goto out;
	if (b.len > 0 && json_object_array_add(arr,
	    json_object_new_string_len(b.data, (int)b.len)) != 0)
		goto out;
	*out = arr;
	arr = NULL;
	rc = HUB_RENDER_OK;
out:
	json_object_put(arr);
	json_object_put(seen);
	hub_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------ blocks */

struct fieldsec {
	json_object	*section;
};

static int
add_block(struct hub_bk_blocks *l, json_object *blk)
{
	int rc;

	if ((rc = hub_bk_blocks_add(l, blk)) != HUB_BK_OK)
		json_object_put(blk);
	return bk_err(rc);
}

/* A section with mrkdwn text (skipped when empty). */
static int
add_section(struct hub_bk_blocks *l, const char *md)
{
	json_object *s;
	int rc;

	if (md == NULL || *md == '\0')
		return HUB_RENDER_OK;
	if ((rc = hub_bk_section(NULL, md, &s)) != HUB_BK_OK)
		return bk_err(rc);
	return add_block(l, s);
}

/*
 * A webhook post for approvers names them and says how each was reached,
 * since it carries no decision link: "*Approvers:* <@U1>, ann@example.com
 * — each was sent a personal link by email."  Mentions as one webhook text
 * (hub_render_mentions: at most 3000 characters), names escaped after
 * them.  Nothing (b untouched) outside webhook mode, for a kind that asks
 * nobody to decide, or without ctx.approvers.
 */
static int
approvers_line(struct rctx *r, int md, struct hub_buf *b)
{
	json_object *a = child(r->ctx, "approvers"), *ids, *names, *m = NULL, *v;
	size_t i, n = 0, shown = 0, start = b->len, len;
	const char *s;
	int rc = HUB_RENDER_OK;

	if (r->mode != HUB_RENDER_WEBHOOK || !(r->parts & P_DECIDE) || a == NULL)
		return HUB_RENDER_OK;
	ids = child(a, "slack_user_ids");
	names = child(a, "names");
	if (json_object_is_type(ids, json_type_array))
		n += json_object_array_length(ids);
	if (json_object_is_type(names, json_type_array))
		n += json_object_array_length(names);
	if (n == 0)
		return HUB_RENDER_OK;
	if ((rc = buf_err(hub_buf_adds(b, md ? (n == 1 ? "*Approver:* " :
	    "*Approvers:* ") : (n == 1 ? "Approver: " : "Approvers: ")))) != 0)
		goto out;
	if (json_object_is_type(ids, json_type_array) &&
	    json_object_array_length(ids) > 0) {
		if ((rc = hub_render_mentions(ids, HUB_RENDER_WEBHOOK, &m)) != 0)
			goto out;
		if (json_object_array_length(m) > 0 && (s = json_object_get_string(
		    json_object_array_get_idx(m, 0))) != NULL && *s != '\0') {
			if ((rc = buf_err(hub_buf_adds(b, s))) != 0)
				goto out;
			shown++;
		}
	}
	len = json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
	for (i = 0; i < len; i++) {
		v = json_object_array_get_idx(names, i);
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0)
			continue;
		/* the mentions' budget for the whole list; the rest counted */
		if (b->len - start > HUB_RENDER_WEBHOOK_MENTION_CHARS) {
			rc = buf_err(hub_buf_printf(b, " and %zu more", len - i));
			break;
		}
		if ((shown++ > 0 && (rc = buf_err(hub_buf_adds(b, ", "))) != 0) ||
		    (rc = put_user(b, 1, json_object_get_string(v))) != 0)
			goto out;
	}
	if (rc != 0)
		goto out;
	rc = buf_err(hub_buf_adds(b, n == 1 ? " — was sent a personal link by "
	    "email." : " — each was sent a personal link by email."));
out:
	json_object_put(m);
	return rc;
}

/* Collect rows as "*Label*\nvalue" section fields. */
struct fcollect {
	json_object	*section;
	struct hub_buf	 b;
};

static int
field_row(void *arg, const char *label, const char *value, const char *url)
{
	struct fcollect *f = arg;
	int rc;

	hub_buf_reset(&f->b);
	if ((rc = put_bold(&f->b, 1, label)) != 0 ||
	    (rc = buf_err(hub_buf_addc(&f->b, '\n'))) != 0)
		return rc;
	(void)url;
	if ((rc = buf_err(hub_buf_adds(&f->b, value))) != 0)
		return rc;
	return bk_err(hub_bk_section_add_field(f->section, hub_buf_str(&f->b)));
}

static int
add_rows_section(struct rctx *r, struct hub_bk_blocks *l,
    int (*rows)(struct rctx *, int, row_fn, void *))
{
	struct fcollect f = { NULL, HUB_BUF_INIT(BIGBUF) };
	json_object *fields;
	int rc;

	if ((rc = bk_err(hub_bk_section(NULL, NULL, &f.section))) != 0)
		goto out;
	if ((rc = rows(r, 1, field_row, &f)) != 0)
		goto out;
	if (json_object_object_get_ex(f.section, "fields", &fields) &&
	    json_object_array_length(fields) > 0) {
		rc = add_block(l, f.section);
		f.section = NULL;
	}
out:
	json_object_put(f.section);
	hub_buf_release(&f.b);
	return rc;
}

/* One metadata row as a field value: escaped, a link when it has a URL. */
static int
meta_md(struct hub_buf *b, json_object *row)
{
	const char *label = str(row, "label"), *value = str(row, "value"),
	    *url = str(row, "url");
	int rc;

	if ((rc = put_bold(b, 1, label != NULL ? label : "Field")) != 0 ||
	    (rc = buf_err(hub_buf_addc(b, '\n'))) != 0)
		return rc;
	if (url != NULL && url_ok(url) &&
	    hub_mrkdwn_link(b, url, value) == HUB_BK_OK)
		return HUB_RENDER_OK;
	return put_user(b, 1, value != NULL ? value : "—");
}

/* Metadata in sections of 10 fields, at most nsec sections; returns how
 * many rows did not fit in *hidden. */
static int
add_meta_sections(struct rctx *r, struct hub_bk_blocks *l, size_t nsec,
    size_t *hidden)
{
	struct hub_buf b = HUB_BUF_INIT(BIGBUF);
	json_object *sec = NULL;
	size_t i, n = r->fields != NULL ? json_object_array_length(r->fields) : 0;
	size_t shown = n < nsec * FIELDS_PER_SECTION ? n :
	    nsec * FIELDS_PER_SECTION;
	int rc = HUB_RENDER_OK;

	*hidden = n - shown;
	for (i = 0; i < shown; i++) {
		if (sec == NULL && (rc = bk_err(hub_bk_section(NULL, NULL,
		    &sec))) != 0)
			goto out;
		hub_buf_reset(&b);
		if ((rc = meta_md(&b, json_object_array_get_idx(r->fields,
		    i))) != 0 || (rc = bk_err(hub_bk_section_add_field(sec,
		    hub_buf_str(&b)))) != 0)
			goto out;
		if ((i + 1) % FIELDS_PER_SECTION == 0 || i + 1 == shown) {
			rc = add_block(l, sec);
			sec = NULL;
			if (rc != 0)
				goto out;
		}
	}
out:
	json_object_put(sec);
	hub_buf_release(&b);
	return rc;
}

static int
add_button(json_object *actions, const char *text, const char *action_id,
    const char *value, const char *url, enum hub_bk_style style)
{
	struct hub_bk_button bt = { text, action_id, value, url, style, NULL,
	    0 };
	json_object *e;
	int rc;

	if ((rc = hub_bk_button(&bt, &e)) != HUB_BK_OK)
		return bk_err(rc);
	if ((rc = hub_bk_actions_add(actions, e)) != HUB_BK_OK)
		json_object_put(e);
	return bk_err(rc);
}

static const char *
ctx_link(struct rctx *r, const char *key)
{
	const char *u;

	/* A webhook post is read by the whole channel; a decision link is
	 * its approver's alone (email). */
	if (r->mode == HUB_RENDER_WEBHOOK && strcmp(key, "view") != 0)
		return NULL;
	u = str(r->links, key);
	if (u == NULL && (strcmp(key, "approve") == 0 ||
	    strcmp(key, "reject") == 0))
		u = str(r->links, "decide");
	return url_ok(u) ? u : NULL;
}

static int
add_actions(struct rctx *r, struct hub_bk_blocks *l)
{
	json_object *a = NULL, *e, *els;
	char bid[HUB_BK_MAX_ID + 1];
	const char *u;
	int rc, urls, editable = 0;

	if (snprintf(bid, sizeof(bid), HUB_ACTION_BLOCK_PREFIX "%s", r->id) >=
	    (int)sizeof(bid))
		return HUB_RENDER_INVAL;
	if ((rc = bk_err(hub_bk_actions(bid, &a))) != 0)
		return rc;
	urls = r->mode == HUB_RENDER_WEBHOOK || (r->parts & P_LINKS);
	if (r->parts & P_DECIDE) {
		if (!urls) {
			json_object *ed = child(r->ctx, "editable");

			editable = ed != NULL && json_object_is_type(ed,
			    json_type_boolean) && json_object_get_boolean(ed);
			if ((rc = add_button(a, "Approve", HUB_ACTION_APPROVE,
			    r->value, NULL, HUB_BK_STYLE_PRIMARY)) != 0 ||
			    (rc = add_button(a, "Reject", HUB_ACTION_REJECT, r->value,
			    NULL, HUB_BK_STYLE_DANGER)) != 0)
				goto out;
			if (editable && (rc = add_button(a, "Edit", HUB_ACTION_EDIT,
			    r->value, NULL, HUB_BK_STYLE_DEFAULT)) != 0)
				goto out;
			if ((rc = bk_err(hub_bk_overflow(HUB_ACTION_SNOOZE,
			    snooze_options, HUB_NELEM(snooze_options), &e))) != 0)
				goto out;
			if ((rc = bk_err(hub_bk_actions_add(a, e))) != 0) {
				json_object_put(e);
				goto out;
			}
		} else {
			if ((u = ctx_link(r, "approve")) != NULL && (rc =
			    add_button(a, "Approve", HUB_ACTION_APPROVE, r->value, u,
			    HUB_BK_STYLE_PRIMARY)) != 0)
				goto out;
			if ((u = ctx_link(r, "reject")) != NULL && (rc =
			    add_button(a, "Reject", HUB_ACTION_REJECT, r->value, u,
			    HUB_BK_STYLE_DANGER)) != 0)
				goto out;
		}
	}
	if ((r->parts & P_VIEW) && (u = ctx_link(r, "view")) != NULL &&
	    (rc = add_button(a, "View", HUB_ACTION_VIEW, r->value, u,
	    HUB_BK_STYLE_DEFAULT)) != 0)
		goto out;
	if (json_object_object_get_ex(a, "elements", &els) &&
	    json_object_array_length(els) > 0) {
		rc = add_block(l, a);
		a = NULL;
	}
out:
	json_object_put(a);
	return rc;
}

/* Footer: request id, the fields that did not fit, and the dashboard link
 * when there is no View button. */
static int
add_footer(struct rctx *r, struct hub_bk_blocks *l, size_t hidden,
    int view_button)
{
	struct hub_buf b = HUB_BUF_INIT(SMALLBUF);
	json_object *c = NULL;
	const char *u = ctx_link(r, "view");
	int rc;

	if ((rc = buf_err(hub_buf_adds(&b, "Approval Hub · request "))) != 0 ||
	    (rc = put_user(&b, 1, r->id)) != 0)
		goto out;
	if (hidden > 0 && (rc = buf_err(hub_buf_printf(&b,
	    " · …and %zu more field%s", hidden, hidden == 1 ? "" : "s"))) != 0)
		goto out;
	if (u != NULL && (!view_button || hidden > 0)) {
		if ((rc = buf_err(hub_buf_adds(&b, " · "))) != 0)
			goto out;
		if (hub_mrkdwn_link(&b, u, "Open in Approval Hub") != HUB_BK_OK) {
			rc = HUB_RENDER_NOMEM;
			goto out;
		}
	}
	if ((rc = bk_err(hub_bk_context(NULL, &c))) != 0 ||
	    (rc = bk_err(hub_bk_context_add_mrkdwn(c, hub_buf_str(&b)))) != 0)
		goto out;
	rc = add_block(l, c);
	c = NULL;
out:
	json_object_put(c);
	hub_buf_release(&b);
	return rc;
}

/* A section "*<heading>*\n<s>" (s escaped); nothing when s is NULL. */
static int
add_titled(struct hub_bk_blocks *l, const char *heading, const char *s)
{
	struct hub_buf b = HUB_BUF_INIT(BIGBUF);
	int rc;

	if (s == NULL)
		return HUB_RENDER_OK;
	if ((rc = buf_err(hub_buf_printf(&b, "*%s*\n", heading))) == 0 &&
	    (rc = put_user(&b, 1, s)) == 0)
		rc = add_section(l, hub_buf_str(&b));
	hub_buf_release(&b);
	return rc;
}

/* The top of a message: the first @mention batch, the header, the intro
 * (or a sync copy's status line), the progress line and the approvers. */
static int
add_head(struct rctx *r, struct hub_bk_blocks *l)
{
	struct hub_buf b = HUB_BUF_INIT(BIGBUF);
	json_object *c;
	int rc;

	if (r->mention0 != NULL && (rc = add_section(l,
	    json_object_get_string(r->mention0))) != 0)
		goto out;
	if ((rc = bk_err(hub_bk_header(NULL, hub_buf_str(&r->title), &c))) != 0 ||
	    (rc = add_block(l, c)) != 0)
		goto out;
	/* the sync line replaces the intro */
	if (r->status_md.len > 0)
		rc = add_section(l, hub_buf_str(&r->status_md));
	else if ((rc = put_user(&b, 1, hub_buf_str(&r->intro))) == 0)
		rc = add_section(l, hub_buf_str(&b));
	if (rc != 0)
		goto out;
	if (r->progress_md.len > 0 &&
	    (rc = add_section(l, hub_buf_str(&r->progress_md))) != 0)
		goto out;
	hub_buf_reset(&b);
	if ((rc = approvers_line(r, 1, &b)) == 0)
		rc = add_section(l, hub_buf_str(&b));
out:
	hub_buf_release(&b);
	return rc;
}

/* "Delegating for: *X*" as a context block. */
static int
add_delegate(struct rctx *r, struct hub_bk_blocks *l)
{
	struct hub_buf b = HUB_BUF_INIT(BIGBUF);
	json_object *c = NULL;
	const char *s = str(r->asg, "delegate_for");
	int rc;

	if (s == NULL)
		return HUB_RENDER_OK;
	if ((rc = buf_err(hub_buf_adds(&b, "Delegating for: "))) != 0 ||
	    (rc = put_bold(&b, 1, s)) != 0 ||
	    (rc = bk_err(hub_bk_context(NULL, &c))) != 0 ||
	    (rc = bk_err(hub_bk_context_add_mrkdwn(c, hub_buf_str(&b)))) != 0)
		json_object_put(c);
	else
		rc = add_block(l, c);
	hub_buf_release(&b);
	return rc;
}

/* What comes after the fields: justification, AI, delegate, actions,
 * footer. */
static int
add_tail(struct rctx *r, struct hub_bk_blocks *l, size_t hidden)
{
	struct hub_buf b = HUB_BUF_INIT(BIGBUF);
	int rc, view_button;

	if ((r->parts & P_JUST) && (rc = add_titled(l, "Justification",
	    str(r->req, "justification"))) != 0)
		goto out;
	if ((r->parts & P_AI) && ((rc = put_ai_section(r, &b)) != 0 ||
	    (rc = add_section(l, hub_buf_str(&b))) != 0))
		goto out;
	if ((r->parts & P_DELEGATE) && (rc = add_delegate(r, l)) != 0)
		goto out;
	if ((rc = add_actions(r, l)) != 0)
		goto out;
	view_button = (r->parts & P_VIEW) && ctx_link(r, "view") != NULL;
	rc = add_footer(r, l, hidden, view_button);
out:
	hub_buf_release(&b);
	return rc;
}

static int
build_blocks(struct rctx *r, json_object **out)
{
	struct hub_bk_blocks l;
	size_t tail, room, nsec, hidden = 0;
	int rc;

	*out = NULL;
	if ((rc = bk_err(hub_bk_blocks_init(&l, HUB_BK_MESSAGE))) != 0)
		return rc;
	if ((rc = add_head(r, &l)) != 0)
		goto out;
	if ((r->parts & P_OUTCOME) &&
	    (rc = add_rows_section(r, &l, outcome_rows)) != 0)
		goto out;
	if ((r->parts & (P_OUTCOME | P_REASON)) && (rc = add_titled(&l,
	    "Reason", (r->parts & P_OUTCOME) ? reason_of(r) :
	    str(r->ctx, "reason"))) != 0)
		goto out;
	if ((r->parts & P_DETAILS) &&
	    (rc = add_rows_section(r, &l, detail_rows)) != 0)
		goto out;
	/* the fields get the blocks that the tail (add_tail) leaves */
	tail = 2 + !!(r->parts & P_JUST) + !!(r->parts & P_AI) +
	    !!(r->parts & P_DELEGATE);
	room = hub_bk_blocks_room(&l);
	nsec = room > tail ? room - tail : 0;
	if ((r->parts & P_FIELDS) &&
	    (rc = add_meta_sections(r, &l, nsec, &hidden)) != 0)
		goto out;
	if ((rc = add_tail(r, &l, hidden)) != 0)
		goto out;
	*out = hub_bk_blocks_detach(&l);
	rc = *out != NULL ? HUB_RENDER_OK : HUB_RENDER_NOMEM;
out:
	hub_bk_blocks_release(&l);
	return rc;
}

/* ------------------------------------------------------------ fallback text */

/* mrkdwn with a budget of code points; whole units only (an entity, a
 * mention, a date token), "…" when something had to go. */
struct tw {
	struct hub_buf	 b;
	size_t		 cps, max;
	int		 full;
};

/* Append s (as valid UTF-8), mrkdwn-escaped.  Stops at the budget, never
 * inside an entity. */
static int
tw_add(struct tw *w, const char *s)
{
	struct hub_buf clean = HUB_BUF_INIT(BIGBUF);
	size_t room;
	int rc = HUB_RENDER_OK, cut;

	if (w->full)
		return HUB_RENDER_OK;
	/* only what can fit, with invalid bytes made U+FFFD */
	if (hub_bk_truncate(&clean, s, w->max - w->cps + 1, NULL) != HUB_BK_OK) {
		rc = HUB_RENDER_NOMEM;
		goto out;
	}
	room = w->max - 1 - w->cps;
	if (hub_esc_budget(&w->b, HUB_ESC_MRKDWN, hub_buf_str(&clean), clean.len,
	    &room, &cut) != HUB_BUF_OK) {
		rc = HUB_RENDER_NOMEM;
		goto out;
	}
	w->cps = w->max - 1 - room;
	if (cut) {
		w->full = 1;
		rc = buf_err(hub_buf_adds(&w->b, "…"));
	}
out:
	hub_buf_release(&clean);
	return rc;
}

/* A raw unit (already mrkdwn): all or nothing. */
static int
tw_raw(struct tw *w, const char *s)
{
	size_t n = hub_bk_strlen(s);

	if (w->full)
		return HUB_RENDER_OK;
	if (w->cps + n > w->max - 1) {
		w->full = 1;
		return buf_err(hub_buf_adds(&w->b, "…"));
	}
	w->cps += n;
	return buf_err(hub_buf_adds(&w->b, s));
}

/* Plain user text cut to max code points (for the justification). */
static int
tw_cut(struct tw *w, const char *s, size_t max)
{
	struct hub_buf c = HUB_BUF_INIT(max * 4 + 8);
	int rc;

	if ((rc = hub_bk_truncate(&c, s, max, NULL)) != HUB_BK_OK)
		rc = HUB_RENDER_NOMEM;
	else
		rc = tw_add(w, hub_buf_str(&c));
	hub_buf_release(&c);
	return rc;
}

static int
text_row(void *arg, const char *label, const char *value, const char *url)
{
	struct tw *w = arg;
	int rc;

	(void)url;
	if ((rc = tw_raw(w, "\n")) != 0 || (rc = tw_add(w, label)) != 0 ||
	    (rc = tw_raw(w, ": ")) != 0)
		return rc;
	return tw_raw(w, value);	/* already mrkdwn, from the md rows */
}

static int
build_text(struct rctx *r, char **out)
{
	struct tw w = { HUB_BUF_INIT(BIGBUF), 0, HUB_BK_MAX_MSG_TEXT, 0 };
	struct hub_buf t = HUB_BUF_INIT(SMALLBUF), who = HUB_BUF_INIT(BIGBUF);
	const char *s;
	int rc;

	*out = NULL;
	/* the sync line (plain, escaped here) or the intro comes first */
	rc = tw_add(&w, hub_buf_str(r->status_txt.len > 0 ? &r->status_txt :
	    &r->intro));
	if (rc != 0)
		goto out;
	if (r->progress_txt.len > 0 && ((rc = tw_raw(&w, "\n")) != 0 ||
	    (rc = tw_add(&w, hub_buf_str(&r->progress_txt))) != 0))
		goto out;
	if ((rc = approvers_line(r, 0, &who)) != 0 || (who.len > 0 &&
	    ((rc = tw_raw(&w, "\n")) != 0 || (rc = tw_raw(&w, hub_buf_str(&who))) != 0)))
		goto out;
	if ((rc = tw_raw(&w, "\n*")) != 0 ||
	    (rc = tw_add(&w, hub_buf_str(&r->title))) != 0 ||
	    (rc = tw_raw(&w, "*")) != 0)
		goto out;
	if ((r->parts & P_OUTCOME) && (rc = outcome_rows(r, 1, text_row, &w)) != 0)
		goto out;
	if ((r->parts & P_DETAILS) && (rc = detail_rows(r, 1, text_row, &w)) != 0)
		goto out;
	if ((r->parts & (P_OUTCOME | P_REASON)) && (s = (r->parts & P_OUTCOME) ?
	    reason_of(r) : str(r->ctx, "reason")) != NULL &&
	    ((rc = tw_raw(&w, "\nReason: ")) != 0 ||
	    (rc = tw_cut(&w, s, TEXT_JUST_MAX)) != 0))
		goto out;
	if ((r->parts & P_JUST) && (s = str(r->req, "justification")) != NULL &&
	    ((rc = tw_raw(&w, "\n")) != 0 ||
	    (rc = tw_cut(&w, s, TEXT_JUST_MAX)) != 0))
		goto out;
	if ((r->parts & P_DELEGATE) && (s = str(r->asg, "delegate_for")) != NULL &&
	    ((rc = tw_raw(&w, "\nDelegating for: ")) != 0 ||
	    (rc = tw_add(&w, s)) != 0))
		goto out;
	if ((r->parts & P_DECIDE) && (r->mode == HUB_RENDER_WEBHOOK ||
	    (r->parts & P_LINKS)) && (s = ctx_link(r, "decide")) != NULL) {
		if (hub_mrkdwn_link(&t, s, "Decide") != HUB_BK_OK ||
		    (rc = tw_raw(&w, "\n")) != 0 ||
		    (rc = tw_raw(&w, hub_buf_str(&t))) != 0) {
			rc = rc != 0 ? rc : HUB_RENDER_NOMEM;
			goto out;
		}
	}
	if ((*out = hub_buf_detach(&w.b, NULL)) == NULL)
		rc = HUB_RENDER_NOMEM;
out:
	hub_buf_release(&w.b);
	hub_buf_release(&t);
	hub_buf_release(&who);
	return rc;
}

/* ------------------------------------------------------------ email */

struct etext {
	struct hub_buf	*b;
	json_object	*rows;		/* for the HTML: [{label, value, url}] */
};

static int
email_row(void *arg, const char *label, const char *value, const char *url)
{
	struct etext *e = arg;
	json_object *o;
	int rc;

	if ((rc = buf_err(hub_buf_printf(e->b, "%s: ", label))) != 0 ||
	    (rc = hub_bk_truncate(e->b, value, EMAIL_FIELD_MAX, NULL) ==
	    HUB_BK_OK ? 0 : HUB_RENDER_NOMEM) != 0)
		return rc;
	if (url != NULL && strcmp(url, value) != 0 &&
	    (rc = buf_err(hub_buf_printf(e->b, " <%s>", url))) != 0)
		return rc;
	if ((rc = buf_err(hub_buf_addc(e->b, '\n'))) != 0)
		return rc;
	if ((o = json_object_new_object()) == NULL)
		return HUB_RENDER_NOMEM;
	json_object_object_add(o, "label", json_object_new_string(label));
	json_object_object_add(o, "value", json_object_new_string(value));
	if (url != NULL)
		json_object_object_add(o, "url", json_object_new_string(url));
	if (json_object_array_add(e->rows, o) != 0) {
		json_object_put(o);
		return HUB_RENDER_NOMEM;
	}
	return HUB_RENDER_OK;
}

static int
meta_rows(struct rctx *r, int md, row_fn fn, void *arg)
{
	struct hub_buf v = HUB_BUF_INIT(EMAIL_FIELD_MAX * 4 + 8);
	json_object *row;
	const char *label, *value, *url;
	size_t i, n = r->fields != NULL ? json_object_array_length(r->fields) : 0;
	int rc = HUB_RENDER_OK;

	(void)md;
	for (i = 0; i < n && rc == HUB_RENDER_OK; i++) {
		row = json_object_array_get_idx(r->fields, i);
		label = str(row, "label");
		value = str(row, "value");
		url = str(row, "url");
		hub_buf_reset(&v);
		if (hub_bk_truncate(&v, value != NULL ? value : "—",
		    EMAIL_FIELD_MAX, NULL) != HUB_BK_OK)
			rc = HUB_RENDER_NOMEM;
		else
			rc = fn(arg, label != NULL ? label : "Field",
			    hub_buf_str(&v), url_ok(url) ? url : NULL);
	}
	hub_buf_release(&v);
	return rc;
}

static int
put_json_str(json_object *o, const char *key, const char *s)
{
	json_object *v;

	if (s == NULL || *s == '\0')
		return HUB_RENDER_OK;
	if ((v = json_object_new_string(s)) == NULL)
		return HUB_RENDER_NOMEM;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return HUB_RENDER_NOMEM;
	}
	return HUB_RENDER_OK;
}

/* One line, control characters as spaces, at most SUBJECT_MAX. */
static int
make_subject(struct rctx *r, char **out)
{
	struct hub_buf b = HUB_BUF_INIT(SUBJECT_MAX * 4 + 8);
	char *p;
	int rc;

	for (p = r->subject.data; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if ((rc = hub_bk_truncate(&b, hub_buf_str(&r->subject), SUBJECT_MAX,
	    NULL)) != HUB_BK_OK) {
		hub_buf_release(&b);
		return HUB_RENDER_NOMEM;
	}
	*out = hub_buf_detach(&b, NULL);
	return *out != NULL ? HUB_RENDER_OK : HUB_RENDER_NOMEM;
}

/* "\n<heading>:\n<s cut to EMAIL_JUST_MAX>\n" in the text, the same cut
 * text as key in the template's context. */
static int
email_section(struct hub_buf *b, json_object *ctx, const char *heading,
    const char *key, const char *s)
{
	struct hub_buf cut = HUB_BUF_INIT(EMAIL_JUST_MAX * 4 + 8);
	int rc;

	if (hub_bk_truncate(&cut, s, EMAIL_JUST_MAX, NULL) != HUB_BK_OK)
		rc = HUB_RENDER_NOMEM;
	else if ((rc = buf_err(hub_buf_printf(b, "\n%s:\n%s\n", heading,
	    hub_buf_str(&cut)))) == 0)
		rc = put_json_str(ctx, key, hub_buf_str(&cut));
	hub_buf_release(&cut);
	return rc;
}

/* The labelled rows: the outcome's into outcome, the details' and the
 * metadata's into rows (the template shows them apart). */
static int
email_rows(struct rctx *r, struct hub_buf *b, json_object *outcome,
    json_object *rows)
{
	struct etext e = { b, outcome };
	int rc;

	if ((r->parts & P_OUTCOME) &&
	    (rc = outcome_rows(r, 0, email_row, &e)) != 0)
		return rc;
	e.rows = rows;
	if ((r->parts & P_DETAILS) && (rc = detail_rows(r, 0, email_row, &e)) != 0)
		return rc;
	if ((r->parts & P_FIELDS) && (rc = meta_rows(r, 0, email_row, &e)) != 0)
		return rc;
	return HUB_RENDER_OK;
}

/* The AI summary, the risk score (and its colour for the HTML), the
 * analysis' status and the flags. */
static int
email_ai(struct rctx *r, struct hub_buf *b, json_object *ctx)
{
	struct hub_buf risk = HUB_BUF_INIT(256);
	const struct band *bd = NULL;
	const char *s;
	int rc;

	if ((s = str(r->req, "ai_summary")) != NULL &&
	    (rc = email_section(b, ctx, "AI summary", "ai_summary", s)) != 0)
		goto out;
	if (put_risk(r, &risk, 0, &bd) == 0 &&
	    ((rc = buf_err(hub_buf_printf(b, "%s\n", hub_buf_str(&risk)))) != 0 ||
	    (rc = put_json_str(ctx, "risk", hub_buf_str(&risk))) != 0 ||
	    (rc = put_json_str(ctx, "risk_color", bd->color)) != 0))
		goto out;
	if ((s = ai_status_words(r)) != NULL &&
	    (rc = buf_err(hub_buf_printf(b, "\n%s\n", s))) != 0)
		goto out;
	rc = put_flags(r, b, 0);
out:
	hub_buf_release(&risk);
	return rc;
}

/* The main button (the decision page when there is one, else View) and,
 * beside a decision button, the View link. */
static int
email_links(struct rctx *r, struct hub_buf *b, json_object *ctx)
{
	const char *decide = NULL, *view = ctx_link(r, "view"), *button, *text;
	int rc;

	if (r->parts & P_DECIDE)
		decide = ctx_link(r, "decide");
	button = decide != NULL ? decide : (r->parts & P_VIEW) ? view : NULL;
	text = decide != NULL ? r->row->button : "View request";
	if (button != NULL && ((rc = buf_err(hub_buf_printf(b, "\n%s: %s\n",
	    text, button))) != 0 ||
	    (rc = put_json_str(ctx, "button_url", button)) != 0 ||
	    (rc = put_json_str(ctx, "button_text", text)) != 0))
		return rc;
	if (decide != NULL && view != NULL &&
	    ((rc = buf_err(hub_buf_printf(b, "View the request: %s\n",
	    view))) != 0 || (rc = put_json_str(ctx, "view_url", view)) != 0))
		return rc;
	return HUB_RENDER_OK;
}

/* The text/plain body into b; what the HTML shows besides the rows goes
 * into ctx on the way. */
static int
email_body(struct rctx *r, struct hub_buf *b, json_object *ctx,
    json_object *outcome, json_object *rows)
{
	const char *s;
	int rc;

	if ((rc = buf_err(hub_buf_printf(b, "%s\n\n%s\n\n",
	    hub_buf_str(&r->intro), hub_buf_str(&r->title)))) != 0 ||
	    (rc = email_rows(r, b, outcome, rows)) != 0)
		return rc;
	if ((r->parts & (P_OUTCOME | P_REASON)) && (s = (r->parts & P_OUTCOME) ?
	    reason_of(r) : str(r->ctx, "reason")) != NULL &&
	    (rc = email_section(b, ctx, "Reason", "reason", s)) != 0)
		return rc;
	if ((r->parts & P_JUST) && (s = str(r->req, "justification")) != NULL &&
	    (rc = email_section(b, ctx, "Justification", "justification",
	    s)) != 0)
		return rc;
	if ((r->parts & P_AI) && (rc = email_ai(r, b, ctx)) != 0)
		return rc;
	if ((r->parts & P_DELEGATE) && (s = str(r->asg, "delegate_for")) != NULL &&
	    ((rc = buf_err(hub_buf_printf(b, "\nDelegating for: %s\n", s))) != 0 ||
	    (rc = put_json_str(ctx, "delegate_for", s)) != 0))
		return rc;
	if ((rc = email_links(r, b, ctx)) != 0)
		return rc;
	return buf_err(hub_buf_printf(b, "\n-- \nApproval Hub · request %s\n",
	    r->id));
}

static int
build_email(struct rctx *r, struct hub_render_out *o)
{
	struct hub_buf b = HUB_BUF_INIT(4 * BIGBUF), h = HUB_BUF_INIT(8 * BIGBUF);
	json_object *ctx = NULL, *rows = NULL, *outcome = NULL;
	int rc;

	if ((rc = make_subject(r, &o->email_subject)) != 0)
		goto out;
	if ((ctx = json_object_new_object()) == NULL ||
	    (rows = json_object_new_array()) == NULL ||
	    (outcome = json_object_new_array()) == NULL) {
		rc = HUB_RENDER_NOMEM;
		goto out;
	}
	if ((rc = email_body(r, &b, ctx, outcome, rows)) != 0)
		goto out;
	if ((rc = put_json_str(ctx, "subject", o->email_subject)) != 0 ||
	    (rc = put_json_str(ctx, "title", hub_buf_str(&r->title))) != 0 ||
	    (rc = put_json_str(ctx, "intro", hub_buf_str(&r->intro))) != 0 ||
	    (rc = put_json_str(ctx, "request_id", r->id)) != 0)
		goto out;
	json_object_object_add(ctx, "outcome", outcome);
	outcome = NULL;
	json_object_object_add(ctx, "rows", rows);
	rows = NULL;
	if ((rc = hub_tmpl_render("email.html", ctx, &h)) != HUB_TMPL_OK) {
		rc = rc == HUB_TMPL_NOMEM ? HUB_RENDER_NOMEM : HUB_RENDER_FAILED;
		goto out;
	}
	if ((o->email_text = hub_buf_detach(&b, NULL)) == NULL ||
	    (o->email_html = hub_buf_detach(&h, NULL)) == NULL)
		rc = HUB_RENDER_NOMEM;
out:
	json_object_put(ctx);
	json_object_put(rows);
	json_object_put(outcome);
	hub_buf_release(&b);
	hub_buf_release(&h);
	return rc;
}

/* ------------------------------------------------------------ entry points */

static void
rctx_init(struct rctx *r, int sync)
{
	memset(r, 0, sizeof(*r));
	hub_buf_init(&r->title, BIGBUF);
	hub_buf_init(&r->intro, BIGBUF);
	hub_buf_init(&r->subject, BIGBUF);
	hub_buf_init(&r->status_md, BIGBUF);
	hub_buf_init(&r->status_txt, BIGBUF);
	hub_buf_init(&r->progress_md, SMALLBUF);
	hub_buf_init(&r->progress_txt, SMALLBUF);
	r->sync = sync;
}

/* The context's parts, the mode and the kind's row (each audience its
 * own words); HUB_RENDER_INVAL without a usable request id. */
static int
read_ctx(struct rctx *r, json_object *ctx, enum hub_render_kind kind)
{
	const char *mode, *aud;
	size_t i;

	if (ctx == NULL || !json_object_is_type(ctx, json_type_object) ||
	    (unsigned)kind >= HUB_RENDER_KIND__MAX)
		return HUB_RENDER_INVAL;
	r->ctx = ctx;
	r->req = child(ctx, "request");
	r->step = child(ctx, "step");
	r->asg = child(ctx, "assignment");
	r->links = child(ctx, "links");
	if ((r->id = str(r->req, "id")) == NULL ||
	    hub_bk_strlen(r->id) > 200)
		return HUB_RENDER_INVAL;
	mode = str(ctx, "mode");
	r->mode = mode != NULL && strcmp(mode, "webhook") == 0 ?
	    HUB_RENDER_WEBHOOK : HUB_RENDER_APP;
	r->kind = kind;
	r->row = &kinds[kind];
	if ((aud = str(ctx, "audience")) != NULL && strcmp(aud, "approver") == 0)
		for (i = 0; i < HUB_NELEM(approver_rows); i++)
			if (approver_rows[i].kind == kind)
				r->row = &approver_rows[i].row;
	r->kindkey = r->row->name;
	return HUB_RENDER_OK;
}

/* A sync copy's status line, and the progress line of a copy that still
 * waits on others (all/quorum). */
static int
sync_lines(struct rctx *r, int sync)
{
	int rc;

	if (sync >= 0 && sync != HUB_SYNC_PROGRESS &&
	    ((rc = status_line(r, 1, &r->status_md)) != 0 ||
	    (rc = status_line(r, 0, &r->status_txt)) != 0))
		return rc;
	if (sync == HUB_SYNC_PROGRESS || (sync == HUB_SYNC_DECIDED &&
	    str(r->req, "status") != NULL &&
	    strcmp(str(r->req, "status"), "Pending") == 0 &&
	    str(r->step, "rule") != NULL &&
	    strcmp(str(r->step, "rule"), "any") != 0)) {
		if ((rc = progress_line(r, 1, &r->progress_md)) != 0 ||
		    (rc = progress_line(r, 0, &r->progress_txt)) != 0)
			return rc;
	}
	return HUB_RENDER_OK;
}

/* Channel mode: the first batch of mentions heads the message (a bad
 * list is no mentions, not a failed message). */
static int
first_mentions(struct rctx *r)
{
	json_object *m = NULL;
	int rc;

	if (child(r->ctx, "mentions") == NULL)
		return HUB_RENDER_OK;
	if ((rc = hub_render_mentions(child(r->ctx, "mentions"), r->mode,
	    &m)) != 0)
		return rc == HUB_RENDER_INVAL ? HUB_RENDER_OK : rc;
	if (json_object_array_length(m) > 0)
		r->mention0 = json_object_get(json_object_array_get_idx(m, 0));
	json_object_put(m);
	return HUB_RENDER_OK;
}

static int
prepare(struct rctx *r, json_object *ctx, enum hub_render_kind kind,
    int sync)
{
	int rc;

	rctx_init(r, sync);
	if ((rc = read_ctx(r, ctx, kind)) != 0)
		return rc;
	r->parts = r->row->parts;
	if (sync >= 0)
		r->parts &= ~syncs[sync].drop;
	if ((r->parts & P_FIELDS) && hub_metadisplay_fields(str(r->req,
	    "preset"), json_object_is_type(child(r->req, "metadata"),
	    json_type_object) ? child(r->req, "metadata") : NULL,
	    &r->fields) == HUB_INTAKE_NOMEM)
		return HUB_RENDER_NOMEM;
	if ((rc = make_value(r)) != 0)
		return rc;
	if ((rc = word(r, "title", &r->row->title, &r->title)) != 0 ||
	    (rc = word(r, "intro", &r->row->intro, &r->intro)) != 0 ||
	    (rc = word(r, "subject", &r->row->subject, &r->subject)) != 0 ||
	    (rc = sync_lines(r, sync)) != 0)
		return rc;
	return sync < 0 ? first_mentions(r) : HUB_RENDER_OK;
}

static int
check(json_object *blocks, const char *text)
{
	char err[HUB_BK_ERR_MAX];

	if (hub_bk_validate(blocks, HUB_BK_MESSAGE, err, sizeof(err)) !=
	    HUB_BK_OK || text == NULL || *text == '\0' ||
	    hub_bk_strlen(text) > HUB_BK_MAX_MSG_TEXT)
		return HUB_RENDER_FAILED;
	return HUB_RENDER_OK;
}

static int
render(struct rctx *r, struct hub_render_out *out, int email)
{
	int rc;

	if ((rc = build_blocks(r, &out->blocks)) != 0 ||
	    (rc = build_text(r, &out->text)) != 0 ||
	    (rc = check(out->blocks, out->text)) != 0)
		return rc;
	return email ? build_email(r, out) : HUB_RENDER_OK;
}

int
hub_render(enum hub_render_kind kind, json_object *ctx,
    struct hub_render_out *out)
{
	struct rctx r;
	int rc;

	if (out == NULL)
		return HUB_RENDER_INVAL;
	memset(out, 0, sizeof(*out));
	if ((rc = prepare(&r, ctx, kind, -1)) == 0)
		rc = render(&r, out, 1);
	rctx_release(&r);
	if (rc != 0)
		hub_render_out_free(out);
	return rc;
}

int
hub_render_sync(enum hub_render_sync variant, json_object *ctx,
    struct hub_render_out *out)
{
	struct rctx r;
	enum hub_render_kind kind = HUB_RENDER_CALL_FOR_ACTION, sent;
	const char *s;
	int rc;

	if (out == NULL)
		return HUB_RENDER_INVAL;
	memset(out, 0, sizeof(*out));
	if ((unsigned)variant >= HUB_SYNC__MAX)
		return HUB_RENDER_INVAL;
	if (str(child(ctx, "assignment"), "delegate_for") != NULL)
		kind = HUB_RENDER_DELEGATE_CALL;
	/* a live card keeps the words it came with (its buttons stay Slack
	 * buttons: never a kind that decides by link) */
	else if (variant == HUB_SYNC_PROGRESS && (s = str(ctx, "sent_kind")) != NULL &&
	    hub_render_kind_from_name(s, &sent) == HUB_RENDER_OK &&
	    (kinds[sent].parts & P_DECIDE) && !(kinds[sent].parts & P_LINKS))
		kind = sent;
	if ((rc = prepare(&r, ctx, kind, (int)variant)) == 0)
		rc = render(&r, out, 0);
	rctx_release(&r);
	if (rc != 0)
		hub_render_out_free(out);
	return rc;
}

int
hub_render_editable(json_object *fields)
{
	json_object *f;
	size_t i, n;

	if (fields == NULL || !json_object_is_type(fields, json_type_array))
		return 0;
	n = json_object_array_length(fields);
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(fields, i);
		if (json_object_is_type(f, json_type_string) &&
		    json_object_get_string_len(f) > 0)
			return 1;
	}
	return 0;
}

void
hub_render_out_free(struct hub_render_out *o)
{
	if (o == NULL)
		return;
	json_object_put(o->blocks);
	free(o->text);
	free(o->email_subject);
	free(o->email_text);
	free(o->email_html);
	memset(o, 0, sizeof(*o));
}

enum hub_render_sync
hub_render_sync_pick(json_object *ctx)
{
	const char *a = str(child(ctx, "assignment"), "status");
	const char *s = str(child(ctx, "request"), "status");

	if (a != NULL && strcmp(a, "reassigned") == 0)
		return HUB_SYNC_REASSIGNED;
	if (a != NULL && (strcmp(a, "approved") == 0 ||
	    strcmp(a, "rejected") == 0))
		return HUB_SYNC_DECIDED;
	if (s != NULL && strcmp(s, "Cancelled") == 0)
		return HUB_SYNC_CANCELLED;
	if (s != NULL && strcmp(s, "Expired") == 0)
		return HUB_SYNC_EXPIRED;
	if ((a != NULL && strcmp(a, "skipped") == 0) ||
	    (s != NULL && strcmp(s, "Pending") != 0))
		return HUB_SYNC_NO_ACTION;
	return HUB_SYNC_PROGRESS;
}

const char *
hub_render_kind_name(enum hub_render_kind k)
{
	return (unsigned)k < HUB_RENDER_KIND__MAX ? kinds[k].name : NULL;
}

int
hub_render_kind_from_name(const char *name, enum hub_render_kind *k)
{
	size_t i;

	for (i = 0; name != NULL && i < HUB_RENDER_KIND__MAX; i++)
		if (strcmp(kinds[i].name, name) == 0) {
			if (k != NULL)
				*k = (enum hub_render_kind)i;
			return HUB_RENDER_OK;
		}
	return HUB_RENDER_INVAL;
}

const char *
hub_render_sync_name(enum hub_render_sync s)
{
	return (unsigned)s < HUB_SYNC__MAX ? sync_names[s] : NULL;
}

const char *
hub_render_strerror(int rc)
{
	static const char *const msgs[] = {
		[HUB_RENDER_OK] = "ok",
		[HUB_RENDER_NOMEM] = "out of memory",
		[HUB_RENDER_INVAL] = "invalid argument",
		[HUB_RENDER_FAILED] = "rendered output broke a limit",
	};

	return rc >= 0 && (size_t)rc < HUB_NELEM(msgs) ? msgs[rc] :
	    "unknown error";
}
