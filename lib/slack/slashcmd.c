/*
 * slashcmd.c - POST /slack/commands: the slash command's form, checked
 * field by field, the team gate (interact.h), and /approvals: the
 * caller's pending approvals as an ephemeral Block Kit reply.  See
 * slashcmd.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "base/buf.h"
#include "store/db.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/payload.h"
#include "approval/search.h"
#include "slack/slashcmd.h"
#include "store/sqlfrag.h"

#define CMD_TEXT_MAX		256    /* slash command text we search with */
#define CMD_LIST_MAX		10     /* /approvals rows */

enum cmd_stmt {
	CMD_PENDING,
	CMD__MAX
};

static const struct hub_stmt cmd_stmts[CMD__MAX] = {
	/* $1 Slack user, $2 search words ('' = all), $3 their close
	 * spellings (approval/search.h; the same words when none).  Columns: request id,
	 * assignment id, title, requester, source, total matching. */
	[CMD_PENDING] = {
	    "SELECT id, aid, title, requester_name, source, count(*) OVER ()"
	    " FROM (SELECT DISTINCT ON (r.id) r.id, a.id AS aid, r.title, r.requester_name,"
	    "   s.name AS source, r.created_at"
	    "  FROM (" HUB_SQL_LIVE_ASSIGNED("$1") ") a"
	    "  JOIN requests r ON r.id = a.request_id"
	    "  JOIN sources s ON s.id = r.source_id"
	    "  WHERE ($2 = '' OR " HUB_SEARCH_MATCH("r", "$2", "$3::text") ")"
	    "  ORDER BY r.id, (a.delegate_of IS NOT NULL), a.id) p"
	    " ORDER BY created_at DESC, id DESC LIMIT " "11", 3 },
};

static const struct hub_stmt_table cmd_table = { "hubcmd", cmd_stmts, CMD__MAX };

/* ------------------------------------------------------------ /approvals */

/* One request: its summary and Approve / Reject like the message. */
static int
list_item(struct hub_bk_blocks *bl, const PGresult *res, int row)
{
	struct hub_buf t = HUB_BUF_INIT(4096), bid = HUB_BUF_INIT(64);
	json_object *sec = NULL, *acts = NULL, *btn = NULL;
	struct hub_bk_button b;
	const char *id = PQgetvalue(res, row, 0), *title = PQgetvalue(res, row, 2);
	char *value = NULL;
	int64_t asg;
	int rc = HUB_BK_NOMEM;

	if (hub_db_get_int64(res, row, 1, &asg) != HUB_DB_OK)
		return HUB_BK_INVAL;

	if (hub_buf_adds(&t, "*") != HUB_BUF_OK ||
	    hub_mrkdwn_escape(&t, *title ? title : "Approval request") != HUB_BK_OK ||
	    hub_buf_adds(&t, "*\nFrom ") != HUB_BUF_OK ||
	    hub_mrkdwn_escape(&t, PQgetvalue(res, row, 3)) != HUB_BK_OK ||
	    hub_buf_adds(&t, " · ") != HUB_BUF_OK ||
	    hub_mrkdwn_escape(&t, PQgetvalue(res, row, 4)) != HUB_BK_OK ||
	    (value = hub_action_value(id, asg)) == NULL ||
	    hub_buf_printf(&bid, "%s%s", HUB_ACTION_BLOCK_PREFIX, id) != HUB_BUF_OK)
		goto out;
	if ((rc = hub_bk_section(NULL, hub_buf_str(&t), &sec)) != HUB_BK_OK ||
	    (rc = hub_bk_blocks_add(bl, sec)) != HUB_BK_OK)
		goto out;
	sec = NULL;
	if ((rc = hub_bk_actions(hub_buf_str(&bid), &acts)) != HUB_BK_OK)
		goto out;
	memset(&b, 0, sizeof(b));
	b.text = "Approve";
	b.action_id = HUB_ACTION_APPROVE;
	b.value = value;
	b.style = HUB_BK_STYLE_PRIMARY;
	if ((rc = hub_bk_button(&b, &btn)) != HUB_BK_OK ||
	    (rc = hub_bk_actions_add(acts, btn)) != HUB_BK_OK)
		goto out;
	btn = NULL;
	b.text = "Reject";
	b.action_id = HUB_ACTION_REJECT;
	b.style = HUB_BK_STYLE_DANGER;
	if ((rc = hub_bk_button(&b, &btn)) != HUB_BK_OK ||
	    (rc = hub_bk_actions_add(acts, btn)) != HUB_BK_OK)
		goto out;
	btn = NULL;
	if ((rc = hub_bk_blocks_add(bl, acts)) != HUB_BK_OK)
		goto out;
	acts = NULL;
out:
	json_object_put(btn);
	json_object_put(acts);
	json_object_put(sec);
	hub_buf_release(&t);
	free(value);
	hub_buf_release(&bid);
	return rc;
}

