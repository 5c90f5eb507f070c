/*
 * fcgi.c - requests, responses and route tables.  See fcgi.h.
 *
 * Why an I/O interface instead of FCGX_* calls: the same parsing and
 * writing code runs under libfcgi in production and against plain buffers
 * in the unit tests, so what is tested is what runs.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/common.h"
#include "web/fcgi.h"

#define HDR_MAX		8192	/* extra response headers */
#define HDRNAME_MAX	128	/* request header names we look up */
#define PATH_MAX_LEN	4096

/* ------------------------------------------------------------ methods */

static const char *const method_names[] = {
	[HUB_M_OTHER]  = NULL,
	[HUB_M_GET]    = "GET",
	[HUB_M_HEAD]   = "HEAD",
	[HUB_M_POST]   = "POST",
	[HUB_M_PUT]    = "PUT",
	[HUB_M_PATCH]  = "PATCH",
	[HUB_M_DELETE] = "DELETE",
};

/* Methods whose requests carry a body and so must announce its length. */
static const unsigned body_methods =
    HUB_ROUTE_M(HUB_M_POST) | HUB_ROUTE_M(HUB_M_PUT) | HUB_ROUTE_M(HUB_M_PATCH);

const char *
hub_method_name(enum hub_method m)
{
	if ((size_t)m >= HUB_NELEM(method_names))
		return NULL;
	return method_names[m];
}

HUB_STATIC enum hub_method
fcgi_method_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return HUB_M_OTHER;
	for (i = 1; i < HUB_NELEM(method_names); i++)
		if (strcmp(s, method_names[i]) == 0)   /* methods are case-sensitive */
			return (enum hub_method)i;
	return HUB_M_OTHER;
}

/* ------------------------------------------------------------ status */

static const struct {
	int		 code;
	const char	*text;
} statuses[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *
hub_status_text(int status)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(statuses); i++)
		if (statuses[i].code == status)
			return statuses[i].text;
	return "Unknown";
}

/* ------------------------------------------------------------ request */

static const char *
param(const struct hub_req *req, const char *name)
{
	if (req->io.param == NULL)
		return NULL;
	return req->io.param(req->io.ctx, name);
}

static int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/*
 * "." and ".." segments: nginx resolves them before decoding, so one that
 * appears here came from an escape ("%2e%2e") or was sent as is, and must
 * not reach a handler that maps captures to files.  Such a path names
 * nothing the hub serves: 404, like any other path that names nothing
 * ("GET /api/requests/.." is no request, not a malformed one).
 */
