/*
 * pageexport.c - CSV and JSON downloads of the request list and of one
 * request's audit trail.  See pageexport.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "web/pageexport.h"
#include "approval/reqquery.h"
#include "base/csv.h"
#include "base/log.h"
#include "web/page.h"

#define PAGE_ROWS	500		/* rows per keyset page */
#define CHUNK_MAX	(4u << 20)	/* one page of rows as text */
#define NAME_MAX_LEN	64
#define CURSOR_MAX	512	/* a keyset cursor (store/cursor.h) */
#define MSG_MAX		256	/* the unknown-filter message */
#define HEAD_MAX	96	/* {"request_id":"<uuid>","audit":[ */

enum fmt { FMT_CSV, FMT_JSON };

/* The list's columns, in the order CSV writes them. */
static const char *const request_cols[] = {
	"id", "source", "external_id", "title", "requester_name", "status", "current_step",
	"created_at", "updated_at", "deadline", "decided_at", "decided_by",
};
static const char *const audit_cols[] = { "at", "actor", "action", "via", "detail" };

/* What one download writes to. */
struct out {
	struct hub_req	*req;
	struct hub_buf	 b;
	enum fmt	 fmt;
	long		 rows;
};

/* ------------------------------------------------------------ writing */

static int
start(struct out *o, const char *base)
{
	char cd[NAME_MAX_LEN + 64], day[16];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(cd, sizeof(cd), "attachment; filename=\"%s-%s.%s\"", base, day,
	    o->fmt == FMT_CSV ? "csv" : "json");
	if (hub_resp_header(o->req, "Content-Disposition", cd) != 0)
		return -1;
	return hub_resp_start(o->req, 200, o->fmt == FMT_CSV ?
	    "text/csv; charset=utf-8; header=present" : "application/json; charset=utf-8");
}

static int
flush(struct out *o)
{
	int rc = o->b.len > 0 ? hub_resp_write(o->req, o->b.data, o->b.len) : 0;

	hub_buf_reset(&o->b);
	return rc;
}

/* A cell as text: strings as they are, numbers and JSON as JSON, null as
 * nothing (NULL). */
static const char *
cell(json_object *row, const char *col)
{
	json_object *v;

	if (!json_object_object_get_ex(row, col, &v) || v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* Rows of one page into the buffer: CSV records, or JSON array members. */
static int
put_rows(struct out *o, json_object *rows, const char *const *cols, size_t ncols)
{
	const char *fields[HUB_NELEM(request_cols)];
	json_object *row;
	size_t i, j, n = rows != NULL ? json_object_array_length(rows) : 0;
	int rc = HUB_BUF_OK;

	for (i = 0; rc == HUB_BUF_OK && i < n; i++, o->rows++) {
		row = json_object_array_get_idx(rows, i);
		if (o->fmt == FMT_JSON) {
			if (o->rows > 0)
				rc = hub_buf_addc(&o->b, ',');
			if (rc == HUB_BUF_OK)
				rc = hub_buf_adds(&o->b, json_object_to_json_string_ext(row,
				    JSON_C_TO_STRING_PLAIN));
			continue;
		}
		for (j = 0; j < ncols && j < HUB_NELEM(fields); j++)
			fields[j] = cell(row, cols[j]);
		rc = hub_csv_row(&o->b, fields, ncols);
	}
	return rc == HUB_BUF_OK ? 0 : -1;
}

static int
put_head(struct out *o, const char *const *cols, size_t ncols, const char *json_head)
{
	return (o->fmt == FMT_CSV ? hub_csv_row(&o->b, cols, ncols) :
	    hub_buf_adds(&o->b, json_head)) == HUB_BUF_OK ? 0 : -1;
}

/* ------------------------------------------------------------ the list */

/* The list's filters from the query: the dashboard's (pagerequests: q,
 * status, source, approver_id, requester, from, to, flag; approver too);
 * an empty value filters nothing; anything else is refused.  NULL, or the
 * bad parameter. */
static const char *
filters(struct hub_req *req, struct hub_reqquery_filter *f)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} names[] = {
		{ "status", offsetof(struct hub_reqquery_filter, status) },
		{ "source", offsetof(struct hub_reqquery_filter, source) },
		{ "approver_id", offsetof(struct hub_reqquery_filter, approver) },
		{ "approver", offsetof(struct hub_reqquery_filter, approver) },
		{ "q", offsetof(struct hub_reqquery_filter, q) },
		{ "from", offsetof(struct hub_reqquery_filter, from) },
		{ "to", offsetof(struct hub_reqquery_filter, to) },
		{ "flag", offsetof(struct hub_reqquery_filter, flag) },
		/* requests sent for this email (a viewer's or admin's filter;
		 * a requester's own limit replaces it) */
		{ "requester", offsetof(struct hub_reqquery_filter, mine_email) },
	};
	const struct hub_kv *kv;
	size_t i, k;

	for (i = 0; i < req->args.n; i++) {
		kv = &req->args.kv[i];
		for (k = 0; k < HUB_NELEM(names); k++)
			if (strcmp(kv->key, names[k].name) == 0)
				break;
		if (k == HUB_NELEM(names))
			return kv->val[0] != '\0' ? kv->key : NULL;
		if (kv->val[0] != '\0')
			*(const char **)(void *)((char *)f + names[k].off) = kv->val;
	}
	return NULL;
}

