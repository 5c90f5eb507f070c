/*
 * app.c - main() of the FastCGI programs and their request loop.  See app.h.
 *
 * Each prefork child owns one hub_app_ctx (its PGconn and CURL handle) for
 * its whole life; nothing here is shared between processes, so there are
 * no locks.  The context is a file-level static because signal-free,
 * single-threaded children have exactly one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <openssl/rand.h>

#include "base/common.h"
#include "web/app.h"
#include "base/esc.h"
#include "base/log.h"
#include "web/prefork.h"

#define DB_RETRY_MS	1000	/* don't hammer a PostgreSQL that is down */
#define ARGV_MAX	64

static const struct hub_app	*cur_app;
static struct hub_app_ctx	 cur_ctx;
static long long		 db_failed_at;

/* ------------------------------------------------------------ request id */

/* A caller's id is kept only when it cannot smuggle anything into logs. */
HUB_STATIC int
app_request_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 64)
			return 0;
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	}
	return 1;
}

HUB_STATIC void
app_request_id(struct hub_req *req)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[16];
	const char *h = hub_req_header(req, "X-Request-Id");
	size_t i;

	if (app_request_id_ok(h)) {
		memcpy(req->request_id, h, strlen(h) + 1);
		return;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		/* Not a secret, only a correlation id: time and pid will do. */
		long long t = hub_mono_ms() ^ ((long long)getpid() << 32);
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)i;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		req->request_id[2 * i] = hex[rnd[i] >> 4];
		req->request_id[2 * i + 1] = hex[rnd[i] & 0xf];
	}
	req->request_id[2 * sizeof(rnd)] = '\0';
}

/* ------------------------------------------------------------ errors */

