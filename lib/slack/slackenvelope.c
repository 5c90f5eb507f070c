/*
 * slackenvelope.c - the Events API envelope, checked before anything is
 * written (slackenvelope.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "slack/slackenvelope.h"

int
hub_slackenvelope_id_ok(const char *s, size_t max, int upper_only)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (!(upper_only ? isupper((unsigned char)s[n]) : isalpha((unsigned char)s[n])) &&
		    !isdigit((unsigned char)s[n]))
			return 0;
	return n >= 1 && n <= max;
}

static int
refuse(struct hub_slackenvelope *e, const char *field, const char *message)
{
	snprintf(e->field, sizeof(e->field), "%s", field);
	e->message = message;
	json_object_put(e->root);
	e->root = NULL;
	return 400;
}

static const char *
team_of(json_object *env, json_object *event)
{
	json_object *auths, *a;
	const char *t = NULL;

	if (hub_json_get_string(env, "team_id", HUB_SLACKENVELOPE_SLACKID_MAX, &t) ==
	    HUB_JSON_OK)
		return t;
	if (hub_json_get_array(env, "authorizations", &auths) == HUB_JSON_OK &&
	    json_object_array_length(auths) > 0 &&
	    (a = json_object_array_get_idx(auths, 0)) != NULL &&
	    json_object_is_type(a, json_type_object) &&
	    hub_json_get_string(a, "team_id", HUB_SLACKENVELOPE_SLACKID_MAX, &t) == HUB_JSON_OK)
		return t;
	if (hub_json_get_string(event, "team", HUB_SLACKENVELOPE_SLACKID_MAX, &t) ==
	    HUB_JSON_OK)
		return t;
	return NULL;
}

static int
event_callback(struct hub_slackenvelope *e)
{
	json_object *env = e->root;

	if (hub_json_get_string(env, "event_id", HUB_SLACKENVELOPE_ID_MAX, &e->event_id) !=
	    HUB_JSON_OK || !hub_slackenvelope_id_ok(e->event_id, HUB_SLACKENVELOPE_ID_MAX, 0))
		return refuse(e, "event_id", "required");
	if (hub_json_get_object(env, "event", &e->event) != HUB_JSON_OK)
		return refuse(e, "event", "must be an object");
	if (hub_json_get_string(e->event, "type", HUB_SLACKENVELOPE_TYPE_MAX, &e->event_type) !=
	    HUB_JSON_OK || e->event_type[0] == '\0')
		return refuse(e, "event.type", "required");
	e->team = team_of(env, e->event);
	if (!hub_slackenvelope_id_ok(e->team, HUB_SLACKENVELOPE_SLACKID_MAX, 1))
		return refuse(e, "team_id", "must be a Slack team id");
	if (hub_json_get_string(env, "api_app_id", HUB_SLACKENVELOPE_SLACKID_MAX, &e->app) !=
	    HUB_JSON_OK)
		e->app = NULL;
	else if (!hub_slackenvelope_id_ok(e->app, HUB_SLACKENVELOPE_SLACKID_MAX, 1))
		return refuse(e, "api_app_id", "must be a Slack app id");
	return 0;
}

int
hub_slackenvelope_parse(const char *body, size_t len, size_t max,
    struct hub_slackenvelope *e)
{
	int rc;

	memset(e, 0, sizeof(*e));
	rc = hub_json_parse_input(body, len, max, HUB_JSON_DEFAULT_DEPTH, &e->root, e->field,
	    sizeof(e->field));
	if (rc == HUB_JSON_BIGNUM || rc == HUB_JSON_NULKEY) {
		e->message = rc == HUB_JSON_BIGNUM ? HUB_JSON_BIGNUM_MSG : HUB_JSON_NULKEY_MSG;
		return 400;
	}
	if (rc != HUB_JSON_OK)
		return refuse(e, "body", hub_json_strerror(rc));
	if (hub_json_get_string(e->root, "type", HUB_SLACKENVELOPE_TYPE_MAX, &e->type) !=
	    HUB_JSON_OK)
		return refuse(e, "type", "missing event type");
	if (strcmp(e->type, "url_verification") == 0) {
		e->kind = HUB_SLACKENVELOPE_URL_VERIFICATION;
		if (hub_json_get_string(e->root, "challenge", HUB_SLACKENVELOPE_CHALLENGE_MAX,
		    &e->challenge) != HUB_JSON_OK)
			return refuse(e, "challenge", "missing challenge");
		return 0;
	}
	if (strcmp(e->type, "event_callback") != 0)
		return 0;
	e->kind = HUB_SLACKENVELOPE_EVENT_CALLBACK;
	return event_callback(e);
}

void
hub_slackenvelope_free(struct hub_slackenvelope *e)
{
	json_object_put(e->root);
	e->root = NULL;
}