/* Page after page until the last; the first page decides the status. */
static int
stream_list(struct hub_app_ctx *app, struct out *o, struct hub_reqquery_filter *f)
{
	static const struct hub_principal everyone = { 1, "", "", "" };
	json_object *page = NULL, *rows, *next;
	struct hub_problem p;
	char cursor[CURSOR_MAX];
	int rc, first = 1;

	do {
		rc = hub_reqquery_list(hub_app_db(app), &everyone, f, &page, &p);
		if (rc != HUB_REQQUERY_OK && first)
			return rc == HUB_REQQUERY_INVALID ? hub_page_error(app, o->req, 400,
			    p.message) : hub_app_error(app, o->req, 503,
			    "the database is unavailable, try again shortly", NULL);
		if (rc != HUB_REQQUERY_OK) {
			/* Headers are gone: a cut file (a JSON one does not parse),
			 * and the log says why. */
			snprintf(cursor, sizeof(cursor), "%ld", o->rows);
			hub_log(HUB_LOG_ERROR, "export_cut", "rows", cursor, NULL);
			return 0;
		}
		if (first && (start(o, "requests") != 0 || put_head(o, request_cols,
		    HUB_NELEM(request_cols), "{\"requests\":[") != 0)) {
			json_object_put(page);
			return 500;
		}
		first = 0;
		json_object_object_get_ex(page, "requests", &rows);
		if (put_rows(o, rows, request_cols, HUB_NELEM(request_cols)) != 0 ||
		    flush(o) != 0) {
			json_object_put(page);
			return 0;
		}
		f->cursor = NULL;
		if (json_object_object_get_ex(page, "next_cursor", &next) &&
		    json_object_is_type(next, json_type_string)) {
			snprintf(cursor, sizeof(cursor), "%s", json_object_get_string(next));
			f->cursor = cursor;
		}
		json_object_put(page);
		page = NULL;
	} while (f->cursor != NULL);
	if (o->fmt == FMT_JSON)
		hub_buf_printf(&o->b, "],\"count\":%ld}", o->rows);
	flush(o);
	return 0;
}

static int
export_list(struct hub_req *req, void *arg, enum fmt fmt)
{
	struct hub_app_ctx *app = arg;
	struct out o = { req, HUB_BUF_INIT(CHUNK_MAX), fmt, 0 };
	struct hub_reqquery_filter f;
	struct hub_session s;
	char msg[MSG_MAX];
	const char *bad;
	int rc;

	if (hub_page_need(app, req, HUB_ACCESS_SIGNED_IN, &s) != 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.limit = PAGE_ROWS;
	if ((bad = filters(req, &f)) != NULL) {
		snprintf(msg, sizeof(msg), "The export does not know the filter \"%.40s\": use"
		    " the dashboard's: q, status, source, approver_id, requester, from, to"
		    " and flag.", bad);
		return hub_page_error(app, req, 400, msg);
	}
	if (!hub_access_can(&s.user, HUB_ACCESS_REQUEST_LIST_ALL, NULL)) {
		/* A requester's own rows, however the filters are set. */
		f.mine_user_id = s.user.id;
		f.mine_email = s.user.email[0] != '\0' ? s.user.email : NULL;
	}
	rc = stream_list(app, &o, &f);
	hub_buf_release(&o.b);
	return rc;
}

int
hub_pageexport_requests_csv(struct hub_req *req, void *app)
{
	return export_list(req, app, FMT_CSV);
}

int
hub_pageexport_requests_json(struct hub_req *req, void *app)
{
	return export_list(req, app, FMT_JSON);
}

/* ------------------------------------------------------------ one audit trail */

static int
export_audit(struct hub_req *req, void *arg, enum fmt fmt)
{
	struct hub_app_ctx *app = arg;
	struct out o = { req, HUB_BUF_INIT(CHUNK_MAX), fmt, 0 };
	struct hub_session s;
	struct hub_problem p;
	json_object *rows = NULL;
	char head[HEAD_MAX];
	int rc;

	if (hub_page_need(app, req, HUB_ACCESS_SIGNED_IN, &s) != 0)
		return 0;
	rc = hub_reqquery_audit(hub_app_db(app), &s.user, req->captures[0], &rows, &p);
	if (rc == HUB_REQQUERY_NOTFOUND)
		return hub_page_error(app, req, 404, "There is no such request, or it is not"
		    " yours to see.");
	if (rc != HUB_REQQUERY_OK)
		return hub_app_error(app, req, 503, "the database is unavailable, try again shortly",
		    NULL);
	/* captures[0] is a checked uuid here. */
	snprintf(head, sizeof(head), "{\"request_id\":\"%s\",\"audit\":[", req->captures[0]);
	rc = 500;
	if (put_head(&o, audit_cols, HUB_NELEM(audit_cols), head) == 0 &&
	    put_rows(&o, rows, audit_cols, HUB_NELEM(audit_cols)) == 0 &&
	    (fmt == FMT_CSV || hub_buf_printf(&o.b, "],\"count\":%ld}", o.rows) == HUB_BUF_OK) &&
	    start(&o, "audit") == 0) {
		flush(&o);
		rc = 0;
	}
	json_object_put(rows);
	hub_buf_release(&o.b);
	return rc;
}

int
hub_pageexport_audit_csv(struct hub_req *req, void *app)
{
	return export_audit(req, app, FMT_CSV);
}

int
hub_pageexport_audit_json(struct hub_req *req, void *app)
{
	return export_audit(req, app, FMT_JSON);
}
