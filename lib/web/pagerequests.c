/*
 * pagerequests.c - the status dashboard, /requests.  See pagerequests.h.
 */
#include <string.h>

#include <json-c/json.h>

#include "approval/engine.h"
#include "web/pagerequests.h"
#include "approval/reqquery.h"
#include "base/buf.h"
#include "base/check.h"
#include "base/crypto.h"
#include "base/embed.h"
#include "base/json.h"
#include "base/log.h"
#include "base/tmpl.h"
#include "web/page.h"

#define PAGE_ROWS	50
#define LINK_MAX	(8 * 1024)		/* one link with every filter */
#define LIVE_MAX	(512 * 1024)		/* the live fragment */
#define ETAG_LEN	35	/* quotes around 16 bytes in hex, NUL */
#define TIME_SHOWN	16			/* "2026-01-02T03:04" */

/* The filters, as the form names them (the API's names where it has one). */
enum filter {
	F_Q,
	F_STATUS,
	F_SOURCE,
	F_APPROVER,
	F_REQUESTER,
	F_FROM,
	F_TO,
	F_FLAG,
	F__MAX
};

static const char *const filter_names[F__MAX] = {
	[F_Q] = "q",
	[F_STATUS] = "status",
	[F_SOURCE] = "source",
	[F_APPROVER] = "approver_id",
	[F_REQUESTER] = "requester",
	[F_FROM] = "from",
	[F_TO] = "to",
	[F_FLAG] = "flag",
};

/* What a person reads next to a field reqquery refused. */
static const struct {
	const char	*field;
	const char	*message;
} field_messages[] = {
	{ "q", "Search for at most 200 characters." },
	{ "status", "Choose one of the statuses in the list." },
	{ "source", "Choose one of the sources in the list." },
	{ "approver_id", "An approver is a Slack user id or an email address, at most 320"
	    " characters." },
	{ "requester", "Type the requester's email address, such as ana@example.com." },
	{ "from", "Type a date as YYYY-MM-DD, such as 2026-01-31." },
	{ "to", "Type a date as YYYY-MM-DD, such as 2026-01-31." },
	{ "flag", "Choose one of the risk flags in the list." },
	{ "cursor", "This page link is no longer valid. Start again from the newest"
	    " requests." },
};

static const char *const statuses[] = {
	"Pending", "Approved", "Rejected", "Cancelled", "Expired", "Lapsed",
};

struct view {
	struct hub_session		 s;
	const char			*v[F__MAX];	/* as typed; NULL when empty */
	const char			*cursor;
	int				 live;		/* the fragment alone */
	int				 all;		/* may list every request */
	struct hub_reqquery_filter	 f;
	struct hub_principal		 who;
	char				 version[64];
	char				 live_etag[ETAG_LEN];
	char				 requester_id[HUB_UUID_TEXT_LEN + 1];
	json_object			*errors;
};

/* A query parameter; an empty one (a form's blank field) is none. */
static const char *
param(struct hub_req *req, const char *name)
{
	const char *s = hub_form_get(&req->args, name);

	return s != NULL && s[0] != '\0' ? s : NULL;
}

static void
read_filters(struct hub_req *req, struct view *v)
{
	int i;

	for (i = 0; i < F__MAX; i++)
		v->v[i] = param(req, filter_names[i]);
	v->cursor = param(req, "cursor");
	v->live = param(req, "live") != NULL;
	v->all = hub_access_can(&v->s.user, HUB_ACCESS_REQUEST_LIST_ALL, NULL);
	/* The dashboard reads as the hub itself; who sees what is the
	 * requester filter below, decided by access.h. */
	v->who.is_admin = 1;
	v->f.q = v->v[F_Q];
	v->f.status = v->v[F_STATUS];
	v->f.source = v->v[F_SOURCE];
	v->f.approver = v->v[F_APPROVER];
	v->f.from = v->v[F_FROM];
	v->f.to = v->v[F_TO];
	v->f.flag = v->v[F_FLAG];
	v->f.cursor = v->cursor;
	v->f.limit = PAGE_ROWS;
	/* A requester's own rows; a viewer's requester filter is the same
	 * limit for someone else (requester_rows). */
	if (!v->all) {
		v->v[F_REQUESTER] = NULL;
		v->f.mine_user_id = v->s.user.id;
		v->f.mine_email = v->s.user.email[0] != '\0' ? v->s.user.email : NULL;
	}
}

