/*
 * pagecharts.c - the charts page and the charts as images.  See
 * pagecharts.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "web/pagecharts.h"
#include "approval/stats.h"
#include "base/json.h"
#include "base/svg.h"
#include "notify/problems.h"
#include "web/page.h"

#define DAYS		30
#define SERIES_SHOWN	7	/* sources drawn one by one; the rest are "Other" */
#define SOURCES_MAX	256	/* sources counted one by one */
#define SVG_MAX		(512u * 1024u)
#define DESC_MAX	4096u
#define DAY_LEN		11	/* YYYY-MM-DD + NUL */

enum chart { CH_DAILY, CH_MEDIAN, CH_APPROVAL, CH_DELIVERIES, CH__MAX };

static const char *const chart_titles[CH__MAX] = {
	[CH_DAILY] = "Requests per day by source", [CH_MEDIAN] = "Median time to decision",
	[CH_APPROVAL] = "Approval rate", [CH_DELIVERIES] = "Deliveries by outcome",
};
static const char *const chart_files[CH__MAX] = {
	[CH_DAILY] = "daily.svg", [CH_MEDIAN] = "median.svg",
	[CH_APPROVAL] = "approval.svg", [CH_DELIVERIES] = "deliveries.svg",
};

/* One source's requests per day. */
struct src {
	const char	*name;
	double		 v[DAYS];
	double		 total;
};

static long long
int_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int) ?
	    json_object_get_int64(v) : 0;
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

static int
by_total(const void *a, const void *b)
{
	const struct src *x = a, *y = b;

	return x->total < y->total ? 1 : x->total > y->total ? -1 : strcmp(x->name, y->name);
}

/* The last DAYS UTC days, oldest first, as the database names them. */
static void
day_labels(char days[DAYS][DAY_LEN], const char *labels[DAYS])
{
	time_t now = time(NULL), t;
	struct tm tm;
	int i;

	for (i = 0; i < DAYS; i++) {
		t = now - (time_t)(DAYS - 1 - i) * 86400;
		gmtime_r(&t, &tm);
		strftime(days[i], DAY_LEN, "%Y-%m-%d", &tm);
		labels[i] = days[i];
	}
}

/* Requests per day, stacked by source; the smallest sources as "Other". */
static int
draw_daily(struct hub_db *db, const char *source, struct hub_buf *out)
{
	char days[DAYS][DAY_LEN];
	const char *labels[DAYS];
	struct hub_buf desc = HUB_BUF_INIT(DESC_MAX);
	struct hub_svg_series series[SERIES_SHOWN + 1];
	struct src *s = calloc(SOURCES_MAX + 1, sizeof(*s));
	json_object *rows = NULL, *r;
	size_t i, k, n = 0, len, shown;
	double total = 0;
	int rc = HUB_DB_NOMEM, d;

	if (s == NULL || (rc = hub_stats_daily(db, DAYS, source, &rows)) != HUB_DB_OK)
		goto out;
	day_labels(days, labels);
	s[SOURCES_MAX].name = "Other";
	len = json_object_array_length(rows);
	for (i = 0; i < len; i++) {
		r = json_object_array_get_idx(rows, i);
		for (k = 0; k < n && strcmp(s[k].name, str_of(r, "source")) != 0; k++)
			;
		if (k == n && n < SOURCES_MAX)
			s[n++].name = str_of(r, "source");
		for (d = 0; d < DAYS && strcmp(labels[d], str_of(r, "day")) != 0; d++)
			;
		if (d < DAYS) {
			s[k].v[d] += (double)int_of(r, "n");
			s[k].total += (double)int_of(r, "n");
		}
	}
	qsort(s, n, sizeof(*s), by_total);
	/* Past SERIES_SHOWN, fold the rest into "Other" (s[SOURCES_MAX]). */
	for (k = SERIES_SHOWN; n > SERIES_SHOWN + 1 && k < n; k++)
		for (d = 0; d < DAYS; d++) {
			s[SOURCES_MAX].v[d] += s[k].v[d];
			s[SOURCES_MAX].total += s[k].v[d];
		}
	shown = n > SERIES_SHOWN + 1 ? SERIES_SHOWN : n;
	hub_buf_printf(&desc, "Requests created per day over the last %d days (UTC), by source:",
	    DAYS);
	for (k = 0; k < shown; k++) {
		series[k] = (struct hub_svg_series){ s[k].name, s[k].v };
		hub_buf_printf(&desc, "%s %s %.0f", k > 0 ? "," : "", s[k].name, s[k].total);
		total += s[k].total;
	}
	if (shown < n) {
		series[shown++] = (struct hub_svg_series){ "Other", s[SOURCES_MAX].v };
		hub_buf_printf(&desc, ", other sources %.0f", s[SOURCES_MAX].total);
		total += s[SOURCES_MAX].total;
	}
	hub_buf_printf(&desc, "%s Total %.0f.", n == 0 ? " none." : ".", total);
	rc = hub_svg_chart(out, &(struct hub_svg_chart){ HUB_SVG_COLUMNS, "daily",
	    chart_titles[CH_DAILY], hub_buf_str(&desc), labels, DAYS, series, shown,
	    " requests", 0, 5 }) == HUB_BUF_OK ? HUB_DB_OK : HUB_DB_NOMEM;
out:
	json_object_put(rows);
	hub_buf_release(&desc);
	free(s);
	return rc;
}

