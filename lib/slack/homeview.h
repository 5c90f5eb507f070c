/*
 * homeview.h - the pure builder of the App Home tab (homeview.c): Block
 * Kit from data already loaded (hub_home_load, home.h), no database, no
 * network.  The view's layout is described in home.h.
 */
#ifndef HUB_HOMEVIEW_H
#define HUB_HOMEVIEW_H

#include <json-c/json.h>
#include "slack/home.h"

/*
 * The pure builder: data (borrowed) is what hub_home_load() returns:
 *   {"user": "U…", "now": epoch, "state": {…},
 *    "sources": ["Concur", …],
 *    "counts": {"waiting", "mine", "approved", "rejected"},
 *    "waiting": {"total", "offset", "items": [{"id", "a", "title", "source",
 *                "requester", "requester_slack_id", "justification",
 *                "created", "deadline", "step", "steps"}]},
 *    "mine":    {"total", "offset", "items": [{"id", "title", "source",
 *                "status", "created", "waiting_on": ["U1", "a@b.c"]}]},
 *    "decided": {"total", "offset", "items": [{"id", "title", "source",
 *                "status", "decided_by", "decided"}]}}
 * Missing or mistyped parts are shown as empty.  *view (caller puts) is a
 * {"type":"home",…} view that passes hub_bk_validate(HUB_BK_HOME).
 */
int	hub_home_build(json_object *data, json_object **view);

#endif
