/*
 * origin.h - the same-origin check every state-changing browser form needs.
 *
 * A form posted from another site carries that site's Origin (or, from
 * older browsers, its Referer).  A handler that changes state on a browser
 * POST asks hub_origin_same() first and refuses with 403 when it says no:
 * a page elsewhere cannot make a visitor's browser submit the form, even
 * one that holds a leaked link.
 *
 * Contract: pure - reads two request headers and PUBLIC_URL, never
 * allocates, never logs, never touches the database.  Comparison of scheme
 * and host is case-insensitive, the port must match exactly.
 */
#ifndef HUB_ORIGIN_H
#define HUB_ORIGIN_H

#include "web/fcgi.h"

/*
 * 1 when `req` may proceed: its Origin header is exactly the origin of
 * `public_url` (scheme://host[:port]), or there is no Origin and its Referer
 * lies under that origin, or the browser sent neither (non-browser clients
 * and privacy settings do this; there is nothing to compare).
 * 0 when either header names another origin, or `public_url` is NULL or has
 * no scheme (a hub without PUBLIC_URL cannot tell, so it refuses).
 */
int	hub_origin_same(const char *public_url, struct hub_req *req);

#endif
