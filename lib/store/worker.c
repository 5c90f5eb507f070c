/*
 * worker.c - claim, dispatch, record: the loop of approvalhub-worker.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/conf.h"
#include "slack/connadmin.h"
#include "slack/connections.h"
#include "base/crypto.h"
#include "notify/deliver.h"
#include "approval/engine.h"
#include "slack/home.h"
#include "base/httpc.h"
#include "slack/interact.h"
#include "store/jobenv.h"
#include "store/netpolicy.h"
#include "base/json.h"
#include "base/log.h"
#include "notify/msgsync.h"
#include "slack/oauth.h"
#include "slack/slacksig.h"
#include "store/worker.h"

#define WORKER_DEFAULT_LEASE_S	60
#define WORKER_DEFAULT_IDLE_MS	5000
#define WORKER_BACKOFF_CAP_MS	(3600 * 1000)
#define WORKER_DB_RETRY_MAX_S	30
/* Callbacks are retried for a day (DESIGN.md). */
#define HTTP_POST_MAX_AGE_S	86400
#define HTTP_POST_MAX_ATTEMPTS	"50"
#define HTTP_POST_MAX_URL	2048
#define HTTP_POST_MAX_HEADERS	32
#define HTTP_POST_MAX_HEADER	1024
#define HTTP_POST_MAX_SECRET	512
#define HTTP_POST_MAX_RESP	(64 * 1024)
#define HTTP_POST_DEFAULT_MS	10000
/* Sweeps: requests per engine call, and calls per sweep so a backlog
 * cannot starve the job queue. */
#define SWEEP_BATCH		100
#define SWEEP_MAX_ROUNDS	10
/* SLACK_BOT_TOKEN's connection: retried 1 s, 2 s, 4 s ... up to a minute
 * while Slack (or the database) does not answer; each call is short so the
 * job loop is never held for long. */
#define ENV_CONN_RETRY_MAX_S	60
#define ENV_CONN_TIMEOUT_MS	5000L

struct hub_worker {
	struct hub_worker_env		 env;      /* what handlers see; refreshed per job */
	const struct hub_worker_opts	*opts;
	const volatile sig_atomic_t	*stop;
	struct hub_db			*db;
	struct hub_httpc		*http;
	struct hub_keyring		 keys;
	int				 lease_s;
	int				 db_down;     /* in a failure streak */
	int				 db_fails;
	struct timespec			 next_sweep;  /* CLOCK_MONOTONIC */
	int				 env_conn_pending; /* SLACK_BOT_TOKEN not yet a connection */
	int				 env_conn_delay_s;
	struct timespec			 env_conn_next;    /* CLOCK_MONOTONIC */
};


struct worker_kind {
	const char	*kind;
	hub_job_handler	 run;
	int		 max_age_s;  /* stop retrying this long after creation; 0 = no limit */
	int		 env_conn;   /* retried, not run, while SLACK_BOT_TOKEN is not a
				      * connection yet: it would find none and be dropped */
};

static void http_post_run(struct hub_worker_env *, const struct hub_job *, struct hub_worker_result *);

static const struct worker_kind kinds[] = {
	{ "http_post", http_post_run, HTTP_POST_MAX_AGE_S, 0 },
	{ "notify",    hub_job_notify, 0, 1 },
	{ "sync",      hub_job_sync,  0, 0 },
	{ "slack_respond", hub_job_slack_respond, 1800, 0 },  /* response_url lives 30 min */
	{ "home_publish",  hub_job_home_publish,  0, 0 },
	{ HUB_OAUTH_JOB_KIND, hub_job_oauth_exchange, HUB_OAUTH_JOB_MAX_AGE_S, 0 },
	{ HUB_CONNADM_TEST_KIND, hub_job_connection_test, HUB_CONNADM_TEST_MAX_AGE_S, 0 },
};

enum worker_stmt {
	WORKER_SET_DEADLINE,
	WORKER_DELIVERY_SENDING,
	WORKER_DELIVERY_OUTCOME,
	WORKER_NEXT_DUE,
	WORKER__MAX
};

