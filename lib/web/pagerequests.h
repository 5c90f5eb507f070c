/*
 * pagerequests.h - the status dashboard: /requests, every request a
 * signed-in person may see, newest first.
 *
 * Counters by status, filters (status, source, approver_id, requester,
 * from, to, q: GET parameters, so a filtered view is a bookmark), one page
 * of the list with keyset paging (cursor).  The list, the search and the
 * counters are approval/reqquery's, the API's own (GET /api/requests).
 * A requester sees the requests they made (approval/access.h:
 * HUB_ACCESS_REQUEST_LIST_ALL decides), viewers and admins every one.
 * A bad filter answers 400 with the message next to its field.
 *
 * Live refresh: templates/static/dashboard.js asks for the same URL with
 * live=1 (the counters and the list alone, requests-live.html) with the
 * ETag it holds in If-None-Match.  The ETag is built from the version of
 * request_counts (one read of a small table: see reqquery.h), so an
 * unchanged dashboard costs that read and a 304.
 */
#ifndef HUB_PAGEREQUESTS_H
#define HUB_PAGEREQUESTS_H

#include "web/fcgi.h"

/* GET /requests (arg: the struct hub_app_ctx). */
int	hub_pagerequests_list(struct hub_req *, void *arg);

#endif
