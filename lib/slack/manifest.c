#include <string.h>

#include "base/buf.h"
#include "slack/manifest.h"
#include "slack/slackscopes.h"

static json_object *
url(const char *base, const char *path)
{
	struct hub_buf b = HUB_BUF_INIT(2048);
	json_object *o;

	hub_buf_printf(&b, "%s%s", base, path);
	o = json_object_new_string(hub_buf_str(&b));
	hub_buf_release(&b);
	return o;
}

static json_object *
string_array(const char *csv)
{
	json_object *a = json_object_new_array();
	const char *p = csv, *comma;

	while (*p != '\0') {
		comma = strchr(p, ',');
		json_object_array_add(a, json_object_new_string_len(p,
		    (int)(comma ? (size_t)(comma - p) : strlen(p))));
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return a;
}

/* App Home (Home and Messages tabs), the bot user and /approvals. */
static json_object *
features(const char *base, const char *app_name)
{
	json_object *features = json_object_new_object(), *o, *cmd, *cmds;

	o = json_object_new_object();
	json_object_object_add(o, "home_tab_enabled", json_object_new_boolean(1));
	json_object_object_add(o, "messages_tab_enabled", json_object_new_boolean(1));
	json_object_object_add(o, "messages_tab_read_only_enabled", json_object_new_boolean(1));
	json_object_object_add(features, "app_home", o);
	o = json_object_new_object();
	json_object_object_add(o, "display_name", json_object_new_string(app_name));
	json_object_object_add(o, "always_online", json_object_new_boolean(1));
	json_object_object_add(features, "bot_user", o);
	cmd = json_object_new_object();
	json_object_object_add(cmd, "command", json_object_new_string("/approvals"));
	json_object_object_add(cmd, "url", url(base, "/slack/commands"));
	json_object_object_add(cmd, "description", json_object_new_string("Your pending approvals"));
	json_object_object_add(cmd, "usage_hint", json_object_new_string("[search words]"));
	json_object_object_add(cmd, "should_escape", json_object_new_boolean(0));
	cmds = json_object_new_array();
	json_object_array_add(cmds, cmd);
	json_object_object_add(features, "slash_commands", cmds);
	return features;
}

/* The OAuth redirect and the bot scopes; NULL when the scopes do not
 * fit. */
static json_object *
oauth_config(const char *base)
{
	struct hub_buf list = HUB_BUF_INIT(1024);
	json_object *oauth, *o, *scopes;

	if (hub_slack_scopes(&list) != HUB_BUF_OK) {
		hub_buf_release(&list);
		return NULL;
	}
	oauth = json_object_new_object();
	o = json_object_new_array();
	json_object_array_add(o, url(base, "/slack/oauth/callback"));
	json_object_object_add(oauth, "redirect_urls", o);
	scopes = json_object_new_object();
	json_object_object_add(scopes, "bot", string_array(hub_buf_str(&list)));
	hub_buf_release(&list);
	json_object_object_add(oauth, "scopes", scopes);
	return oauth;
}

/* Events and interactivity URLs; no org deploy, socket mode or token
 * rotation. */
static json_object *
settings(const char *base)
{
	json_object *settings = json_object_new_object(), *events, *inter;

	events = json_object_new_object();
	json_object_object_add(events, "request_url", url(base, "/slack/events"));
	json_object_object_add(events, "bot_events",
	    string_array("app_home_opened,app_uninstalled,tokens_revoked"));
	json_object_object_add(settings, "event_subscriptions", events);
	inter = json_object_new_object();
	json_object_object_add(inter, "is_enabled", json_object_new_boolean(1));
	json_object_object_add(inter, "request_url", url(base, "/slack/interactions"));
	json_object_object_add(settings, "interactivity", inter);
	json_object_object_add(settings, "org_deploy_enabled", json_object_new_boolean(0));
	json_object_object_add(settings, "socket_mode_enabled", json_object_new_boolean(0));
	json_object_object_add(settings, "token_rotation_enabled", json_object_new_boolean(0));
	return settings;
}

json_object *
hub_manifest(const char *public_url, const char *app_name)
{
	json_object *m, *o, *oauth;
	char base[2048];
	size_t n;

	if (public_url == NULL || (strncmp(public_url, "https://", 8) != 0 &&
	    strncmp(public_url, "http://", 7) != 0) || strlen(public_url) >= sizeof(base))
		return NULL;
	memcpy(base, public_url, strlen(public_url) + 1);
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	if (app_name == NULL || *app_name == '\0')
		app_name = "Approval Hub";
	if ((oauth = oauth_config(base)) == NULL)
		return NULL;

	m = json_object_new_object();
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(app_name));
	json_object_object_add(o, "description",
	    json_object_new_string("Approve or reject requests from your systems without leaving Slack"));
	json_object_object_add(m, "display_information", o);
	json_object_object_add(m, "features", features(base, app_name));
	json_object_object_add(m, "oauth_config", oauth);
	json_object_object_add(m, "settings", settings(base));
	return m;
}