/* The message next to field after reqquery refused it. */
static void
refuse(struct view *v, const char *field)
{
	const char *msg = "This filter is not right.";
	size_t i;

	if (field == NULL)
		field = "q";
	for (i = 0; i < HUB_NELEM(field_messages); i++)
		if (strcmp(field, field_messages[i].field) == 0)
			msg = field_messages[i].message;
	if (strcmp(field, "to") == 0 && hub_check_date(v->f.from, NULL) &&
	    hub_check_date(v->f.to, NULL))
		msg = "The end date is before the start date.";
	if (v->errors == NULL)
		v->errors = json_object_new_object();
	if (v->errors != NULL)
		hub_json_set_str(v->errors, field, msg);
}

/*
 * "/requests" and the filters of v: status replaced by status (NULL: v's
 * own, "": none), then cursor (may be NULL) and live=1 when live.
 */
static int
link_to(const struct view *v, const char *status, const char *cursor, int live,
    struct hub_buf *out)
{
	const char *val;
	char sep = '?';
	int i, rc = hub_buf_adds(out, "/requests");

	for (i = 0; i < F__MAX && rc == HUB_BUF_OK; i++) {
		val = i == F_STATUS && status != NULL ? (status[0] != '\0' ? status : NULL) : v->v[i];
		if (val == NULL)
			continue;
		rc = hub_buf_printf(out, "%c%s=", sep, filter_names[i]);
		if (rc == HUB_BUF_OK && hub_url_encode(val, strlen(val), out) != 0)
			rc = HUB_BUF_NOMEM;
		sep = '&';
	}
	if (rc == HUB_BUF_OK && cursor != NULL) {
		rc = hub_buf_printf(out, "%ccursor=", sep);
		if (rc == HUB_BUF_OK && hub_url_encode(cursor, strlen(cursor), out) != 0)
			rc = HUB_BUF_NOMEM;
		sep = '&';
	}
	if (rc == HUB_BUF_OK && live)
		rc = hub_buf_printf(out, "%clive=1", sep);
	return rc;
}

static void
set_link(json_object *o, const char *key, const struct view *v, const char *status,
    const char *cursor, int live)
{
	struct hub_buf b = HUB_BUF_INIT(LINK_MAX);

	if (link_to(v, status, cursor, live, &b) == HUB_BUF_OK)
		hub_json_set_str(o, key, hub_buf_str(&b));
	hub_buf_release(&b);
}

/* ------------------------------------------------------------ ETag */

/* Every embedded template, hashed once: a new release is a new ETag. */
static const unsigned char *
templates_digest(void)
{
	static unsigned char md[HUB_SHA256_LEN];
	static int done;
	struct hub_buf b = HUB_BUF_INIT(64u << 20);
	const struct hub_embed *e;

	if (done)
		return md;
	for (e = hub_embed_templates; e->name != NULL; e++) {
		hub_buf_add(&b, e->name, strlen(e->name) + 1);
		hub_buf_add(&b, e->data, e->len);
	}
	hub_sha256(b.data != NULL ? b.data : "", b.len, md);
	hub_buf_release(&b);
	done = 1;
	return md;
}

/*
 * The ETag of the live fragment: the person, the filters, the page, and
 * the version of the counters (reqquery.h), which moves with every change
 * of a request the filters could show.  Only the fragment has one: the
 * whole page also carries the layout (the Slack banner, the menu), which
 * this version knows nothing of.
 */
