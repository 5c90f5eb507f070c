/*
 * home.h - the App Home tab: what each user sees, and how it gets there.
 * Three modules: home.c (the view state, the loader, the tab's actions),
 * homeview.c (the pure builder, homeview.h) and homepub.c (the
 * home_publish table and job, homepub.h).  Callers include this header.
 *
 * The view (built for one (connection, Slack user, view state)):
 *   header, counts (waiting for you, your pending requests, approved and
 *   rejected in 30 days), a filter row (static_select by source
 *   "home_filter_source", by status "home_filter_status", "home_clear"
 *   when something is set), a search box (plain_text_input
 *   "home_search" with dispatch_action on Enter), then three sections:
 *     "Waiting for you"   section + Approve / Reject / View buttons
 *                         (render.h conventions: "hub_approve",
 *                         "hub_reject", "hub_view", value
 *                         {"r":"<request>","a":<assignment>});
 *     "Your requests"     pending requests the user asked for, each with a
 *                         Remind button ("hub_remind", {"r":…,"a":0});
 *     "Recently decided"  30 days, as approver or requester.
 *   Each section shows one page (HUB_HOME_PAGE items) from its offset and
 *   pages with "home_more" (value "w:20": section w|m|d, next offset) and
 *   "home_back" (to offset 0).  The filters and search apply to all three
 *   sections; counts are never filtered.
 *   By construction a view stays under 100 blocks; text per item is
 *   capped, and a view still over 250 KB is rebuilt with fewer items per
 *   page (its "Show more" continues from what was shown).  The view state
 *   also travels in the view's private_metadata.
 *
 * Publishing (marks, coalescing, the job): homepub.h.
 *
 * Nothing here blocks a request handler: only the job calls Slack.
 */
#ifndef HUB_HOME_H
#define HUB_HOME_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "store/db.h"

enum hub_home_err {
	HUB_HOME_OK = 0,
	HUB_HOME_INVALID,	/* payload or value refused; nothing written */
	HUB_HOME_FORBIDDEN,	/* e.g. Remind on someone else's request */
	HUB_HOME_NOTFOUND,	/* no enabled connection, no such request */
	HUB_HOME_DB,		/* database error */
	HUB_HOME_NOMEM,
	HUB_HOME_TOOBIG,	/* no view under Slack's limits (cannot happen
				   with the page sizes here; reported anyway) */
};

enum hub_home_section {
	HUB_HOME_WAITING = 0,	/* "w" */
	HUB_HOME_MINE,		/* "m" */
	HUB_HOME_DECIDED,	/* "d" */
	HUB_HOME__SECTIONS
};

#define HUB_HOME_PAGE		10	/* items per section page */
#define HUB_HOME_MAX_SOURCE	100
#define HUB_HOME_MAX_Q		200
#define HUB_HOME_MAX_OFFSET	100000

/* The request statuses the status filter offers, in its order. */
#define HUB_HOME_STATUSES \
	"Pending", "Approved", "Rejected", "Cancelled", "Expired", "Lapsed"

/* What the user chose; "" = no filter. */
struct hub_home_state {
	char	source[HUB_HOME_MAX_SOURCE * 4 + 1];	/* source name */
	char	status[16];				/* Pending, Approved, … */
	char	q[HUB_HOME_MAX_Q * 4 + 1];		/* search text */
	int	offset[HUB_HOME__SECTIONS];
};

/* Defaults: no filters, offsets 0. */
void	hub_home_state_init(struct hub_home_state *);
/* From {"src","st","q","o":[w,m,d]} (stored state or private_metadata).
 * Lenient: a value that is missing, of the wrong type or not allowed keeps
 * its default, so a stale or tampered view never breaks the tab.  obj may
 * be NULL. */
void	hub_home_state_from_json(json_object *, struct hub_home_state *);
/* The same as compact JSON; the caller puts it.  NULL on NOMEM. */
json_object *hub_home_state_to_json(const struct hub_home_state *);
/* private_metadata text <-> state (parses with limits; lenient as above). */
void	hub_home_state_parse(const char *, struct hub_home_state *);
/* Is status one of the request statuses (or "")? */
int	hub_home_status_valid(const char *);
/* Is a filter or a search set? */
int	hub_home_state_filtered(const struct hub_home_state *);

/* The pager's button value "w:20" (section code, offset), made here and
 * read by the home_more / home_back actions here: 0, or -1 when out is
 * too small.  hub_home_section_code is the section's letter ('w', 'm',
 * 'd'), also used in block ids. */
char	hub_home_section_code(int section);
int	hub_home_page_value(char *out, size_t n, int section, int64_t offset);


/* Read everything the builder needs for (connection, user, state). */
int	hub_home_load(struct hub_db *, const char *connection_id,
	    const char *slack_user_id, const struct hub_home_state *,
	    json_object **data);

/*
 * A block_actions payload from the Home tab (/slack/interactions): every
 * action_id starting "home_" (home_filter_source, home_filter_status,
 * home_search, home_more, home_back, home_clear) and "hub_remind".  The
 * view state is taken from the payload's view.private_metadata (what the
 * user saw), changed by the action, stored, and a publish is queued, all
 * in one transaction (run it outside one).  hub_remind calls
 * hub_engine_remind for a pending request whose requester is the user
 * (else FORBIDDEN).  connection_id may be NULL: the enabled SLACK_APP
 * connection of the payload's team is used.  Answer Slack 200 whatever
 * this returns; nothing is written on an error.
 */
int	hub_home_handle_action(struct hub_db *, const char *connection_id,
	    const char *action_id, json_object *payload);

const char *hub_home_strerror(int);
/* The HUB_HOME_* code for a HUB_DB_* one. */
int	hub_home_from_db(int db_rc);

/* The builder and publishing, declared in their own headers; callers
 * include this one. */
#include "slack/homeview.h"
#include "slack/homepub.h"

#endif
