/*
 * slackscopes.h - the bot scopes this hub asks Slack for, from one table:
 * every Web API method the hub calls, with the scopes Slack documents for
 * the way the hub calls it ("Required scopes" on
 * docs.slack.dev/reference/methods/<method>), plus the app features that
 * need a scope of their own (the /approvals command).
 *
 * The app manifest (manifest.h) and the OAuth install URL (oauth.h) both
 * take their scope list from here, so they cannot drift apart.  A new
 * hub_slack_call / hub_connections_call whose method's scopes are not
 * asked for fails t/integration/test_oauth.c
 * (install::scopes_cover_every_web_api_method), which reads the method
 * names from the sources.
 *
 * Pure: no allocation besides the caller's buffer, never blocks or logs.
 */
#ifndef HUB_SLACKSCOPES_H
#define HUB_SLACKSCOPES_H

#include "base/buf.h"

/* Every scope once, in table order, comma-separated ("chat:write,..."),
 * appended to out.  HUB_BUF_OK or the buffer's error. */
int	hub_slack_scopes(struct hub_buf *out);

#endif
