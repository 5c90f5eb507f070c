/*
 * modals.h - the two modals a Slack approver opens from a request's
 * message, and the checks on what comes back when it is submitted:
 *
 *   reject ("hub_reject"): the request's title and a reason input
 *     (block "reason_block", action "reason"), required when the source
 *     says so (sources.reason_required).
 *   edit ("hub_edit"): one input per field of the source's editable_fields
 *     (block "edit:<key>", action "value") prefilled from the request's
 *     metadata, and an optional comment (block "comment_block").  Fields
 *     whose current value is an object or an array are not offered.
 *
 * private_metadata is {"r": request id, "a": assignment id, "m": MAC}, the
 * MAC (HMAC-SHA256 with a key derived from SECRET_KEY, cut to 128 bits)
 * binding request, assignment, modal and the Slack user it was opened
 * for.  A MAC that does not verify is a refusal.  It proves the view came
 * from us; it never authorises: the decision still goes through the engine
 * with the submitting user as actor.
 *
 * Submission values are typed by the field's current value in the
 * request's metadata (read again at submission, never taken from the view):
 * a number stays a number ("1250.50" -> 1250.5, "12" -> 12), a boolean
 * takes yes/no/true/false, anything else is text.  An emptied input leaves
 * the field as it was; an unchanged one is not an edit.
 *
 * Pure: no database, no network, no logging.  Objects handed out belong to
 * the caller (json_object_put); inputs are borrowed.
 */
#ifndef HUB_MODALS_H
#define HUB_MODALS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/buf.h"

#define HUB_MODAL_REJECT		"hub_reject"
#define HUB_MODAL_EDIT			"hub_edit"
#define HUB_MODAL_REASON_BLOCK		"reason_block"
#define HUB_MODAL_REASON_ACTION		"reason"
#define HUB_MODAL_COMMENT_BLOCK		"comment_block"
#define HUB_MODAL_COMMENT_ACTION	"comment"
#define HUB_MODAL_EDIT_PREFIX		"edit:"
#define HUB_MODAL_EDIT_ACTION		"value"
#define HUB_MODAL_TEXT_MAX		3000

enum hub_modal_err {
	HUB_MODAL_OK = 0,
	HUB_MODAL_NOMEM,
	HUB_MODAL_INVALID,   /* malformed view / metadata / arguments: a 400 */
	HUB_MODAL_BADMAC,    /* private_metadata not ours, or for someone else */
	HUB_MODAL_FIELDS,    /* the person's input is wrong: see *errors */
	HUB_MODAL_BLOCKKIT,  /* the view could not be built within Slack's limits */
};

struct hub_modal_ref {
	char	request_id[37];
	int64_t	assignment_id;
};

/* What a modal shows about the request. */
struct hub_modal_request {
	const char	*title;
	const char	*requester;
	int		 reason_required;
	json_object	*metadata;   /* object (may be NULL) */
	json_object	*editable;   /* array of field names (may be NULL) */
};

/* private_metadata for (callback_id, ref, user), appended to out. */
int	hub_modal_metadata(const unsigned char key[32], const char *callback_id,
	    const struct hub_modal_ref *, const char *user_id, struct hub_buf *out);
/* Parse and verify; ref filled on OK.  INVALID when it is not our shape,
 * BADMAC when the MAC does not match (other user, other modal, altered). */
int	hub_modal_metadata_verify(const unsigned char key[32], const char *callback_id,
	    const char *private_metadata, const char *user_id, struct hub_modal_ref *ref);

/* The views ({"type":"modal",...}), valid for views.open.  metadata is the
 * private_metadata text from hub_modal_metadata. */
int	hub_modal_reject(const struct hub_modal_request *, const char *private_metadata,
	    json_object **view);
/* FIELDS when the source has no field that can be edited here. */
int	hub_modal_edit(const struct hub_modal_request *, const char *private_metadata,
	    json_object **view);

/* view.state.values[block][action].value: OK with *out (borrowed from
 * view, NULL when the input was left empty), INVALID when the state is
 * not the shape Slack sends. */
int	hub_modal_value(json_object *view, const char *block_id, const char *action_id,
	    const char **out);
/* The edits of an edit-modal submission: *edits is an object of changed
 * fields (NULL when nothing changed); on FIELDS *errors is
 * {"edit:<key>": "message"}. */
int	hub_modal_edit_values(json_object *view, const struct hub_modal_request *,
	    json_object **edits, json_object **errors);

const char *hub_modal_strerror(int);

#endif