static void
make_etag(const struct view *v, char out[ETAG_LEN])
{
	struct hub_buf b = HUB_BUF_INIT(LINK_MAX + 1024);
	unsigned char md[HUB_SHA256_LEN];
	char hex[2 * HUB_SHA256_LEN + 1];
	int i;

	hub_buf_add(&b, templates_digest(), HUB_SHA256_LEN);
	hub_buf_printf(&b, "|%s|%s|%d|%s|%s|", v->s.user.id, v->s.user.email,
	    (int)v->s.user.role, v->version, v->cursor ? v->cursor : "");
	for (i = 0; i < F__MAX; i++)
		hub_buf_printf(&b, "%s=%s|", filter_names[i], v->v[i] ? v->v[i] : "");
	hub_sha256(b.data != NULL ? b.data : "", b.len, md);
	hub_buf_release(&b);
	hub_hex_encode(md, 16, hex);
	out[0] = '"';
	memcpy(out + 1, hex, 32);
	out[33] = '"';
	out[34] = '\0';
}

/* Does If-None-Match (a list of entity tags, weak or not, or *) name etag? */
static int
not_modified(struct hub_req *req, const char *etag)
{
	const char *h = hub_req_header(req, "If-None-Match"), *p, *end;
	size_t n = strlen(etag);

	for (p = h; p != NULL && *p != '\0'; p = *end == ',' ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		for (end = p; *end != '\0' && *end != ','; end++)
			;
		if ((*p == '*' && (end == p + 1 || p[1] == ' ')) ||
		    (end - p >= (long)n && strncmp(p, etag, n) == 0 &&
		    (p[n] == ',' || p[n] == ' ' || p[n] == '\0')))
			return 1;
	}
	return 0;
}

/* Headers of the live fragment: the person's own, asked again each time
 * (the ETag makes that cheap). */
static void
cache_headers(struct hub_req *req, const char *etag)
{
	hub_resp_header(req, "Cache-Control", "private, no-cache");
	hub_resp_header(req, "Vary", "Cookie");
	if (etag != NULL)
		hub_resp_header(req, "ETag", etag);
}

/* ------------------------------------------------------------ context */

/* "2026-01-02T03:04:05.123456Z" -> "2026-01-02 03:04" as key+"_shown". */
static void
shown_time(json_object *row, const char *key, const char *shown)
{
	json_object *o;
	char t[TIME_SHOWN + 1];

	if (!json_object_object_get_ex(row, key, &o) || !json_object_is_type(o, json_type_string) ||
	    json_object_get_string_len(o) < TIME_SHOWN)
		return;
	memcpy(t, json_object_get_string(o), TIME_SHOWN);
	t[10] = ' ';
	t[TIME_SHOWN] = '\0';
	hub_json_set_str(row, shown, t);
}

/*
 * A row's risk as people read it: flags[] (the engine's words) and ai, the
 * AI's score when its analysis is done ("AI risk 7/10"), else its status
 * ("AI analysis pending" / failed / off): never a made-up score.
 */
static void
row_risk(json_object *row)
{
	json_object *fl, *ai, *st, *score, *words = json_object_new_array();
	const char *status;
	char line[48];
	size_t i;

	if (words == NULL || hub_json_set(row, "flag_words", words) != 0)
		return;
	if (json_object_object_get_ex(row, "risk_flags", &fl) &&
	    json_object_is_type(fl, json_type_array))
		for (i = 0; i < json_object_array_length(fl); i++)
			hub_json_push(words, json_object_new_string(hub_engine_flag_words(
			    json_object_get_string(json_object_array_get_idx(fl, i)), 1)));
	status = json_object_object_get_ex(row, "ai", &ai) &&
	    json_object_object_get_ex(ai, "status", &st) ? json_object_get_string(st) : "off";
	if (status == NULL)
		status = "off";
	if (strcmp(status, "done") == 0 && json_object_object_get_ex(ai, "risk_score", &score) &&
	    json_object_is_type(score, json_type_int))
		snprintf(line, sizeof(line), "AI risk %d/10", json_object_get_int(score));
	else
		snprintf(line, sizeof(line), "AI analysis %s", strcmp(status, "pending") == 0 ?
		    "pending" : strcmp(status, "failed") == 0 ? "failed" : "off");
	hub_json_set_str(row, "ai_line", line);
}

