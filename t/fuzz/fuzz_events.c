/*
 * fuzz_events.c - libFuzzer target for the Events API envelope
 * (slack/slackenvelope.h), what POST /slack/events reads from a signed
 * body before anything is written.
 *
 * Properties: a refusal is a 400 with a field and a message and no JSON
 * kept; an accepted url_verification has a challenge; an accepted
 * event_callback has a valid event id, team (and app, when present), an
 * event object and a non-empty event type; freeing twice is harmless.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack/slackenvelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_slackenvelope e;
	int rc;

	rc = hub_slackenvelope_parse((const char *)data, size, 1u << 20, &e);
	if (rc != 0) {
		if (rc != 400 || e.root != NULL || e.message == NULL || e.field[0] == '\0')
			abort();
		return 0;
	}
	if (e.root == NULL || e.type == NULL)
		abort();
	switch (e.kind) {
	case HUB_SLACKENVELOPE_URL_VERIFICATION:
		if (e.challenge == NULL)
			abort();
		break;
	case HUB_SLACKENVELOPE_EVENT_CALLBACK:
		if (!hub_slackenvelope_id_ok(e.event_id, HUB_SLACKENVELOPE_ID_MAX, 0) ||
		    !hub_slackenvelope_id_ok(e.team, HUB_SLACKENVELOPE_SLACKID_MAX, 1) ||
		    (e.app != NULL &&
		    !hub_slackenvelope_id_ok(e.app, HUB_SLACKENVELOPE_SLACKID_MAX, 1)) ||
		    !json_object_is_type(e.event, json_type_object) || e.event_type == NULL ||
		    e.event_type[0] == '\0')
			abort();
		break;
	default:
		if (strcmp(e.type, "url_verification") == 0 ||
		    strcmp(e.type, "event_callback") == 0)
			abort();
		break;
	}
	hub_slackenvelope_free(&e);
	hub_slackenvelope_free(&e);
	return 0;
}
