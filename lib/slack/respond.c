/*
 * respond.c - the "slack_respond" job and everything that queues it:
 * notes to the person who clicked, the clicked message rewritten without
 * its buttons, and the job that posts them (to a response_url, or as
 * chat.postEphemeral in the user's DM for a Home tab click).  The job's
 * payload is built and read here only.  See respond.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/httpc.h"
#include "base/json.h"
#include "base/log.h"
#include "store/jobs.h"
#include "slack/respond.h"
#include "slack/slackapi.h"

#define RESPOND_TIMEOUT_MS	10000L
#define RESPOND_BODY_MAX	(64 * 1024)
#define RESPOND_DETAIL_MAX	256    /* a verdict's detail line */

enum respond_stmt {
	RS_CONN_FOR_TEAM,
	RS__MAX
};

static const struct hub_stmt respond_stmts[RS__MAX] = {
	/* The connection that can call views.open / chat.postMessage. */
	[RS_CONN_FOR_TEAM] = {
	    "SELECT id FROM slack_connections WHERE team_id = $1 AND type = 'SLACK_APP'"
	    " AND NOT disabled AND bot_token_enc IS NOT NULL"
	    " ORDER BY is_default DESC, created_at LIMIT 1", 1 },
};

static const struct hub_stmt_table respond_table = { "hubresp", respond_stmts, RS__MAX };

/* ------------------------------------------------------------ queueing */
/* Where a response_url may point: Slack's hooks host, or the origin of
 * SLACK_API_URL (the fake in tests).  Never anywhere a payload says. */
static int
url_allowed(const struct hub_conf *conf, const char *url)
{
	static const char hooks[] = "https://hooks.slack.com/";
	const char *api, *p, *slash;
	size_t n;

	if (url == NULL)
		return 0;
	if (strncmp(url, hooks, sizeof(hooks) - 1) == 0)
		return 1;
	api = conf != NULL ? conf->slack_api_url : NULL;
	if (api == NULL || (p = strstr(api, "://")) == NULL ||
	    (slash = strchr(p + 3, '/')) == NULL)
		return 0;
	n = (size_t)(slash - api) + 1;
	return strncmp(url, api, n) == 0;
}

