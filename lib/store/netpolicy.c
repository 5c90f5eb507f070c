/*
 * netpolicy.c - the allowlist in force for a source's callbacks.
 */
#include <stdio.h>
#include <string.h>

#include "store/netpolicy.h"

enum stmt {
	STMT_ALLOW,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/* the source's own list (even ''), else the global setting */
	[STMT_ALLOW] = {
	    "SELECT coalesce((SELECT callback_allow_networks FROM sources"
	    "  WHERE id = $1::uuid),"
	    " (SELECT value #>> '{}' FROM settings"
	    "  WHERE key = 'callbacks.allow_networks'), '')", 1 },
};

static const struct hub_stmt_table netpolicy_stmts = { "netpolicy", stmts, STMT__MAX };

static int
load_list(struct hub_db *db, const char *source_id, const char *override,
    struct hub_netguard *g)
{
	const char *params[1] = { source_id };
	PGresult *res = NULL;
	char err[HUB_NETGUARD_ERR_MAX];
	int rc;

	if (override != NULL) {
		if (hub_netguard_parse(g, override, err, sizeof(err)) != HUB_NETGUARD_OK)
			memset(g, 0, sizeof(*g));
		return HUB_DB_OK;
	}
	if ((rc = hub_db_exec(db, &netpolicy_stmts, STMT_ALLOW, params, &res)) != HUB_DB_OK)
		return rc;
	/* A list edited by hand into nonsense allows nothing extra: the
	 * safe reading. */
	if (PQntuples(res) != 1 || hub_netguard_parse(g, PQgetvalue(res, 0, 0), err,
	    sizeof(err)) != HUB_NETGUARD_OK)
		memset(g, 0, sizeof(*g));
	PQclear(res);
	return HUB_DB_OK;
}

int
hub_netpolicy_load(struct hub_db *db, const char *source_id, struct hub_netguard *g)
{
	return load_list(db, source_id, NULL, g);
}

int
hub_netpolicy_check_url(struct hub_db *db, const char *source_id, const char *override,
    const char *url, char *why, size_t whylen)
{
	struct hub_netguard g;

	why[0] = '\0';
	if (load_list(db, source_id, override, &g) != HUB_DB_OK)
		return -1;
	return hub_netguard_check_url(&g, url, why, whylen);
}
