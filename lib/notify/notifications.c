#include <stdio.h>
#include <string.h>

#include "base/check.h"
#include "store/cursor.h"
#include "notify/notifications.h"
#include "store/pgjson.h"
#include "store/sqlfrag.h"

#define ISO HUB_SQL_ISO

enum stmt {
	STMT_LIST,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_LIST] = {
		"SELECT d.id, d.request_id, d.job_id, d.kind, d.transport, d.channel,"
		" d.recipient, d.status, d.retries, d.error_code, d.error_detail, "
		ISO("d.created_at") " AS created_at, " ISO("d.updated_at") " AS updated_at"
		" FROM delivery_log d"
		" WHERE ($1::uuid IS NULL OR d.request_id = $1)"
		" AND ($2::text IS NULL OR d.status = $2)"
		" AND ($3::text IS NULL OR d.kind = $3)"
		" AND ($4::text IS NULL OR d.transport = $4)"
		" AND (d.created_at, d.id) < ($5::timestamptz, $6::bigint)"
		" ORDER BY d.created_at DESC, d.id DESC LIMIT $7::int", 7 },
};

static const struct hub_stmt_table notif_stmts = { "notifications", stmts, STMT__MAX };

static const char *const statuses[] = {
	"queued", "sending", "delivered", "failed", "retrying", NULL,
};
static const char *const transports[] = { "slack", "webhook", "email", "callback", NULL };
static const char *const kinds[] = {
	"call_for_action", "info", "delegate_call", "external_approver", "reminder",
	"manual_reminder", "decision", "watcher", "approver_added", "approver_removed",
	"deadline_expired", "mention_batch", "callback", "test", NULL,
};

static int
invalid(struct hub_problem *err, const char *field, const char *message)
{
	return hub_problem(err, field, message, HUB_NOTIF_INVALID);
}

int
hub_notif_list(struct hub_db *db, const struct hub_notif_filter *f, json_object **out,
    struct hub_problem *err)
{
	char ts[HUB_CURSOR_PART] = "infinity", id[HUB_CURSOR_PART] = "9223372036854775807";
	const char *params[7];
	PGresult *res = NULL;
	char lim[HUB_INT64_TEXT_SIZE];
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (f->request_id != NULL && !hub_check_uuid(f->request_id))
		return invalid(err, "request_id", "request_id must be a request id");
	if (f->status != NULL && !hub_check_oneof(f->status, statuses))
		return invalid(err, "status", "status must be one of queued, sending,"
		    " delivered, failed, retrying");
	if (f->kind != NULL && !hub_check_oneof(f->kind, kinds))
		return invalid(err, "kind", "unknown notification kind");
	if (f->transport != NULL && !hub_check_oneof(f->transport, transports))
		return invalid(err, "transport", "transport must be one of slack, webhook,"
		    " email, callback");
	if (f->cursor != NULL &&
	    hub_cursor_decode(f->cursor, HUB_CURSOR_NUMERIC, ts, id) != HUB_CURSOR_OK)
		return invalid(err, "cursor", "invalid cursor");
	snprintf(lim, sizeof(lim), "%ld", f->limit + 1);
	params[0] = f->request_id;
	params[1] = f->status;
	params[2] = f->kind;
	params[3] = f->transport;
	params[4] = ts;
	params[5] = id;
	params[6] = lim;
	if ((rc = hub_db_exec(db, &notif_stmts, STMT_LIST, params, &res)) != HUB_DB_OK) {
		if (rc == HUB_DB_CHECK)
			return invalid(err, "cursor", "invalid cursor");
		err->db = rc;
		return HUB_NOTIF_DB;
	}
	*out = hub_pgjson_page(res, "notifications", f->limit);
	PQclear(res);
	return *out != NULL ? HUB_NOTIF_OK : HUB_NOTIF_NOMEM;
}