HUB_STATIC int
app_error_html(struct hub_buf *b, int status, const char *msg)
{
	const char *st = hub_status_text(status);

	if (hub_buf_printf(b, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>%d ", status) != 0 ||
	    hub_esc_html(b, st, strlen(st)) != 0 ||
	    hub_buf_printf(b, "</title></head>\n<body><h1>%d ", status) != 0 ||
	    hub_esc_html(b, st, strlen(st)) != 0 ||
	    hub_buf_adds(b, "</h1>\n<p>") != 0 ||
	    hub_esc_html(b, msg, strlen(msg)) != 0 ||
	    hub_buf_adds(b, "</p>\n<p><a href=\"/\">Home</a></p></body></html>\n") != 0)
		return -1;
	return 0;
}

int
hub_app_error(struct hub_app_ctx *ctx, struct hub_req *req, int status,
    const char *msg, const char *field)
{
	struct hub_buf b = HUB_BUF_INIT(16384);
	int rc;

	(void)ctx;
	if (req->headers_done)
		return -1;
	if (msg == NULL)
		msg = hub_status_text(status);
	if (cur_app == NULL || cur_app->json_errors)
		return hub_resp_json_error(req, status, msg, field);
	rc = app_error_html(&b, status, msg) == 0 ?
	    hub_resp_html(req, status, b.data, b.len) : -1;
	hub_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------ database */

struct hub_db *
hub_app_db(struct hub_app_ctx *ctx)
{
	struct hub_db_limits lim;
	long long now;

	if (ctx->conf.database_url == NULL)
		return NULL;
	/* An open connection is handed out without a round trip: hub_db_exec
	 * notices a dead server, reconnects once and retries, and a handler
	 * whose statement still fails answers 503. */
	if (ctx->db != NULL)
		return ctx->db;
	now = hub_mono_ms();
	if (db_failed_at != 0 && now - db_failed_at < DB_RETRY_MS)
		return NULL;
	hub_db_limits(&lim, HUB_DB_ROLE_WEB, &ctx->conf);
	if (hub_db_connect_limits(ctx->conf.database_url, &lim, &ctx->db) != HUB_DB_OK ||
	    ctx->db == NULL) {
		ctx->db = NULL;
		db_failed_at = now;
		hub_log(HUB_LOG_WARN, "db_connect_failed", NULL);
		return NULL;
	}
	db_failed_at = 0;
	return ctx->db;
}

/* ------------------------------------------------------------ loop */

/*
 * The path as it may be logged: a decision link's token is a capability
 * (whoever holds it may decide), so it never reaches a log line.
 */
static const char *
loggable_path(const char *path)
{
	static const char *const secret_prefixes[] = { "/decide/" };
	size_t i, n;

	const char *p = path;

	if (path == NULL)
		return "-";
	/* "//decide/…" is the same link to a browser and to nginx. */
	while (p[0] == '/' && p[1] == '/')
		p++;
	for (i = 0; i < HUB_NELEM(secret_prefixes); i++) {
		n = strlen(secret_prefixes[i]);
		if (strncasecmp(p, secret_prefixes[i], n) == 0 && p[n] != '\0')
			return "/decide/[redacted]";
	}
	return path;
}

HUB_STATIC int
app_handle(const struct hub_app *app, struct hub_app_ctx *ctx, const struct hub_io *io)
{
	struct hub_req req;
	struct hub_buf allow = HUB_BUF_INIT(128);
	const struct hub_route *route = NULL;
	long long t0 = hub_mono_ms();
	char status[12], ms[24];
	int rc;

	cur_app = app;
	rc = hub_req_init(&req, io);
	app_request_id(&req);
	hub_log_set_request(req.request_id);
	hub_resp_header(&req, "X-Request-Id", req.request_id);
	if (rc != 0) {
		hub_app_error(ctx, &req, rc, NULL, NULL);
		goto done;
	}
	switch (hub_route_match(app->routes, app->nroutes, &req, &route)) {
	case HUB_ROUTE_FOUND:
		break;
	case HUB_ROUTE_NOMETHOD:
		if (hub_route_allow(app->routes, app->nroutes, &req, &allow) == 0)
			hub_resp_header(&req, "Allow", hub_buf_str(&allow));
		hub_app_error(ctx, &req, 405, "method not allowed", NULL);
		goto done;
	default:
		hub_app_error(ctx, &req, 404, "not found", NULL);
		goto done;
	}
	rc = hub_req_read_body(&req, app->body_max != 0 ? app->body_max : HUB_BODY_MAX_DEFAULT);
	if (rc != 0) {
		hub_app_error(ctx, &req, rc, rc == 413 ? "request body too large" :
		    rc == 411 ? "length required" : "bad request body", NULL);
		goto done;
	}
	req.user = NULL;
	rc = route->handler(&req, ctx);
	if (!req.headers_done) {
		if (rc >= 400 && rc <= 599) {
			hub_app_error(ctx, &req, rc, NULL, NULL);
		} else {
			hub_log(HUB_LOG_ERROR, "handler_no_response", "path", loggable_path(req.path), NULL);
			hub_app_error(ctx, &req, 500, "internal error", NULL);
		}
	}
done:
	snprintf(status, sizeof(status), "%d", req.status);
	snprintf(ms, sizeof(ms), "%lld", hub_mono_ms() - t0);
	hub_log(HUB_LOG_INFO, "request", "method", req.method_name,
	    "path", loggable_path(req.path), "status", status, "ms", ms, NULL);
	hub_log_set_request(NULL);
	hub_buf_release(&allow);
	rc = req.status;
	hub_req_free(&req);
	return rc;
}

static int
app_child(int listen_fd, void *arg)
{
	const struct hub_app *app = arg;
	struct hub_app_ctx *ctx = &cur_ctx;
	FCGX_Request r;
	struct hub_io io;
	int rc;

	if (ctx->conf.database_url != NULL)
		(void)hub_app_db(ctx);	/* early, but a down database is not fatal */
	ctx->http = hub_httpc_new();
	if (app->child_init != NULL && app->child_init(ctx) != 0) {
		hub_log(HUB_LOG_ERROR, "child_init_failed", NULL);
		return 1;
	}
	if (FCGX_InitRequest(&r, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		hub_log(HUB_LOG_ERROR, "fcgx_init_request_failed", NULL);
		return 1;
	}
	while (!hub_prefork_stopping()) {
		if ((rc = FCGX_Accept_r(&r)) < 0) {
			if (hub_prefork_stopping())
				break;
			if (rc == -EINTR)
				continue;
			hub_log(HUB_LOG_ERROR, "fcgx_accept_failed", "error", strerror(-rc), NULL);
			return 1;	/* the parent starts a fresh child */
		}
		hub_io_from_fcgx(&io, &r);
		app_handle(app, ctx, &io);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	if (ctx->db != NULL)
		hub_db_close(ctx->db);
	ctx->db = NULL;
	hub_httpc_free(ctx->http);
	ctx->http = NULL;
	return 0;
}

static void
usage(const char *name, FILE *f)
{
	fprintf(f,
	    "usage: %s [--socket PATH] [--socket-mode 0660] [--socket-group GROUP]\n"
	    "          [--children N] [--backlog N] [--check-config] [--help]\n"
	    "Without --socket the FastCGI socket is fd 0 (spawn-fcgi, systemd).\n"
	    "Configuration: environment and the file named by APPROVALHUB_CONF.\n",
	    name);
}

int
hub_app_main(const struct hub_app *app, int argc, char **argv)
{
	struct hub_prefork_opts opts;
	char *pargv[ARGV_MAX];
	char err[512];
	int i, pargc = 0, check = 0, fd, rc;

	cur_app = app;
	if (argc < 1 || argc > ARGV_MAX) {
		fprintf(stderr, "%s: too many arguments\n", app->name);
		return 1;
	}
	pargv[pargc++] = argv[0];
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(argv[0], stdout);
			return 0;
		} else if (strcmp(argv[i], "--check-config") == 0) {
			check = 1;
		} else {
			pargv[pargc++] = argv[i];
		}
	}
	if (hub_prefork_args(pargc, pargv, &opts) != 0) {
		usage(argv[0], stderr);
		return 1;
	}
	memset(&cur_ctx, 0, sizeof(cur_ctx));
	if (hub_conf_load(&cur_ctx.conf, app->need, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", app->name, err);
		return 1;
	}
	if (check) {
		printf("%s: configuration ok\n", app->name);
		hub_conf_free(&cur_ctx.conf);
		return 0;
	}
	hub_log_init(app->name, cur_ctx.conf.log_level);
	if (FCGX_Init() != 0) {
		hub_log(HUB_LOG_ERROR, "fcgx_init_failed", NULL);
		hub_conf_free(&cur_ctx.conf);
		return 1;
	}
	if ((fd = hub_prefork_listen(&opts)) < 0) {
		hub_conf_free(&cur_ctx.conf);
		return 1;
	}
	hub_log(HUB_LOG_INFO, "start", NULL);
	rc = hub_prefork_run(&opts, fd, app_child, (void *)app);
	hub_conf_free(&cur_ctx.conf);
	return rc;
}
