/*
 * test_fcgi.c - requests, responses, routes, the app loop and prefork.
 *
 * Requests run against a buffer-backed hub_io, so what is tested here is
 * the same code libfcgi drives in production.  The prefork tests fork a
 * real parent on a unix socket in a private temporary directory.
 */
/* The headers' unit-test declarations (HUB_STATIC functions), as in the
 * library copy this test links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "web/fcgi.h"
#include "web/app.h"
#include "web/prefork.h"
#include "base/log.h"
#include <criterion/criterion.h>

/* ------------------------------------------------------------ fake io */

struct fake {
	const char	*params[32];	/* name, value, name, value, ..., NULL */
	const char	*body;
	size_t		 body_len;
	size_t		 pos;
	size_t		 chunk;		/* max bytes per read; 0 = all */
	int		 read_fail;
	int		 write_fail;
	struct hub_buf	 out;
};

static ssize_t
fake_read(void *ctx, char *p, size_t n)
{
	struct fake *f = ctx;
	size_t left;

	if (f->read_fail)
		return -1;
	left = f->body_len - f->pos;
	if (n > left)
		n = left;
	if (f->chunk != 0 && n > f->chunk)
		n = f->chunk;
	memcpy(p, f->body + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

static int
fake_write(void *ctx, const char *p, size_t n)
{
	struct fake *f = ctx;

	if (f->write_fail)
		return -1;
	return hub_buf_add(&f->out, p, n) == 0 ? 0 : -1;
}

static const char *
fake_param(void *ctx, const char *name)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; f->params[i] != NULL; i += 2)
		if (strcmp(f->params[i], name) == 0)
			return f->params[i + 1];
	return NULL;
}

static struct hub_io
fake_io(struct fake *f)
{
	struct hub_io io = { f, fake_read, fake_write, fake_param };

	hub_buf_init(&f->out, 1 << 20);
	if (f->body != NULL && f->body_len == 0)
		f->body_len = strlen(f->body);
	return io;
}

/* Split the output into head and body. */
static const char *
out_body(struct fake *f)
{
	const char *s = strstr(hub_buf_str(&f->out), "\r\n\r\n");

	cr_assert_not_null(s, "no end of headers in: %s", hub_buf_str(&f->out));
	return s + 4;
}

static int
out_has_header(struct fake *f, const char *line)
{
	const char *s = hub_buf_str(&f->out), *end = strstr(s, "\r\n\r\n");
	const char *hit = strstr(s, line);

	return hit != NULL && end != NULL && hit < end &&
	    (hit == s || hit[-1] == '\n');
}

static void
quiet_log(void)
{
	int fd = open("/dev/null", O_WRONLY);

	hub_log_init("test", HUB_LOG_ERROR);
	hub_log_set_fd(fd);
}

TestSuite(fcgi, .init = quiet_log);

/* ------------------------------------------------------------ request line */

Test(fcgi, methods)
{
	static const struct {
		const char	*name;
		enum hub_method	 m;
		int		 rc;
	} t[] = {
		{ "GET", HUB_M_GET, 0 },
		{ "HEAD", HUB_M_HEAD, 0 },
		{ "POST", HUB_M_POST, 0 },
		{ "PUT", HUB_M_PUT, 0 },
		{ "PATCH", HUB_M_PATCH, 0 },
		{ "DELETE", HUB_M_DELETE, 0 },
		{ "get", HUB_M_OTHER, 0 },	/* methods are case-sensitive */
		{ "OPTIONS", HUB_M_OTHER, 0 },
		{ "", HUB_M_OTHER, 400 },
		{ NULL, HUB_M_OTHER, 400 },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct fake f = { .params = { "DOCUMENT_URI", "/",
		    t[i].name != NULL ? "REQUEST_METHOD" : NULL, t[i].name, NULL } };
		struct hub_io io = fake_io(&f);
		struct hub_req req;
		int rc = hub_req_init(&req, &io);

		cr_expect_eq(rc, t[i].rc, "%s: rc %d", t[i].name, rc);
		cr_expect_eq(req.method, t[i].m, "%s", t[i].name);
		if (rc == 0)
			cr_expect_str_eq(req.method_name, t[i].name);
		hub_req_free(&req);
		hub_buf_release(&f.out);
	}
}

