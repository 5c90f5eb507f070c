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
 */
#ifndef HUB_APP_H
#define HUB_APP_H

#include "conf.h"
#include "db.h"
#include "fcgi.h"
#include "httpc.h"

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
/* Answer an error the way the program does (JSON or HTML). */
int	hub_app_error(struct hub_app_ctx *, struct hub_req *, int status, const char *msg, const char *field);

#endif
