/*
 * callbacks.c - outbound HTTP POSTs: the "http_post" job (see callbacks.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/httpc.h"
#include "base/json.h"
#include "base/log.h"
#include "base/netguard.h"
#include "store/job.h"
#include "store/jobs.h"
#include "store/netpolicy.h"
#include "approval/outbound.h"
#include "slack/slacksig.h"
#include "notify/callbacks.h"

#define HTTP_POST_MAX_URL	2048
#define HTTP_POST_MAX_HEADERS	32
#define HTTP_POST_MAX_HEADER	1024
#define HTTP_POST_MAX_SECRET	512
#define HTTP_POST_MAX_RESP	(64 * 1024)
#define HTTP_POST_DEFAULT_MS	10000
/* A callback host must accept a connection this fast; a slow one would
 * hold a place of the callbacks lane for its whole timeout otherwise. */
#define HTTP_POST_CONNECT_MS	2000
/* Circuit breaker per host:port (callback_hosts): after this many failed
 * attempts in a row the host is left alone, its queued jobs deferred, for
 * BREAKER_OPEN_S, doubling with each failure after, up to the maximum.
 * The first job due after that tries again (half open). */
#define BREAKER_FAILURES	3
#define BREAKER_OPEN_S		30
#define BREAKER_OPEN_MAX_S	600
#define HTTP_POST_TARGET_MAX	301

enum cb_stmt {
	CB_OPEN_FOR,
	CB_FAILED,
	CB_OK,
	CB__MAX
};

static const struct hub_stmt cb_stmts[CB__MAX] = {
	/* $1 target: ms the circuit stays open */
	[CB_OPEN_FOR] = {
	    "SELECT ceil(1000 * extract(epoch FROM open_until - now()))::bigint"
	    " FROM callback_hosts WHERE target = $1 AND open_until > now()", 1 },
	/* $1 target, $2 failures that open, $3 first open s, $4 longest:
	 * the seconds it is open now (0: still closed) */
	[CB_FAILED] = {
	    "INSERT INTO callback_hosts AS h (target, failures, open_until, updated_at)"
	    " VALUES ($1, 1, CASE WHEN $2::integer <= 1"
	    "  THEN now() + make_interval(secs => $3::integer) END, now())"
	    " ON CONFLICT (target) DO UPDATE SET failures = h.failures + 1, updated_at = now(),"
	    "  open_until = CASE WHEN h.failures + 1 >= $2::integer"
	    "   THEN now() + make_interval(secs => least($4::integer, $3::integer"
	    "    * (2 ^ least(h.failures + 1 - $2::integer, 10)))::integer)"
	    "   ELSE h.open_until END"
	    " RETURNING CASE WHEN open_until > now()"
	    "  THEN ceil(extract(epoch FROM open_until - now()))::integer ELSE 0 END", 4 },
	[CB_OK] = {
	    "DELETE FROM callback_hosts WHERE target = $1", 1 },
};

static const struct hub_stmt_table cb_table = { "hubcb", cb_stmts, CB__MAX };

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
post_req_parse(const struct hub_job_env *e, json_object *pl, struct post_req *p)
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
post_guarded(struct hub_job_env *e, struct post_req *p, struct hub_httpc_resp *resp)
{
	struct hub_netguard guard;
	int rc;

	if (hub_netpolicy_load(e->db, p->source_id, &guard) != HUB_DB_OK)
		return -1;
	hub_httpc_set_guard(e->http, &guard);
	hub_httpc_set_connect_timeout(e->http, HTTP_POST_CONNECT_MS);
	rc = hub_httpc_post(e->http, p->url, (const char *const *)p->hdrs, p->body, p->len,
	    p->timeout_ms, resp);
	hub_httpc_set_connect_timeout(e->http, 0);
	hub_httpc_set_guard(e->http, NULL);
	return rc;
}

/* ------------------------------------------------------------ breaker */

/* The circuit of target is open: defer the job until it closes.  1 when
 * deferred.  A database error lets the attempt go ahead. */
static int
breaker_deferred(struct hub_job_env *e, const char *target, struct hub_job_result *r)
{
	PGresult *res = NULL;
	int64_t ms = 0;

	if (*target == '\0' ||
	    hub_db_exec(e->db, &cb_table, CB_OPEN_FOR, &target, &res) != HUB_DB_OK ||
	    hub_db_get_int64(res, 0, 0, &ms) != HUB_DB_OK || ms <= 0) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	hub_job_result_defer(r, (long)ms, "circuit open");
	return 1;
}

/* A failed attempt (transient: the host is failing, not refusing this
 * one request): count it; past the threshold open the circuit and defer
 * every queued job of the host with it. */