static const struct hub_stmt worker_stmts[WORKER__MAX] = {
	/* $1 id, $2 max age s, $3 max attempts.  Enough attempts for the
	 * default backoff (10 s doubling to 1 h) to span the whole window. */
	[WORKER_SET_DEADLINE] = {
	    "UPDATE jobs SET deadline = created_at + make_interval(secs => $2::integer),"
	    " max_attempts = greatest(max_attempts, $3::integer)"
	    " WHERE id = $1::bigint AND deadline IS NULL", 3 },
	/* $1 delivery id, $2 job id */
	[WORKER_DELIVERY_SENDING] = {
	    "UPDATE delivery_log SET status = 'sending', job_id = coalesce(job_id, $2::bigint)"
	    " WHERE id = $1::bigint", 2 },
	/* $1 delivery id, $2 job id, $3 error code, $4 error detail (NULL:
	 * keep).  Read from the job row just written in the same transaction,
	 * so the delivery says what the queue will do: done, failed for good
	 * (also when max_attempts or the deadline ran out), or queued again
	 * (retrying; queued when a release gave back a first attempt). */
	[WORKER_DELIVERY_OUTCOME] = {
	    "UPDATE delivery_log d SET job_id = coalesce(d.job_id, j.id),"
	    " status = CASE j.state WHEN 'done' THEN 'delivered' WHEN 'failed' THEN 'failed'"
	    "  WHEN 'queued' THEN CASE WHEN j.attempts > 0 THEN 'retrying' ELSE 'queued' END"
	    "  ELSE d.status END,"
	    " retries = CASE WHEN j.state = 'queued' THEN j.attempts"
	    "  ELSE greatest(j.attempts - 1, 0) END,"
	    " error_code = CASE WHEN j.state = 'done' THEN NULL"
	    "  ELSE coalesce($3, d.error_code) END,"
	    " error_detail = CASE WHEN j.state = 'done' THEN NULL"
	    "  ELSE coalesce($4, d.error_detail) END"
	    " FROM jobs j WHERE d.id = $1::bigint AND j.id = $2::bigint", 4 },
	/* ms until the next queued job is due or a lease runs out; -1: none.
	 * A scheduled retry fires no NOTIFY when it becomes due. */
	[WORKER_NEXT_DUE] = {
	    "SELECT coalesce(greatest(0, ceil(extract(epoch FROM least("
	    "  (SELECT min(run_at) FROM jobs WHERE state = 'queued'),"
	    "  (SELECT min(locked_until) FROM jobs WHERE state = 'running'))"
	    " - now()) * 1000)), -1)::bigint", 0 },
};

static const struct hub_stmt_table worker_table = { "hubwrk", worker_stmts, WORKER__MAX };

/* delivery_log.error_code for a transport error. */
static const struct {
	int		 err;
	const char	*code;
} httpc_codes[] = {
	{ HUB_HTTPC_NOMEM,   "nomem" },
	{ HUB_HTTPC_BADURL,  "bad_url" },
	{ HUB_HTTPC_CONNECT, "connect" },
	{ HUB_HTTPC_TIMEOUT, "timeout" },
	{ HUB_HTTPC_TOOBIG,  "too_big" },
	{ HUB_HTTPC_OTHER,   "transport" },
	{ HUB_HTTPC_ABORTED, "interrupted" },
	{ HUB_HTTPC_REFUSED, "address_refused" },
};

