/*
 * fcgi.h - one HTTP request as the FastCGI programs see it, response
 * writers, and route tables.
 *
 * The request reads CGI parameters (REQUEST_METHOD, DOCUMENT_URI or
 * SCRIPT_NAME+PATH_INFO, QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH,
 * HTTP_*) and the body through a small I/O interface, so libfcgi serves it
 * in production and a buffer serves it in unit tests.
 *
 * Every response carries X-Content-Type-Options: nosniff, X-Frame-Options:
 * DENY, Referrer-Policy: same-origin, Cache-Control: no-store, and HTML
 * responses a Content-Security-Policy (default-src 'self'; no inline script).
 * The order of refusals follows STYLE.md: 405, 404, 411/413, 415, 401/403.
 */
#ifndef HUB_FCGI_H
#define HUB_FCGI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include <fcgiapp.h>
#include "base/buf.h"
#include "base/form.h"

#define HUB_BODY_MAX_DEFAULT (1024u * 1024u)

enum hub_method {
	HUB_M_OTHER = 0,
	HUB_M_GET,
	HUB_M_HEAD,
	HUB_M_POST,
	HUB_M_PUT,
	HUB_M_PATCH,
	HUB_M_DELETE,
};

struct hub_io {
	void		 *ctx;
	/* Read up to n body bytes: returns bytes read, 0 at end, -1 error. */
	ssize_t		(*read)(void *ctx, char *p, size_t n);
	/* Write all n bytes: 0 ok, -1 error. */
	int		(*write)(void *ctx, const char *p, size_t n);
	/* CGI parameter or NULL. */
	const char	*(*param)(void *ctx, const char *name);
};

struct hub_req {
	struct hub_io	 io;
	enum hub_method	 method;
	const char	*method_name;
	const char	*path;         /* decoded path, no query */
	const char	*query;        /* raw query string, "" when none */
	struct hub_form	 args;         /* parsed query */
	const char	*content_type; /* "" when none */
	const char	*remote_addr;
	char		 request_id[65]; /* X-Request-Id [A-Za-z0-9-]{1,64} or 32 hex */
	int64_t		 arrived_ms;   /* epoch ms nginx read it (REQUEST_START), else
				        * when the child took it */
	char		*body;         /* NUL-terminated; NULL until read */
	size_t		 body_len;
	/* route captures: "/api/requests/{id}/cancel" -> captures[0] = id */
	char		*captures[4];
	size_t		 ncaptures;
	/* response state */
	int		 status;       /* 0 until started */
	int		 headers_done;
	struct hub_buf	 extra_headers;
	void		*user;         /* the program's per-request data */
};

/* Fill req from io (parses method, path, query). 0, or an HTTP status
 * (400) when the request line is unusable, 404 when its path has a "." or
 * ".." segment (it names nothing); even then req can answer
 * (hub_resp_*) and must be freed with hub_req_free.
 * The path comes from DOCUMENT_URI, else SCRIPT_NAME + PATH_INFO, else
 * REQUEST_URI without its query; it is percent-decoded strictly and must
 * be absolute and free of NUL.  At most HUB_QUERY_MAX_PAIRS query pairs. */
#define HUB_QUERY_MAX_PAIRS 200
int		 hub_req_init(struct hub_req *, const struct hub_io *);
void		 hub_req_free(struct hub_req *);
/* "X-Slack-Signature" -> HTTP_X_SLACK_SIGNATURE; NULL when absent. */
const char	*hub_req_header(struct hub_req *, const char *name);
/* Read the body: 0 ok, 411 no length on a body method (POST/PUT/PATCH;
 * an explicit "0" is fine), 413 over max (nothing is read), 400 malformed
 * CONTENT_LENGTH or short/broken body.  Afterwards req->body is a
 * NUL-terminated copy ("" when empty) owned by req.  Reading twice is a
 * no-op returning 0. */
int		 hub_req_read_body(struct hub_req *, size_t max);
/* Does Content-Type's media type equal type (case-insensitive, params ignored)? */
int		 hub_req_is_type(const struct hub_req *, const char *type);

/* Add a response header before the body starts ("Name", "value").
 * -1 after the headers went out, or when name/value hold CR, LF or NUL. */
int		 hub_resp_header(struct hub_req *, const char *name, const char *value);
/* Send status line and headers (once; -1 the second time).  content_type
 * may be NULL (no Content-Type, e.g. 204).  For HEAD, hub_resp_write
 * drops the body silently. */
int		 hub_resp_start(struct hub_req *, int status, const char *content_type);
int		 hub_resp_write(struct hub_req *, const void *, size_t);
int		 hub_resp_puts(struct hub_req *, const char *);
/* Whole responses.  hub_resp_json BORROWS obj: the caller still owns it
 * and json_object_put()s it. */
int		 hub_resp_json(struct hub_req *, int status, json_object *);
/* {"error": msg, "field": field?} */
int		 hub_resp_json_error(struct hub_req *, int status, const char *msg, const char *field);
int		 hub_resp_text(struct hub_req *, int status, const char *text);
int		 hub_resp_html(struct hub_req *, int status, const char *html, size_t len);
const char	*hub_status_text(int status);

/* Routes: pattern segments match literally, "*" matches one segment and is
 * captured.  Methods are a bit mask of (1 << HUB_M_*). */
typedef int (*hub_handler)(struct hub_req *, void *app);

struct hub_route {
	unsigned	 methods;
	const char	*pattern;
	hub_handler	 handler;
};
#define HUB_ROUTE_M(m) (1u << (m))

enum hub_route_result {
	HUB_ROUTE_FOUND = 0,
	HUB_ROUTE_NOPATH,    /* 404 */
	HUB_ROUTE_NOMETHOD,  /* 405 */
};

/* Find the route for req (filling captures); *route set when FOUND.
 * Paths match segment by segment, "/a/" does not match "/a"; "*" needs a
 * non-empty segment.  HEAD is accepted wherever GET is (the writer drops
 * the body).  NOMETHOD when some route has the path but not the method. */
int		 hub_route_match(const struct hub_route *, size_t n, struct hub_req *,
		    const struct hub_route **route);
/* The methods the routes accept for req's path, as the Allow header value
 * ("GET, HEAD, POST") appended to out; 0 ok, -1 on buffer error. */
int		 hub_route_allow(const struct hub_route *, size_t n, const struct hub_req *,
		    struct hub_buf *out);
/* Name of a method ("GET"); NULL for HUB_M_OTHER. */
const char	*hub_method_name(enum hub_method);

/* libfcgi adapter: io reads/writes req's streams and params.  The
 * FCGX_Request must outlive every hub_req built from io. */
void		 hub_io_from_fcgx(struct hub_io *, FCGX_Request *);

#ifdef HUB_UNITTEST
/* HUB_STATIC in fcgi.c: reachable from the tests through t/libhub_ut.a. */
int	 fcgi_parse_length(const char *, unsigned long long *);
int	 fcgi_route_path(const char *, const char *, const char *[4], size_t[4]);
#endif

#endif
