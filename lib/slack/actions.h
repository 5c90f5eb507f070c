/*
 * actions.h - the Slack action ids of the hub's buttons and the one codec of
 * a button's value.
 *
 * Every interactive element the hub puts into a message or the Home tab
 * carries one of these action ids, and its value is the compact JSON
 * {"r":"<request uuid>","a":<assignment id>} ("a" left out when the copy is
 * not any one approver's).  render.c, home.c and the /approvals list encode
 * it here; interactions and the Home tab decode it here.  Never touches the
 * database, never logs.
 */
#ifndef HUB_ACTIONS_H
#define HUB_ACTIONS_H

#include <stdint.h>

#include "base/check.h"

#define HUB_ACTION_APPROVE	"hub_approve"
#define HUB_ACTION_REJECT	"hub_reject"
#define HUB_ACTION_EDIT		"hub_edit"
#define HUB_ACTION_SNOOZE	"hub_snooze"
#define HUB_ACTION_REMIND	"hub_remind"
#define HUB_ACTION_VIEW		"hub_view"
/* Every action id above starts so. */
#define HUB_ACTION_PREFIX	"hub_"
/* block_id of a message's actions block: the prefix and the request id, so
 * an element without a value of its own (the snooze overflow) still names
 * its request. */
#define HUB_ACTION_BLOCK_PREFIX	"hub_actions:"

/* Passed as the assignment to leave "a" out of the value. */
#define HUB_ACTION_NO_ASSIGNMENT	(-1)

/* What a button value names. */
struct hub_action_ref {
	char	request_id[HUB_UUID_TEXT_LEN + 1];
	int64_t	assignment_id;	/* 0 when the value has none */
};

/*
 * The value for a request and an assignment (HUB_ACTION_NO_ASSIGNMENT: none),
 * malloc'd; the caller frees it.  NULL when out of memory.
 */
char	*hub_action_value(const char *request_id, int64_t assignment_id);
/*
 * Decode a value (at most HUB_BK_MAX_BUTTON_VALUE bytes): "r" must be a
 * uuid, "a" (optional) a non-negative integer.  0 with *ref set, else -1.
 */
int	 hub_action_value_parse(const char *value, struct hub_action_ref *ref);

#endif