HUB_PRINTF(3, 4) static void
result_set(struct hub_worker_result *r, int verdict, const char *fmt, ...)
{
	va_list ap;

	r->verdict = verdict;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

static void
result_code(struct hub_worker_result *r, const char *code)
{
	snprintf(r->code, sizeof(r->code), "%s", code);
}

/* ------------------------------------------------------------ http_post */

/* RFC 9110 token characters. */
static int
header_name_ok(const char *s)
{
	const char *extra = "!#$%&'*+-.^_`|~";

	if (*s == '\0' || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

static int
header_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' && *s != '\t')
			return 0;
	return 1;
}

/* Headers the payload may not set: ours, or ones that break framing. */
static int
header_reserved(const char *name)
{
	static const char *const reserved[] = {
		"X-Hub-Signature", "X-Hub-Request-Timestamp", "Host",
		"Content-Length", "Transfer-Encoding", "Expect", "Connection",
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(reserved); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

struct post_req {
	const char	*url;
	const char	*source_id;   /* whose allowlist applies; NULL: global */
	const char	*body;
	size_t		 len;
	long		 timeout_ms;
	struct hub_buf	 secret;
	char		*hdrs[HTTP_POST_MAX_HEADERS + 4];
	size_t		 nhdrs;
	int		 have_ctype;
};

static void
post_req_free(struct post_req *p)
{
	size_t i;

	for (i = 0; i < p->nhdrs; i++)
		free(p->hdrs[i]);
	p->nhdrs = 0;
	if (p->secret.data != NULL)
		OPENSSL_cleanse(p->secret.data, p->secret.len);
	hub_buf_release(&p->secret);
}

static int
post_req_header(struct post_req *p, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *h;

	/* One slot stays free for the NULL that ends the list. */
	if (p->nhdrs + 1 >= HUB_NELEM(p->hdrs) || nl + 2 + vl >= HTTP_POST_MAX_HEADER)
		return -1;
	if ((h = malloc(nl + 2 + vl + 1)) == NULL)
		return -1;
	memcpy(h, name, nl);
	memcpy(h + nl, ": ", 2);
	memcpy(h + nl + 2, value, vl + 1);
	p->hdrs[p->nhdrs++] = h;
	return 0;
}

/* Validate the payload into *p; a message for the detail on failure. */
static const char *
post_req_parse(const struct hub_worker_env *e, json_object *pl, struct post_req *p)
{
	json_object *body, *hdrs;
	const char *s;
	int64_t ms;
	int rc;

	if (pl == NULL || !json_object_is_type(pl, json_type_object))
		return "payload is not an object";
	if (hub_json_get_string(pl, "url", HTTP_POST_MAX_URL, &p->url) != HUB_JSON_OK)
		return "url missing or too long";
	if (strncasecmp(p->url, "http://", 7) != 0 && strncasecmp(p->url, "https://", 8) != 0)
		return "url is not http(s)";
	rc = hub_json_get_string(pl, "source_id", 64, &p->source_id);
	if (rc == HUB_JSON_MISSING)
		p->source_id = NULL;
	else if (rc != HUB_JSON_OK)
		return "source_id must be a string";
	if (!json_object_object_get_ex(pl, "body", &body))
		return "body missing";
	if (json_object_is_type(body, json_type_string)) {
		p->body = json_object_get_string(body);
		p->len = (size_t)json_object_get_string_len(body);
	} else {
		p->body = hub_json_str(body, &p->len);
		if (p->body == NULL)
			return "body cannot be serialized";
	}
	rc = hub_json_get_int64(pl, "timeout_ms", 100, 60000, &ms);
	if (rc == HUB_JSON_OK)
		p->timeout_ms = (long)ms;
	else if (rc == HUB_JSON_MISSING)
		p->timeout_ms = HTTP_POST_DEFAULT_MS;
	else
		return "timeout_ms must be 100..60000";
	/* Never hold a job past its lease: another worker would take it. */
	if (e->lease_s > 10 && p->timeout_ms > (long)(e->lease_s - 5) * 1000)
		p->timeout_ms = (long)(e->lease_s - 5) * 1000;

	rc = hub_json_get_object(pl, "headers", &hdrs);
	if (rc == HUB_JSON_OK) {
		struct json_object_iterator it = json_object_iter_begin(hdrs);
		struct json_object_iterator end = json_object_iter_end(hdrs);

		if (json_object_object_length(hdrs) > HTTP_POST_MAX_HEADERS)
			return "too many headers";
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *name = json_object_iter_peek_name(&it);
			json_object *v = json_object_iter_peek_value(&it);

			if (!header_name_ok(name) || header_reserved(name))
				return "header name not allowed";
			if (!json_object_is_type(v, json_type_string) ||
			    !header_value_ok(json_object_get_string(v)))
				return "header value must be a string without control characters";
			if (strcasecmp(name, "Content-Type") == 0)
				p->have_ctype = 1;
			if (post_req_header(p, name, json_object_get_string(v)) != 0)
				return "header too long";
		}
	} else if (rc != HUB_JSON_MISSING)
		return "headers must be an object";
	if (!p->have_ctype && post_req_header(p, "Content-Type",
	    json_object_is_type(body, json_type_string) ?
	    "text/plain; charset=utf-8" : "application/json") != 0)
		return "out of memory";

	rc = hub_json_get_string(pl, "sign_secret", HTTP_POST_MAX_SECRET, &s);
	if (rc == HUB_JSON_OK) {
		if (*s == '\0' || hub_buf_adds(&p->secret, s) != HUB_BUF_OK)
			return "sign_secret empty or too long";
	} else if (rc != HUB_JSON_MISSING)
		return "sign_secret must be a string";
	rc = hub_json_get_string(pl, "sign_secret_sealed", 4 * HTTP_POST_MAX_SECRET, &s);
	if (rc == HUB_JSON_OK) {
		if (e->keys->n == 0)
			return "sign_secret_sealed needs SECRET_KEY";
		if (hub_box_open(e->keys, s, strlen(s), &p->secret) != HUB_CRYPTO_OK ||
		    p->secret.len == 0)
			return "sign_secret_sealed cannot be opened with SECRET_KEY";
	} else if (rc != HUB_JSON_MISSING)
		return "sign_secret_sealed must be a string";
	return NULL;
}

/* Every http_post goes to a URL a source chose: guarded, with the
 * allowlist in force now (a row queued before the guard, or while an
 * allowlist that is gone allowed it, is checked all the same).  The
 * httpc error, or -1 when the allowlist cannot be read. */
static int
post_guarded(struct hub_worker_env *e, struct post_req *p, struct hub_httpc_resp *resp)
{
	struct hub_netguard guard;
	int rc;

	if (hub_netpolicy_load(e->db, p->source_id, &guard) != HUB_DB_OK)
		return -1;
	hub_httpc_set_guard(e->http, &guard);
	rc = hub_httpc_post(e->http, p->url, (const char *const *)p->hdrs, p->body, p->len,
	    p->timeout_ms, resp);
	hub_httpc_set_guard(e->http, NULL);
	return rc;
}

static void
http_post_run(struct hub_worker_env *e, const struct hub_job *job, struct hub_worker_result *r)
{
	struct post_req p;
	struct hub_httpc_resp resp;
	const char *bad;
	char ts[32], sig[HUB_SIG_LEN];
	int rc;

	memset(&p, 0, sizeof(p));
	hub_buf_init(&p.secret, HTTP_POST_MAX_SECRET);
	hub_httpc_resp_init(&resp, HTTP_POST_MAX_RESP);

	if ((bad = post_req_parse(e, job->payload, &p)) != NULL) {
		r->reason = "bad payload";
		result_code(r, "bad_payload");
		result_set(r, HUB_WORKER_FAIL, "bad payload: %s", bad);
		goto out;
	}
	if (p.secret.len > 0) {
		snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		hub_sig_sign("v1", hub_buf_str(&p.secret), ts, p.body, p.len, sig);
		if (post_req_header(&p, "X-Hub-Request-Timestamp", ts) != 0 ||
		    post_req_header(&p, "X-Hub-Signature", sig) != 0) {
			r->reason = "out of memory";
			result_code(r, "nomem");
			result_set(r, HUB_WORKER_RETRY, "out of memory");
			goto out;
		}
	}
	p.hdrs[p.nhdrs] = NULL;

	if ((rc = post_guarded(e, &p, &resp)) < 0) {
		r->reason = "database error";
		result_code(r, "db");
		result_set(r, HUB_WORKER_RETRY, "cannot read callbacks.allow_networks");
		goto out;
	}
	if (rc == HUB_HTTPC_ABORTED) {
		r->reason = "interrupted";
		result_set(r, HUB_WORKER_RELEASE, "interrupted by shutdown");
	} else if (rc == HUB_HTTPC_OK && resp.status >= 200 && resp.status <= 299) {
		r->reason = "delivered";
		result_set(r, HUB_WORKER_DONE, "HTTP %ld", resp.status);
	} else if (rc == HUB_HTTPC_OK) {
		r->reason = "HTTP error";
		snprintf(r->code, sizeof(r->code), "http_%ld", resp.status);
		result_set(r, hub_httpc_is_transient(rc, resp.status) ?
		    HUB_WORKER_RETRY : HUB_WORKER_FAIL, "HTTP %ld", resp.status);
		if ((resp.status == 429 || resp.status == 503) && resp.retry_after >= 0)
			r->retry_after = resp.retry_after;
	} else {
		size_t i;

		r->reason = hub_httpc_strerror(rc);
		result_code(r, "transport");
		for (i = 0; i < HUB_NELEM(httpc_codes); i++)
			if (httpc_codes[i].err == rc)
				result_code(r, httpc_codes[i].code);
		/* curl's message names the host at most, never the path. */
		result_set(r, hub_httpc_is_transient(rc, 0) ? HUB_WORKER_RETRY : HUB_WORKER_FAIL,
		    "%s: %s", hub_httpc_strerror(rc), resp.error);
	}
out:
	hub_httpc_resp_free(&resp);
	post_req_free(&p);
}

/* ------------------------------------------------------------ helpers */

/* First cell of a one-row count; -1 when it is not one. */
static long long
count_cell(PGresult *res)
{
	char *end;
	long long v;

	if (PQntuples(res) != 1)
		return -1;
	errno = 0;
	v = strtoll(PQgetvalue(res, 0, 0), &end, 10);
	return errno != 0 || *end != '\0' || end == PQgetvalue(res, 0, 0) ? -1 : v;
}

/* ------------------------------------------------------------ the loop */

/* Sleep ms, cut short by a signal (the flag is checked by the caller). */
static void
nap(const volatile sig_atomic_t *stop, long ms)
{
	struct timespec ts;

	if (*stop)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static unsigned
random_u32(void)
{
	unsigned v = 0;

	if (hub_random_bytes(&v, sizeof(v)) != HUB_CRYPTO_OK)
		v = (unsigned)time(NULL) ^ (unsigned)clock();
	return v;
}

/* Like hub_job_backoff, in milliseconds (tests use a tiny base); seconds
 * rounded up so a non-zero base never retries at once. */
HUB_STATIC int
worker_backoff_s(int attempt, int base_ms)
{
	long long d = base_ms, lo;
	int i;

	if (base_ms <= 0)
		return 0;
	for (i = 1; i < attempt && d < WORKER_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > WORKER_BACKOFF_CAP_MS)
		d = WORKER_BACKOFF_CAP_MS;
	lo = d / 2;
	d = lo + (long long)(random_u32() % (unsigned)(d - lo + 1));
	return (int)((d + 999) / 1000);
}

static void
db_trouble(struct hub_worker *w, const char *what, int rc)
{
	if (!w->db_down) {
		hub_log(HUB_LOG_ERROR, "db_unavailable", "during", what,
		    "error", hub_db_strerror(rc), NULL);
		w->db_down = 1;
	}
	w->db_fails++;
}

static void
db_ok(struct hub_worker *w)
{
	if (w->db_down)
		hub_log(HUB_LOG_INFO, "db_recovered", NULL);
	w->db_down = 0;
	w->db_fails = 0;
}

static long
db_retry_ms(const struct hub_worker *w)
{
	long s = 1;
	int i;

	for (i = 1; i < w->db_fails && s < WORKER_DB_RETRY_MAX_S; i++)
		s *= 2;
	return (s > WORKER_DB_RETRY_MAX_S ? WORKER_DB_RETRY_MAX_S : s) * 1000;
}

/*
 * After a failure: back off, then wait until the server answers a ping
 * before touching the connection again, so db.c does not log a failed
 * reconnect on every round of a long outage.
 */
static void
db_wait(struct hub_worker *w, int rc)
{
	nap(w->stop, db_retry_ms(w));
	if (rc != HUB_DB_CONN)
		return;
	while (!*w->stop && PQping(w->opts->database_url) != PQPING_OK) {
		w->db_fails++;
		nap(w->stop, db_retry_ms(w));
	}
}

static const struct worker_kind *
kind_find(const char *name)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(kinds); i++)
		if (strcmp(kinds[i].kind, name) == 0)
			return &kinds[i];
	return NULL;
}

/* The delivery_log row a job's payload names; 0 when none. */
static int64_t
delivery_id(const struct hub_job *job)
{
	int64_t id = 0;
	int rc = hub_json_get_int64(job->payload, "delivery_id", 1, INT64_MAX, &id);

	if (rc != HUB_JSON_OK && rc != HUB_JSON_MISSING)
		hub_log(HUB_LOG_WARN, "delivery_id_invalid", "kind", job->kind, NULL);
	return rc == HUB_JSON_OK ? id : 0;
}

/* 'sending' before the attempt.  Only what admins see: the outcome below
 * sets the real state whatever happens here. */
static void
delivery_sending(struct hub_worker *w, const struct hub_job *job, int64_t did)
{
	const char *params[2];
	char db[24], jb[24];
	int rc;

	snprintf(db, sizeof(db), "%lld", (long long)did);
	snprintf(jb, sizeof(jb), "%lld", (long long)job->id);
	params[0] = db;
	params[1] = jb;
	if ((rc = hub_db_exec(w->db, &worker_table, WORKER_DELIVERY_SENDING, params, NULL)) !=
	    HUB_DB_OK)
		db_trouble(w, "delivery", rc);
}

static int
delivery_outcome(struct hub_worker *w, const struct hub_job *job, int64_t did,
    const struct hub_worker_result *r)
{
	const char *params[4];
	char db[24], jb[24];
	int release = r->verdict == HUB_WORKER_RELEASE;

	snprintf(db, sizeof(db), "%lld", (long long)did);
	snprintf(jb, sizeof(jb), "%lld", (long long)job->id);
	params[0] = db;
	params[1] = jb;
	params[2] = release || r->code[0] == '\0' ? NULL : r->code;
	params[3] = release ? NULL : r->detail;
	return hub_db_exec(w->db, &worker_table, WORKER_DELIVERY_OUTCOME, params, NULL);
}

/* The job's outcome, and its delivery row's in the same transaction. */
static int
record_once(struct hub_worker *w, struct hub_job *job, const struct hub_worker_result *r,
    int64_t did)
{
	int attempts = job->attempts, rc;

	if (did > 0 && (rc = hub_db_begin(w->db)) != HUB_DB_OK)
		return rc;
	switch (r->verdict) {
	case HUB_WORKER_DONE:
		rc = hub_job_done(w->db, job, r->detail);
		break;
	case HUB_WORKER_RETRY:
		rc = hub_job_fail(w->db, job, r->detail, r->retry_after, 0);
		break;
	case HUB_WORKER_FAIL:
		rc = hub_job_fail(w->db, job, r->detail, -1, 1);
		break;
	default:
		rc = hub_job_release(w->db, job);
		break;
	}
	if (did > 0) {
		if (rc == HUB_DB_OK)
			rc = delivery_outcome(w, job, did, r);
		if (rc == HUB_DB_OK)
			rc = hub_db_commit(w->db);
		if (rc != HUB_DB_OK) {
			hub_db_rollback(w->db);
			/* The fence must match the row again on the next try. */
			job->attempts = attempts;
		}
	}
	return rc;
}

/*
 * Write the outcome.  A few tries across a database hiccup; if it still
 * cannot be written the lease runs out and the job is run again.
 */
static void
record(struct hub_worker *w, struct hub_job *job, const struct hub_worker_result *r,
    int64_t did)
{
	int rc = HUB_DB_OK, tries;

	for (tries = 0; tries < 5; tries++) {
		rc = record_once(w, job, r, did);
		if (rc == HUB_DB_OK) {
			db_ok(w);
			return;
		}
		db_trouble(w, "record", rc);
		if (rc != HUB_DB_CONN || *w->stop)
			break;
		nap(w->stop, 500L << tries);
	}
	hub_log(HUB_LOG_ERROR, "job_unrecorded", "kind", job->kind,
	    "error", hub_db_strerror(rc), NULL);
}

static void
run_job(struct hub_worker *w, struct hub_job *job)
{
	const struct worker_kind *k = kind_find(job->kind);
	struct hub_worker_result r;
	time_t now, deadline = job->deadline;
	char id[24], attempt[16];
	int64_t did = delivery_id(job);

	memset(&r, 0, sizeof(r));
	r.retry_after = -1;
	snprintf(id, sizeof(id), "%lld", (long long)job->id);
	snprintf(attempt, sizeof(attempt), "%d", job->attempts + 1);

	if (did > 0)
		delivery_sending(w, job, did);
	if (k == NULL) {
		r.reason = "unknown kind";
		result_code(&r, "unknown_kind");
		result_set(&r, HUB_WORKER_FAIL, "unknown job kind");
	} else if (k->env_conn && w->env_conn_pending) {
		/* Slack did not answer yet: as in any Slack outage, retried
		 * with the usual backoff. */
		r.reason = "slack unreachable";
		result_code(&r, "slack_env_pending");
		result_set(&r, HUB_WORKER_RETRY, "SLACK_BOT_TOKEN is not a connection yet: "
		    "Slack did not answer (see env_connection_failed in the worker's log)");
	} else {
		w->env.db = w->db;
		w->env.http = w->http;
		w->env.keys = &w->keys;
		w->env.lease_s = w->lease_s;
		w->env.stop = w->stop;
		w->env.conf = w->opts->conf;
		k->run(&w->env, job, &r);
	}

	if (r.verdict == HUB_WORKER_RETRY) {
		now = time(NULL);
		if (k != NULL && k->max_age_s > 0 && job->created_at > 0 &&
		    (deadline == 0 || job->created_at + k->max_age_s < deadline))
			deadline = job->created_at + k->max_age_s;
		if (r.retry_after < 0 && w->opts->backoff_base_ms >= 0)
			r.retry_after = worker_backoff_s(job->attempts + 1, w->opts->backoff_base_ms);
		if (deadline > 0 && now >= deadline) {
			r.verdict = HUB_WORKER_FAIL;
			size_t n = strlen(r.detail);
			snprintf(r.detail + n, sizeof(r.detail) - n, " (deadline passed, giving up)");
		}
	}
	/* hub_job_fail logs failures itself, with the detail. */
	if (r.verdict == HUB_WORKER_DONE || r.verdict == HUB_WORKER_RELEASE)
		hub_log(HUB_LOG_INFO, r.verdict == HUB_WORKER_DONE ? "job_done" : "job_released",
		    "job", id, "kind", job->kind, "attempt", attempt,
		    "outcome", r.reason ? r.reason : "", NULL);
	record(w, job, &r, did);
}

/* ------------------------------------------------------------ sweeps */

static const struct worker_sweep {
	const char	*name;      /* log key */
	int		(*run)(struct hub_db *, int limit, int *count);
} sweeps[] = {
	{ "expired",  hub_engine_expire_due },
	{ "reminded", hub_engine_remind_due },
	{ "lapsed",   hub_engine_lapse_due },
};

static long
ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

static int
sweep_due(const struct hub_worker *w)
{
	return w->opts->sweep_s > 0 && ms_until(&w->next_sweep) <= 0;
}

/* How long the idle wait may last: until the next sweep or the next
 * scheduled job at most. */
static int
idle_ms(struct hub_worker *w)
{
	long ms = w->opts->idle_wait_ms > 0 ? w->opts->idle_wait_ms : WORKER_DEFAULT_IDLE_MS;
	long long due;
	PGresult *res = NULL;
	long left;

	if (w->opts->sweep_s > 0 && (left = ms_until(&w->next_sweep)) < ms)
		ms = left;
	if (w->env_conn_pending && (left = ms_until(&w->env_conn_next)) < ms)
		ms = left;
	if (hub_db_exec(w->db, &worker_table, WORKER_NEXT_DUE, NULL, &res) == HUB_DB_OK &&
	    (due = count_cell(res)) >= 0 && due < ms)
		ms = (long)due + 10;   /* just past run_at: claim compares with now() */
	PQclear(res);
	return ms > 0 ? (int)ms : 0;
}

/* Rotating Slack tokens with under two hours left (oauth.h): one
 * connection at a time, each under its row lock. */
static void
sweep_tokens(struct hub_worker *w)
{
	char nr[16], nd[16];
	int refreshed = 0, disabled = 0, rc;

	if (*w->stop || w->opts->conf == NULL || w->keys.n == 0)
		return;
	w->env.db = w->db;
	w->env.http = w->http;
	w->env.keys = &w->keys;
	w->env.lease_s = w->lease_s;
	w->env.stop = w->stop;
	w->env.conf = w->opts->conf;
	rc = hub_oauth_refresh_due(&w->env, SWEEP_BATCH, &refreshed, &disabled);
	if (rc != HUB_OAUTH_OK)
		hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "token_refresh",
		    "error", hub_oauth_strerror(rc), NULL);
	if (refreshed > 0 || disabled > 0) {
		snprintf(nr, sizeof(nr), "%d", refreshed);
		snprintf(nd, sizeof(nd), "%d", disabled);
		hub_log(HUB_LOG_INFO, "sweep", "tokens_refreshed", nr, "connections_disabled", nd,
		    NULL);
	}
}

/*
 * SLACK_BOT_TOKEN becomes the connection "default" (connections.h).  The
 * single-workspace setup has no other connection, so until this succeeds
 * every Slack delivery finds none: it is tried before the first job, then
 * again between jobs with backoff while Slack or the database does not
 * answer, each failure logged with when the next try is.  A token Slack
 * refuses, or a "default" connection of another type, will not get better
 * by itself: logged as an error once, not retried.
 */
static void
env_connection(struct hub_worker *w)
{
	struct hub_slack s;
	struct hub_slack_result res;
	char delay[16];
	const char *why;
	int rc, again;

	if (!w->env_conn_pending || *w->stop || ms_until(&w->env_conn_next) > 0)
		return;
	memset(&s, 0, sizeof(s));
	s.http = w->http;
	s.api_url = w->opts->conf->slack_api_url;
	s.timeout_ms = ENV_CONN_TIMEOUT_MS;
	s.keyring = &w->keys;
	hub_slack_result_init(&res);
	rc = hub_connections_bootstrap_env(w->db, &s, w->opts->conf, &res);
	if (rc == HUB_CONN_OK) {
		w->env_conn_pending = 0;
		hub_log(HUB_LOG_INFO, "env_connection_ready", "connection", "default",
		    "from", "SLACK_BOT_TOKEN", NULL);
		goto out;
	}
	again = rc == HUB_CONN_DB || rc == HUB_CONN_NOMEM || (rc == HUB_CONN_SLACK &&
	    (res.cls == HUB_SLACK_TRANSIENT || res.cls == HUB_SLACK_RATELIMITED));
	why = rc == HUB_CONN_SLACK && res.error[0] != '\0' ? res.error : hub_conn_strerror(rc);
	if (!again) {
		w->env_conn_pending = 0;
		hub_log(HUB_LOG_ERROR, "env_connection_failed", "connection", "default",
		    "from", "SLACK_BOT_TOKEN", "error", why, "detail", res.detail,
		    "fix", rc == HUB_CONN_EXISTS ? "a connection named default that is not a "
		    "SLACK_APP exists: rename or remove it, then restart the worker" :
		    "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-...), then "
		    "restart the worker", NULL);
		goto out;
	}
	if (res.cls == HUB_SLACK_RATELIMITED && res.retry_after > w->env_conn_delay_s)
		w->env_conn_delay_s = res.retry_after;
	if (w->env_conn_delay_s > ENV_CONN_RETRY_MAX_S)
		w->env_conn_delay_s = ENV_CONN_RETRY_MAX_S;
	snprintf(delay, sizeof(delay), "%ds", w->env_conn_delay_s);
	hub_log(HUB_LOG_WARN, "env_connection_failed", "connection", "default",
	    "from", "SLACK_BOT_TOKEN", "error", why, "detail", res.detail,
	    "retry_in", delay, NULL);
	clock_gettime(CLOCK_MONOTONIC, &w->env_conn_next);
	w->env_conn_next.tv_sec += w->env_conn_delay_s;
	w->env_conn_delay_s *= 2;
out:
	hub_slack_result_free(&res);
}

/*
 * Expire, remind, lapse.  Each runs in batches until a batch comes back
 * short (or SWEEP_MAX_ROUNDS, the rest waits for the next sweep); every
 * batch is its own transaction, so other workers sweeping at the same
 * time take other rows.
 */
static void
sweep_all(struct hub_worker *w)
{
	_Static_assert(HUB_NELEM(sweeps) == 3, "the log line below names three counts");
	char counts[HUB_NELEM(sweeps)][16];
	int total[HUB_NELEM(sweeps)], any = 0, n, rc, round;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &w->next_sweep);
	w->next_sweep.tv_sec += w->opts->sweep_s;
	for (i = 0; i < HUB_NELEM(sweeps); i++) {
		total[i] = 0;
		for (round = 0; round < SWEEP_MAX_ROUNDS && !*w->stop; round++) {
			n = 0;
			rc = sweeps[i].run(w->db, SWEEP_BATCH, &n);
			if (rc == HUB_ENGINE_UNAVAILABLE) {
				db_trouble(w, "sweep", HUB_DB_CONN);
				break;
			}
			if (rc != HUB_ENGINE_OK) {
				hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", sweeps[i].name,
				    "error", hub_engine_strerror(rc), NULL);
				break;
			}
			total[i] += n;
			if (n < SWEEP_BATCH)
				break;
		}
		snprintf(counts[i], sizeof(counts[i]), "%d", total[i]);
		any |= total[i] > 0;
	}
	if (any)
		hub_log(HUB_LOG_INFO, "sweep", sweeps[0].name, counts[0], sweeps[1].name,
		    counts[1], sweeps[2].name, counts[2], NULL);
	/* Sent-message records and lookup-cache rows past retention
	 * (msgsync.h); bounded batches, the rest waits for the next sweep. */
	if (!*w->stop) {
		char gone[16];
		int deleted = 0;

		rc = hub_msgsync_retention_sweep(w->db, &deleted);
		if (rc == HUB_MSGSYNC_UNAVAILABLE)
			db_trouble(w, "sweep", HUB_DB_CONN);
		else if (rc != HUB_MSGSYNC_OK)
			hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "retention",
			    "error", hub_msgsync_strerror(rc), NULL);
		if (deleted > 0) {
			snprintf(gone, sizeof(gone), "%d", deleted);
			hub_log(HUB_LOG_INFO, "sweep", "retention_deleted", gone, NULL);
		}
	}
	sweep_tokens(w);
}

