/*
 * webintake.h - a request made with the web form (/requests/new): through
 * the same intake (intake.h) and engine (engine.h) as POST
 * /api/new-approval, with the signed-in user as the requester.
 *
 * The source: every request needs one (requests.source_id), and a person
 * is no source system.  Web requests belong to the hub's own source named
 * HUB_WEBINTAKE_SOURCE ("web"), created the first time the form is used
 * (or made beforehand by an admin, e.g. `approvalhub source add web`, to
 * give it defaults: delivery mode, channel, deadline, reminders).  A
 * disabled "web" source switches the form off.  The preset (typed
 * metadata) is chosen by the form's type, as request_source picks it for
 * intake; the stored request's source is "web".
 *
 * The requester: name and email of the user, their Slack id when the
 * users row has one; the engine records the user as requester_user_id (an
 * actor of kind "user"), so the request is theirs (access.h).
 *
 * Double submits: the form carries a random token; the request's
 * idempotency key is "web:<user id>:<token>", so a second POST of the same
 * form (a reload, a double click) returns the request the first one made,
 * and one person's token can never name another's request.
 *
 * Errors: unlike the API, every field's problem is reported, not only the
 * first: each field is validated alone by intake on an otherwise valid
 * request (approvers with rule and quorum, each metadata key with the
 * type).  The web form also wants a justification that is not blank.
 * Nothing is written unless the whole request is valid.
 */
#ifndef HUB_WEBINTAKE_H
#define HUB_WEBINTAKE_H

#include <json-c/json.h>

#include "approval/access.h"
#include "approval/engine.h"
#include "store/db.h"

#define HUB_WEBINTAKE_SOURCE	"web"
#define HUB_WEBINTAKE_TOKEN_MIN	16	/* characters of the form's token */
#define HUB_WEBINTAKE_TOKEN_MAX	64

enum hub_webintake_err {
	HUB_WEBINTAKE_OK = 0,
	HUB_WEBINTAKE_INVALID,		/* result.errors says what */
	HUB_WEBINTAKE_BADTOKEN,		/* the form's token is missing or malformed */
	HUB_WEBINTAKE_DISABLED,		/* the source "web" is disabled: the form is off */
	HUB_WEBINTAKE_UNAVAILABLE,	/* the database did not answer: 503 */
	HUB_WEBINTAKE_DB,
	HUB_WEBINTAKE_NOMEM,
};

struct hub_webintake_result {
	char		 id[HUB_ID_LEN];	/* OK: the request */
	int		 created;		/* OK: 0 when the token's request came back */
	/* INVALID: {"<intake field>": "<intake message>", ...} with fields as
	 * intake.h names them ("title", "approvers[2]", "metadata.amount");
	 * one problem per field; "" for a problem of no field.  The caller
	 * puts it whenever it is not NULL. */
	json_object	*errors;
};

/*
 * Check in as hub_webintake_create would, writing nothing: OK, or INVALID
 * with *errors (the caller puts) as in the result.  For a form that has
 * problems of its own, so that the person sees all of them at once.
 */
int	hub_webintake_check(const struct hub_access_user *user, json_object *in,
	    json_object **errors);

/*
 * Create the request in (intake.h's input, without requester_* keys:
 * those are user's, whatever in says) for user, with the form's token.
 * in is borrowed and changed (the requester keys are set).
 */
int	hub_webintake_create(struct hub_db *, const struct hub_access_user *user,
	    json_object *in, const char *token, struct hub_webintake_result *);
/* The form's token shape: HUB_WEBINTAKE_TOKEN_MIN..MAX of [A-Za-z0-9_-]. */
int	hub_webintake_token_ok(const char *token);
const char *hub_webintake_strerror(int);

#endif
