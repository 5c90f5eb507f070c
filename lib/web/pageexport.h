/*
 * pageexport.h - the dashboard's downloads: the filtered request list as
 * CSV or JSON (/requests.csv, /requests.json, the filters of GET
 * /api/requests: status, source, approver_id, q) and one request's audit
 * trail (/requests/{id}/audit.csv, .json).
 *
 * Who sees what is the list's rule (approval/access.h): viewers and
 * admins every request, a requester only their own (the export of a
 * requester is limited to their rows, whatever the filters); a request the
 * person may not see is 404.  Lists stream in keyset pages
 * (approval/reqquery.h), so a million rows never sit in memory; CSV comes
 * from base/csv.h (RFC 4180, formula cells neutralised).
 */
#ifndef HUB_PAGEEXPORT_H
#define HUB_PAGEEXPORT_H

#include "web/fcgi.h"

int	hub_pageexport_requests_csv(struct hub_req *, void *app);
int	hub_pageexport_requests_json(struct hub_req *, void *app);
/* /requests/{id}/audit.csv and /requests/{id}/audit.json */
int	hub_pageexport_audit_csv(struct hub_req *, void *app);
int	hub_pageexport_audit_json(struct hub_req *, void *app);

#endif