static int
worker_connect(struct hub_worker *w)
{
	struct hub_db_limits lim;
	int rc;

	hub_db_limits(&lim, HUB_DB_ROLE_WORKER, w->opts->conf);
	while (!*w->stop) {
		if ((rc = hub_db_connect_limits(w->opts->database_url, &lim, &w->db)) ==
		    HUB_DB_OK && w->db) {
			db_ok(w);
			return 0;
		}
		db_trouble(w, "connect", rc);
		if (w->opts->once)
			return -1;
		db_wait(w, rc);
	}
	return -1;
}

int
hub_worker_run(const struct hub_worker_opts *opts, const volatile sig_atomic_t *stop)
{
	struct hub_worker w;
	struct hub_job job;
	int rc, ret = 0;

	memset(&w, 0, sizeof(w));
	w.opts = opts;
	w.stop = stop;
	w.lease_s = opts->lease_s > 0 ? opts->lease_s : WORKER_DEFAULT_LEASE_S;
	if (opts->secret_key != NULL && hub_keyring_add(&w.keys, opts->secret_key) != HUB_CRYPTO_OK) {
		hub_log(HUB_LOG_ERROR, "worker_init", "error", "keyring", NULL);
		return -1;
	}
	if ((w.http = hub_httpc_new()) == NULL) {
		hub_log(HUB_LOG_ERROR, "worker_init", "error", "curl", NULL);
		return -1;
	}
	hub_httpc_set_abort(w.http, stop);
	if (worker_connect(&w) != 0) {
		ret = *stop ? 0 : -1;
		goto out;
	}
	hub_log(HUB_LOG_INFO, "worker_start", "worker", opts->id, NULL);
	/* The first sweep and the SLACK_BOT_TOKEN connection run at once. */
	clock_gettime(CLOCK_MONOTONIC, &w.next_sweep);
	w.env_conn_next = w.next_sweep;
	w.env_conn_delay_s = 1;
	w.env_conn_pending = opts->conf != NULL && opts->conf->slack_bot_token != NULL &&
	    opts->conf->slack_bot_token[0] != '\0';

	while (!*stop) {
		env_connection(&w);
		if (sweep_due(&w))
			sweep_all(&w);
		memset(&job, 0, sizeof(job));
		rc = hub_job_claim(w.db, opts->id, w.lease_s, &job);
		if (rc == HUB_DB_OK) {
			db_ok(&w);
			run_job(&w, &job);
			hub_job_clear(&job);
			continue;
		}
		if (rc == HUB_DB_NOTFOUND) {
			db_ok(&w);
			if (opts->once)
				break;
			/* LISTEN every time: a silent reconnect inside db.c drops it. */
			if ((rc = hub_job_listen(w.db)) != HUB_DB_OK) {
				db_trouble(&w, "listen", rc);
				db_wait(&w, rc);
				continue;
			}
			hub_job_wait(w.db, idle_ms(&w));
			continue;
		}
		db_trouble(&w, "claim", rc);
		if (opts->once) {
			ret = -1;
			break;
		}
		db_wait(&w, rc);
	}
	hub_log(HUB_LOG_INFO, "worker_stop", "worker", opts->id, NULL);
out:
	hub_db_close(w.db);
	hub_httpc_free(w.http);
	OPENSSL_cleanse(&w.keys, sizeof(w.keys));
	return ret;
}

