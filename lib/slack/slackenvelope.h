/*
 * slackenvelope.h - the Events API envelope (POST /slack/events), read from
 * the raw, signature-checked body: pure, no database, never logs; fuzzed
 * (t/fuzz/fuzz_events.c).
 *
 * {"type":"url_verification","challenge":"…"} or {"type":"event_callback",
 * "event_id", "team_id", "api_app_id", "authorizations":[…],
 * "event":{"type", …}}; team_id may instead come from
 * authorizations[0].team_id or event.team.  Any other type is kept as is
 * (app_rate_limited and envelopes to come are acknowledged).  The body is
 * read as an API body is (base/json.h hub_json_parse_input): a number
 * beyond 64 bits or a key holding \u0000 is refused by name.
 */
#ifndef HUB_SLACKENVELOPE_H
#define HUB_SLACKENVELOPE_H

#include <stddef.h>
#include <json-c/json.h>
#include "base/json.h"

#define HUB_SLACKENVELOPE_TYPE_MAX	63
#define HUB_SLACKENVELOPE_ID_MAX	64	/* event ids look like Ev0PV52K21 */
#define HUB_SLACKENVELOPE_SLACKID_MAX	32
#define HUB_SLACKENVELOPE_CHALLENGE_MAX	512

enum hub_slackenvelope_kind {
	HUB_SLACKENVELOPE_OTHER = 0,
	HUB_SLACKENVELOPE_URL_VERIFICATION,
	HUB_SLACKENVELOPE_EVENT_CALLBACK,
};

/* Everything borrowed from root, which the caller frees with
 * hub_slackenvelope_free. */
struct hub_slackenvelope {
	json_object	*root;
	int		 kind;         /* enum hub_slackenvelope_kind */
	const char	*type;         /* the envelope's type */
	const char	*challenge;    /* url_verification */
	/* event_callback */
	const char	*event_id;
	const char	*team;
	const char	*app;          /* may be NULL */
	const char	*event_type;
	json_object	*event;
	/* refused: what and why (static text, or the path of a JSON value) */
	char		 field[HUB_JSON_WHERE_MAX];
	const char	*message;
};

/* 0, or 400 with field and message set (root is then NULL).  max: the
 * largest body taken. */
int	hub_slackenvelope_parse(const char *body, size_t len, size_t max,
	    struct hub_slackenvelope *);
void	hub_slackenvelope_free(struct hub_slackenvelope *);
/* [A-Za-z0-9], 1..max (upper_only: capitals and digits): event ids,
 * Slack user, team and app ids. */
int	hub_slackenvelope_id_ok(const char *s, size_t max, int upper_only);

#endif
