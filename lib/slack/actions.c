/*
 * actions.c - the button value codec (see actions.h).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/check.h"
#include "base/json.h"
#include "slack/actions.h"
#include "slack/blockkit.h"

char *
hub_action_value(const char *request_id, int64_t assignment_id)
{
	json_object *o;
	const char *s;
	char *copy = NULL;

	if (request_id == NULL || (o = json_object_new_object()) == NULL)
		return NULL;
	if (hub_json_set_str(o, "r", request_id) != HUB_JSON_OK)
		goto out;
	if (assignment_id != HUB_ACTION_NO_ASSIGNMENT &&
	    hub_json_set_int64(o, "a", assignment_id) != HUB_JSON_OK)
		goto out;
	if ((s = hub_json_str(o, NULL)) != NULL)
		copy = strdup(s);
out:
	json_object_put(o);
	return copy;
}

int
hub_action_value_parse(const char *value, struct hub_action_ref *ref)
{
	json_object *o = NULL;
	const char *rid;
	int64_t a = 0;
	int rc = -1, g;

	if (value == NULL || ref == NULL)
		return -1;
	if (hub_json_parse_object(value, strlen(value), HUB_BK_MAX_BUTTON_VALUE, 4,
	    &o) != HUB_JSON_OK ||
	    hub_json_get_string(o, "r", HUB_UUID_TEXT_LEN, &rid) != HUB_JSON_OK ||
	    !hub_check_uuid(rid))
		goto out;
	if ((g = hub_json_get_int64(o, "a", 0, INT64_MAX, &a)) != HUB_JSON_OK &&
	    g != HUB_JSON_MISSING)
		goto out;
	memcpy(ref->request_id, rid, HUB_UUID_TEXT_LEN + 1);
	ref->assignment_id = a;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}
