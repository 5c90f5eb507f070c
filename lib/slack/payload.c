/*
 * payload.c - the interaction payload parser (see payload.h).
 */
#include <string.h>

#include <json-c/json.h>

#include "base/json.h"
#include "slack/blockkit.h"
#include "slack/payload.h"

static int
refuse(struct hub_payload_refusal *why, int status, const char *message,
    const char *field)
{
	why->status = status;
	why->message = message;
	why->field = field;
	return -1;
}

int
hub_payload_slack_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
			return 0;
	return n >= 1 && n <= HUB_SLACK_ID_MAX;
}

/* Validate the fields every payload type shares, in the order a refusal
 * names them: one check and one refusal per field, hence the length. */
int
hub_payload_parse(const char *s, size_t len, struct hub_payload *p,
    struct hub_payload_refusal *why)
{
	json_object *user, *team, *actions, *act, *opt, *container;
	const char *tid = NULL, *name = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = hub_json_parse_object(s, len, HUB_PAYLOAD_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &p->root)) != HUB_JSON_OK)
		return refuse(why, rc == HUB_JSON_TOOBIG ? 413 : 400,
		    "payload is not a JSON object", "payload");
	if (hub_json_get_string(p->root, "type", HUB_PAYLOAD_TYPE_MAX, &p->type) != HUB_JSON_OK)
		return refuse(why, 400, "must be a string", "type");
	if (hub_json_get_object(p->root, "user", &user) != HUB_JSON_OK)
		return refuse(why, 400, "required object", "user");
	if (hub_json_get_string(user, "id", HUB_SLACK_ID_MAX, &p->user_id) != HUB_JSON_OK ||
	    !hub_payload_slack_id_ok(p->user_id))
		return refuse(why, 400, "must be a Slack user id", "user.id");
	if (hub_json_opt_string(user, "team_id", HUB_SLACK_ID_MAX, &tid) != 0 ||
	    hub_json_opt_string(user, "name", HUB_PAYLOAD_NAME_MAX, &name) != 0 ||
	    hub_json_opt_string(user, "username", HUB_PAYLOAD_NAME_MAX, &p->display) != 0)
		return refuse(why, 400, "wrong type", "user");
	if (name != NULL && *name != '\0')
		p->display = name;
	if (hub_json_opt_object(p->root, "team", &team) != 0 ||
	    (team != NULL && hub_json_opt_string(team, "id", HUB_SLACK_ID_MAX, &p->team_id) != 0))
		return refuse(why, 400, "wrong type", "team.id");
	if (p->team_id == NULL)
		p->team_id = tid;
	if (p->team_id == NULL || !hub_payload_slack_id_ok(p->team_id))
		return refuse(why, 400, "must be a Slack team id", "team.id");
	if (hub_json_opt_string(p->root, "trigger_id", HUB_PAYLOAD_TRIGGER_MAX, &p->trigger_id) != 0)
		return refuse(why, 400, "must be a string", "trigger_id");
	if (hub_json_opt_string(p->root, "response_url", HUB_PAYLOAD_URL_MAX, &p->response_url) != 0)
		return refuse(why, 400, "must be a string", "response_url");
	if (hub_json_opt_object(p->root, "message", &p->message) != 0 ||
	    hub_json_opt_object(p->root, "view", &p->view) != 0 ||
	    hub_json_opt_object(p->root, "container", &container) != 0)
		return refuse(why, 400, "must be an object", "message");
	p->actor.kind = "slack";
	p->actor.id = p->user_id;
	p->actor.team = p->team_id;
	p->actor.display = p->display != NULL && *p->display != '\0' ? p->display : NULL;
	p->actor.via = "slack";

	if (strcmp(p->type, "block_actions") == 0) {
		if (hub_json_get_array(p->root, "actions", &actions) != HUB_JSON_OK ||
		    json_object_array_length(actions) < 1 ||
		    !json_object_is_type(act = json_object_array_get_idx(actions, 0),
		    json_type_object))
			return refuse(why, 400, "must be a non-empty array of objects", "actions");
		if (hub_json_get_string(act, "action_id", HUB_BK_MAX_ID, &p->action_id) !=
		    HUB_JSON_OK)
			return refuse(why, 400, "must be a string", "actions[0].action_id");
		if (hub_json_opt_string(act, "block_id", HUB_BK_MAX_ID, &p->block_id) != 0 ||
		    hub_json_opt_string(act, "value", HUB_BK_MAX_BUTTON_VALUE, &p->value) != 0)
			return refuse(why, 400, "must be a string", "actions[0].value");
		if (hub_json_opt_object(act, "selected_option", &opt) != 0 ||
		    (opt != NULL && hub_json_opt_string(opt, "value", HUB_BK_MAX_OPTION_VALUE,
		    &p->option) != 0))
			return refuse(why, 400, "must be an option", "actions[0].selected_option");
	} else if (strcmp(p->type, "view_submission") == 0 && p->view == NULL)
		return refuse(why, 400, "required object", "view");
	return 0;
}
