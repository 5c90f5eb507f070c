/*
 * decidelink.h - the decision link an approver gets by email (never in a
 * channel: it is theirs alone): PUBLIC_URL/decide/<token>, served by
 * cgi-bin/dashboard.
 *
 * A token is bound to ONE assignment of one request and expires:
 *
 *   <assignment id>.<request id>.<expires unix>.<mac>
 *
 * where the first three parts are the payload (decimal without leading
 * zeros, the request's lower-case uuid, decimal seconds) and mac is
 * base64url (no padding, 43 chars) of HMAC-SHA256(key, payload) with
 * key = hub_derive_key(SECRET_KEY, "decide-link").  Every part is
 * URL-safe, so the token needs no escaping in a path.  The MAC is checked
 * (constant time, hub_ct_equal) before the expiry, so EXPIRED is only ever
 * said about a token the hub issued.  Rotating SECRET_KEY invalidates the
 * links out there (they answer 404; approvers ask for a new one).
 *
 * A valid token authorises showing the request and deciding as the
 * assignment's approver: whoever holds the link is that approver, as with
 * any emailed approval link.  It never authorises anything else.
 *
 * The page model (hub_decidelink_view) is here too, so the dashboard stays
 * a route table.  Nothing here blocks on a remote service or logs a token.
 */
#ifndef HUB_DECIDELINK_H
#define HUB_DECIDELINK_H

#include <stdint.h>
#include <time.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "store/db.h"

enum hub_decidelink_err {
	HUB_DECIDELINK_OK = 0,
	HUB_DECIDELINK_MALFORMED,   /* not a token's shape (-> 404) */
	HUB_DECIDELINK_BADSIG,      /* MAC does not match (-> 404) */
	HUB_DECIDELINK_EXPIRED,     /* authentic but past its expiry (-> 410) */
	HUB_DECIDELINK_NOMEM,       /* or the output buffer's maximum */
	HUB_DECIDELINK_INVAL,       /* bad argument to make/url */
	HUB_DECIDELINK_NOTFOUND,    /* view: no such assignment of that request */
	HUB_DECIDELINK_DB,          /* view: database error */
	HUB_DECIDELINK_UNAVAILABLE, /* view: database unreachable (-> 503) */
};

#define HUB_DECIDELINK_RID_LEN     37            /* uuid + NUL */
#define HUB_DECIDELINK_TOKEN_MAX   128           /* longer input is MALFORMED */
#define HUB_DECIDELINK_DEFAULT_TTL (14 * 86400)  /* no deadline: 14 days */

/* The link key: hub_derive_key(master, "decide-link"). */
void	hub_decidelink_key(const unsigned char master[32], unsigned char key[32]);

/* When a link made at `now` expires: the request's deadline when it has
 * one in the future (deadline > 0), else now + HUB_DECIDELINK_DEFAULT_TTL. */
time_t	hub_decidelink_expiry(time_t now, time_t deadline);

/* Append the token to out.  assignment_id > 0, request_id a uuid (any
 * case; lower-cased in the token), expires > 0.  INVAL otherwise. */
int	hub_decidelink_make(const unsigned char key[32], int64_t assignment_id,
	    const char *request_id, time_t expires, struct hub_buf *out);

/* Check a token: OK with the three outputs set (each may be NULL), or
 * MALFORMED / BADSIG / EXPIRED (expires <= now) with the outputs zeroed.
 * request_id_out has room for HUB_DECIDELINK_RID_LEN bytes. */
int	hub_decidelink_parse(const unsigned char key[32], const char *token, time_t now,
	    int64_t *assignment_id, char *request_id_out, time_t *expires);

/* Append "<public_url>/decide/<token>" (one slash whatever public_url ends
 * with).  INVAL when public_url is not http(s):// or token is empty. */
int	hub_decidelink_url(const char *public_url, const char *token, struct hub_buf *out);

/* Everything the worker needs in one call: key from the master, expiry
 * from the deadline (0: none), the token and the full URL appended to
 * url_out. */
int	hub_decidelink_make_url(const unsigned char master[32], const char *public_url,
	    int64_t assignment_id, const char *request_id, time_t now, time_t deadline,
	    struct hub_buf *url_out);

/*
 * The decision page's model for one assignment of one request, as a new
 * json-c object (*view, caller puts it) that templates/decide.html reads:
 *   title, requester, requester_email, source, justification, fields[]
 *   (hub_metadisplay_fields), deadline, created, step, steps, status
 *   (the request's), approver_kind, approver_value, assignment_status,
 *   can_decide (request Pending, assignment pending, its step active),
 *   waiting (its step has not started), outcome (a sentence: "Approved by
 *   X at T", "You approved this request at T. Waiting for the other
 *   approvers.", "Expired at T", ...), outcome_class (status-*), comment.
 * Times read "YYYY-MM-DD HH:MM UTC".  NOTFOUND when the assignment does
 * not belong to the request.
 */
int	hub_decidelink_view(struct hub_db *, int64_t assignment_id, const char *request_id,
	    json_object **view);

const char *hub_decidelink_strerror(int);

#endif
