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
 * approver, q, a requester's own, a risk flag) so each gets a plan made for
 * it instead of a generic plan full of "$n IS NULL OR"; the dates are in
 * every one (open ends: -infinity, infinity).  Times leave as ISO-8601 UTC
 * with microseconds, exact, so a cursor built from a row finds the same
 * row again.  The dashboard's counters (hub_reqquery_count) walk the same
 * statements.
 *
 * Objects handed out (json_object **out) are the caller's.  Problems are
 * reported in a struct hub_problem (check.h).  Never logs: a database
 * failure is returned with its hub_db code in p->db.
 */
#ifndef HUB_REQQUERY_H
#define HUB_REQQUERY_H

#include <stdint.h>

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
	/* Created on or after from, on or before to: dates YYYY-MM-DD, UTC. */
	const char	*from;
	const char	*to;
};

/* How many requests match a filter, by status (its status member and
 * cursor are ignored: the counters show every status, on every page). */
#define HUB_REQQUERY_NSTATUS	6
#define HUB_REQQUERY_COUNT_CAP	1000	/* rows a narrowed count reads at most */
struct hub_reqquery_counts {
	const char	*status[HUB_REQQUERY_NSTATUS];	/* "Pending" ... "Lapsed" */
	int64_t		 n[HUB_REQQUERY_NSTATUS];
	int64_t		 total;
	/* 1 when a narrowing filter matches cap requests or more: total is
	 * the cap, and n[] are of some of them only (show "1000+", not the
	 * statuses). */
	int		 capped;
	long		 cap;	/* HUB_REQQUERY_COUNT_CAP */
	/* Changes whenever a request the filter could match is created,
	 * changed or deleted (and otherwise not), for an ETag.  Not
	 * minimal: a narrowed filter (approver, requester, q, dates) changes
	 * with any request of its source, or of the hub. */
	char		 version[64];
};

struct hub_reqquery_state {
	char	status[32];
	char	decided_by[512];   /* "" when undecided */
	char	decided_at[40];    /* "" when undecided */
};

/* {"requests": [...], "count", "next_cursor"}, newest first; with q also
 * "match" (words, close_spellings, or meaning: only the vector ranking
 * found something), "mode", and with close spellings "corrected" (the
 * words searched instead, approval/search.h).  Rows carry "risk_flags" and "ai"
 * (ai.h HUB_AI_JSON). */
int	hub_reqquery_list(struct hub_db *, const struct hub_principal *,
	    const struct hub_reqquery_filter *, json_object **out,
	    struct hub_problem *);
/* The counters for f (validated as hub_reqquery_list does).  From the
 * per-source table request_counts (0021) without narrowing filters, else
 * counted over the list's first HUB_REQQUERY_COUNT_CAP rows (with q, the
 * full-text ranking only). */
int	hub_reqquery_count(struct hub_db *, const struct hub_principal *,
	    const struct hub_reqquery_filter *, struct hub_reqquery_counts *,
	    struct hub_problem *);
/* Only the version of those counters: one read of request_counts, what a
 * conditional GET costs. */
int	hub_reqquery_version(struct hub_db *, const struct hub_principal *,
	    const struct hub_reqquery_filter *, char version[64], struct hub_problem *);
/* {"sources": ["name", ...]}: the enabled sources by name, for a filter's
 * choices (a source principal sees its own only). */
int	hub_reqquery_sources(struct hub_db *, const struct hub_principal *, json_object **out,
	    struct hub_problem *);
/* The id of the hub user with this email (any case) into id; NOTFOUND
 * when none. */
int	hub_reqquery_user_id(struct hub_db *, const char *email,
	    char id[HUB_UUID_TEXT_LEN + 1], struct hub_problem *);
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