Test(fcgi, paths)
{
	static const struct {
		const char	*doc, *script, *pinfo, *ruri, *qs;
		int		 rc;
		const char	*path, *query;
	} t[] = {
		{ "/api/x", NULL, NULL, NULL, NULL, 0, "/api/x", "" },
		/* DOCUMENT_URI and SCRIPT_NAME+PATH_INFO arrive decoded: taken as is */
		{ "/a%20b", NULL, NULL, NULL, NULL, 0, "/a%20b", "" },
		{ "/a b", NULL, NULL, NULL, NULL, 0, "/a b", "" },
		{ "/a+b", NULL, NULL, NULL, NULL, 0, "/a+b", "" },   /* + is not space in paths */
		/* REQUEST_URI wins and is decoded exactly once */
		{ "/x", NULL, NULL, "/other", "q=1", 0, "/other", "q=1" },
		{ "/100%", NULL, NULL, "/100%25", NULL, 0, "/100%", "" },
		{ NULL, NULL, NULL, "/a%2525", NULL, 0, "/a%25", "" },
		{ NULL, NULL, NULL, "/a%20b", NULL, 0, "/a b", "" },
		{ NULL, "/cgi", "/more", NULL, NULL, 0, "/cgi/more", "" },
		{ NULL, "/cgi", NULL, NULL, NULL, 0, "/cgi", "" },
		{ NULL, "", "/only", NULL, NULL, 0, "/only", "" },
		{ NULL, NULL, NULL, "/r/x?a=1&b=2", NULL, 0, "/r/x", "a=1&b=2" },
		{ NULL, NULL, NULL, "/r/x?a=1", "z=9", 0, "/r/x", "z=9" },
		{ NULL, NULL, NULL, "/r%2Fx", NULL, 0, "/r/x", "" },
		{ "", NULL, NULL, "/fallback", NULL, 0, "/fallback", "" },
		{ "/a/.b/..c/...", NULL, NULL, NULL, NULL, 0, "/a/.b/..c/...", "" },
		/* bad */
		{ NULL, NULL, NULL, "/a%00b", NULL, 400, NULL, NULL },
		{ NULL, NULL, NULL, "/a%zz", NULL, 400, NULL, NULL },
		{ NULL, NULL, NULL, "/a%2", NULL, 400, NULL, NULL },
		{ "a/b", NULL, NULL, NULL, NULL, 400, NULL, NULL },
		{ NULL, NULL, NULL, "%2Fa", NULL, 400, NULL, NULL },
		{ NULL, NULL, NULL, "?a=1", NULL, 400, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL, 400, NULL, NULL },
		{ "/x", NULL, NULL, NULL, "a=%zz", 400, NULL, NULL },
		/* a dot segment names nothing: 404 */
		{ NULL, NULL, NULL, "/a/%2e%2e/admin", NULL, 404, NULL, NULL },
		{ NULL, NULL, NULL, "/a/%252e%252e/admin", NULL, 0, "/a/%2e%2e/admin", "" },
		{ "/a/..", NULL, NULL, NULL, NULL, 404, NULL, NULL },
		{ "/./a", NULL, NULL, NULL, NULL, 404, NULL, NULL },
		{ NULL, NULL, NULL, "/static/%2E%2E/x", NULL, 404, NULL, NULL },
		{ "/x", NULL, NULL, NULL, "a=%00", 400, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct fake f = { .params = { "REQUEST_METHOD", "GET",
		    "DOCUMENT_URI", t[i].doc, "SCRIPT_NAME", t[i].script,
		    "PATH_INFO", t[i].pinfo, "REQUEST_URI", t[i].ruri,
		    "QUERY_STRING", t[i].qs, NULL } };
		struct hub_io io;
		struct hub_req req;
		size_t k, o;
		int rc;

		/* drop the NULL-valued variables: absent, not empty */
		for (k = 2, o = 2; f.params[k] != NULL; k += 2) {
			if (f.params[k + 1] == NULL)
				continue;
			f.params[o] = f.params[k];
			f.params[o + 1] = f.params[k + 1];
			o += 2;
		}
		f.params[o] = NULL;
		io = fake_io(&f);
		rc = hub_req_init(&req, &io);
		cr_expect_eq(rc, t[i].rc, "row %zu: rc %d", i, rc);
		if (rc == 0 && t[i].rc == 0) {
			cr_expect_str_eq(req.path, t[i].path, "row %zu", i);
			cr_expect_str_eq(req.query, t[i].query, "row %zu", i);
		}
		hub_req_free(&req);
		hub_buf_release(&f.out);
	}
}

static int
init_with_query(const char *qs, struct hub_req *req, struct fake *f)
{
	struct hub_io io;

	memset(f, 0, sizeof(*f));
	f->params[0] = "REQUEST_METHOD";
	f->params[1] = "GET";
	f->params[2] = "DOCUMENT_URI";
	f->params[3] = "/q";
	f->params[4] = "QUERY_STRING";
	f->params[5] = qs;
	io = fake_io(f);
	return hub_req_init(req, &io);
}

Test(fcgi, query_parsed)
{
	struct hub_req req;
	struct fake f;

	cr_assert_eq(init_with_query("status=Pending&q=a+b%26c&empty", &req, &f), 0);
	cr_expect_eq(req.args.n, 3);
	cr_expect_str_eq(hub_form_get(&req.args, "status"), "Pending");
	cr_expect_str_eq(hub_form_get(&req.args, "q"), "a b&c");
	cr_expect_str_eq(hub_form_get(&req.args, "empty"), "");
	cr_expect_null(hub_form_get(&req.args, "nope"));
	hub_req_free(&req);
	hub_buf_release(&f.out);
}

Test(fcgi, query_pair_limit)
{
	struct hub_buf q = HUB_BUF_INIT(1 << 16);
	struct hub_req req;
	struct fake f;
	int i;

	for (i = 0; i < HUB_QUERY_MAX_PAIRS; i++)
		cr_assert_eq(hub_buf_printf(&q, "%sk%d=v", i ? "&" : "", i), 0);
	cr_expect_eq(init_with_query(hub_buf_str(&q), &req, &f), 0, "exactly the limit");
	cr_expect_eq(req.args.n, HUB_QUERY_MAX_PAIRS);
	hub_req_free(&req);
	hub_buf_release(&f.out);

	cr_assert_eq(hub_buf_adds(&q, "&one=more"), 0);
	cr_expect_eq(init_with_query(hub_buf_str(&q), &req, &f), 400, "one over the limit");
	hub_req_free(&req);
	hub_buf_release(&f.out);
	hub_buf_release(&q);
}

Test(fcgi, headers)
{
	static const struct {
		const char *name, *want;
	} t[] = {
		{ "X-Slack-Signature", "v0=abc" },
		{ "x-slack-signature", "v0=abc" },
		{ "X-Request-Id", "rid-1" },
		{ "Content-Type", "application/json; charset=utf-8" },
		{ "content-length", "12" },
		{ "Authorization", "Bearer k" },
		{ "X-Missing", NULL },
		{ "Cookie", NULL },
	};
	struct fake f = { .params = { "REQUEST_METHOD", "GET", "DOCUMENT_URI", "/",
	    "HTTP_X_SLACK_SIGNATURE", "v0=abc", "HTTP_X_REQUEST_ID", "rid-1",
	    "CONTENT_TYPE", "application/json; charset=utf-8", "CONTENT_LENGTH", "12",
	    "HTTP_AUTHORIZATION", "Bearer k", NULL } };
	struct hub_io io = fake_io(&f);
	struct hub_req req;
	const char *v;
	size_t i;

	cr_assert_eq(hub_req_init(&req, &io), 0);
	for (i = 0; i < HUB_NELEM(t); i++) {
		v = hub_req_header(&req, t[i].name);
		if (t[i].want == NULL)
			cr_expect_null(v, "%s", t[i].name);
		else
			cr_expect(v != NULL && strcmp(v, t[i].want) == 0, "%s", t[i].name);
	}
	cr_expect_str_eq(req.content_type, "application/json; charset=utf-8");
	hub_req_free(&req);
	hub_buf_release(&f.out);
}

/* ------------------------------------------------------------ body */

Test(fcgi, content_length_strict)
{
	static const struct {
		const char		*s;
		int			 rc;
		unsigned long long	 v;
	} t[] = {
		{ "0", 0, 0 },
		{ "12", 0, 12 },
		{ "007", 0, 7 },
		{ "18446744073709551615", 0, 18446744073709551615ull },
		{ "18446744073709551616", -1, 0 },
		{ "-1", -1, 0 },
		{ "+1", -1, 0 },
		{ " 1", -1, 0 },
		{ "1 ", -1, 0 },
		{ "1x", -1, 0 },
		{ "0x10", -1, 0 },
		{ "", -1, 0 },
		{ NULL, -1, 0 },
	};
	unsigned long long v;
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		v = 424242;
		cr_expect_eq(fcgi_parse_length(t[i].s, &v), t[i].rc, "'%s'", t[i].s);
		if (t[i].rc == 0)
			cr_expect_eq(v, t[i].v, "'%s'", t[i].s);
	}
}