/* The list page: rows with their times shown, and the next page's link. */
static void
add_list(json_object *ctx, json_object *page, const struct view *v)
{
	json_object *rows, *next;
	size_t i, n;

	if (json_object_object_get_ex(page, "requests", &rows)) {
		n = json_object_array_length(rows);
		for (i = 0; i < n; i++) {
			shown_time(json_object_array_get_idx(rows, i), "created_at", "created");
			shown_time(json_object_array_get_idx(rows, i), "updated_at", "updated");
			row_risk(json_object_array_get_idx(rows, i));
		}
		hub_json_set(ctx, "rows", json_object_get(rows));
	}
	if (json_object_object_get_ex(page, "next_cursor", &next) &&
	    json_object_is_type(next, json_type_string))
		set_link(ctx, "next_href", v, NULL, json_object_get_string(next), 0);
	if (v->cursor != NULL)
		set_link(ctx, "first_href", v, NULL, NULL, 0);
}

static void
add_counters(json_object *ctx, const struct hub_reqquery_counts *c, const struct view *v)
{
	json_object *a = json_object_new_array(), *o;
	int i;

	for (i = 0; a != NULL && i < HUB_REQQUERY_NSTATUS; i++) {
		if ((o = json_object_new_object()) == NULL)
			break;
		hub_json_set_str(o, "status", c->status[i]);
		hub_json_set_int64(o, "n", c->n[i]);
		hub_json_set(o, "current", json_object_new_boolean(
		    v->f.status != NULL && strcmp(v->f.status, c->status[i]) == 0));
		set_link(o, "href", v, c->status[i], NULL, 0);
		json_object_array_add(a, o);
	}
	hub_json_set(ctx, "counters", a);
	hub_json_set_int64(ctx, "total", c->total);
	hub_json_set(ctx, "capped", json_object_new_boolean(c->capped));
	hub_json_set_int64(ctx, "cap", c->cap);
	hub_json_set(ctx, "status_set", json_object_new_boolean(v->f.status != NULL));
	set_link(ctx, "all_href", v, "", NULL, 0);
}