/* Median time to decision, per source, in a unit that suits the largest. */
static int
draw_median(json_object *rows, struct hub_buf *out)
{
	static const struct { double secs; const char *unit; } units[] = {
		{ 60.0, " min" }, { 3600.0, " h" }, { 86400.0, " d" },
	};
	size_t i, u, n = json_object_array_length(rows);
	const char **labels = calloc(n + 1, sizeof(*labels));
	double *v = calloc(n + 1, sizeof(*v)), max = 0;
	struct hub_buf desc = HUB_BUF_INIT(DESC_MAX);
	int rc = HUB_DB_NOMEM;

	if (labels == NULL || v == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if ((double)int_of(json_object_array_get_idx(rows, i), "median_s") > max)
			max = (double)int_of(json_object_array_get_idx(rows, i), "median_s");
	u = max < 2 * 3600.0 ? 0 : max < 2 * 86400.0 ? 1 : 2;
	hub_buf_printf(&desc, "Median time from request to decision, requests of the last %d"
	    " days, by source:", DAYS);
	for (i = 0; i < n; i++) {
		labels[i] = str_of(json_object_array_get_idx(rows, i), "source");
		v[i] = (double)int_of(json_object_array_get_idx(rows, i), "median_s") /
		    units[u].secs;
		hub_buf_printf(&desc, "%s %s %.1f%s", i > 0 ? "," : "", labels[i], v[i],
		    units[u].unit);
	}
	hub_buf_adds(&desc, n == 0 ? " none." : ".");
	rc = hub_svg_chart(out, &(struct hub_svg_chart){ HUB_SVG_BARS, "median",
	    chart_titles[CH_MEDIAN], hub_buf_str(&desc), labels, n,
	    &(struct hub_svg_series){ "median", v }, 1, units[u].unit, 1, 0 }) == HUB_BUF_OK ?
	    HUB_DB_OK : HUB_DB_NOMEM;
out:
	free(labels);
	free(v);
	hub_buf_release(&desc);
	return rc;
}

/* Share of decisions that approved, every source first, then each. */
static int
draw_approval(json_object *rows, struct hub_buf *out)
{
	size_t i, n = json_object_array_length(rows);
	const char **labels = calloc(n + 2, sizeof(*labels));
	double *v = calloc(n + 2, sizeof(*v)), ap = 0, all = 0, a, d;
	struct hub_buf desc = HUB_BUF_INIT(DESC_MAX);
	json_object *r;
	int rc = HUB_DB_NOMEM;

	if (labels == NULL || v == NULL)
		goto out;
	hub_buf_printf(&desc, "Share of decided requests of the last %d days that were"
	    " approved:", DAYS);
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(rows, i);
		a = (double)int_of(r, "approved");
		d = (double)int_of(r, "decided");
		labels[i + 1] = str_of(r, "source");
		v[i + 1] = d > 0 ? a * 100.0 / d : 0;
		ap += a;
		all += d;
		hub_buf_printf(&desc, " %s %.0f of %.0f (%.0f%%);", labels[i + 1], a, d, v[i + 1]);
	}
	labels[0] = "All sources";
	v[0] = all > 0 ? ap * 100.0 / all : 0;
	hub_buf_printf(&desc, " all sources %.0f of %.0f (%.0f%%).", ap, all, v[0]);
	rc = hub_svg_chart(out, &(struct hub_svg_chart){ HUB_SVG_BARS, "approval",
	    chart_titles[CH_APPROVAL], hub_buf_str(&desc), labels, n > 0 ? n + 1 : 0,
	    &(struct hub_svg_series){ "approved", v }, 1, "%", 0, 0 }) == HUB_BUF_OK ?
	    HUB_DB_OK : HUB_DB_NOMEM;
out:
	free(labels);
	free(v);
	hub_buf_release(&desc);
	return rc;
}

static int
draw_decisions(struct hub_db *db, const char *source, int median, struct hub_buf *out)
{
	json_object *rows = NULL;
	int rc = hub_stats_decisions(db, DAYS, source, &rows);

	if (rc == HUB_DB_OK)
		rc = median ? draw_median(rows, out) : draw_approval(rows, out);
	json_object_put(rows);
	return rc;
}