Test(fcgi, body)
{
	static const struct {
		const char	*method, *cl, *body;
		size_t		 max, chunk;
		int		 read_fail;
		int		 rc;
		size_t		 len;
		size_t		 consumed;	/* bytes the reader was asked for */
	} t[] = {
		{ "POST", "5", "hello", 5, 0, 0, 0, 5, 5 },	/* exactly max */
		{ "POST", "6", "hello!", 5, 0, 0, 413, 0, 0 },	/* max + 1: never read */
		{ "POST", "99999999999", "x", 5, 0, 0, 413, 0, 0 },
		{ "POST", "5", "hel", 10, 0, 0, 400, 0, 3 },	/* short body */
		{ "POST", "5", "hello", 10, 1, 0, 0, 5, 5 },	/* one byte at a time */
		{ "POST", "5", "helloEXTRA", 10, 0, 0, 0, 5, 5 },/* never reads past length */
		{ "POST", "5", "hello", 10, 0, 1, 400, 0, 0 },	/* read error */
		{ "POST", NULL, "hello", 10, 0, 0, 411, 0, 0 },
		{ "PUT", NULL, "", 10, 0, 0, 411, 0, 0 },
		{ "PATCH", "", "", 10, 0, 0, 411, 0, 0 },
		{ "POST", "0", "", 10, 0, 0, 0, 0, 0 },	/* explicit 0 is fine */
		{ "GET", NULL, "", 10, 0, 0, 0, 0, 0 },
		{ "DELETE", NULL, "", 10, 0, 0, 0, 0, 0 },
		{ "POST", "-5", "hello", 10, 0, 0, 400, 0, 0 },
		{ "POST", "5 ", "hello", 10, 0, 0, 400, 0, 0 },
		{ "POST", "0", "", 0, 0, 0, 0, 0, 0 },	/* max 0 */
		{ "POST", "1", "x", 0, 0, 0, 413, 0, 0 },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct fake f = { .params = { "REQUEST_METHOD", t[i].method,
		    "DOCUMENT_URI", "/b", t[i].cl != NULL ? "CONTENT_LENGTH" : NULL,
		    t[i].cl, NULL }, .body = t[i].body, .chunk = t[i].chunk,
		    .read_fail = t[i].read_fail };
		struct hub_io io = fake_io(&f);
		struct hub_req req;
		int rc;

		cr_assert_eq(hub_req_init(&req, &io), 0);
		rc = hub_req_read_body(&req, t[i].max);
		cr_expect_eq(rc, t[i].rc, "row %zu: rc %d", i, rc);
		cr_expect_eq(f.pos, t[i].consumed, "row %zu: read %zu", i, f.pos);
		if (t[i].rc == 0) {
			cr_assert_not_null(req.body, "row %zu", i);
			cr_expect_eq(req.body_len, t[i].len, "row %zu", i);
			cr_expect_eq(memcmp(req.body, t[i].body, t[i].len), 0, "row %zu", i);
			cr_expect_eq(req.body[t[i].len], '\0', "row %zu", i);
			/* a second read is a no-op */
			cr_expect_eq(hub_req_read_body(&req, t[i].max), 0);
		} else {
			cr_expect_null(req.body, "row %zu", i);
		}
		hub_req_free(&req);
		hub_buf_release(&f.out);
	}
}

Test(fcgi, content_type_match)
{
	static const struct {
		const char	*ct, *type;
		int		 want;
	} t[] = {
		{ "application/json", "application/json", 1 },
		{ "application/json; charset=utf-8", "application/json", 1 },
		{ "Application/JSON;charset=UTF-8", "application/json", 1 },
		{ "  application/json ; x=y", "application/json", 1 },
		{ "application/x-www-form-urlencoded", "application/x-www-form-urlencoded", 1 },
		{ "application/jsonp", "application/json", 0 },
		{ "application/jso", "application/json", 0 },
		{ "text/json", "application/json", 0 },
		{ "", "application/json", 0 },
		{ NULL, "application/json", 0 },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct fake f = { .params = { "REQUEST_METHOD", "POST", "DOCUMENT_URI", "/",
		    t[i].ct != NULL ? "CONTENT_TYPE" : NULL, t[i].ct, NULL } };
		struct hub_io io = fake_io(&f);
		struct hub_req req;

		cr_assert_eq(hub_req_init(&req, &io), 0);
		cr_expect_eq(hub_req_is_type(&req, t[i].type), t[i].want, "'%s'", t[i].ct);
		hub_req_free(&req);
		hub_buf_release(&f.out);
	}
}

