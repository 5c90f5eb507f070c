/*
 * deliver.c - the notify job (deliver.h).
 *
 * One job = one notification for one assignment (or one request-level
 * notification).  The work is cut into messages; each message is an
 * intent row in delivery_log with a unique key made from the job's
 * generation, so a job run again after a crash, a lease loss or a retry
 * finds what was already sent and sends only the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/json.h"
#include "approval/outbound.h"
#include "slack/render.h"
#include "notify/notifyjob.h"
#include "notify/routing.h"
#include "notify/fanout.h"
#include "notify/deliver.h"

/*
 * The job's verdict.  Handed to the email lane (mailout.h), the job
 * is already that lane's: a retry or a rate limit's deferral it needs
 * anyway keeps its delay (and runs there); otherwise it is deferred at
 * once, no attempt spent, before any failure of another message is
 * final, since its emails are not sent yet.
 */
static void
finish(struct hub_notify *d, struct hub_job_result *r)
{
	if (hub_notifyjob_stopping(d) && (d->retry || d->stop)) {
		hub_job_result_set(r, HUB_JOB_RELEASE, "interrupted", NULL,
		    "interrupted by shutdown");
		return;
	}
	if (d->retry) {
		hub_job_result_set(r, HUB_JOB_RETRY, "retry", d->code, "%s", d->detail);
		r->retry_after = d->retry_after;
	} else if (d->defer_ms > 0)
		hub_job_result_defer(r, d->defer_ms, "rate limit");
	else if (d->handed) {
		hub_job_result_defer(r, 0, "handed to the email lane");
		r->lane = HUB_OUTBOUND_LANE_EMAIL;
	} else if (d->fail)
		hub_job_result_set(r, HUB_JOB_FAIL, "failed", d->code, "%s", d->detail);
	else
		hub_job_result_set(r, HUB_JOB_DONE, "delivered", NULL,
		    "%s: %d Slack, %d email, %d logged",
		    d->kind, d->sent, d->emailed, d->logged);
}

/* The job's own state from its payload; -1 (r set) when the payload is
 * unusable. */
static int
start(struct hub_notify *d, struct hub_job_env *env, const struct hub_job *job,
    struct hub_job_result *r)
{
	const char *s;
	int64_t v;

	memset(d, 0, sizeof(*d));
	d->env = env;
	d->job = job;
	d->r = r;
	d->retry_after = -1;
	d->sl.http = env->http;
	d->sl.api_url = env->conf != NULL ? env->conf->slack_api_url : NULL;
	d->sl.keyring = env->keys;
	/* Never hold the job past its lease. */
	if (env->lease_s > 10)
		d->sl.timeout_ms = (long)(env->lease_s - 5) * 1000 < HUB_SLACK_TIMEOUT_MS ?
		    (long)(env->lease_s - 5) * 1000 : HUB_SLACK_TIMEOUT_MS;
	snprintf(d->jobid, sizeof(d->jobid), "%lld", (long long)job->id);

	if (hub_json_get_string(job->payload, "request_id", HUB_ID_LEN - 1, &s) !=
	    HUB_JSON_OK ||
	    hub_json_get_string(job->payload, "kind", 31, &d->kind) != HUB_JSON_OK ||
	    hub_render_kind_from_name(d->kind, &d->rk) != HUB_RENDER_OK) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: request_id and a known kind are required");
		return -1;
	}
	hub_notifyjob_copy(d->req, sizeof(d->req), s);
	if (hub_json_get_int64(job->payload, "assignment_id", 1, INT64_MAX, &v) == HUB_JSON_OK)
		d->asg = v;
	if (hub_json_get_int64(job->payload, "step", 1, 50, &v) == HUB_JSON_OK)
		d->step = (int)v;

	/* The generation, from the engine's dedupe key (outbound.h). */
	hub_outbound_notify_gen(job, d->gen, sizeof(d->gen));
	return 0;
}

/* The request, the job's assignment (me) and their step: 1 go on, 0
 * nothing to send (r set), -1 the verdict is finish()'s (noted). */
