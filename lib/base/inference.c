/*
 * inference.c - the OpenAI-compatible inference service (see inference.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/buf.h"
#include "base/inference.h"
#include "base/json.h"
#include "base/utf8.h"

#define ANSWER_DEPTH	16
#define URL_MAX		2048
#define AUTH_MAX	1024
#define MODEL_MAX	200

static const char *const errstr[] = {
	[HUB_INFERENCE_OK] = "ok",
	[HUB_INFERENCE_NOMEM] = "out of memory",
	[HUB_INFERENCE_TRANSPORT] = "no usable answer from the service",
	[HUB_INFERENCE_MALFORMED] = "malformed answer",
	[HUB_INFERENCE_INVALID] = "answer fails the checks",
	[HUB_INFERENCE_TOOBIG] = "request too big",
};

const char *
hub_inference_strerror(int err)
{
	if (err < 0 || (size_t)err >= HUB_NELEM(errstr) || errstr[err] == NULL)
		return "unknown error";
	return errstr[err];
}

static void
why_set(char *why, size_t n, const char *msg)
{
	if (why != NULL && n > 0)
		snprintf(why, n, "%s", msg);
}

/* ------------------------------------------------------------ parsers */

int
hub_inference_parse_embedding(const char *body, size_t len, float **vec, size_t *dim)
{
	json_object *root = NULL, *data, *first, *emb, *x;
	size_t i, n;
	double d;
	int rc = HUB_INFERENCE_MALFORMED;

	*vec = NULL;
	*dim = 0;
	if (hub_json_parse_object(body, len, HUB_INFERENCE_BODY_MAX, ANSWER_DEPTH, &root) !=
	    HUB_JSON_OK)
		goto out;
	if (hub_json_get_array(root, "data", &data) != HUB_JSON_OK ||
	    json_object_array_length(data) < 1 ||
	    !json_object_is_type(first = json_object_array_get_idx(data, 0), json_type_object) ||
	    hub_json_get_array(first, "embedding", &emb) != HUB_JSON_OK)
		goto out;
	n = json_object_array_length(emb);
	if (n < 1 || n > HUB_INFERENCE_DIM_MAX)
		goto out;
	rc = HUB_INFERENCE_NOMEM;
	if ((*vec = calloc(n, sizeof(**vec))) == NULL)
		goto out;
	rc = HUB_INFERENCE_MALFORMED;
	for (i = 0; i < n; i++) {
		x = json_object_array_get_idx(emb, i);
		if (!json_object_is_type(x, json_type_double) && !json_object_is_type(x, json_type_int))
			goto out;
		d = json_object_get_double(x);
		if (!isfinite(d) || fabs(d) > 1e30)
			goto out;
		(*vec)[i] = (float)d;
	}
	*dim = n;
	rc = HUB_INFERENCE_OK;
out:
	if (rc != HUB_INFERENCE_OK) {
		free(*vec);
		*vec = NULL;
	}
	json_object_put(root);
	return rc;
}

static char *
dup_str(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);

	if (d != NULL)
		memcpy(d, s, n + 1);
	return d;
}

int
hub_inference_parse_chat(const char *body, size_t len, char **content, char **model)
{
	json_object *root = NULL, *choices, *first, *msg;
	const char *c, *m = NULL;
	int rc = HUB_INFERENCE_MALFORMED;

	*content = NULL;
	if (model != NULL)
		*model = NULL;
	if (hub_json_parse_object(body, len, HUB_INFERENCE_BODY_MAX, ANSWER_DEPTH, &root) !=
	    HUB_JSON_OK)
		goto out;
	if (hub_json_get_array(root, "choices", &choices) != HUB_JSON_OK ||
	    json_object_array_length(choices) < 1 ||
	    !json_object_is_type(first = json_object_array_get_idx(choices, 0),
	    json_type_object) ||
	    hub_json_get_object(first, "message", &msg) != HUB_JSON_OK ||
	    hub_json_get_string(msg, "content", HUB_INFERENCE_BODY_MAX, &c) != HUB_JSON_OK)
		goto out;
	/* The model that answered is informative only: a strange one is dropped. */
	if (hub_json_opt_string(root, "model", MODEL_MAX, &m) != HUB_JSON_OK)
		m = NULL;
	rc = HUB_INFERENCE_NOMEM;
	if ((*content = dup_str(c)) == NULL)
		goto out;
	if (model != NULL && m != NULL && *m != '\0' && (*model = dup_str(m)) == NULL) {
		free(*content);
		*content = NULL;
		goto out;
	}
	rc = HUB_INFERENCE_OK;
out:
	json_object_put(root);
	return rc;
}

