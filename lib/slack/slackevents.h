/*
 * slackevents.h - what POST /slack/events does with a signed, parsed
 * event_callback envelope (the signature and url_verification are the
 * endpoint's business, cgi-bin/events.c).
 *
 * The envelope (Slack's Events API) is read and checked by
 * slackenvelope.h; only an event_callback one comes here.
 *
 * Each event is handled once: the INSERT into slack_events_seen (ON
 * CONFLICT DO NOTHING) and the event's work commit in ONE transaction, so
 * Slack's retries (X-Slack-Retry-Num) and concurrent duplicates find the
 * id taken and do nothing, and a failed transaction leaves the id free for
 * the retry.  Events nobody handles are not recorded at all.
 *
 * Handled (table in slackevents.c):
 *   app_home_opened (tab "home")  hub_home_enqueue(connection of the team,
 *                                 event.user); tab "messages" is ignored.
 *   app_uninstalled               every connection of the team (and this
 *                                 app) is disabled, needs_admin_attention.
 *   tokens_revoked                the team's token connections whose bot
 *                                 user is in event.tokens.bot are disabled.
 * Opportunistically (about 1 request in 64) slack_events_seen rows older
 * than a day are purged, at most 1000 at a time.
 * Never talks to Slack; never logs tokens.
 */
#ifndef HUB_SLACKEVENTS_H
#define HUB_SLACKEVENTS_H

#include <json-c/json.h>
#include "store/db.h"
#include "slack/slackenvelope.h"

enum hub_sev_err {
	HUB_SEV_OK = 0,
	HUB_SEV_INVALID,     /* 400: field + message set; nothing written */
	HUB_SEV_UNAVAILABLE, /* 503: database unreachable; Slack retries */
	HUB_SEV_DB,          /* 500: database error; Slack retries */
};

enum hub_sev_outcome {
	HUB_SEV_HANDLED = 0, /* the event's work committed */
	HUB_SEV_DUPLICATE,   /* seen before: nothing done */
	HUB_SEV_IGNORED,     /* not an event we act on: nothing written */
};

struct hub_sev_result {
	int		 outcome;       /* enum hub_sev_outcome */
	char		 type[64];      /* event.type, "" when unknown */
	const char	*field;         /* INVALID: the offending field */
	const char	*message;       /* INVALID: static text */
};

/* envelope borrowed (an event_callback, else INVALID).  Runs its own
 * transaction (call outside one). */
int	hub_slackevents_handle(struct hub_db *, const struct hub_slackenvelope *,
	    struct hub_sev_result *);
/* Delete seen event ids older than a day (at most 1000); *n may be NULL. */
int	hub_slackevents_purge(struct hub_db *, int *n);
const char *hub_slackevents_strerror(int);

#endif