/* ------------------------------------------------------------ responses */

static void
req_for(const char *method, struct hub_req *req, struct fake *f)
{
	struct hub_io io;

	memset(f, 0, sizeof(*f));
	f->params[0] = "REQUEST_METHOD";
	f->params[1] = method;
	f->params[2] = "DOCUMENT_URI";
	f->params[3] = "/r";
	io = fake_io(f);
	cr_assert_eq(hub_req_init(req, &io), 0);
}

static const char *const security_lines[] = {
	"X-Content-Type-Options: nosniff\r\n",
	"X-Frame-Options: DENY\r\n",
	"Referrer-Policy: same-origin\r\n",
	"Cache-Control: no-store\r\n",
};

Test(fcgi, response_exact)
{
	struct hub_req req;
	struct fake f;

	req_for("POST", &req, &f);
	cr_assert_eq(hub_resp_header(&req, "Location", "/api/requests/7"), 0);
	cr_assert_eq(hub_resp_start(&req, 201, "application/json"), 0);
	cr_assert_eq(hub_resp_puts(&req, "{}"), 0);
	cr_expect_str_eq(hub_buf_str(&f.out),
	    "Status: 201 Created\r\n"
	    "Content-Type: application/json\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: same-origin\r\n"
	    "Cache-Control: no-store\r\n"
	    "Location: /api/requests/7\r\n"
	    "\r\n"
	    "{}");
	cr_expect_eq(req.status, 201);
	/* once only; no header after the start */
	cr_expect_eq(hub_resp_start(&req, 200, "text/plain"), -1);
	cr_expect_eq(hub_resp_header(&req, "X-Late", "1"), -1);
	hub_req_free(&req);
	hub_buf_release(&f.out);
}

Test(fcgi, security_headers_everywhere)
{
	static const struct {
		int		 kind;	/* 0 text, 1 html, 2 json, 3 json error, 4 no type */
		int		 status;
		int		 csp;
	} t[] = {
		{ 0, 200, 0 }, { 1, 200, 1 }, { 1, 404, 1 }, { 2, 200, 0 },
		{ 3, 400, 0 }, { 3, 503, 0 }, { 4, 204, 0 },
	};
	size_t i, k;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct hub_req req;
		struct fake f;
		json_object *o;

		req_for("GET", &req, &f);
		switch (t[i].kind) {
		case 0:
			cr_assert_eq(hub_resp_text(&req, t[i].status, "hi"), 0);
			break;
		case 1:
			cr_assert_eq(hub_resp_html(&req, t[i].status, "<p>x</p>", 8), 0);
			break;
		case 2:
			o = json_object_new_object();
			cr_assert_eq(hub_resp_json(&req, t[i].status, o), 0);
			json_object_put(o);
			break;
		case 3:
			cr_assert_eq(hub_resp_json_error(&req, t[i].status, "m", NULL), 0);
			break;
		default:
			cr_assert_eq(hub_resp_start(&req, t[i].status, NULL), 0);
			cr_expect(!out_has_header(&f, "Content-Type:"));
			break;
		}
		for (k = 0; k < HUB_NELEM(security_lines); k++)
			cr_expect(out_has_header(&f, security_lines[k]), "row %zu: %s", i,
			    security_lines[k]);
		cr_expect_eq(out_has_header(&f, "Content-Security-Policy: "), t[i].csp,
		    "row %zu", i);
		if (t[i].csp)
			cr_expect(strstr(hub_buf_str(&f.out), "default-src 'self'") != NULL);
		cr_expect_eq(req.status, t[i].status);
		hub_req_free(&req);
		hub_buf_release(&f.out);
	}
}

Test(fcgi, head_has_no_body)
{
	struct hub_req req;
	struct fake f;

	req_for("HEAD", &req, &f);
	cr_assert_eq(hub_resp_text(&req, 200, "should not appear"), 0);
	cr_expect(out_has_header(&f, "Status: 200 OK\r\n"));
	cr_expect_str_eq(out_body(&f), "");
	cr_expect_null(strstr(hub_buf_str(&f.out), "should not appear"));
	hub_req_free(&req);
	hub_buf_release(&f.out);

	req_for("GET", &req, &f);
	cr_assert_eq(hub_resp_text(&req, 200, "visible"), 0);
	cr_expect_str_eq(out_body(&f), "visible");
	hub_req_free(&req);
	hub_buf_release(&f.out);
}

Test(fcgi, bad_headers_refused)
{
	static const char *const t[][2] = {
		{ "X-A", "a\r\nSet-Cookie: x=1" },
		{ "X-A", "a\nb" },
		{ "X-A\r\nX-B", "v" },
		{ "X-A: b", "v" },
		{ "", "v" },
	};
	struct hub_req req;
	struct fake f;
	size_t i;

	req_for("GET", &req, &f);
	for (i = 0; i < HUB_NELEM(t); i++)
		cr_expect_eq(hub_resp_header(&req, t[i][0], t[i][1]), -1, "row %zu", i);
	cr_expect_eq(hub_resp_start(&req, 200, "text/plain\r\nX-Evil: 1"), -1);
	cr_expect_eq(hub_resp_write(&req, "x", 1), -1, "write before start");
	cr_assert_eq(hub_resp_start(&req, 200, "text/plain"), 0);
	cr_expect_null(strstr(hub_buf_str(&f.out), "Set-Cookie"));
	cr_expect_null(strstr(hub_buf_str(&f.out), "X-B"));
	hub_req_free(&req);
	hub_buf_release(&f.out);
}

