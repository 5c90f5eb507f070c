#include <string.h>

#include "base/buf.h"
#include "base/common.h"
#include "slack/slackscopes.h"

/*
 * What the hub calls or offers -> the bot scopes it needs for that
 * (comma-separated; "" when Slack requires none).  Per Slack's method
 * pages; where a method's scope depends on the conversation type, the
 * types the hub uses are listed.
 */
static const struct scope_row {
	const char	*what;
	const char	*scopes;
} rows[] = {
	/* Posts, updates and notes: DMs, group DMs, channels it was added to. */
	{ "chat.postMessage",		"chat:write" },
	{ "chat.update",		"chat:write" },
	{ "chat.postEphemeral",		"chat:write" },
	/* users:read.email must be requested together with users:read. */
	{ "users.lookupByEmail",	"users:read,users:read.email" },
	/* DMs and group DMs (<= 8 people). */
	{ "conversations.open",		"im:write,mpim:write" },
	/* Checking a public or private channel when it is saved. */
	{ "conversations.info",		"channels:read,groups:read" },
	/* Finding a post lost in a crash, in any conversation it went to. */
	{ "conversations.history",
	    "channels:history,groups:history,im:history,mpim:history" },
	{ "views.open",			"" },
	{ "views.publish",		"" },
	{ "auth.test",			"" },
	{ "oauth.v2.access",		"" },
	/* Not a method: the slash command in the manifest. */
	{ "/approvals",			"commands" },
};

/* Is scope (n bytes) already in the comma-separated list? */
static int
listed(const char *list, const char *scope, size_t n)
{
	const char *p = list;

	while (*p != '\0') {
		size_t m = strcspn(p, ",");

		if (m == n && memcmp(p, scope, n) == 0)
			return 1;
		p += m;
		if (*p == ',')
			p++;
	}
	return 0;
}

int
hub_slack_scopes(struct hub_buf *out)
{
	size_t start = out->len, i, n;
	const char *s;
	int rc;

	for (i = 0; i < HUB_NELEM(rows); i++)
		for (s = rows[i].scopes; *s != '\0'; s += n + (s[n] == ',')) {
			n = strcspn(s, ",");
			if (n == 0 || listed(hub_buf_str(out) + start, s, n))
				continue;
			if ((out->len > start && (rc = hub_buf_addc(out, ',')) != HUB_BUF_OK) ||
			    (rc = hub_buf_add(out, s, n)) != HUB_BUF_OK)
				return rc;
		}
	return HUB_BUF_OK;
}