static int
has_dot_segment(const char *p)
{
	size_t n;

	while (*p == '/') {
		p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * Decode the raw path; refuse anything that is not an absolute path after
 * strict decoding (hub_url_decode already refuses %00 and bad escapes):
 * 400, or 404 for a dot segment.
 */
HUB_STATIC int
fcgi_path_decode(const char *raw, size_t len, int decode, char **out)
{
	struct hub_buf b = HUB_BUF_INIT(PATH_MAX_LEN);
	size_t n;

	*out = NULL;
	if (len == 0 || len > PATH_MAX_LEN || raw[0] != '/' ||
	    memchr(raw, '\0', len) != NULL)
		return 400;
	if (decode ? hub_url_decode(raw, len, 0, &b) != HUB_FORM_OK :
	    hub_buf_add(&b, raw, len) != HUB_BUF_OK)
		goto bad;
	if (b.len == 0 || b.data[0] != '/' || memchr(b.data, '\0', b.len) != NULL)
		goto bad;
	if (has_dot_segment(b.data)) {
		hub_buf_release(&b);
		return 404;
	}
	*out = hub_buf_detach(&b, &n);
	return *out == NULL ? 500 : 0;
bad:
	hub_buf_release(&b);
	return 400;
}

/*
 * Pick the path from the CGI variables.  REQUEST_URI is what the client
 * sent, still percent-encoded: it is decoded here, exactly once.  Servers
 * that do not pass it give DOCUMENT_URI or SCRIPT_NAME + PATH_INFO, which
 * they have decoded already; those are taken as they are, since decoding
 * them again would turn "%2525" into "%" and let an encoded "../" through.
 */
static int
req_path(struct hub_req *req)
{
	struct hub_buf raw = HUB_BUF_INIT(PATH_MAX_LEN * 2);
	const char *s, *q;
	char *path;
	int rc, decode = 0;

	if (nonempty(s = param(req, "REQUEST_URI"))) {
		q = strchr(s, '?');
		rc = hub_buf_add(&raw, s, q != NULL ? (size_t)(q - s) : strlen(s));
		if (q != NULL && param(req, "QUERY_STRING") == NULL)
			req->query = q + 1;
		decode = 1;
	} else if (nonempty(s = param(req, "DOCUMENT_URI"))) {
		rc = hub_buf_adds(&raw, s);
	} else if (nonempty(s = param(req, "SCRIPT_NAME")) ||
	    nonempty(param(req, "PATH_INFO"))) {
		rc = hub_buf_adds(&raw, s != NULL ? s : "");
		if (rc == 0 && (s = param(req, "PATH_INFO")) != NULL)
			rc = hub_buf_adds(&raw, s);
	} else {
		return 400;
	}
	if (rc != HUB_BUF_OK) {
		hub_buf_release(&raw);
		return rc == HUB_BUF_TOOBIG ? 400 : 500;
	}
	rc = fcgi_path_decode(hub_buf_str(&raw), raw.len, decode, &path);
	hub_buf_release(&raw);
	if (rc != 0)
		return rc;
	req->path = path;
	return 0;
}

/* REQUEST_START ("1700000000.123", nginx's $msec) as epoch ms; now when
 * it is missing, malformed, in the future or older than a minute (clocks). */
static int64_t
arrival_ms(const char *s)
{
	struct timespec now;
	int64_t ms = 0, cur;
	int frac = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	cur = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '.' && frac < 0)
			frac = 0;
		else if (*s >= '0' && *s <= '9' && frac < 3 && ms < INT64_MAX / 100) {
			ms = ms * 10 + (*s - '0');
			if (frac >= 0)
				frac++;
		} else
			return cur;
	}
	if (frac != 3 || ms > cur || cur - ms > 60000)
		return cur;
	return ms;
}

int
hub_req_init(struct hub_req *req, const struct hub_io *io)
{
	const char *s;
	int rc;

	memset(req, 0, sizeof(*req));
	req->io = *io;
	hub_buf_init(&req->extra_headers, HDR_MAX);
	req->path = NULL;
	req->query = "";
	req->content_type = "";
	req->remote_addr = "";
	req->method_name = "";

	req->arrived_ms = arrival_ms(param(req, "REQUEST_START"));
	if ((s = param(req, "CONTENT_TYPE")) != NULL)
		req->content_type = s;
	if ((s = param(req, "REMOTE_ADDR")) != NULL)
		req->remote_addr = s;
	if ((s = param(req, "QUERY_STRING")) != NULL)
		req->query = s;
	s = param(req, "REQUEST_METHOD");
	if (!nonempty(s))
		return 400;
	req->method_name = s;
	req->method = fcgi_method_parse(s);

	if ((rc = req_path(req)) != 0)
		return rc;
	rc = hub_form_parse(req->query, strlen(req->query),
	    HUB_QUERY_MAX_PAIRS, &req->args);
	if (rc == HUB_FORM_NOMEM)
		return 500;
	if (rc != HUB_FORM_OK)
		return 400;
	return 0;
}

void
hub_req_free(struct hub_req *req)
{
	size_t i;

	free((char *)req->path);
	req->path = NULL;
	hub_form_free(&req->args);
	free(req->body);
	req->body = NULL;
	for (i = 0; i < req->ncaptures; i++) {
		free(req->captures[i]);
		req->captures[i] = NULL;
	}
	req->ncaptures = 0;
	hub_buf_release(&req->extra_headers);
}

