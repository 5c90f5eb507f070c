/*
 * manifest.h - the Slack app manifest for this hub: request URLs under
 * PUBLIC_URL, the bot scopes the hub needs, the events it handles, the
 * /approvals command and the Home tab.  Paste it into "Create New App →
 * From an app manifest" on api.slack.com.  The bot scopes are the ones the
 * OAuth install asks for (hub_slack_scopes(), slackscopes.h).
 */
#ifndef HUB_MANIFEST_H
#define HUB_MANIFEST_H

#include <json-c/json.h>

/* A new manifest object (caller puts it); NULL when public_url is not
 * http(s) or memory ran out. */
json_object	*hub_manifest(const char *public_url, const char *app_name);

#endif
