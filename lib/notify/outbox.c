/*
 * outbox.c - the exactly-once outbox of the notify job (outbox.h): the
 * delivery_log intent claimed and committed before a message is sent, its
 * outcome, and the sent_messages rows of what went out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/common.h"
#include "base/log.h"
#include "notify/reqhistory.h"
#include "notify/notifyjob.h"
#include "notify/outbox.h"

enum outbox_stmt {
	DL_INTENT_CLAIM,
	DL_INTENT_GET,
	DL_INTENT_TAKE,
	DL_INTENT_DONE,
	DL_INTENT_ERROR,
	DL_LOG_ONCE,
	OUTBOX__MAX
};

static const struct hub_stmt outbox_stmts[OUTBOX__MAX] = {
	/* The intent, committed on its own before anything is sent. */
	[DL_INTENT_CLAIM] = {
	    "INSERT INTO delivery_log (delivery_key, request_id, job_id, connection_id, kind,"
	    " transport, channel, recipient, assignment_id, covers, status, retries, preview)"
	    " VALUES ($1, $2::uuid, $3::bigint, $4::uuid, $5, $6, $7, $8, $9::bigint,"
	    "  $10::bigint[], 'sending', $11::integer, $12::jsonb)"
	    " ON CONFLICT (delivery_key) WHERE delivery_key IS NOT NULL DO NOTHING RETURNING id", 12 },
	/* $1 key, $2 our job */
	[DL_INTENT_GET] = {
	    "SELECT d.id, d.status, coalesce(d.ts, ''), coalesce(d.channel, ''),"
	    " coalesce(d.job_id = $2::bigint, false),"
	    " EXISTS (SELECT 1 FROM jobs j WHERE j.id = d.job_id"
	    "  AND j.state IN ('queued', 'running')),"
	    " extract(epoch FROM d.created_at)::bigint,"
	    " extract(epoch FROM now() - d.updated_at)::bigint,"
	    " coalesce(d.error_code, ''), coalesce(d.error_detail, ''), d.covers::text"
	    " FROM delivery_log d WHERE d.delivery_key = $1", 2 },
	/* $1 id, $2 job, $3 retries */
	[DL_INTENT_TAKE] = {
	    "UPDATE delivery_log SET job_id = $2::bigint, status = 'sending', retries = $3::integer"
	    " WHERE id = $1::bigint", 3 },
	/* Delivered, in one statement (no BEGIN/COMMIT round trips): the
	 * intent's outcome and the sent_messages rows of what went out.
	 * $1 id, $2 ts (NULL: none, then no sent rows), $3 channel (NULL:
	 * keep), $4 thread_ts, $5 preview (NULL: keep), $6 request,
	 * $7 assignments ('{NULL}' for none), $8 connection (NULL: no sent
	 * rows), $9 kind */
	[DL_INTENT_DONE] = {
	    "WITH sent AS ("
	    " INSERT INTO sent_messages (request_id, assignment_id, connection_id, channel, ts,"
	    "  thread_ts, kind)"
	    " SELECT $6::uuid, x, $8::uuid, coalesce($3::text, ''), $2::text, $4::text, $9::text"
	    " FROM unnest($7::bigint[]) x WHERE $2::text IS NOT NULL AND $8::uuid IS NOT NULL"
	    " ON CONFLICT (connection_id, channel, ts, (coalesce(assignment_id, 0))) DO NOTHING)"
	    " UPDATE delivery_log SET status = 'delivered', ts = $2::text,"
	    " channel = coalesce($3::text, channel), thread_ts = $4::text, error_code = NULL, error_detail = NULL,"
	    " preview = coalesce($5::jsonb, preview) WHERE id = $1::bigint", 9 },
	/* $1 id, $2 status, $3 code, $4 detail */
	[DL_INTENT_ERROR] = {
	    "UPDATE delivery_log SET status = $2, error_code = $3, error_detail = $4"
	    " WHERE id = $1::bigint", 4 },
	/* A row that records without sending (users_not_found, no recipient). */
	[DL_LOG_ONCE] = {
	    "INSERT INTO delivery_log (delivery_key, request_id, job_id, connection_id, kind,"
	    " transport, recipient, assignment_id, status, error_code, error_detail)"
	    " VALUES ($1, $2::uuid, $3::bigint, $4::uuid, $5, $6, $7, $8::bigint, 'failed', $9, $10)"
	    " ON CONFLICT (delivery_key) WHERE delivery_key IS NOT NULL DO NOTHING", 10 },
};