static int
add_section(struct hub_bk_blocks *bl, const char *mrkdwn)
{
	json_object *s = NULL;
	int rc;

	if ((rc = hub_bk_section(NULL, mrkdwn, &s)) == HUB_BK_OK &&
	    (rc = hub_bk_blocks_add(bl, s)) != HUB_BK_OK)
		json_object_put(s);
	return rc;
}

/* The caller's pending approvals, optionally searched, as an ephemeral
 * message. */
static int
cmd_approvals(struct hub_interact *ia, const char *user, const char *words,
    struct hub_interact_reply *r)
{
	struct hub_bk_blocks bl;
	struct hub_buf t = HUB_BUF_INIT(4096), url = HUB_BUF_INIT(2048);
	json_object *hdr = NULL, *msg = NULL;
	PGresult *res = NULL;
	const char *pp[3] = { user, words, words };
	char err[HUB_BK_ERR_MAX] = "", head[64], fixed[HUB_SEARCH_FIXED_MAX] = "";
	int64_t total = 0;
	int i, n, rc;

	if (hub_bk_blocks_init(&bl, HUB_BK_MESSAGE) != HUB_BK_OK) {
		hub_interact_reply_error(r, 500, "out of memory", NULL);
		return 0;
	}
	if (*words != '\0' &&
	    (rc = hub_search_correct(ia->db, words, fixed, sizeof(fixed))) != HUB_DB_OK) {
		hub_interact_db_reply(r, rc);
		goto out;
	}
	if (fixed[0] != '\0')
		pp[2] = fixed;
	if ((rc = hub_db_exec(ia->db, &cmd_table, CMD_PENDING, pp, &res)) != HUB_DB_OK) {
		hub_interact_db_reply(r, rc);
		goto out;
	}
	n = PQntuples(res);
	if (n > 0 && hub_db_get_int64(res, 0, 5, &total) != HUB_DB_OK)
		total = n;
	snprintf(head, sizeof(head), "Your pending approvals (%" PRId64 ")", total);
	rc = HUB_BK_NOMEM;
	if ((rc = hub_bk_header(NULL, head, &hdr)) != HUB_BK_OK ||
	    (rc = hub_bk_blocks_add(&bl, hdr)) != HUB_BK_OK)
		goto bk;
	hdr = NULL;
	if (n == 0) {
		rc = HUB_BK_NOMEM;
		if (*words == '\0') {
			if (hub_buf_adds(&t, "You have no pending approvals.") != HUB_BUF_OK)
				goto bk;
		} else if (hub_buf_adds(&t, "No pending approvals match _") != HUB_BUF_OK ||
		    hub_mrkdwn_escape(&t, words) != HUB_BK_OK ||
		    hub_buf_adds(&t, "_.") != HUB_BUF_OK)
			goto bk;
		if ((rc = add_section(&bl, hub_buf_str(&t))) != HUB_BK_OK)
			goto bk;
	}
	for (i = 0; i < n && i < CMD_LIST_MAX; i++)
		if ((rc = list_item(&bl, res, i)) != HUB_BK_OK)
			goto bk;
	if (total > CMD_LIST_MAX && ia->conf->public_url != NULL) {
		hub_buf_reset(&t);
		rc = HUB_BK_NOMEM;
		if (hub_buf_printf(&url, "%s/requests?status=Pending", ia->conf->public_url) !=
		    HUB_BUF_OK || hub_mrkdwn_link(&t, hub_buf_str(&url),
		    "View all on the dashboard") != HUB_BK_OK ||
		    (rc = add_section(&bl, hub_buf_str(&t))) != HUB_BK_OK)
			goto bk;
	}
	if ((rc = hub_bk_message(head, &bl, &msg)) != HUB_BK_OK ||
	    hub_json_set_str(msg, "response_type", "ephemeral") != 0 ||
	    (rc = hub_bk_validate(msg, HUB_BK_MESSAGE, err, sizeof(err))) != HUB_BK_OK) {
		hub_log(HUB_LOG_ERROR, "approvals_list_invalid", "error", err, NULL);
		goto bk;
	}
	r->status = 200;
	r->body = msg;
	msg = NULL;
	goto out;
bk:
	hub_log(HUB_LOG_ERROR, "approvals_list_failed", "error", hub_bk_strerror(rc), NULL);
	hub_interact_reply_error(r, 500, "cannot build the list", NULL);
out:
	json_object_put(hdr);
	json_object_put(msg);
	PQclear(res);
	hub_buf_release(&t);
	hub_buf_release(&url);
	hub_bk_blocks_release(&bl);
	return 0;
}

