/*
 * reqquery.h - reading approval requests for the REST API: the filtered,
 * keyset-paginated list and one request in full (steps with their
 * assignments, and the audit trail).  Nothing here writes; changes go
 * through engine.h.
 *
 * Visibility, everywhere: an admin principal sees every request; a source
 * principal sees its own source's only.  Another source's request is
 * HUB_REQQUERY_NOTFOUND, and a list filtered by another source's name is an
 * empty page (never an error: a key cannot probe which sources exist).
 *
 * The list has one statement per combination of filters (status, source,
 * approver, q) so each gets a plan made for it instead of a generic plan
 * full of "$n IS NULL OR".  Times leave as ISO-8601 UTC with microseconds,
 * exact, so a cursor built from a row finds the same row again.
 *
 * Objects handed out (json_object **out) are the caller's.  Problems are
 * reported in a struct hub_problem (check.h).  Never logs: a database
 * failure is returned with its hub_db code in p->db.
 */
#ifndef HUB_REQQUERY_H
#define HUB_REQQUERY_H

#include <json-c/json.h>

#include "approval/access.h"
#include "approval/apiauth.h"
#include "base/check.h"
#include "store/db.h"

enum hub_reqquery_err {
	HUB_REQQUERY_OK = 0,
	HUB_REQQUERY_INVALID,   /* a filter is wrong: p->field, p->message */
	HUB_REQQUERY_NOTFOUND,  /* no such request (or source), or not visible */
	HUB_REQQUERY_DB,        /* p->db says which (HUB_DB_CONN: unreachable) */
	HUB_REQQUERY_NOMEM,
};

/* NULL members filter nothing.  source is a source's name. */
struct hub_reqquery_filter {
	const char	*status;
	const char	*source;
	const char	*approver;  /* approver value or Slack user id */
	const char	*q;         /* websearch text */
	const char	*flag;      /* a risk flag (engine.h hub_engine_flags) */
	/* Semantic search (semantic.h): the embedding of q makes the list
	 * hybrid, one page fused from the full-text and the vector rankings
	 * ("mode": "hybrid"); without it "mode" is "fulltext", and
	 * semantic_down (when EMBEDDING_URL is set but the query could not
	 * be embedded) is reported as "fallback".  A cursor always continues
	 * the full-text ranking. */
	const float	*qvec;
	size_t		 qdim;
	const char	*semantic_down;
	const char	*cursor;    /* next_cursor of the previous page */
	long		 limit;     /* rows per page, checked by the caller */
	/* A requester's own rows only (access.h): made by this user (uuid),
	 * or sent for this email (any case).  Both NULL: no such limit. */
	const char	*mine_user_id;
	const char	*mine_email;
};

struct hub_reqquery_state {
	char	status[32];
	char	decided_by[512];   /* "" when undecided */
	char	decided_at[40];    /* "" when undecided */
};

/* {"requests": [...], "count", "next_cursor"}, newest first; with q also
 * "match" (words, close_spellings, or meaning: only the vector ranking
 * found something) and "mode".  Rows carry "risk_flags" and "ai"
 * (ai.h HUB_AI_JSON). */
int	hub_reqquery_list(struct hub_db *, const struct hub_principal *,
	    const struct hub_reqquery_filter *, json_object **out,
	    struct hub_problem *);
/* The whole request as one object; NOTFOUND for a malformed id too. */
int	hub_reqquery_get(struct hub_db *, const struct hub_principal *, const char *id,
	    json_object **out, struct hub_problem *);
/* Status and decision of a visible request (NOTFOUND as above). */
int	hub_reqquery_state(struct hub_db *, const struct hub_principal *, const char *id,
	    struct hub_reqquery_state *, struct hub_problem *);
/* A request's audit trail, oldest first, for a signed-in person:
 * [{"at", "actor", "action", "via", "detail"}].  NOTFOUND when there is no
 * such request or user may not see it (HUB_ACCESS_REQUEST_VIEW). */
int	hub_reqquery_audit(struct hub_db *, const struct hub_access_user *, const char *id,
	    json_object **out, struct hub_problem *);
/* The id of the enabled source called name, in any case ("Workday" is
 * "workday"); NOTFOUND when none. */
int	hub_reqquery_source_id(struct hub_db *, const char *name,
	    char id[HUB_UUID_TEXT_LEN + 1], struct hub_problem *);

#endif