/* Text of 1..max characters, valid UTF-8, no control characters but
 * newlines and tabs. */
static int
clean_text(const char *s, long max)
{
	size_t n = strlen(s), i;
	long chars;

	if (!hub_utf8_valid(s, n) || (chars = hub_utf8_count(s, n)) < 1 || chars > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
			return 0;
	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t'); i++)
		;
	return i < n;
}

/* The content without one surrounding ``` fence (```json ... ```). */
static void
unfence(const char **s, size_t *len)
{
	const char *p = *s, *end = *s + *len, *nl;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == '\t'))
		end--;
	if (end - p >= 6 && strncmp(p, "```", 3) == 0 && strncmp(end - 3, "```", 3) == 0 &&
	    (nl = memchr(p, '\n', (size_t)(end - p))) != NULL && nl < end - 3) {
		p = nl + 1;
		end -= 3;
	}
	*s = p;
	*len = (size_t)(end - p);
}

static int
check_reasons(json_object *reasons, char *why, size_t whylen)
{
	json_object *x;
	size_t i, n = json_object_array_length(reasons);

	if (n > HUB_INFERENCE_REASONS_MAX) {
		why_set(why, whylen, "risk_reasons has too many items");
		return HUB_INFERENCE_INVALID;
	}
	for (i = 0; i < n; i++) {
		x = json_object_array_get_idx(reasons, i);
		if (!json_object_is_type(x, json_type_string) ||
		    !clean_text(json_object_get_string(x), HUB_INFERENCE_REASON_MAX) ||
		    strlen(json_object_get_string(x)) != (size_t)json_object_get_string_len(x)) {
			why_set(why, whylen, "risk_reasons must be short texts");
			return HUB_INFERENCE_INVALID;
		}
	}
	return HUB_INFERENCE_OK;
}

static int
whole_number(json_object *x)
{
	double d;

	if (json_object_is_type(x, json_type_int))
		return 1;
	if (!json_object_is_type(x, json_type_double))
		return 0;
	d = json_object_get_double(x);
	return isfinite(d) && d == floor(d) && fabs(d) < 1e6;
}

int
hub_inference_parse_analysis(const char *content, size_t len,
    struct hub_inference_analysis *a, char *why, size_t whylen)
{
	json_object *score;
	int64_t v;
	int rc = HUB_INFERENCE_INVALID;

	memset(a, 0, sizeof(*a));
	unfence(&content, &len);
	if (hub_json_parse_object(content, len, HUB_INFERENCE_BODY_MAX, ANSWER_DEPTH,
	    &a->root) != HUB_JSON_OK) {
		why_set(why, whylen, "the answer is not one JSON object");
		goto out;
	}
	if (hub_json_get_string(a->root, "summary", (size_t)HUB_INFERENCE_SUMMARY_MAX * 4,
	    &a->summary) != HUB_JSON_OK || !clean_text(a->summary, HUB_INFERENCE_SUMMARY_MAX)) {
		why_set(why, whylen, "summary must be a text of 1 to 600 characters");
		goto out;
	}
	/* A whole number: 7 or 7.0, never "7" or 7.5. */
	if (!json_object_object_get_ex(a->root, "risk_score", &score) ||
	    !whole_number(score)) {
		why_set(why, whylen, "risk_score must be a whole number");
		goto out;
	}
	v = json_object_get_int64(score);
	if (v < 0 || v > 10) {
		why_set(why, whylen, "risk_score must be 0 to 10");
		goto out;
	}
	a->risk_score = (int)v;
	if (hub_json_get_array(a->root, "risk_reasons", &a->reasons) != HUB_JSON_OK) {
		why_set(why, whylen, "risk_reasons must be an array");
		goto out;
	}
	rc = check_reasons(a->reasons, why, whylen);
out:
	if (rc != HUB_INFERENCE_OK)
		hub_inference_analysis_free(a);
	return rc;
}

