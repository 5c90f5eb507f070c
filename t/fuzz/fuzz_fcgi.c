/*
 * fuzz_fcgi.c - libFuzzer target for the FastCGI request layer
 * (web/fcgi.h): the CGI parameters nginx passes (method, DOCUMENT_URI,
 * REQUEST_URI, QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH, HTTP_*
 * headers) and the body, as hub_req_init, hub_req_header,
 * hub_req_read_body and the route table read them.
 *
 * Input: NUL-separated fields, in order METHOD, DOCUMENT_URI,
 * REQUEST_URI, QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH,
 * HTTP_X_REQUEST_ID, HTTP_IDEMPOTENCY_KEY, then the body (the rest).
 *
 * Properties: an accepted request has an absolute path free of NUL and of
 * "." / ".." segments; every query pair holds no NUL; a body read is
 * NUL-terminated, its length as announced and never over the maximum; a
 * route found has its captures non-empty and free of '/'; the request id
 * is [A-Za-z0-9-]; answering never fails on what was parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_METHOD, F_DOC, F_URI, F_QUERY, F_CTYPE, F_CLEN, F_RID, F_IDEM, F__MAX };

static const char *const names[F__MAX] = {
	"REQUEST_METHOD", "DOCUMENT_URI", "REQUEST_URI", "QUERY_STRING",
	"CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_X_REQUEST_ID", "HTTP_IDEMPOTENCY_KEY",
};

struct fz {
	char		*field[F__MAX];
	const char	*body;
	size_t		 body_len, off;
};

static const char *
fz_param(void *ctx, const char *name)
{
	struct fz *z = ctx;
	size_t i;

	for (i = 0; i < F__MAX; i++)
		if (strcmp(name, names[i]) == 0)
			return z->field[i];
	return NULL;
}

static ssize_t
fz_read(void *ctx, char *p, size_t n)
{
	struct fz *z = ctx;
	size_t k = z->body_len - z->off;

	if (k > n)
		k = n;
	memcpy(p, z->body + z->off, k);
	z->off += k;
	return (ssize_t)k;
}

static int
fz_write(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static int
h_any(struct hub_req *req, void *app)
{
	(void)req;
	(void)app;
	return 0;
}

static const struct hub_route routes[] = {
	{ HUB_ROUTE_M(HUB_M_POST), "/api/new-approval", h_any },
	{ HUB_ROUTE_M(HUB_M_GET), "/api/requests", h_any },
	{ HUB_ROUTE_M(HUB_M_GET), "/api/requests/*", h_any },
	{ HUB_ROUTE_M(HUB_M_POST), "/api/requests/*/cancel", h_any },
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_POST), "/decide/*", h_any },
};

static void
check(struct hub_req *req)
{
	const struct hub_route *r = NULL;
	const char *s;
	size_t i;

	if (req->path == NULL || req->path[0] != '/' || strstr(req->path, "/./") != NULL ||
	    strstr(req->path, "/../") != NULL)
		abort();
	for (i = 0; i < req->args.n; i++)
		if (req->args.kv[i].key == NULL || req->args.kv[i].val == NULL ||
		    strlen(req->args.kv[i].val) != req->args.kv[i].vlen)
			abort();
	for (s = req->request_id; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-'))
			abort();
	if (hub_route_match(routes, sizeof(routes) / sizeof(routes[0]), req, &r) ==
	    HUB_ROUTE_FOUND) {
		for (i = 0; i < req->ncaptures; i++)
			if (req->captures[i] == NULL || req->captures[i][0] == '\0' ||
			    strchr(req->captures[i], '/') != NULL)
				abort();
	}
	(void)hub_req_header(req, "Idempotency-Key");
	(void)hub_req_header(req, "X-Slack-Signature");
	(void)hub_req_is_type(req, "application/json");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_io io = { NULL, fz_read, fz_write, fz_param };
	struct hub_req req;
	struct fz z;
	const char *p = (const char *)data, *end = p + size, *nul;
	char *copy = NULL;
	size_t i, max = 4096;
	int rc;

	memset(&z, 0, sizeof(z));
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	end = copy + size;
	for (i = 0; i < F__MAX && p < end; i++) {
		nul = memchr(p, '\0', (size_t)(end - p));
		z.field[i] = (char *)p;
		p = nul != NULL ? nul + 1 : end;
	}
	z.body = p;
	z.body_len = (size_t)(end - p);
	io.ctx = &z;
	rc = hub_req_init(&req, &io);
	if (rc == 0) {
		check(&req);
		rc = hub_req_read_body(&req, max);
		if (rc == 0 && (req.body == NULL || strlen(req.body) > req.body_len ||
		    req.body_len > max || req.body[req.body_len] != '\0'))
			abort();
	} else if (rc != 400 && rc != 404 && rc != 500) {
		abort();
	}
	(void)hub_resp_json_error(&req, 400, "refused", "path");
	hub_req_free(&req);
	free(copy);
	return 0;
}