const char *
hub_req_header(struct hub_req *req, const char *name)
{
	char var[sizeof("HTTP_") + HDRNAME_MAX];
	size_t i, o = 0;
	unsigned char c;

	/* CGI passes these two without the HTTP_ prefix. */
	if (strcasecmp(name, "Content-Type") == 0)
		return param(req, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return param(req, "CONTENT_LENGTH");
	if (strlen(name) > HDRNAME_MAX)
		return NULL;
	memcpy(var, "HTTP_", 5);
	o = 5;
	for (i = 0; name[i] != '\0'; i++) {
		c = (unsigned char)name[i];
		var[o++] = c == '-' ? '_' : (char)toupper(c);
	}
	var[o] = '\0';
	return param(req, var);
}

/* Strict: digits only (strtoull alone would take " -1" and wrap it). */
HUB_STATIC int
fcgi_parse_length(const char *s, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
hub_req_read_body(struct hub_req *req, size_t max)
{
	unsigned long long want;
	const char *cl;
	size_t got = 0;
	ssize_t n;

	if (req->body != NULL)
		return 0;
	cl = param(req, "CONTENT_LENGTH");
	if (!nonempty(cl)) {
		if (body_methods & HUB_ROUTE_M(req->method))
			return 411;
		want = 0;
	} else if (fcgi_parse_length(cl, &want) != 0) {
		return 400;
	}
	if (want > max || want >= SIZE_MAX)
		return 413;
	if ((req->body = malloc((size_t)want + 1)) == NULL)
		return 500;
	while (got < want) {
		if (req->io.read == NULL)
			break;
		n = req->io.read(req->io.ctx, req->body + got, (size_t)want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < want) {
		free(req->body);
		req->body = NULL;
		return 400;
	}
	req->body[got] = '\0';
	req->body_len = got;
	return 0;
}

int
hub_req_is_type(const struct hub_req *req, const char *type)
{
	const char *s = req->content_type;
	size_t n, tl = strlen(type);

	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, "; \t");
	return n == tl && strncasecmp(s, type, n) == 0;
}

/* ------------------------------------------------------------ response */

/* Sent on every response; the CSP only on HTML (it means nothing elsewhere). */
static const char *const security_headers[][2] = {
	{ "X-Content-Type-Options", "nosniff" },
	{ "X-Frame-Options", "DENY" },
	{ "Referrer-Policy", "same-origin" },
	{ "Cache-Control", "no-store" },
};
static const char html_csp[] =
    "default-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

static int
header_safe(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

int
hub_resp_header(struct hub_req *req, const char *name, const char *value)
{
	size_t old = req->extra_headers.len;

	if (req->headers_done || *name == '\0' || !header_safe(name) ||
	    strchr(name, ':') != NULL || !header_safe(value))
		return -1;
	if (hub_buf_adds(&req->extra_headers, name) != 0 ||
	    hub_buf_add(&req->extra_headers, ": ", 2) != 0 ||
	    hub_buf_adds(&req->extra_headers, value) != 0 ||
	    hub_buf_add(&req->extra_headers, "\r\n", 2) != 0) {
		if (req->extra_headers.data != NULL) {
			req->extra_headers.len = old;
			req->extra_headers.data[old] = '\0';
		}
		return -1;
	}
	return 0;
}

/* Did the handler set header name itself (hub_resp_header)?  Only
 * Cache-Control may replace its default: a page that may be revalidated
 * (an ETag) says so; the other defaults always go out. */
static int
has_header(const struct hub_buf *extra, const char *name)
{
	const char *p = hub_buf_str(extra);
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return 1;
		if ((p = strstr(p, "\r\n")) != NULL)
			p += 2;
	}
	return 0;
}

int
hub_resp_start(struct hub_req *req, int status, const char *content_type)
{
	struct hub_buf h = HUB_BUF_INIT(HDR_MAX + 1024);
	size_t i;
	int rc = -1;

	if (req->headers_done || status < 100 || status > 999 ||
	    (content_type != NULL && !header_safe(content_type)))
		return -1;
	if (hub_buf_printf(&h, "Status: %d %s\r\n", status, hub_status_text(status)) != 0)
		goto out;
	if (content_type != NULL &&
	    hub_buf_printf(&h, "Content-Type: %s\r\n", content_type) != 0)
		goto out;
	for (i = 0; i < HUB_NELEM(security_headers); i++)
		if (!(strcmp(security_headers[i][0], "Cache-Control") == 0 &&
		    has_header(&req->extra_headers, "Cache-Control")) &&
		    hub_buf_printf(&h, "%s: %s\r\n", security_headers[i][0],
		    security_headers[i][1]) != 0)
			goto out;
	if (content_type != NULL && strncasecmp(content_type, "text/html", 9) == 0 &&
	    hub_buf_printf(&h, "Content-Security-Policy: %s\r\n", html_csp) != 0)
		goto out;
	if (hub_buf_add(&h, hub_buf_str(&req->extra_headers), req->extra_headers.len) != 0 ||
	    hub_buf_add(&h, "\r\n", 2) != 0)
		goto out;
	req->status = status;
	req->headers_done = 1;
	rc = req->io.write != NULL ? req->io.write(req->io.ctx, h.data, h.len) : -1;
out:
	hub_buf_release(&h);
	return rc;
}

int
hub_resp_write(struct hub_req *req, const void *p, size_t n)
{
	if (!req->headers_done)
		return -1;
	if (req->method == HUB_M_HEAD || n == 0)
		return 0;
	if (req->io.write == NULL)
		return -1;
	return req->io.write(req->io.ctx, p, n);
}

int
hub_resp_puts(struct hub_req *req, const char *s)
{
	return hub_resp_write(req, s, strlen(s));
}

static int
resp_whole(struct hub_req *req, int status, const char *ctype, const char *p, size_t n)
{
	if (hub_resp_start(req, status, ctype) != 0)
		return -1;
	return hub_resp_write(req, p, n);
}

int
hub_resp_json(struct hub_req *req, int status, json_object *obj)
{
	const char *s;
	size_t n;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL)
		return -1;
	return resp_whole(req, status, "application/json", s, n);
}

int
hub_resp_json_error(struct hub_req *req, int status, const char *msg, const char *field)
{
	json_object *o;
	int rc = -1;

	if ((o = json_object_new_object()) == NULL)
		return -1;
	if (json_object_object_add(o, "error",
	    json_object_new_string(msg != NULL ? msg : hub_status_text(status))) != 0)
		goto out;
	if (field != NULL &&
	    json_object_object_add(o, "field", json_object_new_string(field)) != 0)
		goto out;
	rc = hub_resp_json(req, status, o);
out:
	json_object_put(o);
	return rc;
}

int
hub_resp_text(struct hub_req *req, int status, const char *text)
{
	return resp_whole(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

int
hub_resp_html(struct hub_req *req, int status, const char *html, size_t len)
{
	return resp_whole(req, status, "text/html; charset=utf-8", html, len);
}

/* ------------------------------------------------------------ routes */

/*
 * Match path against pattern segment by segment.  On a match, caps[] hold
 * pointers/lengths into path for each "*".  Returns the number of
 * captures, or -1 on no match.
 */
HUB_STATIC int
fcgi_route_path(const char *pattern, const char *path,
    const char *caps[4], size_t caplen[4])
{
	const char *p = pattern, *s = path;
	size_t pl, sl;
	int n = 0;

	if (*p != '/' || *s != '/')
		return -1;
	for (;;) {
		/* both at a '/' */
		p++;
		s++;
		pl = strcspn(p, "/");
		sl = strcspn(s, "/");
		if (pl == 1 && *p == '*') {
			if (sl == 0 || n == 4)
				return -1;
			caps[n] = s;
			caplen[n] = sl;
			n++;
		} else if (pl != sl || memcmp(p, s, pl) != 0) {
			return -1;
		}
		p += pl;
		s += sl;
		if (*p == '\0' || *s == '\0')
			return (*p == '\0' && *s == '\0') ? n : -1;
	}
}

static int
route_allows(const struct hub_route *r, enum hub_method m)
{
	if (m == HUB_M_OTHER)
		return 0;
	if (r->methods & HUB_ROUTE_M(m))
		return 1;
	return m == HUB_M_HEAD && (r->methods & HUB_ROUTE_M(HUB_M_GET));
}

int
hub_route_match(const struct hub_route *routes, size_t n, struct hub_req *req,
    const struct hub_route **route)
{
	const char *caps[4];
	size_t caplen[4], i;
	int nc, j, path_seen = 0;

	*route = NULL;
	for (i = 0; i < req->ncaptures; i++) {
		free(req->captures[i]);
		req->captures[i] = NULL;
	}
	req->ncaptures = 0;
	if (req->path == NULL)
		return HUB_ROUTE_NOPATH;
	for (i = 0; i < n; i++) {
		if ((nc = fcgi_route_path(routes[i].pattern, req->path, caps, caplen)) < 0)
			continue;
		path_seen = 1;
		if (!route_allows(&routes[i], req->method))
			continue;
		for (j = 0; j < nc; j++) {
			if ((req->captures[j] = strndup(caps[j], caplen[j])) == NULL) {
				while (j-- > 0) {
					free(req->captures[j]);
					req->captures[j] = NULL;
				}
				return HUB_ROUTE_NOPATH;
			}
		}
		req->ncaptures = (size_t)nc;
		*route = &routes[i];
		return HUB_ROUTE_FOUND;
	}
	return path_seen ? HUB_ROUTE_NOMETHOD : HUB_ROUTE_NOPATH;
}

int
hub_route_allow(const struct hub_route *routes, size_t n, const struct hub_req *req,
    struct hub_buf *out)
{
	const char *caps[4];
	size_t caplen[4], i;
	unsigned mask = 0;
	int m, first = 1;

	if (req->path == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (fcgi_route_path(routes[i].pattern, req->path, caps, caplen) >= 0)
			mask |= routes[i].methods;
	if (mask & HUB_ROUTE_M(HUB_M_GET))
		mask |= HUB_ROUTE_M(HUB_M_HEAD);
	for (m = HUB_M_GET; m <= HUB_M_DELETE; m++) {
		if (!(mask & HUB_ROUTE_M(m)))
			continue;
		if ((!first && hub_buf_add(out, ", ", 2) != 0) ||
		    hub_buf_adds(out, method_names[m]) != 0)
			return -1;
		first = 0;
	}
	return 0;
}

/* ------------------------------------------------------------ libfcgi */

static ssize_t
fcgx_read(void *ctx, char *p, size_t n)
{
	FCGX_Request *r = ctx;
	int got;

	if (n > INT_MAX)
		n = INT_MAX;
	got = FCGX_GetStr(p, (int)n, r->in);
	if (got < 0 || (got == 0 && FCGX_GetError(r->in) != 0))
		return -1;
	return got;
}

static int
fcgx_write(void *ctx, const char *p, size_t n)
{
	FCGX_Request *r = ctx;
	int chunk;

	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (FCGX_PutStr(p, chunk, r->out) != chunk)
			return -1;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static const char *
fcgx_param(void *ctx, const char *name)
{
	FCGX_Request *r = ctx;

	return FCGX_GetParam(name, r->envp);
}

void
hub_io_from_fcgx(struct hub_io *io, FCGX_Request *r)
{
	io->ctx = r;
	io->read = fcgx_read;
	io->write = fcgx_write;
	io->param = fcgx_param;
}
