/*
 * app.h - the main of a FastCGI program: configuration, logging, prefork,
 * one database connection per child, and the request loop around a route
 * table.  A program is a struct hub_app and one call:
 *
 *   int main(int argc, char **argv) { return hub_app_main(&app, argc, argv); }
 *
 * For every request the loop: assigns a request id (X-Request-Id header
 * when sane, else random), matches the route (404/405 in the program's
 * style: JSON or HTML), calls the handler, turns a handler that did not
 * answer into a 500, logs one line (method, path, status, duration), and
 * frees everything.  A lost database answers 503.
 *
 * Order of refusals before the handler runs: 405 (with Allow), 404, then the
 * body is read (411/413/400, at most body_max bytes), so a handler finds
 * req->body ready (NUL-terminated, "" when none) and does 415 and auth
 * itself.  A handler answers with hub_resp_* or hub_app_error and returns
 * 0; it may instead return an HTTP status >= 400 without answering, and
 * the loop answers it with hub_app_error(status, status text).  Anything
 * else that leaves the request unanswered becomes a 500.
 * Handlers get the struct hub_app_ctx * as their `app` argument.
 * Arguments: the prefork ones (prefork.h), --check-config (load the
 * configuration, print the error or "ok", exit 1/0) and --help.
 */
#ifndef HUB_APP_H
#define HUB_APP_H

#include "base/conf.h"
#include "store/db.h"
#include "web/fcgi.h"
#include "base/httpc.h"

struct hub_app_ctx {
	struct hub_conf		 conf;
	struct hub_db		*db;      /* connected lazily; may be NULL when down */
	struct hub_httpc	*http;    /* for views.open only */
	void			*user;
};

struct hub_app {
	const char		*name;     /* "api", "events", ... */
	unsigned		 need;     /* HUB_CONF_NEED_* */
	int			 json_errors; /* 1: errors as JSON, 0: as HTML */
	const struct hub_route	*routes;
	size_t			 nroutes;
	size_t			 body_max; /* 0 = HUB_BODY_MAX_DEFAULT */
	/* optional: per-child setup after the db connects */
	int			(*child_init)(struct hub_app_ctx *);
};

int	hub_app_main(const struct hub_app *, int argc, char **argv);
/* The context of the running child (handlers get it as `app`). Returns the
 * db, reconnecting if needed; NULL when PostgreSQL is unreachable. */
struct hub_db *hub_app_db(struct hub_app_ctx *);
/* Answer an error the way the program does: {"error","field"} JSON, or a
 * minimal HTML page with msg escaped.  msg NULL: the status text.  -1 when
 * the response had already started. */
int	hub_app_error(struct hub_app_ctx *, struct hub_req *, int status, const char *msg, const char *field);

#ifdef HUB_UNITTEST
/* HUB_STATIC in app.c: reachable from the tests through t/libhub_ut.a. */
int	 app_request_id_ok(const char *);
int	 app_handle(const struct hub_app *, struct hub_app_ctx *, const struct hub_io *);
#endif

#endif
