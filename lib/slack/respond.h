/*
 * respond.h - answering the person who clicked, after the click has been
 * answered: the "slack_respond" job, its payload (queued and read here
 * only) and the one check on where it may post.
 *
 * Ephemeral answers and stale-button removal go through "slack_respond"
 * jobs (a request handler never waits on Slack): payload
 *   {"response_url": url, "body": {...}}   POST JSON to a response_url; only
 *                                          here does the body carry
 *                                          response_type / replace_original
 *   {"connection_id": id, "user": "U…", "body": {"text"}}
 *                                          Home tab (no response_url, no
 *                                          channel): conversations.open of the
 *                                          user's DM with the app, then
 *                                          chat.postEphemeral there with the
 *                                          body's text and blocks only
 * A response_url is accepted only on https://hooks.slack.com/ or on the
 * origin of SLACK_API_URL (the fake in tests); dedupe key
 * "respond:<hash of url and body>" so repeated clicks queue one copy.
 *
 * The queueing calls run inside the caller's transaction when there is
 * one, and return HUB_DB_* codes.  A payload with nowhere to answer (no
 * allowed response_url, no Home tab view) is logged and skipped: OK.
 */
#ifndef HUB_RESPOND_H
#define HUB_RESPOND_H

#include "base/conf.h"
#include "store/db.h"
#include "store/job.h"
#include "slack/connections.h"
#include "slack/payload.h"

/* The enabled SLACK_APP connection with a bot token that answers team's
 * clicks (views.open, chat.postEphemeral): HUB_DB_OK with id filled,
 * HUB_DB_NOTFOUND, or a database error. */
int	hub_respond_team_connection(struct hub_db *, const char *team,
	    char id[HUB_CONN_ID_LEN]);
/* A private line to the person who clicked (p borrowed). */
int	hub_respond_note(struct hub_db *, const struct hub_conf *,
	    const struct hub_payload *, const char *text);
/* Replace the clicked message with itself minus the hub's buttons and
 * with note at the bottom; nothing when there is no response_url or the
 * message would not be valid Block Kit. */
int	hub_respond_replace(struct hub_db *, const struct hub_conf *,
	    const struct hub_payload *, const char *note);

/* Worker kind "slack_respond" (max age 1800 s: a response_url lives 30
 * minutes and takes 5 posts); queued by this module only.  2xx with ok -> done; 429/5xx/timeouts ->
 * retry; 404 (expired/used url), other 4xx, a refused URL, invalid
 * payload -> failed. */
#define HUB_RESPOND_KIND	"slack_respond"
#define HUB_RESPOND_MAX_AGE_S	1800
void	hub_job_slack_respond(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

#endif
