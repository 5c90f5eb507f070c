/*
 * reqhistory.h - what went out for one request, as its page shows it:
 * every Slack message (connection, channel, time, delivery state, last
 * sync, and a preview of its Block Kit as HTML, slack/bkhtml.h), every
 * email, and every callback to the source with each attempt's answer.
 * Also the one owner of the stored preview format (db 0014):
 * delivery_log.preview and sent_messages.shown.
 *
 * hub_reqhistory_load's object (caller puts):
 *   messages[] {id, kind, transport ("slack" | "webhook"), connection,
 *     channel, recipient, status, error_code, error_detail, created,
 *     updated, synced ("" never), gone_reason, updated_copy (the preview
 *     is the copy as the last chat.update left it), preview_html ("" when
 *     nothing was stored)},
 *   emails[] {id, kind, recipient, subject, status, retries, error_code,
 *     error_detail, created, updated},
 *   callbacks[] {id, target (scheme and host only: a callback URL may
 *     carry a secret), status, retries, error_code, created, updated,
 *     attempts[] {attempt, at, ok, answer}}.
 * At most HUB_REQHISTORY_MAX of each, oldest first.  Times read
 * "2026-01-02 03:04 UTC".  Never logs.
 */
#ifndef HUB_REQHISTORY_H
#define HUB_REQHISTORY_H

#include <json-c/json.h>

#include "store/db.h"

enum hub_reqhistory_err {
	HUB_REQHISTORY_OK = 0,
	HUB_REQHISTORY_DB,	/* *dbrc says which */
	HUB_REQHISTORY_NOMEM,
};

#define HUB_REQHISTORY_MAX		200
/* A preview larger than this is not stored (the page says so). */
#define HUB_REQHISTORY_PREVIEW_MAX	(64u * 1024u)

int	hub_reqhistory_load(struct hub_db *, const char *request_id, json_object **out,
	    int *dbrc);

/* The stored preview of a Slack message: {"blocks": blocks, "text": text}
 * (either may be NULL), as JSON text to free(); NULL when out of memory or
 * larger than HUB_REQHISTORY_PREVIEW_MAX (nothing is stored then). */
char	*hub_reqhistory_preview(json_object *blocks, const char *text);
/* The same for an email: {"subject": subject}. */
char	*hub_reqhistory_email_preview(const char *subject);

#endif
