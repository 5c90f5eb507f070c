/*
 * payload.h - the boundary parser of an interaction payload: the JSON of
 * the payload= form field Slack posts to /slack/interactions.
 *
 * Pure: no database, no network, no logging; the fuzz target
 * (t/fuzz/fuzz_payload.c) calls it directly.  The payload is parsed with
 * limits (hub_json_parse_object) and every field used is type-checked
 * before interact.c reads it; a refusal names the field and the HTTP
 * status to answer with (413 past HUB_PAYLOAD_MAX, else 400).
 */
#ifndef HUB_PAYLOAD_H
#define HUB_PAYLOAD_H

#include <stddef.h>
#include <json-c/json.h>

#include "approval/engine.h"

#define HUB_PAYLOAD_MAX		(1024u * 1024u)
#define HUB_SLACK_ID_MAX	32     /* a Slack user / team / channel id */
#define HUB_PAYLOAD_URL_MAX	2000
#define HUB_PAYLOAD_NAME_MAX	200
#define HUB_PAYLOAD_TRIGGER_MAX	255
#define HUB_PAYLOAD_TYPE_MAX	64

/* Every pointer borrows from root, which the caller releases with
 * json_object_put(p->root) (also after a refusal: it may be set). */
struct hub_payload {
	json_object		*root;
	const char		*type;
	const char		*user_id;
	const char		*team_id;
	const char		*display;
	const char		*trigger_id;
	const char		*response_url;
	json_object		*message;     /* the clicked message, if any */
	json_object		*view;        /* view_submission, Home tab */
	const char		*action_id;   /* block_actions: the first action's */
	const char		*block_id;
	const char		*value;       /* button value (slack/actions.h) */
	const char		*option;      /* overflow selected_option.value */
	struct hub_actor	 actor;       /* the clicking user, via "slack" */
};

/* Why a payload was refused: static strings. */
struct hub_payload_refusal {
	int		 status;
	const char	*message;
	const char	*field;
};

/* 0 with *p filled, or -1 with *why set. */
int	hub_payload_parse(const char *s, size_t len, struct hub_payload *p,
	    struct hub_payload_refusal *why);
/* A Slack id: 1..HUB_SLACK_ID_MAX upper-case letters and digits. */
int	hub_payload_slack_id_ok(const char *s);

#endif