static void
breaker_failed(struct hub_job_env *e, const char *target, struct hub_job_result *r)
{
	const char *p[4];
	char th[16], first[16], max[16];
	PGresult *res = NULL;
	int open_s = 0;
	long moved = 0;

	snprintf(th, sizeof(th), "%d", BREAKER_FAILURES);
	snprintf(first, sizeof(first), "%d", BREAKER_OPEN_S);
	snprintf(max, sizeof(max), "%d", BREAKER_OPEN_MAX_S);
	p[0] = target;
	p[1] = th;
	p[2] = first;
	p[3] = max;
	if (hub_db_exec(e->db, &cb_table, CB_FAILED, p, &res) != HUB_DB_OK ||
	    hub_db_get_int(res, 0, 0, &open_s) != HUB_DB_OK || open_s <= 0) {
		PQclear(res);
		return;
	}
	PQclear(res);
	(void)hub_job_defer_target(e->db, target, open_s, &moved);
	if (r->retry_after < open_s)
		r->retry_after = open_s;
	snprintf(th, sizeof(th), "%d", open_s);
	snprintf(max, sizeof(max), "%ld", moved);
	hub_log(HUB_LOG_WARN, "callback_circuit_open", "target", target, "seconds", th,
	    "deferred", max, NULL);
}

/* After an attempt: a host that answered closes its circuit, a failing
 * one counts towards opening it. */
static void
breaker_note(struct hub_job_env *e, const char *target, struct hub_job_result *r)
{
	if (*target == '\0' || strcmp(r->code, "db") == 0 || strcmp(r->code, "nomem") == 0)
		return;
	if (r->verdict == HUB_JOB_RETRY)
		breaker_failed(e, target, r);
	else if (r->verdict == HUB_JOB_DONE || r->verdict == HUB_JOB_FAIL)
		(void)hub_db_exec(e->db, &cb_table, CB_OK, &target, NULL);
}

/* One attempt of an http_post job.  Over 60 lines because its steps are one
 * sequence over one request: parse the payload, sign the exact bytes, post
 * through the address guard, then map the answer to a verdict. */
void
hub_job_http_post(struct hub_job_env *e, const struct hub_job *job, struct hub_job_result *r)
{
	struct post_req p;
	struct hub_httpc_resp resp;
	const char *bad;
	char ts[32], sig[HUB_SIG_LEN], target[HTTP_POST_TARGET_MAX] = "";
	int rc;

	memset(&p, 0, sizeof(p));
	hub_buf_init(&p.secret, HTTP_POST_MAX_SECRET);
	hub_httpc_resp_init(&resp, HTTP_POST_MAX_RESP);

	if ((bad = post_req_parse(e, job->payload, &p)) != NULL) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: %s", bad);
		goto out;
	}
	if (hub_netguard_url_target(p.url, target, sizeof(target)) != 0)
		target[0] = '\0';
	if (breaker_deferred(e, target, r))
		goto out;
	if (p.secret.len > 0) {
		snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		hub_sig_sign("v1", hub_buf_str(&p.secret), ts, p.body, p.len, sig);
		if (post_req_header(&p, "X-Hub-Request-Timestamp", ts) != 0 ||
		    post_req_header(&p, "X-Hub-Signature", sig) != 0) {
			hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem",
			    "out of memory");
			goto out;
		}
	}
	p.hdrs[p.nhdrs] = NULL;

	if ((rc = post_guarded(e, &p, &resp)) < 0) {
		hub_job_result_set(r, HUB_JOB_RETRY, "database error", "db",
		    "cannot read callbacks.allow_networks");
		goto out;
	}
	if (rc == HUB_HTTPC_ABORTED) {
		hub_job_result_set(r, HUB_JOB_RELEASE, "interrupted", NULL,
		    "interrupted by shutdown");
	} else if (rc == HUB_HTTPC_OK && resp.status >= 200 && resp.status <= 299) {
		hub_job_result_set(r, HUB_JOB_DONE, "delivered", NULL, "HTTP %ld", resp.status);
	} else if (rc == HUB_HTTPC_OK) {
		char code[HUB_JOB_CODE_MAX];

		snprintf(code, sizeof(code), "http_%ld", resp.status);
		hub_job_result_set(r, hub_httpc_is_transient(rc, resp.status) ?
		    HUB_JOB_RETRY : HUB_JOB_FAIL, "HTTP error", code, "HTTP %ld", resp.status);
		if ((resp.status == 429 || resp.status == 503) && resp.retry_after >= 0)
			r->retry_after = resp.retry_after;
	} else {
		const char *code = "transport";
		size_t i;

		for (i = 0; i < HUB_NELEM(httpc_codes); i++)
			if (httpc_codes[i].err == rc)
				code = httpc_codes[i].code;
		/* curl's message names the host at most, never the path. */
		hub_job_result_set(r, hub_httpc_is_transient(rc, 0) ? HUB_JOB_RETRY : HUB_JOB_FAIL,
		    hub_httpc_strerror(rc), code, "%s: %s", hub_httpc_strerror(rc), resp.error);
	}
	breaker_note(e, target, r);
out:
	hub_httpc_resp_free(&resp);
	post_req_free(&p);
}