/* ------------------------------------------------------------ producers */

static int
seal_secret(const char *secret, struct hub_buf *out)
{
	struct hub_keyring keys;
	struct hub_buf raw = HUB_BUF_INIT(64);
	const char *b64 = hub_conf_get("SECRET_KEY");
	int rc = -1;

	memset(&keys, 0, sizeof(keys));
	if (b64 == NULL || hub_base64_decode(b64, strlen(b64), 0, &raw) != HUB_CRYPTO_OK ||
	    raw.len != 32)
		goto out;
	if (hub_keyring_add(&keys, (const unsigned char *)raw.data) != HUB_CRYPTO_OK)
		goto out;
	if (hub_box_seal(&keys, secret, strlen(secret), out) != HUB_CRYPTO_OK)
		goto out;
	rc = 0;
out:
	if (raw.data != NULL)
		OPENSSL_cleanse(raw.data, raw.len);
	hub_buf_release(&raw);
	OPENSSL_cleanse(&keys, sizeof(keys));
	return rc;
}

int
hub_worker_enqueue_http_post(struct hub_db *db, const char *url, json_object *body,
    const char *sign_secret, const char *dedupe_key)
{
	struct hub_buf sealed = HUB_BUF_INIT(4 * HTTP_POST_MAX_SECRET);
	json_object *pl = NULL;
	const char *params[3];
	char ids[24], ages[16];
	int64_t id;
	int rc = HUB_DB_NOMEM;

	if (url == NULL || strlen(url) > HTTP_POST_MAX_URL ||
	    (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
		return HUB_DB_CHECK;
	if (sign_secret != NULL && (*sign_secret == '\0' ||
	    strlen(sign_secret) > HTTP_POST_MAX_SECRET || seal_secret(sign_secret, &sealed) != 0))
		return HUB_DB_CHECK;
	if ((pl = json_object_new_object()) == NULL)
		goto out;
	if (json_object_object_add(pl, "url", json_object_new_string(url)) != 0)
		goto out;
	if (json_object_object_add(pl, "body", body ? json_object_get(body) : NULL) != 0)
		goto out;
	if (sign_secret != NULL && json_object_object_add(pl, "sign_secret_sealed",
	    json_object_new_string_len(sealed.data, (int)sealed.len)) != 0)
		goto out;
	if ((rc = hub_job_enqueue(db, "http_post", pl, dedupe_key, 0, &id)) != HUB_DB_OK)
		goto out;
	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	snprintf(ages, sizeof(ages), "%d", HTTP_POST_MAX_AGE_S);
	params[0] = ids;
	params[1] = ages;
	params[2] = HTTP_POST_MAX_ATTEMPTS;
	rc = hub_db_exec(db, &worker_table, WORKER_SET_DEADLINE, params, NULL);
out:
	json_object_put(pl);
	hub_buf_release(&sealed);
	return rc;
}
