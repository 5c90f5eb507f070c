/*
 * resource.h - admin resources of the REST API served from a table.
 *
 * Sources, connections, users, groups, delegations and the delivery
 * history are each a few operations (list, get, create, patch, delete and
 * a few actions) on a lib module whose calls all have one shape: inputs
 * in, a JSON object or a hub_problem out, and a module return code.  What
 * differs from one operation to the next is data - the status of success,
 * whether a JSON body is read and which keys it may carry, which query
 * parameters are allowed, how the module's codes map to HTTP (the refusal
 * map) and what a 404 says - so each operation is one row
 * (struct hub_resource_op) and hub_resource_serve() is the one handler.
 *
 * The request parsers every API handler needs (body object, allowed keys,
 * allowed query parameters, the `limit` parameter) and the answers
 * (a JSON reply, a refusal, a database failure) live here too, so
 * cgi-bin/api.c holds its route table and the few handlers that are not
 * resource rows.
 *
 * Errors are JSON {"error","field"} through hub_app_error.  Every function
 * that answers returns the HTTP status it sent (0 when the caller goes on);
 * none of them keeps a reference to the request after it returns.
 */
#ifndef HUB_RESOURCE_H
#define HUB_RESOURCE_H

#include <json-c/json.h>

#include "base/check.h"
#include "approval/engine.h"
#include "web/app.h"
#include "web/fcgi.h"

/* What an operation's function gets. */
struct hub_resource_call {
	struct hub_db		*db;
	struct hub_app_ctx	*app;	/* conf, http */
	struct hub_req		*req;	/* captures, query parameters */
	json_object		*in;	/* the body, with HUB_RESOURCE_BODY; else NULL */
	const struct hub_actor	*actor;	/* who, for the audit log */
};

/* A lib module's call: the module's OK code with *out set, or one of its
 * error codes with the problem filled in. */
typedef int (*hub_resource_fn)(const struct hub_resource_call *, json_object **out,
    struct hub_problem *);

/* How a module's return codes become HTTP statuses; -1: the module has none. */
struct hub_resource_refusals {
	int	 ok;
	int	 invalid;	/* 400, the problem's message and field */
	int	 notfound;	/* 404, the op's notfound text */
	int	 exists;	/* 409 */
	int	 unavailable;	/* 503, the problem's message (a remote service down) */
	int	 notfound_says;	/* 1: a 404 says the problem's message when it has one */
};

#define HUB_RESOURCE_BODY	0x1u	/* read the body as a JSON object ({} when empty) */
#define HUB_RESOURCE_LOCATION	0x2u	/* Location: the reply's "status_url" */

/* One operation of one resource: a row of cgi-bin/api.c's resource table. */
struct hub_resource_op {
	hub_resource_fn				 fn;
	int					 status;	/* of success: 200, 201, 202 */
	unsigned				 flags;		/* HUB_RESOURCE_* */
	const char *const			*fields;	/* keys the body may have; NULL: any */
	const char *const			*params;	/* query parameters; NULL: any */
	const struct hub_resource_refusals	*refusals;
	const char				*notfound;	/* what a 404 says */
};

/* Serve one operation: parameters, body and its keys, the call, then the
 * answer - the reply with op->status, or the refusal its code maps to. */
int	hub_resource_serve(const struct hub_resource_op *, struct hub_req *,
	    struct hub_app_ctx *, struct hub_db *, const struct hub_actor *);

/* ---------------------------------------------------------------- parsers */

/* The body as a JSON object; an empty body is {}.  0, or answered 400. */
int	hub_resource_body(struct hub_req *, struct hub_app_ctx *, json_object **out);
/* Every key of o is in allowed (NULL-terminated); else answered 400 naming it. */
int	hub_resource_only_fields(struct hub_req *, struct hub_app_ctx *, json_object *o,
	    const char *const *allowed);
/* Every query parameter is in allowed and given once; else answered 400. */
int	hub_resource_only_params(struct hub_req *, struct hub_app_ctx *,
	    const char *const *allowed);
/* ?limit=, an integer from 1 to max, def when absent; else answered 400. */
int	hub_resource_limit(struct hub_req *, struct hub_app_ctx *, long def, long max,
	    long *limit);
/* The same check for a resource function: 0, or -1 with the problem set
 * (field "limit"). */
int	hub_resource_limit_parse(const char *s, long def, long max, long *limit,
	    struct hub_problem *);

/* ---------------------------------------------------------------- answers */

/* Send o (consumed) with status; 500 when o is NULL. */
int	hub_resource_respond(struct hub_req *, int status, json_object *o);
/* A database failure: 503 when the connection is gone, else logged and 500. */
int	hub_resource_db_error(struct hub_req *, struct hub_app_ctx *, int dberr);
/* A module's answer as an HTTP status from its INVALID, NOTFOUND and EXISTS
 * codes (-1: none); 0 for anything else. */
int	hub_resource_status(int rc, int invalid, int notfound, int exists);
/* Answer what a module refused (status from hub_resource_status): 404 with
 * notfound, 400/409 with the problem's message and field, a database
 * failure by its code, anything else 500. */
int	hub_resource_refused(struct hub_req *, struct hub_app_ctx *, int status,
	    const struct hub_problem *, const char *notfound);

#endif