static const struct hub_stmt_table outbox_table = { "outbox", outbox_stmts, OUTBOX__MAX };

static int
dq(struct hub_notify *d, int stmt, const char *const *p, PGresult **res)
{
	return hub_db_exec(d->env->db, &outbox_table, stmt, p, res);
}

/* "{1,2,3}" */
static int
covers_text(const int64_t *v, size_t n, struct hub_buf *b)
{
	size_t i;

	if (hub_buf_addc(b, '{') != HUB_BUF_OK)
		return -1;
	if (n == 0 && hub_buf_adds(b, "NULL") != HUB_BUF_OK)
		return -1;
	for (i = 0; i < n; i++)
		if (hub_buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]) != HUB_BUF_OK)
			return -1;
	return hub_buf_addc(b, '}') == HUB_BUF_OK ? 0 : -1;
}

int
hub_outbox_covers_has(const char *text, int64_t id)
{
	const char *s = text;
	char *end;
	long long v;

	while (*s != '\0') {
		if (*s < '0' || *s > '9') {
			s++;
			continue;
		}
		v = strtoll(s, &end, 10);
		if (v == id)
			return 1;
		s = end;
	}
	return 0;
}

int
hub_outbox_get(struct hub_notify *d, const char *key, struct hub_intent *in)
{
	const char *p[2] = { key, d->jobid };
	PGresult *res = NULL;
	int rc;

	memset(in, 0, sizeof(*in));
	if ((rc = dq(d, DL_INTENT_GET, p, &res)) != HUB_DB_OK) {
		hub_notifyjob_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		return -1;
	}
	rc = PQntuples(res) == 1;
	if (rc) {
		in->id = hub_notifyjob_cell(res, 0, 0);
		hub_notifyjob_copy(in->status, sizeof(in->status), PQgetvalue(res, 0, 1));
		hub_notifyjob_copy(in->ts, sizeof(in->ts), PQgetvalue(res, 0, 2));
		hub_notifyjob_copy(in->channel, sizeof(in->channel), PQgetvalue(res, 0, 3));
		in->mine = *PQgetvalue(res, 0, 4) == 't';
		in->owner_live = *PQgetvalue(res, 0, 5) == 't';
		in->created = hub_notifyjob_cell(res, 0, 6);
		in->age_s = hub_notifyjob_cell(res, 0, 7);
		hub_notifyjob_copy(in->code, sizeof(in->code), PQgetvalue(res, 0, 8));
		hub_notifyjob_copy(in->detail, sizeof(in->detail), PQgetvalue(res, 0, 9));
		hub_notifyjob_copy(in->covers, sizeof(in->covers), PQgetvalue(res, 0, 10));
	}
	PQclear(res);
	return rc;
}

/* Insert the intent: 1 it is ours and new, 0 one exists (in filled),
 * -1 database trouble (recorded). */
int
hub_outbox_claim(struct hub_notify *d, struct hub_post *po, struct hub_intent *in)
{
	struct hub_buf cov = HUB_BUF_INIT(16384);
	const char *p[12];
	char asg[HUB_INT64_TEXT_SIZE], retries[HUB_INT_TEXT_SIZE], *preview = NULL;
	PGresult *res = NULL;
	int rc, ret = -1;

	snprintf(asg, sizeof(asg), "%lld", (long long)po->asg);
	snprintf(retries, sizeof(retries), "%d", d->job->attempts);
	if (covers_text(po->covers, po->ncovers, &cov) != 0) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		goto out;
	}
	p[0] = po->key;
	p[1] = d->req;
	p[2] = d->jobid;
	p[3] = d->have_conn && strcmp(po->transport, "email") != 0 ? d->conn.id : NULL;
	p[4] = po->kind;
	p[5] = po->transport;
	p[6] = po->target;
	p[7] = po->recipient;
	p[8] = po->asg > 0 ? asg : NULL;
	p[9] = po->ncovers > 0 ? hub_buf_str(&cov) : "{}";
	p[10] = retries;
	/* What the request page previews (notify/reqhistory.h). */
	if (strcmp(po->transport, "email") != 0)
		preview = hub_reqhistory_preview(po->blocks, po->text);
	p[11] = preview;
	if ((rc = dq(d, DL_INTENT_CLAIM, p, &res)) != HUB_DB_OK) {
		hub_notifyjob_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		goto out;
	}
	if (PQntuples(res) == 1) {
		memset(in, 0, sizeof(*in));
		in->id = hub_notifyjob_cell(res, 0, 0);
		hub_notifyjob_copy(in->status, sizeof(in->status), "sending");
		in->mine = 1;
		in->created = (long long)time(NULL);
		ret = 1;
	} else
		ret = hub_outbox_get(d, po->key, in) == 1 ? 0 : -1;
