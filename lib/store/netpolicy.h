/*
 * netpolicy.h - where a source's callbacks may go: the allowlist of
 * internal networks in force for a source (its own callback_allow_networks
 * when set, else the global setting callbacks.allow_networks), and the
 * check of a callback URL against it.  Used where a callback URL is
 * stored (API intake, source admin in API and CLI) and where it is sent
 * (the worker turns httpc's guard on with the same allowlist).
 */
#ifndef HUB_NETPOLICY_H
#define HUB_NETPOLICY_H

#include <stddef.h>
#include "base/netguard.h"
#include "store/db.h"

/* The allowlist for source_id (NULL: the global one).  A stored list that
 * no longer parses allows nothing extra.  Returns a HUB_DB_* code. */
int	hub_netpolicy_load(struct hub_db *, const char *source_id, struct hub_netguard *);
/* Check a callback URL for source_id (NULL: global allowlist); when
 * override is not NULL it is the source's list about to be stored ("" =
 * none) and is used instead.  Returns HUB_NETGUARD_OK, a refusal with why
 * set for the person who sent the URL, or -1 with why empty when the
 * database failed. */
int	hub_netpolicy_check_url(struct hub_db *, const char *source_id, const char *override,
	    const char *url, char *why, size_t whylen);

#endif