static int
text_reply(struct hub_interact_reply *r, const char *text)
{
	json_object *b = json_object_new_object();

	if (b == NULL || hub_json_set_str(b, "response_type", "ephemeral") != 0 ||
	    hub_json_set_str(b, "text", text) != 0) {
		json_object_put(b);
		hub_interact_reply_error(r, 500, "out of memory", NULL);
		return 0;
	}
	r->status = 200;
	r->body = b;
	return 0;
}

/* Slash command form fields (Slack's names) and their limits. */
static const struct cmd_field {
	const char	*name;
	size_t		 max;
	int		 required;
	int		 slack_id;
} cmd_fields[] = {
	{ "command",      64,         1, 0 },
	{ "text",         4000,       0, 0 },
	{ "user_id",      HUB_SLACK_ID_MAX,  1, 1 },
	{ "team_id",      HUB_SLACK_ID_MAX,  1, 1 },
	{ "user_name",    HUB_PAYLOAD_NAME_MAX, 0, 0 },
	{ "response_url", HUB_PAYLOAD_URL_MAX, 0, 0 },
	{ "trigger_id",   255,        0, 0 },
};

/* Every field within its limits, the required ones present; else r is
 * the 400 naming the field. */
static int
cmd_fields_ok(const struct hub_form *f, struct hub_interact_reply *r)
{
	const char *v;
	size_t i;

	for (i = 0; i < HUB_NELEM(cmd_fields); i++) {
		const struct cmd_field *cf = &cmd_fields[i];

		v = hub_form_get(f, cf->name);
		if (v == NULL || *v == '\0') {
			if (cf->required) {
				hub_interact_reply_error(r, 400, "required", cf->name);
				return 0;
			}
			continue;
		}
		if (strlen(v) > cf->max || (cf->slack_id && !hub_payload_slack_id_ok(v))) {
			hub_interact_reply_error(r, 400, cf->slack_id ? "must be a Slack id" :
			    "too long", cf->name);
			return 0;
		}
	}
	return 1;
}

/* Search words: trimmed, cut at CMD_TEXT_MAX bytes on a character. */
static int
cmd_words(const char *text, struct hub_buf *words)
{
	size_t n;

	if (text == NULL)
		text = "";
	while (*text == ' ' || *text == '\t')
		text++;
	n = strlen(text);
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (n > CMD_TEXT_MAX) {
		n = CMD_TEXT_MAX;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	return hub_buf_add(words, text, n);
}

int
hub_slashcmd_run(struct hub_interact *ia, const struct hub_form *f,
    struct hub_interact_reply *r)
{
	struct hub_payload p;
	struct hub_buf words = HUB_BUF_INIT(CMD_TEXT_MAX * 4);
	const char *msg;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	if (!cmd_fields_ok(f, r))
		goto out;
	p.user_id = hub_form_get(f, "user_id");
	p.team_id = hub_form_get(f, "team_id");
	p.response_url = hub_form_get(f, "response_url");
	if ((rc = hub_interact_team_check(ia, &p, NULL, &msg)) != HUB_DB_OK) {
		hub_interact_db_reply(r, rc);
		goto out;
	}
	if (msg != NULL) {
		text_reply(r, msg);
		goto out;
	}
	if (strcmp(hub_form_get(f, "command"), "/approvals") != 0) {
		text_reply(r, "Unknown command");
		goto out;
	}
	if (cmd_words(hub_form_get(f, "text"), &words) != HUB_BUF_OK) {
		hub_interact_reply_error(r, 500, "out of memory", NULL);
		goto out;
	}
	cmd_approvals(ia, p.user_id, hub_buf_str(&words), r);
out:
	hub_buf_release(&words);
	if (r->status == 0)
		hub_interact_reply_error(r, 500, "unanswered", NULL);
	return r->status;
}