Test(fcgi, json_and_error_shape)
{
	static const struct {
		int		 status;
		const char	*msg, *field;
		const char	*want;
	} t[] = {
		{ 400, "justification_text is required", "justification_text",
		  "{\"error\":\"justification_text is required\",\"field\":\"justification_text\"}" },
		{ 404, "not found", NULL, "{\"error\":\"not found\"}" },
		{ 413, NULL, NULL, "{\"error\":\"Content Too Large\"}" },
		{ 400, "bad \"quote\" </script>", "a/b",
		  "{\"error\":\"bad \\\"quote\\\" </script>\",\"field\":\"a/b\"}" },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct hub_req req;
		struct fake f;
		char line[64];

		req_for("POST", &req, &f);
		cr_assert_eq(hub_resp_json_error(&req, t[i].status, t[i].msg, t[i].field), 0);
		snprintf(line, sizeof(line), "Status: %d %s\r\n", t[i].status,
		    hub_status_text(t[i].status));
		cr_expect(out_has_header(&f, line), "row %zu", i);
		cr_expect(out_has_header(&f, "Content-Type: application/json\r\n"));
		cr_expect_str_eq(out_body(&f), t[i].want, "row %zu", i);
		hub_req_free(&req);
		hub_buf_release(&f.out);
	}
}

Test(fcgi, status_texts)
{
	cr_expect_str_eq(hub_status_text(201), "Created");
	cr_expect_str_eq(hub_status_text(405), "Method Not Allowed");
	cr_expect_str_eq(hub_status_text(503), "Service Unavailable");
	cr_expect_str_eq(hub_status_text(799), "Unknown");
}

Test(fcgi, write_error_reported)
{
	struct hub_req req;
	struct fake f;

	req_for("GET", &req, &f);
	f.write_fail = 1;
	cr_expect_eq(hub_resp_text(&req, 200, "x"), -1);
	hub_req_free(&req);
	hub_buf_release(&f.out);
}

/* ------------------------------------------------------------ routes */

static int h_a(struct hub_req *r, void *a) { (void)r; (void)a; return 0; }
static int h_b(struct hub_req *r, void *a) { (void)r; (void)a; return 0; }
static int h_c(struct hub_req *r, void *a) { (void)r; (void)a; return 0; }
static int h_d(struct hub_req *r, void *a) { (void)r; (void)a; return 0; }

#define M(x) HUB_ROUTE_M(HUB_M_##x)
static const struct hub_route routes[] = {
	{ M(GET), "/", h_a },
	{ M(GET), "/api/requests", h_a },
	{ M(POST), "/api/requests", h_b },
	{ M(GET), "/api/requests/*", h_c },
	{ M(POST), "/api/requests/*/cancel", h_d },
	{ M(PUT) | M(DELETE), "/api/sources/*/keys/*", h_b },
};