int
hub_respond_team_connection(struct hub_db *db, const char *team, char id[HUB_CONN_ID_LEN])
{
	const char *pp[1] = { team };
	PGresult *res = NULL;
	int rc;

	if ((rc = hub_db_exec(db, &respond_table, RS_CONN_FOR_TEAM, pp, &res)) != HUB_DB_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = HUB_DB_NOTFOUND;
	else
		snprintf(id, HUB_CONN_ID_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* What a slack_respond body is to the person who clicked. */
enum respond_how {
	RESPOND_NOTE,		/* a private note to them */
	RESPOND_REPLACE,	/* the clicked message, rewritten */
};

/*
 * Queue one slack_respond job carrying body ({"text"[, "blocks"]}, taken).
 * Inside the caller's transaction when there is one.  response_type and
 * replace_original are response_url fields: they are added here, for a
 * response_url only.  A Home tab click has neither a response_url nor a
 * message: a note goes to the user as chat.postEphemeral in their DM with
 * the app, and there is nothing to replace.
 */
static int
respond_body(struct hub_db *db, const struct hub_conf *conf, const struct hub_payload *p,
    json_object *body, enum respond_how how)
{
	json_object *job = NULL;
	unsigned char h[HUB_SHA256_LEN];
	char hex[2 * HUB_SHA256_LEN + 1], key[80], conn[HUB_CONN_ID_LEN];
	struct hub_iov iov[3];
	const char *target, *bs;
	int rc = HUB_DB_NOMEM;

	if (body == NULL)
		return HUB_DB_NOMEM;
	if ((job = json_object_new_object()) == NULL)
		goto out;
	if (p->response_url != NULL && url_allowed(conf, p->response_url)) {
		target = p->response_url;
		if (hub_json_set_str(job, "response_url", target) != 0 ||
		    (how == RESPOND_NOTE && hub_json_set_str(body, "response_type", "ephemeral") != 0) ||
		    hub_json_set(body, "replace_original", json_object_new_boolean(how ==
		    RESPOND_REPLACE)) != 0)
			goto out;
	} else if (p->response_url == NULL && p->view != NULL && how == RESPOND_NOTE) {
		if ((rc = hub_respond_team_connection(db, p->team_id, conn)) != HUB_DB_OK) {
			hub_log(HUB_LOG_WARN, "slack_respond_skipped", "reason",
			    "no connection for the team", "team", p->team_id, NULL);
			rc = rc == HUB_DB_NOTFOUND ? HUB_DB_OK : rc;
			goto out;
		}
		target = p->user_id;
		rc = HUB_DB_NOMEM;
		if (hub_json_set_str(job, "connection_id", conn) != 0 ||
		    hub_json_set_str(job, "user", p->user_id) != 0)
			goto out;
	} else {
		hub_log(HUB_LOG_WARN, "slack_respond_skipped", "reason",
		    p->response_url != NULL ? "response_url not on Slack" :
		    p->view != NULL ? "no message to replace" : "no response_url", NULL);
		rc = HUB_DB_OK;
		goto out;
	}
	bs = hub_json_str(body, NULL);
	iov[0].p = target; iov[0].n = strlen(target);
	iov[1].p = "\n"; iov[1].n = 1;
	iov[2].p = bs; iov[2].n = strlen(bs);
	(void)hub_hmac_sha256_iov("respond", 7, iov, HUB_NELEM(iov), h);
	hub_hex_encode(h, 20, hex);
	snprintf(key, sizeof(key), "respond:%s", hex);
	if (json_object_object_add(job, "body", body) != 0)
		goto out;
	body = NULL;
	rc = hub_job_enqueue(db, &(struct hub_job_spec){ .kind = HUB_RESPOND_KIND,
	    .payload = job, .dedupe_key = key }, NULL);
out:
	json_object_put(body);
	json_object_put(job);
	return rc;
}

int
hub_respond_note(struct hub_db *db, const struct hub_conf *conf, const struct hub_payload *p,
    const char *text)
{
	json_object *b = json_object_new_object();

	if (b == NULL || hub_json_set_str(b, "text", text) != 0) {
		json_object_put(b);
		return HUB_DB_NOMEM;
	}
	return respond_body(db, conf, p, b, RESPOND_NOTE);
}

/* Is this block one of our action rows? */
static int
our_actions(json_object *blk)
{
	json_object *t, *els, *el, *aid;
	const char *bid;
	size_t i;

	if (!json_object_object_get_ex(blk, "type", &t) ||
	    strcmp(json_object_get_string(t), "actions") != 0)
		return 0;
	if (json_object_object_get_ex(blk, "block_id", &t) &&
	    json_object_is_type(t, json_type_string) &&
	    strncmp(bid = json_object_get_string(t), HUB_ACTION_BLOCK_PREFIX,
	    strlen(HUB_ACTION_BLOCK_PREFIX)) == 0)
		return 1;
	if (!json_object_object_get_ex(blk, "elements", &els) ||
	    !json_object_is_type(els, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(els); i++) {
		el = json_object_array_get_idx(els, i);
		if (json_object_object_get_ex(el, "action_id", &aid) &&
		    json_object_is_type(aid, json_type_string) &&
		    strncmp(json_object_get_string(aid), HUB_ACTION_PREFIX,
		    strlen(HUB_ACTION_PREFIX)) == 0)
			return 1;
	}
	return 0;
}

/* The clicked message without our buttons and with note at the bottom;
 * NULL when there is no message or the result would not be valid. */
static json_object *
strip_buttons(json_object *message, const char *note)
{
	json_object *blocks, *out = NULL, *arr = NULL, *ctx = NULL, *t;
	struct hub_buf nb = HUB_BUF_INIT(HUB_BK_MAX_TEXT);
	char err[HUB_BK_ERR_MAX];
	size_t i;

	if (message == NULL || !json_object_object_get_ex(message, "blocks", &blocks) ||
	    !json_object_is_type(blocks, json_type_array))
		goto fail;
	if ((arr = json_object_new_array()) == NULL)
		goto fail;
	for (i = 0; i < json_object_array_length(blocks); i++) {
		json_object *b = json_object_array_get_idx(blocks, i);

		if (our_actions(b))
			continue;
		if (json_object_array_add(arr, json_object_get(b)) != 0)
			goto fail;
	}
	if (json_object_array_length(arr) >= HUB_BK_MAX_MESSAGE_BLOCKS ||
	    hub_mrkdwn_escape(&nb, note) != HUB_BK_OK ||
	    hub_bk_context(NULL, &ctx) != HUB_BK_OK ||
	    hub_bk_context_add_mrkdwn(ctx, hub_buf_str(&nb)) != HUB_BK_OK ||
	    json_object_array_add(arr, ctx) != 0)
		goto fail;
	ctx = NULL;
	if ((out = json_object_new_object()) == NULL)
		goto fail;
	if (json_object_object_get_ex(message, "text", &t) &&
	    json_object_is_type(t, json_type_string) && *json_object_get_string(t) != '\0') {
		if (hub_json_set_str(out, "text", json_object_get_string(t)) != 0)
			goto fail;
	} else if (hub_json_set_str(out, "text", note) != 0)
		goto fail;
	if (json_object_object_add(out, "blocks", arr) != 0)
		goto fail;
	arr = NULL;
	if (hub_bk_validate(out, HUB_BK_MESSAGE, err, sizeof(err)) != HUB_BK_OK)
		goto fail;
	hub_buf_release(&nb);
	return out;
fail:
	hub_buf_release(&nb);
	json_object_put(ctx);
	json_object_put(arr);
	json_object_put(out);
	return NULL;
}

int
hub_respond_replace(struct hub_db *db, const struct hub_conf *conf,
    const struct hub_payload *p, const char *note)
{
	json_object *rep;

	if (p->response_url == NULL || (rep = strip_buttons(p->message, note)) == NULL)
		return HUB_DB_OK;
	return respond_body(db, conf, p, rep, RESPOND_REPLACE);
}

/* ------------------------------------------------------------ the job */

static void
respond_url(struct hub_job_env *env, const char *url, json_object *body,
    struct hub_job_result *r)
{
	static const char *const headers[] = {
		"Content-Type: application/json; charset=utf-8", NULL
	};
	struct hub_httpc_resp resp;
	json_object *ans = NULL, *ok;
	const char *bs;
	size_t blen;
	char code[32];
	int rc;

	if (!url_allowed(env->conf, url)) {
		hub_job_result_set(r, HUB_JOB_FAIL, "response_url refused", "bad_url",
		    "response_url is not on Slack");
		return;
	}
	bs = hub_json_str(body, &blen);
	hub_httpc_resp_init(&resp, RESPOND_BODY_MAX);
	rc = hub_httpc_post(env->http, url, headers, bs, blen, RESPOND_TIMEOUT_MS, &resp);
	if (rc == HUB_HTTPC_ABORTED) {
		hub_job_result_set(r, HUB_JOB_RELEASE, "shutdown", "aborted", "%s", "");
		goto out;
	}
	if (rc != HUB_HTTPC_OK) {
		hub_job_result_set(r, hub_httpc_is_transient(rc, 0) ? HUB_JOB_RETRY : HUB_JOB_FAIL,
		    hub_httpc_strerror(rc), rc == HUB_HTTPC_TIMEOUT ? "timeout" : "transport", "%s",
		    hub_httpc_strerror(rc));
		goto out;
	}
	snprintf(code, sizeof(code), "http_%ld", resp.status);
	if (resp.status < 200 || resp.status > 299) {
		hub_job_result_set(r, hub_httpc_is_transient(HUB_HTTPC_OK, resp.status) ?
		    HUB_JOB_RETRY : HUB_JOB_FAIL, "HTTP error", code, "%s",
		    hub_buf_str(&resp.body));
		r->retry_after = resp.retry_after;
		goto out;
	}
	/* Slack answers "ok" or {"ok":true}; {"ok":false,"error":…} is our bug. */
	if (hub_json_parse_object(hub_buf_str(&resp.body), resp.body.len, RESPOND_BODY_MAX,
	    8, &ans) == HUB_JSON_OK && json_object_object_get_ex(ans, "ok", &ok) &&
	    !json_object_get_boolean(ok)) {
		hub_job_result_set(r, HUB_JOB_FAIL, "refused", "refused",
		    "%s", hub_buf_str(&resp.body));
		goto out;
	}
	hub_job_result_set(r, HUB_JOB_DONE, "ok", NULL, "responded");
out:
	json_object_put(ans);
	hub_httpc_resp_free(&resp);
}

/* The verdict on a Web API answer that was not ok. */
static void
slack_verdict(struct hub_job_result *r, int rc, const char *method,
    const struct hub_slack_result *res)
{
	char detail[RESPOND_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "%s: %.200s", method, res->detail[0] ? res->detail :
	    res->error[0] ? hub_slack_fix(res->error) : hub_conn_strerror(rc));
	switch (res->cls) {
	case HUB_SLACK_RATELIMITED:
		if (strcmp(res->error, "local_ratelimit") == 0 && res->wait_ms > 0) {
			hub_job_result_defer(r, res->wait_ms, "rate limit");
			break;
		}
		hub_job_result_set(r, HUB_JOB_RETRY, "rate limited", "ratelimited",
		    "%s", detail);
		r->retry_after = res->retry_after >= 0 ? res->retry_after :
		    (int)((res->wait_ms + 999) / 1000);
		break;
	case HUB_SLACK_TRANSIENT:
		hub_job_result_set(r, HUB_JOB_RETRY, "transient", res->error, "%s", detail);
		break;
	default:
		hub_job_result_set(r, rc == HUB_CONN_DB ? HUB_JOB_RETRY : HUB_JOB_FAIL,
		    "refused",
		    res->error[0] ? res->error : hub_conn_strerror(rc), "%s", detail);
	}
}

/*
 * A note to a user who clicked in the Home tab.  chat.postEphemeral needs
 * a channel the user is in, and a Home tab click has none: the user's DM
 * with the app (conversations.open, im:write) always is one.  Only the
 * message's text and blocks are passed on: Slack's method takes no
 * response_url fields.
 */
static void
respond_ephemeral(struct hub_job_env *env, const char *conn_id, const char *user,
    json_object *body, struct hub_job_result *r)
{
	static const char *const carried[] = { "text", "blocks" };
	struct hub_slack slack;
	struct hub_slack_result res;
	struct hub_conn conn;
	json_object *args = NULL, *ch, *v;
	const char *id;
	char channel[HUB_SLACK_ID_MAX + 1];
	size_t i;
	int rc;

	hub_slack_result_init(&res);
	if ((rc = hub_connections_get(env->db, conn_id, &conn)) != HUB_CONN_OK) {
		hub_job_result_set(r, rc == HUB_CONN_DB ? HUB_JOB_RETRY : HUB_JOB_FAIL,
		    "no connection", "no_connection", "%s", hub_conn_strerror(rc));
		goto out;
	}
	memset(&slack, 0, sizeof(slack));
	slack.http = env->http;
	slack.api_url = env->conf->slack_api_url;
	slack.keyring = env->keys;
	if ((args = json_object_new_object()) == NULL || hub_json_set_str(args, "users", user) != 0) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "%s", "");
		goto out;
	}
	rc = hub_connections_call(env->db, &slack, &conn, "conversations.open", NULL, args,
	    &res);
	if (rc != HUB_CONN_OK || !res.ok) {
		slack_verdict(r, rc, "conversations.open", &res);
		goto out;
	}
	if (hub_json_get_object(res.resp, "channel", &ch) != HUB_JSON_OK ||
	    hub_json_get_string(ch, "id", HUB_SLACK_ID_MAX, &id) != HUB_JSON_OK || !hub_payload_slack_id_ok(id)) {
		hub_job_result_set(r, HUB_JOB_RETRY, "invalid answer", "invalid_response",
		    "conversations.open: no channel id");
		goto out;
	}
	/* Ours: the next call frees the answer it came in. */
	snprintf(channel, sizeof(channel), "%s", id);
	json_object_put(args);
	if ((args = json_object_new_object()) == NULL || hub_json_set_str(args, "channel", channel) != 0 ||
	    hub_json_set_str(args, "user", user) != 0) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "%s", "");
		goto out;
	}
	for (i = 0; i < HUB_NELEM(carried); i++)
		if (json_object_object_get_ex(body, carried[i], &v) &&
		    hub_json_set(args, carried[i], json_object_get(v)) != 0) {
			hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "%s", "");
			goto out;
		}
	rc = hub_connections_call(env->db, &slack, &conn, "chat.postEphemeral", channel, args,
	    &res);
	if (rc == HUB_CONN_OK && res.ok)
		hub_job_result_set(r, HUB_JOB_DONE, "ok", NULL, "posted");
	else
		slack_verdict(r, rc, "chat.postEphemeral", &res);