/* Deliveries by outcome; "Waiting" is queued and sending together. */
static int
draw_deliveries(struct hub_db *db, struct hub_buf *out)
{
	static const char *const labels[] = { "Delivered", "Failed", "Retrying", "Waiting" };
	struct hub_buf desc = HUB_BUF_INIT(DESC_MAX);
	json_object *rows = NULL;
	double v[4] = { 0, 0, 0, 0 };
	size_t i, n;
	int rc;

	if ((rc = hub_problems_outcomes(db, DAYS, &rows)) != HUB_DB_OK)
		return rc;
	n = json_object_array_length(rows);
	for (i = 0; i < n; i++)
		v[i < 3 ? i : 3] += (double)int_of(json_object_array_get_idx(rows, i), "n");
	hub_buf_printf(&desc, "Slack messages, webhook posts, emails and callbacks of the last"
	    " %d days by outcome: delivered %.0f, failed %.0f, retrying %.0f, waiting %.0f.",
	    DAYS, v[0], v[1], v[2], v[3]);
	rc = hub_svg_chart(out, &(struct hub_svg_chart){ HUB_SVG_BARS, "deliveries",
	    chart_titles[CH_DELIVERIES], hub_buf_str(&desc), labels, 4,
	    &(struct hub_svg_series){ "deliveries", v }, 1, "", 0, 0 }) == HUB_BUF_OK ?
	    HUB_DB_OK : HUB_DB_NOMEM;
	json_object_put(rows);
	hub_buf_release(&desc);
	return rc;
}

static int
draw(struct hub_db *db, enum chart c, const char *source, struct hub_buf *out)
{
	switch (c) {
	case CH_DAILY:
		return draw_daily(db, source, out);
	case CH_MEDIAN:
		return draw_decisions(db, source, 1, out);
	case CH_APPROVAL:
		return draw_decisions(db, source, 0, out);
	default:
		return draw_deliveries(db, out);
	}
}

/* ?source=<name>, "" as none; anything else is refused. */
static int
source_arg(struct hub_req *req, const char **source)
{
	size_t i;

	*source = NULL;
	for (i = 0; i < req->args.n; i++) {
		if (strcmp(req->args.kv[i].key, "source") != 0)
			return -1;
		if (req->args.kv[i].val[0] != '\0')
			*source = req->args.kv[i].val;
	}
	return 0;
}

int
hub_pagecharts_svg(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_buf svg = HUB_BUF_INIT(SVG_MAX);
	struct hub_session s;
	const char *source;
	int c, rc;

	if (hub_page_need(app, req, HUB_ACCESS_REQUEST_LIST_ALL, &s) != 0)
		return 0;
	for (c = 0; c < CH__MAX && strcmp(chart_files[c], req->captures[0]) != 0; c++)
		;
	if (c == CH__MAX)
		return hub_page_error(app, req, 404, "There is no such chart: the charts are"
		    " daily.svg, median.svg, approval.svg and deliveries.svg.");
	if (source_arg(req, &source) != 0)
		return hub_page_error(app, req, 400, "A chart takes one filter: source.");
	if ((rc = draw(hub_app_db(app), (enum chart)c, source, &svg)) != HUB_DB_OK) {
		hub_buf_release(&svg);
		return hub_app_error(app, req, rc == HUB_DB_NOMEM ? 500 : 503,
		    "the chart could not be drawn, try again shortly", NULL);
	}
	/* Nothing in a chart may run, even opened on its own. */
	hub_resp_header(req, "Content-Security-Policy", "default-src 'none'");
	hub_resp_start(req, 200, "image/svg+xml; charset=utf-8");
	hub_resp_write(req, svg.data, svg.len);
	hub_buf_release(&svg);
	return 0;
}

int
hub_pagecharts_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	json_object *ctx = json_object_new_object(), *list = json_object_new_array(), *o;
	struct hub_buf svg = HUB_BUF_INIT(SVG_MAX);
	struct hub_session s;
	int c, rc = 0;

	if (ctx == NULL || list == NULL) {
		rc = 500;
		goto out;
	}
	if (hub_page_need(app, req, HUB_ACCESS_REQUEST_LIST_ALL, &s) != 0)
		goto out;
	for (c = 0; c < CH__MAX; c++) {
		hub_buf_reset(&svg);
		if (draw(hub_app_db(app), (enum chart)c, NULL, &svg) != HUB_DB_OK) {
			rc = hub_app_error(app, req, 503, "the charts could not be drawn, try again"
			    " shortly", NULL);
			goto out;
		}
		if ((o = json_object_new_object()) == NULL || json_object_array_add(list, o) != 0)
			goto out;
		hub_json_set_str(o, "file", chart_files[c]);
		hub_json_set_str(o, "title", chart_titles[c]);
		hub_json_set_str(o, "svg", hub_buf_str(&svg));
	}
	hub_json_set_str(ctx, "title", "Charts");
	hub_json_set_int64(ctx, "days", DAYS);
	hub_json_set(ctx, "charts", list);
	list = NULL;
	hub_page_user(ctx, &s);
	rc = hub_page_send(app, req, 200, "charts.html", ctx);
out:
	json_object_put(ctx);
	json_object_put(list);
	hub_buf_release(&svg);
	return rc;
}
