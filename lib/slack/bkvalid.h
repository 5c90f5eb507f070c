/*
 * bkvalid.h - checking JSON that claims to be Block Kit.
 *
 * The builder (blockkit.h) only makes valid blocks; this checks blocks
 * that came from elsewhere - a stored Home tab, a test's expectation, a
 * rendered message before it is sent - against the same limits, which
 * blockkit.h states once.  Pure: no allocation the caller frees, no I/O.
 */
#ifndef HUB_BKVALID_H
#define HUB_BKVALID_H

#include "slack/blockkit.h"

/* Room for a hub_bk_validate message. */
#define HUB_BK_ERR_MAX	256

/*
 * Check arbitrary JSON against every limit of blockkit.h: a blocks array,
 * a view ({"type":"modal"|"home",…}) or a message ({"blocks":[…],…}).
 * HUB_BK_OK or HUB_BK_INVALID with a path and reason in err
 * ("blocks[3].fields: 11 fields, max 10"); HUB_BK_INVAL for NULL.
 */
int		 hub_bk_validate(json_object *, enum hub_bk_surface,
		    char *err, size_t errlen);

#endif