static int
load(struct hub_notify *d, struct hub_person *me, PGresult **req)
{
	int rc = hub_routing_load_request(d, req);

	if (rc == HUB_DB_NOTFOUND) {
		hub_job_result_set(d->r, HUB_JOB_DONE, "request gone", NULL,
		    "the request no longer exists");
		return 0;
	}
	if (rc == HUB_DB_CHECK) {
		hub_notifyjob_fail(d, "bad_payload", "bad payload: request_id is not a uuid");
		return -1;
	}
	if (rc != HUB_DB_OK)
		goto db;
	memset(me, 0, sizeof(*me));
	if (d->asg > 0 && (rc = hub_routing_load_assignment(d, me)) != HUB_DB_OK) {
		if (rc != HUB_DB_NOTFOUND)
			goto db;
		hub_job_result_set(d->r, HUB_JOB_DONE, "assignment gone", NULL,
		    "the assignment no longer exists");
		return 0;
	}
	if (d->step == 0)
		d->step = d->current_step;
	if ((rc = hub_routing_load_step(d)) != HUB_DB_OK)
		goto db;
	if (d->asg > 0 && hub_notifyjob_decides(d) && strcmp(me->status, "pending") != 0) {
		hub_job_result_set(d->r, HUB_JOB_DONE, "not pending", NULL,
		    "%s: the assignment is %s, nothing to send", d->kind, me->status);
		return 0;
	}
	return 1;
db:
	hub_notifyjob_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
	return -1;
}

/* What every message of the job shows: the request's page, who decided
 * and why (or the reason the payload gives an approver). */
static void
ctx_common(struct hub_notify *d)
{
	const struct hub_conf *c = d->env->conf;
	struct hub_buf view = HUB_BUF_INIT(2048);
	json_object *l = json_object_new_object(), *rq;
	const char *by, *why, *s;

	if (l != NULL && c != NULL && c->public_url != NULL &&
	    hub_buf_printf(&view, "%s/requests/%s", c->public_url, d->req) == HUB_BUF_OK)
		json_object_object_add(l, "view", json_object_new_string(hub_buf_str(&view)));
	json_object_object_add(d->ctx, "links", l);
	hub_buf_release(&view);

	rq = json_object_object_get(d->ctx, "request");
	by = json_object_get_string(json_object_object_get(rq, "decided_by"));
	why = json_object_get_string(json_object_object_get(rq, "decision_comment"));
	if (by != NULL)
		json_object_object_add(d->ctx, "actor_display", json_object_new_string(by));
	if (why != NULL)
		json_object_object_add(d->ctx, "reason", json_object_new_string(why));
	else if (hub_json_get_string(d->job->payload, "reason", 2000, &s) == HUB_JSON_OK &&
	    d->asg > 0)
		json_object_object_add(d->ctx, "reason", json_object_new_string(s));
}

void
hub_job_notify(struct hub_job_env *env, const struct hub_job *job,
    struct hub_job_result *r)
{
	struct hub_notify d;
	struct hub_person me;
	PGresult *req = NULL;
	int rc;

	if (start(&d, env, job, r) != 0)
		return;
	if ((d.ctx = json_object_new_object()) == NULL) {
		hub_notifyjob_retry(&d, -1, "nomem", "out of memory");
		goto out;
	}
	if ((rc = load(&d, &me, &req)) == 0)
		goto done;
	if (rc < 0)
		goto out;
	rc = hub_routing_connection(&d);
	if (rc < 0) {
		hub_notifyjob_retry(&d, -1, "database",
		    "database while picking the connection");
		goto out;
	}
	/* None at all: each person is a fallback (fanout.h). */
	d.have_conn = rc == 1;
	hub_routing_mode(&d);
	ctx_common(&d);
	if (d.asg > 0)
		hub_fanout_approver(&d, &me);
	else
		hub_fanout_request(&d, req);
out:
	finish(&d, r);
done:
	PQclear(req);
	json_object_put(d.ctx);
	json_object_put(d.watchers);
}