/* [{value, label, selected}] of values (n of them) with chosen selected. */
static json_object *
options(const char *const *values, size_t n, json_object *names, const char *chosen)
{
	json_object *a = json_object_new_array(), *o;
	const char *s;
	size_t i;

	if (names != NULL)
		n = json_object_array_length(names);
	for (i = 0; a != NULL && i < n; i++) {
		s = names != NULL ? json_object_get_string(json_object_array_get_idx(names, i)) :
		    values[i];
		if (s == NULL || (o = json_object_new_object()) == NULL)
			continue;
		hub_json_set_str(o, "value", s);
		hub_json_set_str(o, "label", s);
		hub_json_set(o, "selected", json_object_new_boolean(chosen != NULL &&
		    strcasecmp(chosen, s) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

/* [{value, label, selected}] of the engine's risk flags. */
static json_object *
flag_options(const char *chosen)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; a != NULL && hub_engine_flags[i] != NULL; i++) {
		if ((o = json_object_new_object()) == NULL)
			continue;
		hub_json_set_str(o, "value", hub_engine_flags[i]);
		hub_json_set_str(o, "label", hub_engine_flag_words(hub_engine_flags[i], 0));
		hub_json_set(o, "selected", json_object_new_boolean(chosen != NULL &&
		    strcmp(chosen, hub_engine_flags[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

/* export_query: "?filters..." of this list (or ""), for the CSV and JSON
 * exports (/requests.csv, /requests.json) and the charts link. */
static void
export_query(json_object *ctx, const struct view *v)
{
	struct hub_buf b = HUB_BUF_INIT(LINK_MAX);

	if (link_to(v, NULL, NULL, 0, &b) == HUB_BUF_OK)
		hub_json_set_str(ctx, "export_query", hub_buf_str(&b) + strlen("/requests"));
	hub_buf_release(&b);
}

/* The filter form: values as typed, choices, messages. */
static void
add_form(json_object *ctx, const struct view *v, json_object *sources)
{
	json_object *f = json_object_new_object(), *names = NULL;
	int i;

	for (i = 0; f != NULL && i < F__MAX; i++)
		hub_json_set_str(f, filter_names[i], v->v[i]);
	hub_json_set(ctx, "filters", f);
	hub_json_set(ctx, "status_options", options(statuses, HUB_NELEM(statuses), NULL,
	    v->f.status));
	if (sources != NULL)
		json_object_object_get_ex(sources, "sources", &names);
	hub_json_set(ctx, "source_options", options(NULL, 0,
	    names != NULL ? names : json_object_new_array(), v->f.source));
	hub_json_set(ctx, "all_requesters", json_object_new_boolean(v->all));
	hub_json_set(ctx, "flag_options", flag_options(v->f.flag));
	export_query(ctx, v);
	if (v->errors != NULL) {
		hub_json_set(ctx, "errors", json_object_get(v->errors));
		hub_json_set(ctx, "bad", json_object_new_boolean(1));
		hub_json_set(ctx, "field_bad", json_object_new_boolean(
		    json_object_object_length(v->errors) >
		    (json_object_object_get_ex(v->errors, "cursor", NULL) ? 1 : 0)));
	}
}

/* ------------------------------------------------------------ answers */

static int
db_trouble(struct hub_app_ctx *app, struct hub_req *req, int rc)
{
	return rc == HUB_REQQUERY_DB ?
	    hub_app_error(app, req, 503, "the database is unavailable, try again shortly", NULL) :
	    500;
}

/*
 * A search's counters, from its page: ranking every match again to count
 * them would double what the search costs, so a first page holding every
 * match is counted, and anything more reads "more than a page".
 */
static void
page_counts(json_object *page, const struct view *v, struct hub_reqquery_counts *c)
{
	json_object *rows = NULL, *st, *next = NULL;
	size_t i, k, n;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < HUB_REQQUERY_NSTATUS; i++)
		c->status[i] = statuses[i];
	c->cap = PAGE_ROWS;
	json_object_object_get_ex(page, "next_cursor", &next);
	if (v->cursor != NULL || (next != NULL && json_object_is_type(next, json_type_string))) {
		c->total = PAGE_ROWS;
		c->capped = 1;
		return;
	}
	json_object_object_get_ex(page, "requests", &rows);
	n = rows != NULL ? json_object_array_length(rows) : 0;
	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(rows, i), "status", &st))
			continue;
		for (k = 0; k < HUB_REQQUERY_NSTATUS; k++)
			if (strcmp(json_object_get_string(st), statuses[k]) == 0)
				c->n[k]++;
		c->total++;
	}
}

/* The list, its counters, the live fragment's link and ETag into ctx;
 * 0, or the reqquery error (INVALID: refused, in v->errors). */
static int
add_results(struct hub_db *db, json_object *ctx, struct view *v)
{
	struct hub_reqquery_counts c;
	struct hub_problem p;
	json_object *page = NULL;
	int rc;

	rc = hub_reqquery_list(db, &v->who, &v->f, &page, &p);
	if (rc == HUB_REQQUERY_OK && v->f.q != NULL)
		page_counts(page, v, &c);
	else if (rc == HUB_REQQUERY_OK)
		rc = hub_reqquery_count(db, &v->who, &v->f, &c, &p);
	if (rc == HUB_REQQUERY_INVALID)
		refuse(v, p.field);
	if (rc != HUB_REQQUERY_OK) {
		json_object_put(page);
		return rc;
	}
	add_list(ctx, page, v);
	add_counters(ctx, &c, v);
	json_object_put(page);
	set_link(ctx, "live_url", v, NULL, v->cursor, 1);
	hub_json_set_str(ctx, "live_etag", v->live_etag);
	return HUB_REQQUERY_OK;
}

/* Send the fragment, or the page with the form around it. */
static int
send_view(struct hub_app_ctx *app, struct hub_req *req, struct view *v, json_object *ctx,
    int status)
{
	struct hub_buf out = HUB_BUF_INIT(LIVE_MAX);
	int rc;

	if (!v->live || status != 200) {
		hub_json_set_str(ctx, "title", "Requests");
		hub_page_user(ctx, &v->s);
		return hub_page_send(app, req, status, "requests.html", ctx);
	}
	cache_headers(req, v->live_etag);
	if ((rc = hub_tmpl_render("requests-live.html", ctx, &out)) != HUB_TMPL_OK) {
		hub_log(HUB_LOG_ERROR, "template_failed", "template", "requests-live.html",
		    "error", hub_tmpl_strerror(rc), NULL);
		rc = hub_app_error(app, req, 500, "the page could not be rendered", NULL);
	} else {
		rc = hub_resp_html(req, 200, out.data, out.len);
	}
	hub_buf_release(&out);
	return rc;
}

/*
 * A viewer's requester filter: the requests of the hub user with that
 * email, or sent for it by a source.  0, or the reqquery error (INVALID:
 * refused, in v->errors).
 */
static int
requester_rows(struct hub_db *db, struct view *v)
{
	struct hub_problem p;
	const char *email = v->v[F_REQUESTER];
	int rc;

	if (email == NULL || !v->all)
		return HUB_REQQUERY_OK;
	if (strlen(email) >= HUB_ACCESS_EMAIL_LEN || !hub_check_email(email)) {
		refuse(v, "requester");
		return HUB_REQQUERY_INVALID;
	}
	v->f.mine_email = email;
	rc = hub_reqquery_user_id(db, email, v->requester_id, &p);
	if (rc == HUB_REQQUERY_OK)
		v->f.mine_user_id = v->requester_id;
	return rc == HUB_REQQUERY_NOTFOUND ? HUB_REQQUERY_OK : rc;
}

/* The version (the cheap part) and the refusals that need no list. */
static int
check_filters(struct hub_db *db, struct view *v)
{
	char id[HUB_UUID_TEXT_LEN + 1];
	struct hub_problem p;
	int rc;

	if ((rc = requester_rows(db, v)) != HUB_REQQUERY_OK)
		return rc;
	rc = hub_reqquery_version(db, &v->who, &v->f, v->version, &p);
	if (rc == HUB_REQQUERY_INVALID)
		refuse(v, p.field);
	if (rc != HUB_REQQUERY_OK || v->f.source == NULL)
		return rc;
	/* The API lists nothing for an unknown source; a person picked it
	 * from the list and should hear that it is gone. */
	rc = hub_reqquery_source_id(db, v->f.source, id, &p);
	if (rc == HUB_REQQUERY_NOTFOUND) {
		refuse(v, "source");
		rc = HUB_REQQUERY_INVALID;
	}
	return rc;
}

int
hub_pagerequests_list(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_db *db;
	struct hub_problem p;
	struct view v;
	json_object *ctx = NULL, *sources = NULL;
	int rc;

	memset(&v, 0, sizeof(v));
	if (hub_page_need(app, req, HUB_ACCESS_SIGNED_IN, &v.s) != 0)
		return 0;
	db = hub_app_db(app);
	read_filters(req, &v);
	rc = check_filters(db, &v);
	if (rc != HUB_REQQUERY_OK && rc != HUB_REQQUERY_INVALID) {
		rc = db_trouble(app, req, rc);
		goto out;
	}
	if (rc == HUB_REQQUERY_OK) {
		make_etag(&v, v.live_etag);
		if (v.live && not_modified(req, v.live_etag)) {
			cache_headers(req, v.live_etag);
			rc = hub_resp_start(req, 304, NULL) == 0 ? 0 : 500;
			goto out;
		}
	}
	if ((ctx = json_object_new_object()) == NULL) {
		rc = 500;
		goto out;
	}
	if (rc == HUB_REQQUERY_OK &&
	    (rc = add_results(db, ctx, &v)) != HUB_REQQUERY_OK && rc != HUB_REQQUERY_INVALID) {
		rc = db_trouble(app, req, rc);
		goto out;
	}
	if (v.errors != NULL)
		hub_log(HUB_LOG_INFO, "filter_refused", "user", v.s.user.id, NULL);
	if (!v.live || v.errors != NULL) {
		if ((rc = hub_reqquery_sources(db, &v.who, &sources, &p)) != HUB_REQQUERY_OK) {
			rc = db_trouble(app, req, rc);
			goto out;
		}
		add_form(ctx, &v, sources);
	}
	rc = send_view(app, req, &v, ctx, v.errors != NULL ? 400 : 200);
out:
	json_object_put(ctx);
	json_object_put(sources);
	json_object_put(v.errors);
	return rc;
}