out:
	json_object_put(args);
	hub_slack_result_free(&res);
}

void
hub_job_slack_respond(struct hub_job_env *env, const struct hub_job *job,
    struct hub_job_result *r)
{
	json_object *body;
	const char *url = NULL, *conn = NULL, *user = NULL;

	r->retry_after = -1;
	/* Jobs queued before "user" named the Home tab user "channel". */
	if (hub_json_get_object(job->payload, "body", &body) != HUB_JSON_OK ||
	    hub_json_opt_string(job->payload, "response_url", HUB_PAYLOAD_URL_MAX, &url) != 0 ||
	    hub_json_opt_string(job->payload, "connection_id", HUB_CONN_ID_LEN, &conn) != 0 ||
	    hub_json_opt_string(job->payload, "user", HUB_SLACK_ID_MAX, &user) != 0 ||
	    (user == NULL && hub_json_opt_string(job->payload, "channel", HUB_SLACK_ID_MAX, &user) != 0) ||
	    (url == NULL && (conn == NULL || user == NULL || !hub_payload_slack_id_ok(user)))) {
		hub_job_result_set(r, HUB_JOB_FAIL, "malformed payload", "bad_payload", "%s", "");
		return;
	}
	if (url != NULL)
		respond_url(env, url, body, r);
	else
		respond_ephemeral(env, conn, user, body, r);
}
