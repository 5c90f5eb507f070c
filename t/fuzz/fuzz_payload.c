/*
 * fuzz_payload.c - libFuzzer target for the Slack interaction payload
 * parser (slack/payload.h) and the button value codec it feeds.
 *
 * Properties: a refusal carries a 4xx status and a field; an accepted
 * payload has a type, a valid user and team id and an actor built from
 * them; a block_actions payload has an action id; a decoded button value
 * names a uuid and re-encodes to a value that decodes the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "slack/actions.h"
#include "slack/payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_payload p;
	struct hub_payload_refusal why;
	struct hub_action_ref ref, again;
	char *v;

	if (hub_payload_parse((const char *)data, size, &p, &why) != 0) {
		if ((why.status != 400 && why.status != 413) || why.message == NULL ||
		    why.field == NULL)
			abort();
		goto out;
	}
	if (p.type == NULL || !hub_payload_slack_id_ok(p.user_id) ||
	    !hub_payload_slack_id_ok(p.team_id) || p.actor.id != p.user_id ||
	    p.actor.team != p.team_id)
		abort();
	if (strcmp(p.type, "block_actions") == 0 && p.action_id == NULL)
		abort();
	if (p.value != NULL && hub_action_value_parse(p.value, &ref) == 0) {
		if (!hub_check_uuid(ref.request_id) || ref.assignment_id < 0)
			abort();
		if ((v = hub_action_value(ref.request_id, ref.assignment_id)) == NULL)
			abort();
		if (hub_action_value_parse(v, &again) != 0 ||
		    strcmp(again.request_id, ref.request_id) != 0 ||
		    again.assignment_id != ref.assignment_id)
			abort();
		free(v);
	}
out:
	json_object_put(p.root);
	return 0;
}