void
hub_inference_analysis_free(struct hub_inference_analysis *a)
{
	json_object_put(a->root);
	memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------ calls */

static void
status_set(struct hub_inference_status *st, int transient, const char *code,
    const char *detail)
{
	st->transient = transient;
	snprintf(st->code, sizeof(st->code), "%s", code);
	snprintf(st->detail, sizeof(st->detail), "%s", detail);
}

/* POST obj to base + path; on OK resp holds a 2xx answer. */
static int
post(struct hub_httpc *http, const char *base, const char *path, const char *key,
    json_object *obj, long timeout_ms, struct hub_httpc_resp *resp,
    struct hub_inference_status *st)
{
	char url[URL_MAX], auth[AUTH_MAX], code[32];
	const char *hdrs[3] = { "Content-Type: application/json", NULL, NULL };
	const char *body;
	size_t len, blen = strlen(base);
	int herr;

	memset(st, 0, sizeof(*st));
	st->retry_after = -1;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)blen, base, path) >= sizeof(url)) {
		status_set(st, 0, "bad_url", "the service URL is too long");
		return HUB_INFERENCE_TRANSPORT;
	}
	if (key != NULL && *key != '\0') {
		if ((size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key) >=
		    sizeof(auth)) {
			status_set(st, 0, "bad_key", "the service key is too long");
			return HUB_INFERENCE_TRANSPORT;
		}
		hdrs[1] = auth;
	}
	if ((body = hub_json_str(obj, &len)) == NULL)
		return HUB_INFERENCE_NOMEM;
	if (len > HUB_INFERENCE_REQUEST_MAX) {
		status_set(st, 0, "too_big", "the request to the service is too big");
		return HUB_INFERENCE_TOOBIG;
	}
	herr = hub_httpc_post(http, url, hdrs, body, len, timeout_ms, resp);
	if (herr != HUB_HTTPC_OK) {
		status_set(st, hub_httpc_is_transient(herr, 0),
		    herr == HUB_HTTPC_TIMEOUT ? "timeout" : "transport", hub_httpc_strerror(herr));
		return HUB_INFERENCE_TRANSPORT;
	}
	st->http_status = resp->status;
	if (resp->status < 200 || resp->status > 299) {
		snprintf(code, sizeof(code), "http_%ld", resp->status);
		status_set(st, hub_httpc_is_transient(HUB_HTTPC_OK, resp->status), code,
		    resp->status == 429 ? "rate limited" : "the service answered with an error");
		st->retry_after = resp->status == 429 ? resp->retry_after : -1;
		return HUB_INFERENCE_TRANSPORT;
	}
	return HUB_INFERENCE_OK;
}

static json_object *
request_new(const char *model)
{
	json_object *o = json_object_new_object();

	if (o != NULL && model != NULL && *model != '\0' &&
	    hub_json_set_str(o, "model", model) != HUB_JSON_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int
hub_inference_embed(struct hub_httpc *http, const char *base_url, const char *key,
    const char *model, const char *text, long timeout_ms, float **vec, size_t *dim,
    struct hub_inference_status *st)
{
	struct hub_httpc_resp resp;
	json_object *o;
	int rc = HUB_INFERENCE_NOMEM;

	*vec = NULL;
	*dim = 0;
	hub_httpc_resp_init(&resp, HUB_INFERENCE_BODY_MAX);
	if ((o = request_new(model)) == NULL ||
	    hub_json_set_str(o, "input", text) != HUB_JSON_OK)
		goto out;
	if ((rc = post(http, base_url, "/v1/embeddings", key, o, timeout_ms, &resp, st)) !=
	    HUB_INFERENCE_OK)
		goto out;
	rc = hub_inference_parse_embedding(hub_buf_str(&resp.body), resp.body.len, vec, dim);
	if (rc == HUB_INFERENCE_MALFORMED)
		status_set(st, 0, "malformed", "the embedding answer is malformed");
out:
	json_object_put(o);
	hub_httpc_resp_free(&resp);
	return rc;
}

int
hub_inference_chat(struct hub_httpc *http, const char *base_url, const char *key,
    const char *model, json_object *messages, long timeout_ms, char **content,
    char **model_out, struct hub_inference_status *st)
{
	struct hub_httpc_resp resp;
	json_object *o;
	int rc = HUB_INFERENCE_NOMEM;

	*content = NULL;
	if (model_out != NULL)
		*model_out = NULL;
	hub_httpc_resp_init(&resp, HUB_INFERENCE_BODY_MAX);
	if ((o = request_new(model)) == NULL ||
	    hub_json_set(o, "messages", json_object_get(messages)) != HUB_JSON_OK ||
	    hub_json_set(o, "temperature", json_object_new_int(0)) != HUB_JSON_OK)
		goto out;
	if ((rc = post(http, base_url, "/v1/chat/completions", key, o, timeout_ms, &resp,
	    st)) != HUB_INFERENCE_OK)
		goto out;
	rc = hub_inference_parse_chat(hub_buf_str(&resp.body), resp.body.len, content,
	    model_out);
	if (rc == HUB_INFERENCE_MALFORMED)
		status_set(st, 0, "malformed", "the chat answer is malformed");
out:
	json_object_put(o);
	hub_httpc_resp_free(&resp);
	return rc;
}