out:
	PQclear(res);
	hub_buf_release(&cov);
	free(preview);
	return ret;
}

int
hub_outbox_take(struct hub_notify *d, const struct hub_intent *in)
{
	char id[HUB_INT64_TEXT_SIZE], retries[HUB_INT_TEXT_SIZE];
	const char *p[3] = { id, d->jobid, retries };
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)in->id);
	snprintf(retries, sizeof(retries), "%d", d->job->attempts);
	if ((rc = dq(d, DL_INTENT_TAKE, p, NULL)) != HUB_DB_OK) {
		hub_notifyjob_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		return -1;
	}
	return 0;
}

void
hub_outbox_error(struct hub_notify *d, int64_t intent, const char *status, const char *code,
    const char *detail)
{
	char id[HUB_INT64_TEXT_SIZE];
	const char *p[4] = { id, status, code, detail };

	snprintf(id, sizeof(id), "%lld", (long long)intent);
	if (dq(d, DL_INTENT_ERROR, p, NULL) != HUB_DB_OK)
		hub_log(HUB_LOG_WARN, "delivery_log_update_failed", "code", code, NULL);
}

/* Delivered: the ts on the intent and the sent_messages rows, together
 * (one statement, so one round trip and atomic without a transaction). */
int
hub_outbox_done(struct hub_notify *d, int64_t intent, struct hub_post *po)
{
	struct hub_buf cov = HUB_BUF_INIT(16384);
	const char *p[9];
	char id[HUB_INT64_TEXT_SIZE], *preview = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)intent);
	if (covers_text(po->covers, po->ncovers, &cov) != 0) {
		hub_buf_release(&cov);
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return -1;
	}
	p[0] = id;
	p[1] = po->ts[0] ? po->ts : NULL;
	p[2] = po->channel[0] ? po->channel : NULL;
	p[3] = po->thread_ts;
	/* An email's subject is known once it was rendered. */
	p[4] = po->subject != NULL ? (preview = hub_reqhistory_email_preview(po->subject)) :
	    NULL;
	p[5] = d->req;
	p[6] = hub_buf_str(&cov);
	p[7] = d->have_conn ? d->conn.id : NULL;
	p[8] = po->kind;
	rc = dq(d, DL_INTENT_DONE, p, NULL);
	hub_buf_release(&cov);
	free(preview);
	if (rc == HUB_DB_OK)
		return 0;
	/* The message is out; the next run finds it by its key. */
	hub_notifyjob_retry(d, -1, "database", "database after sending: %s",
	    hub_db_strerror(rc));
	return -1;
}

/* A row for an admin without sending anything; once per key. */
void
hub_outbox_log(struct hub_notify *d, const char *key, const char *kind, const char *transport,
    const char *recipient, int64_t asg, const char *code, const char *detail)
{
	const char *p[10];
	char a[HUB_INT64_TEXT_SIZE];
	int rc;

	snprintf(a, sizeof(a), "%lld", (long long)asg);
	p[0] = key;
	p[1] = d->req;
	p[2] = d->jobid;
	p[3] = d->have_conn ? d->conn.id : NULL;
	p[4] = kind;
	p[5] = transport;
	p[6] = recipient;
	p[7] = asg > 0 ? a : NULL;
	p[8] = code;
	p[9] = detail;
	if ((rc = dq(d, DL_LOG_ONCE, p, NULL)) != HUB_DB_OK)
		hub_notifyjob_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
	else
		d->logged++;
}