Test(fcgi, route_table)
{
	static const struct {
		const char	*method, *path;
		int		 res;
		hub_handler	 h;
		size_t		 ncap;
		const char	*cap0, *cap1;
		const char	*allow;
	} t[] = {
		{ "GET", "/", HUB_ROUTE_FOUND, h_a, 0, NULL, NULL, NULL },
		{ "GET", "/api/requests", HUB_ROUTE_FOUND, h_a, 0, NULL, NULL, NULL },
		{ "HEAD", "/api/requests", HUB_ROUTE_FOUND, h_a, 0, NULL, NULL, NULL },
		{ "POST", "/api/requests", HUB_ROUTE_FOUND, h_b, 0, NULL, NULL, NULL },
		{ "GET", "/api/requests/42", HUB_ROUTE_FOUND, h_c, 1, "42", NULL, NULL },
		{ "GET", "/api/requests/a%20b", HUB_ROUTE_FOUND, h_c, 1, "a b", NULL, NULL },
		{ "POST", "/api/requests/42/cancel", HUB_ROUTE_FOUND, h_d, 1, "42", NULL, NULL },
		{ "DELETE", "/api/sources/s1/keys/k2", HUB_ROUTE_FOUND, h_b, 2, "s1", "k2", NULL },
		/* 405 */
		{ "DELETE", "/api/requests", HUB_ROUTE_NOMETHOD, NULL, 0, NULL, NULL, "GET, HEAD, POST" },
		{ "GET", "/api/requests/42/cancel", HUB_ROUTE_NOMETHOD, NULL, 0, NULL, NULL, "POST" },
		{ "POST", "/", HUB_ROUTE_NOMETHOD, NULL, 0, NULL, NULL, "GET, HEAD" },
		{ "OPTIONS", "/api/requests/1", HUB_ROUTE_NOMETHOD, NULL, 0, NULL, NULL, "GET, HEAD" },
		{ "GET", "/api/sources/s/keys/k", HUB_ROUTE_NOMETHOD, NULL, 0, NULL, NULL, "PUT, DELETE" },
		/* 404 */
		{ "GET", "/api/requests/", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		{ "GET", "/api/requests/42/", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		{ "GET", "/api", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		{ "GET", "/api/requestsX", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		{ "GET", "/API/requests", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		{ "GET", "//", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		{ "POST", "/api/requests//cancel", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		{ "GET", "/api/requests/a/b", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
		/* %2F decodes to a separator before matching */
		{ "GET", "/api/requests/a%2Fb", HUB_ROUTE_NOPATH, NULL, 0, NULL, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct fake f = { .params = { "REQUEST_METHOD", t[i].method,
		    "REQUEST_URI", t[i].path, NULL } };
		struct hub_io io = fake_io(&f);
		struct hub_buf allow = HUB_BUF_INIT(256);
		const struct hub_route *r = (const void *)1;
		struct hub_req req;
		int res;

		cr_assert_eq(hub_req_init(&req, &io), 0, "row %zu", i);
		res = hub_route_match(routes, HUB_NELEM(routes), &req, &r);
		cr_expect_eq(res, t[i].res, "row %zu %s %s: %d", i, t[i].method, t[i].path, res);
		if (t[i].res == HUB_ROUTE_FOUND) {
			cr_assert_not_null(r, "row %zu", i);
			cr_expect_eq(r->handler, t[i].h, "row %zu", i);
			cr_expect_eq(req.ncaptures, t[i].ncap, "row %zu", i);
			if (t[i].ncap > 0)
				cr_expect_str_eq(req.captures[0], t[i].cap0, "row %zu", i);
			if (t[i].ncap > 1)
				cr_expect_str_eq(req.captures[1], t[i].cap1, "row %zu", i);
		} else {
			cr_expect_null(r, "row %zu", i);
			cr_expect_eq(req.ncaptures, 0, "row %zu", i);
		}
		if (t[i].allow != NULL) {
			cr_assert_eq(hub_route_allow(routes, HUB_NELEM(routes), &req, &allow), 0);
			cr_expect_str_eq(hub_buf_str(&allow), t[i].allow, "row %zu", i);
		}
		hub_buf_release(&allow);
		hub_req_free(&req);
		hub_buf_release(&f.out);
	}
}

Test(fcgi, route_path_captures_bounded)
{
	const char *caps[4];
	size_t len[4];

	cr_expect_eq(fcgi_route_path("/*/*/*/*", "/a/b/c/d", caps, len), 4);
	cr_expect_eq(fcgi_route_path("/*/*/*/*/*", "/a/b/c/d/e", caps, len), -1,
	    "a fifth capture has no room");
	cr_expect_eq(fcgi_route_path("/x", "x", caps, len), -1);
	cr_expect_eq(fcgi_route_path("/", "/", caps, len), 0);
	cr_expect_eq(fcgi_route_path("/", "/a", caps, len), -1);
	cr_expect_eq(fcgi_route_path("/a", "/", caps, len), -1);
}

/* ------------------------------------------------------------ app loop */

static int
h_ok(struct hub_req *req, void *app)
{
	(void)app;
	return hub_resp_text(req, 200, req->body != NULL ? req->body : "(null)");
}

static int
h_silent(struct hub_req *req, void *app)
{
	(void)req;
	(void)app;
	return 0;
}

static int
h_forbid(struct hub_req *req, void *app)
{
	(void)req;
	(void)app;
	return 403;
}

static int
h_cap(struct hub_req *req, void *app)
{
	return hub_app_error(app, req, 409, req->captures[0], "id");
}

static const struct hub_route app_routes[] = {
	{ M(GET) | M(POST), "/ok", h_ok },
	{ M(GET), "/silent", h_silent },
	{ M(GET), "/forbid", h_forbid },
	{ M(GET), "/conflict/*", h_cap },
};

Test(fcgi, app_loop)
{
	static const struct {
		int		 json;
		const char	*method, *path, *cl, *body, *rid;
		int		 status;
		const char	*in_head, *in_body;
	} t[] = {
		{ 1, "GET", "/ok", NULL, NULL, NULL, 200, NULL, "" },
		{ 1, "POST", "/ok", "4", "ping", NULL, 200, NULL, "ping" },
		{ 1, "POST", "/ok", NULL, "ping", NULL, 411, NULL, "\"error\"" },
		{ 1, "POST", "/ok", "17", "01234567890123456", NULL, 413, NULL, "too large" },
		{ 1, "POST", "/ok", "16", "0123456789012345", NULL, 200, NULL, "0123456789012345" },
		{ 1, "GET", "/nope", NULL, NULL, NULL, 404, NULL, "{\"error\":\"not found\"}" },
		{ 1, "DELETE", "/ok", NULL, NULL, NULL, 405, "Allow: GET, HEAD, POST\r\n", "\"error\"" },
		/* 405 comes before the body checks */
		{ 1, "PUT", "/ok", NULL, NULL, NULL, 405, "Allow: GET, HEAD, POST\r\n", NULL },
		/* 404 before 411 */
		{ 1, "POST", "/nope", NULL, NULL, NULL, 404, NULL, NULL },
		{ 1, "GET", "/silent", NULL, NULL, NULL, 500, NULL, "\"error\"" },
		{ 1, "GET", "/forbid", NULL, NULL, NULL, 403, NULL, "Forbidden" },
		{ 1, "GET", "/conflict/x1", NULL, NULL, NULL, 409, NULL,
		  "{\"error\":\"x1\",\"field\":\"id\"}" },
		{ 1, "GET", "/ok", NULL, NULL, "abc-DEF-123", 200, "X-Request-Id: abc-DEF-123\r\n", NULL },
		{ 1, "GET", "/a%zz", NULL, NULL, NULL, 400, NULL, "\"error\"" },
		/* HTML programs: escaped, with CSP */
		{ 0, "GET", "/nope", NULL, NULL, NULL, 404, "Content-Security-Policy:", "<h1>404 Not Found</h1>" },
		{ 0, "GET", "/conflict/%3Cscript%3E", NULL, NULL, NULL, 409, NULL, "<p>&lt;script&gt;</p>" },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct hub_app app = { .name = "test", .json_errors = t[i].json,
		    .routes = app_routes, .nroutes = HUB_NELEM(app_routes), .body_max = 16 };
		struct hub_app_ctx ctx;
		struct fake f = { .params = { "REQUEST_METHOD", t[i].method,
		    "REQUEST_URI", t[i].path, "HTTP_X_REQUEST_ID",
		    t[i].rid != NULL ? t[i].rid : "bad id!",
		    t[i].cl != NULL ? "CONTENT_LENGTH" : NULL, t[i].cl, NULL },
		    .body = t[i].body };
		struct hub_io io = fake_io(&f);
		char line[64];

		memset(&ctx, 0, sizeof(ctx));
		cr_expect_eq(app_handle(&app, &ctx, &io), t[i].status, "row %zu", i);
		snprintf(line, sizeof(line), "Status: %d ", t[i].status);
		cr_expect(out_has_header(&f, line), "row %zu: %s", i, hub_buf_str(&f.out));
		cr_expect(out_has_header(&f, "X-Request-Id: "), "row %zu", i);
		cr_expect(out_has_header(&f, "X-Content-Type-Options: nosniff\r\n"));
		cr_expect_null(strstr(hub_buf_str(&f.out), "bad id!"), "row %zu", i);
		if (t[i].in_head != NULL)
			cr_expect(out_has_header(&f, t[i].in_head), "row %zu: %s", i,
			    hub_buf_str(&f.out));
		if (t[i].in_body != NULL)
			cr_expect(strstr(out_body(&f), t[i].in_body) != NULL, "row %zu: %s",
			    i, out_body(&f));
		hub_buf_release(&f.out);
	}
}

Test(fcgi, request_id_rules)
{
	static const struct {
		const char	*id;
		int		 ok;
	} t[] = {
		{ "abc", 1 }, { "A-1-b", 1 }, { "-", 1 },
		{ "0123456789012345678901234567890123456789012345678901234567890123", 1 },
		{ "01234567890123456789012345678901234567890123456789012345678901234", 0 },
		{ "", 0 }, { NULL, 0 }, { "a b", 0 }, { "a_b", 0 }, { "a\nb", 0 },
		{ "a=b", 0 }, { "é", 0 },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(t); i++)
		cr_expect_eq(app_request_id_ok(t[i].id), t[i].ok, "row %zu", i);
}

Test(fcgi, random_request_ids_differ)
{
	struct fake f1 = { .params = { "REQUEST_METHOD", "GET", "DOCUMENT_URI", "/nope", NULL } };
	struct fake f2 = f1;
	struct hub_app app = { .name = "t", .json_errors = 1, .routes = app_routes,
	    .nroutes = HUB_NELEM(app_routes) };
	struct hub_app_ctx ctx;
	struct hub_io io1 = fake_io(&f1), io2 = fake_io(&f2);
	const char *a, *b;

	memset(&ctx, 0, sizeof(ctx));
	app_handle(&app, &ctx, &io1);
	app_handle(&app, &ctx, &io2);
	a = strstr(hub_buf_str(&f1.out), "X-Request-Id: ");
	b = strstr(hub_buf_str(&f2.out), "X-Request-Id: ");
	cr_assert(a != NULL && b != NULL);
	cr_expect_eq(strcspn(a + 14, "\r"), 32, "16 random bytes in hex");
	cr_expect_neq(strncmp(a, b, 14 + 32), 0);
	hub_buf_release(&f1.out);
	hub_buf_release(&f2.out);
}

/* ------------------------------------------------------------ prefork */

Test(prefork, args)
{
	static const struct {
		const char	*argv[8];
		int		 rc;
		const char	*path;
		unsigned	 mode;
		const char	*group;
		int		 children;
	} t[] = {
		{ { "p", NULL }, 0, NULL, 0660, NULL, 2 },
		{ { "p", "--socket", "/run/a.sock", NULL }, 0, "/run/a.sock", 0660, NULL, 2 },
		{ { "p", "--socket=/s", "--socket-mode=0666", "--socket-group", "www-data",
		    "--children", "8", NULL }, 0, "/s", 0666, "www-data", 8 },
		{ { "p", "--socket-mode", "600", NULL }, 0, NULL, 0600, NULL, 2 },
		{ { "p", "--children", "0", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--children", "257", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--children", "2x", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--children", "-1", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--socket-mode", "0888", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--socket-mode", "01777", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--socket", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--socket=", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "--sockets", "/x", NULL }, -1, NULL, 0, NULL, 0 },
		{ { "p", "/x", NULL }, -1, NULL, 0, NULL, 0 },
	};
	size_t i;
	int argc;

	for (i = 0; i < HUB_NELEM(t); i++) {
		struct hub_prefork_opts o;

		for (argc = 0; t[i].argv[argc] != NULL; argc++)
			;
		cr_expect_eq(hub_prefork_args(argc, (char **)t[i].argv, &o), t[i].rc, "row %zu", i);
		if (t[i].rc != 0)
			continue;
		if (t[i].path == NULL)
			cr_expect_null(o.socket_path, "row %zu", i);
		else
			cr_expect_str_eq(o.socket_path, t[i].path, "row %zu", i);
		cr_expect_eq(o.socket_mode, t[i].mode, "row %zu", i);
		if (t[i].group == NULL)
			cr_expect_null(o.socket_group, "row %zu", i);
		else
			cr_expect_str_eq(o.socket_group, t[i].group, "row %zu", i);
		cr_expect_eq(o.children, t[i].children, "row %zu", i);
	}
}

Test(prefork, listen_on_fd0)
{
	struct hub_prefork_opts o = { .socket_path = NULL, .socket_mode = 0660, .children = 1 };
	int sv[2], fd;

	quiet_log();
	fd = open("/dev/null", O_RDONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(dup2(fd, 0), 0);
	cr_expect_eq(hub_prefork_listen(&o), -1, "/dev/null on fd 0 is not a socket");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(dup2(sv[0], 0), 0);
	cr_expect_eq(hub_prefork_listen(&o), 0, "a socket on fd 0 is used as is");
}

static char tmpdir[64];
static char sockpath[96];

static void
mk_tmp(void)
{
	quiet_log();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hubpf.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof(sockpath), "%s/fcgi.sock", tmpdir);
}

/* The prefork parent of a run test, in its own process group so that a
 * failed assertion cannot leave it and its children behind. */
static pid_t pf_group;

static void
rm_tmp(void)
{
	if (pf_group > 0)
		kill(-pf_group, SIGKILL);
	unlink(sockpath);
	rmdir(tmpdir);
}

static int
bound_socket(const char *path, int do_listen)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (do_listen)
		cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

Test(prefork, listen_socket_files, .init = mk_tmp, .fini = rm_tmp)
{
	struct hub_prefork_opts o = { .socket_path = sockpath, .socket_mode = 0640,
	    .children = 1, .backlog = 8 };
	struct stat st;
	int fd, live;

	/* a regular file is never removed */
	fd = open(sockpath, O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	close(fd);
	cr_expect_eq(hub_prefork_listen(&o), -1);
	cr_expect_eq(stat(sockpath, &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	unlink(sockpath);

	/* a live socket belongs to another instance */
	live = bound_socket(sockpath, 1);
	cr_expect_eq(hub_prefork_listen(&o), -1);
	close(live);

	/* now it is stale: replaced */
	fd = hub_prefork_listen(&o);
	cr_assert(fd >= 0);
	cr_assert_eq(stat(sockpath, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0640);
	close(fd);

	/* unknown group */
	unlink(sockpath);
	o.socket_group = "no-such-group-hubtest";
	cr_expect_eq(hub_prefork_listen(&o), -1);
	cr_expect_neq(access(sockpath, F_OK), 0);
}

/* The prefork child used by the tests: answer each connection with our pid. */
static int
echo_child(int fd, void *arg)
{
	char line[32];
	int c, n;

	(void)arg;
	while (!hub_prefork_stopping()) {
		if ((c = accept(fd, NULL, NULL)) < 0)
			continue;	/* EINTR: the loop condition sees the flag */
		n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
		if (write(c, line, (size_t)n) != n)
			(void)0;
		close(c);
	}
	return 0;
}

static pid_t
ask_pid(void)
{
	struct sockaddr_un sun;
	char line[32];
	ssize_t n;
	int fd;
	long v;
	char *end;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	errno = 0;
	v = strtol(line, &end, 10);
	if (errno != 0 || *end != '\n' || v <= 0)
		return -1;
	return (pid_t)v;
}

static void
nap(void)
{
	struct timespec ts = { 0, 20 * 1000000L };

	nanosleep(&ts, NULL);
}

/* Ask until a pid outside `old` answers (or 5 s pass); store it in *got. */
static int
find_new_pid(const pid_t *old, size_t nold, pid_t *got)
{
	size_t i, k;
	pid_t p;

	for (i = 0; i < 250; i++) {
		if ((p = ask_pid()) > 0) {
			for (k = 0; k < nold && old[k] != p; k++)
				;
			if (k == nold) {
				*got = p;
				return 0;
			}
		}
		nap();
	}
	return -1;
}

Test(prefork, run_respawn_and_stop, .init = mk_tmp, .fini = rm_tmp, .timeout = 40)
{
	pid_t parent, kids[2], seen[8] = { 0 }, fresh, w;
	size_t nseen = 0;
	struct stat st;
	int status = -1, i;

	parent = fork();
	cr_assert(parent >= 0);
	if (parent != 0) {
		setpgid(parent, parent);	/* both sides: no window */
		pf_group = parent;
	}
	if (parent == 0) {
		const char *argv[] = { "p", "--socket", sockpath, "--socket-mode", "0600",
		    "--children", "2", NULL };
		struct hub_prefork_opts o;
		int fd;

		setpgid(0, 0);
		if (hub_prefork_args(7, (char **)argv, &o) != 0)
			_exit(10);
		if ((fd = hub_prefork_listen(&o)) < 0)
			_exit(11);
		_exit(hub_prefork_run(&o, fd, echo_child, NULL));
	}

	/* both children answer */
	cr_assert_eq(find_new_pid(seen, 0, &kids[0]), 0, "no child answered");
	seen[nseen++] = kids[0];
	cr_assert_eq(find_new_pid(seen, nseen, &kids[1]), 0, "second child never answered");
	seen[nseen++] = kids[1];
	cr_assert_eq(stat(sockpath, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0600);

	/* a child killed outright is replaced */
	cr_assert_eq(kill(kids[0], SIGKILL), 0);
	cr_assert_eq(find_new_pid(seen, nseen, &fresh), 0, "killed child not respawned");
	seen[nseen++] = fresh;
	cr_expect_neq(fresh, parent);

	/* SIGHUP: every child is replaced, one at a time */
	cr_assert_eq(kill(parent, SIGHUP), 0);
	cr_assert_eq(find_new_pid(seen, nseen, &fresh), 0, "SIGHUP restarted nothing");
	seen[nseen++] = fresh;
	cr_assert_eq(find_new_pid(seen, nseen, &fresh), 0, "SIGHUP restarted only one child");
	seen[nseen++] = fresh;

	/* SIGTERM: children stop, socket removed, exit 0 */
	cr_assert_eq(kill(parent, SIGTERM), 0);
	for (i = 0; i < 1000; i++) {
		if ((w = waitpid(parent, &status, WNOHANG)) == parent)
			break;
		nap();
	}
	cr_assert_eq(w, parent, "parent did not exit after SIGTERM");
	pf_group = 0;
	cr_expect(WIFEXITED(status), "status %d", status);
	cr_expect_eq(WEXITSTATUS(status), 0);
	cr_expect_neq(access(sockpath, F_OK), 0, "socket file left behind");
	cr_expect_eq(errno, ENOENT);
	for (i = 0; i < (int)nseen; i++)
		cr_expect(kill(seen[i], 0) != 0, "child %d still alive", (int)seen[i]);
}
