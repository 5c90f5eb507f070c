/*
 * pagereqform.c - the web request form.  See pagereqform.h.
 *
 * The form's fields are rows of tables: the plain fields, the types (each
 * naming intake's preset, whose typed fields become "<type>.<key>"
 * inputs, labelled and typed by intake's own preset table), and a few
 * free "other details" rows.  A POST keeps every known field as typed
 * (values), builds intake's input from them, and maps intake's field names
 * back to the form's (errors).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "web/pagereqform.h"
#include "approval/intake.h"
#include "approval/webintake.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/json.h"
#include "base/log.h"
#include "web/page.h"

#define FORM_PAIRS		80
#define EXTRA_ROWS		3
#define EXTRA_LABEL_MAX		50
#define FIELD_NAME_MAX		96	/* "<type>.<key>.start" */
#define TOKEN_BYTES		18	/* 24 characters of base64url */
#define MSG_MAX			600
#define DATE_TEXT_SIZE		16	/* "YYYY-MM-DD" + NUL */
#define NUMBER_TEXT_MAX		40
#define APPROVERS_TEXT_MAX	20000

/* ------------------------------------------------------------ tables */

/* The form's types: value (also the request_source that picks intake's
 * preset; "" none), label, preset. */
static const struct form_type {
	const char	*value;
	const char	*label;
	const char	*preset;
} types[] = {
	{ "", "General request", NULL },
	{ "workday", "Time off (Workday)", "workday_pto" },
	{ "concur", "Expense (Concur)", "concur_expense" },
	{ "salesforce", "Deal (Salesforce)", "salesforce_deal" },
	{ "jira", "Jira issue", "jira_issue" },
};

struct option {
	const char	*value;
	const char	*label;
};

static const struct option rules[] = {
	{ "any", "Any one approver decides" },
	{ "all", "Every approver must approve" },
	{ "quorum", "A number of them must approve (quorum)" },
};

/* Durations as intake reads them (intake.h). */
static const struct option reminders[] = {
	{ "", "No automatic reminders" },
	{ "4h", "Every 4 hours" },
	{ "1d", "Every day" },
	{ "2d", "Every 2 days" },
	{ "1w", "Every week" },
};

/* Plain fields: the form's name, intake's key. */
static const struct plain {
	const char	*name;
	const char	*intake;
} plains[] = {
	{ "type", "request_source" },
	{ "title", "title" },
	{ "justification", "justification_text" },
	{ "approvers", "approvers" },
	{ "approvers", "approver_id" },
	{ "rule", "rule" },
	{ "quorum", "quorum" },
	{ "deadline", "deadline" },
	{ "reminder", "reminder_every" },
};

/*
 * Sample data per type ("Fill with sample data", as the original form
 * had): a value is text, or (text NULL) today plus days as a date.
 */
struct sample_value {
	const char	*name;
	const char	*text;
	int		 days;
};

static const struct sample {
	const char		*type;
	const char		*title;
	const char		*justification;
	struct sample_value	 v[8];
} samples[] = {
	{ "", "New laptop for the field team",
	    "The field team's laptops are five years old and no longer get security updates.",
	    { { "extra_label_1", "Model", 0 }, { "extra_value_1", "ThinkPad X1 Carbon", 0 },
	      { "extra_label_2", "Cost center", 0 }, { "extra_value_2", "IT-200", 0 } } },
	{ "workday", "Family trip",
	    "A family trip planned months ago; Sam covers my on-call week.",
	    { { "workday.date_range.start", NULL, 14 }, { "workday.date_range.end", NULL, 18 },
	      { "workday.days_requested", "5", 0 }, { "workday.remaining_pto", "12", 0 } } },
	{ "concur", "Client dinner in Chicago",
	    "Dinner with Acme's buying team after the renewal workshop.",
	    { { "concur.amount", "245.80", 0 }, { "concur.currency", "USD", 0 },
	      { "concur.category", "Meals", 0 }, { "concur.date", NULL, -2 },
	      { "concur.receipt_url", "https://concur.example.com/receipts/R-1042", 0 } } },
	{ "salesforce", "Renewal discount for Acme",
	    "Acme renews for three years if we match last year's discount.",
	    { { "salesforce.customer_name", "Acme Corp", 0 },
	      { "salesforce.deal_value", "120000", 0 }, { "salesforce.currency", "USD", 0 },
	      { "salesforce.close_date", NULL, 30 }, { "salesforce.stage", "Negotiation", 0 },
	      { "salesforce.discount_percent", "15", 0 } } },
	{ "jira", "Deploy the payment page hotfix",
	    "Checkout times out for a third of customers; the fix is tested in staging.",
	    { { "jira.issue_key", "OPS-1234", 0 },
	      { "jira.summary", "Payment page times out under load", 0 },
	      { "jira.url", "https://jira.example.com/browse/OPS-1234", 0 } } },
};

/* What the page shows: every known field as typed, and the problems. */
struct view {
	json_object	*values;	/* form name -> text */
	json_object	*errors;	/* form name -> message; "" no field's */
	char		 token[HUB_WEBINTAKE_TOKEN_MAX + 1];
};

static const struct form_type *
type_named(const char *value)
{
	size_t i;

	for (i = 0; value != NULL && i < HUB_NELEM(types); i++)
		if (strcmp(value, types[i].value) == 0)
			return &types[i];
	return NULL;
}

static const char *
val(const struct view *v, const char *name)
{
	json_object *o;

	return json_object_object_get_ex(v->values, name, &o) && o != NULL ?
	    json_object_get_string(o) : "";
}

static void
set_val(struct view *v, const char *name, const char *text)
{
	json_object_object_add(v->values, name, json_object_new_string(text));
}

/* The first problem of a field stays. */
static void
set_err(struct view *v, const char *name, const char *msg)
{
	if (!json_object_object_get_ex(v->errors, name, NULL))
		json_object_object_add(v->errors, name, json_object_new_string(msg));
}

static const char *
err_of(const struct view *v, const char *name)
{
	json_object *o;

	return json_object_object_get_ex(v->errors, name, &o) && o != NULL ?
	    json_object_get_string(o) : NULL;
}

/* "<type>.<key>" (suffix: "", ".start", ".end"). */
static void
field_name(char out[FIELD_NAME_MAX], const char *type, const char *key, const char *suffix)
{
	snprintf(out, FIELD_NAME_MAX, "%s.%s%s", type, key, suffix);
}

/* A form name the page keeps: a plain field, a type's field, a detail row. */
static int
known_name(const char *name)
{
	const struct hub_preset *p;
	char n[FIELD_NAME_MAX];
	size_t i, j;

	for (i = 0; i < HUB_NELEM(plains); i++)
		if (strcmp(name, plains[i].name) == 0)
			return 1;
	for (i = 1; i <= EXTRA_ROWS; i++) {
		snprintf(n, sizeof(n), "extra_label_%zu", i);
		if (strcmp(name, n) == 0)
			return 1;
		snprintf(n, sizeof(n), "extra_value_%zu", i);
		if (strcmp(name, n) == 0)
			return 1;
	}
	for (i = 0; i < HUB_NELEM(types); i++) {
		if ((p = hub_intake_preset_def(types[i].preset)) == NULL)
			continue;
		for (j = 0; j < p->nfields; j++) {
			field_name(n, types[i].value, p->fields[j].key, "");
			if (strncmp(name, n, strlen(n)) == 0 && (name[strlen(n)] == '\0' ||
			    strcmp(name + strlen(n), ".start") == 0 ||
			    strcmp(name + strlen(n), ".end") == 0))
				return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ rendering */

/* {value, error} of a plain field. */
static json_object *
item(const struct view *v, const char *name)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "value", json_object_new_string(val(v, name)));
	json_object_object_add(o, "error", err_of(v, name) ? json_object_new_string(
	    err_of(v, name)) : NULL);
	return o;
}

/* [{value, label, selected}] with the option whose value is chosen selected. */
static json_object *
options(const struct option *opts, size_t n, const char *chosen)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(opts[i].value));
		json_object_object_add(o, "label", json_object_new_string(opts[i].label));
		json_object_object_add(o, "selected", json_object_new_boolean(
		    strcmp(opts[i].value, chosen) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
type_options(const char *chosen)
{
	struct option o[HUB_NELEM(types)];
	size_t i;

	for (i = 0; i < HUB_NELEM(types); i++) {
		o[i].value = types[i].value;
		o[i].label = types[i].label;
	}
	return options(o, HUB_NELEM(types), chosen);
}

/* {id, name, value} of one date of a range. */
static json_object *
range_end(const struct view *v, const char *type, const char *key, const char *which)
{
	json_object *o = json_object_new_object();
	char n[FIELD_NAME_MAX], id[FIELD_NAME_MAX];

	field_name(n, type, key, which);
	snprintf(id, sizeof(id), "%s-%s-%s", type, key, which + 1);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(n));
	json_object_object_add(o, "value", json_object_new_string(val(v, n)));
	return o;
}

static void
put_str_or_null(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s != NULL ? json_object_new_string(s) : NULL);
}

/* The input's attributes for a preset field's type: input type, step,
 * placeholder, maxlength. */
static void
input_attrs(json_object *o, const struct hub_preset_field *f)
{
	static const struct {
		enum hub_meta_type	 t;
		const char		*input, *step, *placeholder;
		int			 maxlength;
	} attrs[] = {
		{ HUB_META_TEXT, "text", NULL, NULL, 0 },
		{ HUB_META_NUMBER, "number", "any", NULL, 0 },
		{ HUB_META_CURRENCY, "text", NULL, "USD", 3 },
		{ HUB_META_DATE, "date", NULL, "YYYY-MM-DD", 10 },
		{ HUB_META_RANGE, "date", NULL, "YYYY-MM-DD", 10 },
		{ HUB_META_DATES, "text", NULL, "2026-03-02 or 2026-03-02 to 2026-03-05", 24 },
		{ HUB_META_URL, "url", NULL, "https://", 2000 },
		{ HUB_META_JIRA_KEY, "text", NULL, "ABC-123", 100 },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(attrs) && attrs[i].t != f->type; i++)
		;
	if (i == HUB_NELEM(attrs))
		i = 0;
	json_object_object_add(o, "input", json_object_new_string(attrs[i].input));
	put_str_or_null(o, "step", attrs[i].step);
	put_str_or_null(o, "placeholder", attrs[i].placeholder);
	json_object_object_add(o, "maxlength", f->type == HUB_META_TEXT ?
	    json_object_new_int((int)f->max) : attrs[i].maxlength > 0 ?
	    json_object_new_int(attrs[i].maxlength) : NULL);
}

/* One preset field: {id, name, label, input, step, placeholder, maxlength,
 * min, max, value, error, range, start, end}; every key present, so that a
 * template lookup never reaches an outer item's. */
static json_object *
preset_field(const struct view *v, const char *type, const struct hub_preset_field *f)
{
	json_object *o = json_object_new_object();
	char n[FIELD_NAME_MAX], id[FIELD_NAME_MAX], num[NUMBER_TEXT_MAX];
	int range = f->type == HUB_META_RANGE, number = f->type == HUB_META_NUMBER;

	field_name(n, type, f->key, "");
	snprintf(id, sizeof(id), "%s-%s", type, f->key);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(n));
	json_object_object_add(o, "label", json_object_new_string(f->label));
	input_attrs(o, f);
	snprintf(num, sizeof(num), "%g", f->min);
	put_str_or_null(o, "min", number && isfinite(f->min) ? num : NULL);
	snprintf(num, sizeof(num), "%g", f->maxv);
	put_str_or_null(o, "max", number && isfinite(f->maxv) ? num : NULL);
	json_object_object_add(o, "value", json_object_new_string(val(v, n)));
	put_str_or_null(o, "error", err_of(v, n));
	json_object_object_add(o, "range", json_object_new_boolean(range));
	json_object_object_add(o, "start", range ? range_end(v, type, f->key, ".start") : NULL);
	json_object_object_add(o, "end", range ? range_end(v, type, f->key, ".end") : NULL);
	return o;
}

/* Each type with a preset: {type, label, sample, fields}. */
static json_object *
presets(const struct view *v)
{
	json_object *a = json_object_new_array(), *o, *fields;
	const struct hub_preset *p;
	char href[FIELD_NAME_MAX];
	size_t i, j;

	for (i = 0; i < HUB_NELEM(types); i++) {
		if ((p = hub_intake_preset_def(types[i].preset)) == NULL)
			continue;
		o = json_object_new_object();
		fields = json_object_new_array();
		for (j = 0; j < p->nfields; j++)
			json_object_array_add(fields, preset_field(v, types[i].value, &p->fields[j]));
		snprintf(href, sizeof(href), "/requests/new?type=%s&sample=1", types[i].value);
		json_object_object_add(o, "type", json_object_new_string(types[i].value));
		json_object_object_add(o, "label", json_object_new_string(types[i].label));
		json_object_object_add(o, "sample", json_object_new_string(href));
		json_object_object_add(o, "fields", fields);
		json_object_array_add(a, o);
	}
	return a;
}

/* The free "other details" rows: {n, lname, vname, label, value, error}. */
static json_object *
extras(const struct view *v)
{
	json_object *a = json_object_new_array(), *o;
	char ln[FIELD_NAME_MAX], vn[FIELD_NAME_MAX];
	size_t i;

	for (i = 1; i <= EXTRA_ROWS; i++) {
		snprintf(ln, sizeof(ln), "extra_label_%zu", i);
		snprintf(vn, sizeof(vn), "extra_value_%zu", i);
		o = json_object_new_object();
		json_object_object_add(o, "n", json_object_new_int((int)i));
		json_object_object_add(o, "lname", json_object_new_string(ln));
		json_object_object_add(o, "vname", json_object_new_string(vn));
		json_object_object_add(o, "label", json_object_new_string(val(v, ln)));
		json_object_object_add(o, "value", json_object_new_string(val(v, vn)));
		put_str_or_null(o, "error", err_of(v, ln));
		json_object_array_add(a, o);
	}
	return a;
}

/* "YYYY-MM-DD" of today plus days (UTC, as intake reads a bare date). */
static void
date_text(int days, char out[DATE_TEXT_SIZE])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, DATE_TEXT_SIZE, "%Y-%m-%d", &tm) == 0)
		out[0] = '\0';
}

/* The form page with status. */
static int
form_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct view *v, int status)
{
	static const char *const plain_items[] = {
		"title", "justification", "approvers", "quorum", "deadline", "type", "rule",
		"reminder",
	};
	json_object *ctx = json_object_new_object(), *f = json_object_new_object();
	char today[DATE_TEXT_SIZE];
	size_t i;
	int rc, n = json_object_object_length(v->errors);

	for (i = 0; i < HUB_NELEM(plain_items); i++)
		json_object_object_add(f, plain_items[i], item(v, plain_items[i]));
	date_text(0, today);
	json_object_object_add(ctx, "title", json_object_new_string("New request"));
	hub_page_user(ctx, s);
	json_object_object_add(ctx, "token", json_object_new_string(v->token));
	json_object_object_add(ctx, "today", json_object_new_string(today));
	json_object_object_add(ctx, "f", f);
	json_object_object_add(ctx, "types", type_options(val(v, "type")));
	json_object_object_add(ctx, "rules", options(rules, HUB_NELEM(rules),
	    val(v, "rule")[0] != '\0' ? val(v, "rule") : "any"));
	json_object_object_add(ctx, "reminders", options(reminders, HUB_NELEM(reminders),
	    val(v, "reminder")));
	json_object_object_add(ctx, "presets", presets(v));
	json_object_object_add(ctx, "extras", extras(v));
	put_str_or_null(ctx, "form_error", err_of(v, ""));
	if (err_of(v, "") != NULL)
		n--;
	json_object_object_add(ctx, "nerrors", json_object_new_int(n));
	json_object_object_add(ctx, "one_error", json_object_new_boolean(n == 1));
	rc = hub_page_send(app, req, status, "request-new.html", ctx);
	json_object_put(ctx);
	return rc;
}

static int
view_init(struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->values = json_object_new_object();
	v->errors = json_object_new_object();
	return v->values != NULL && v->errors != NULL ? 0 : -1;
}

static void
view_free(struct view *v)
{
	json_object_put(v->values);
	json_object_put(v->errors);
}

/* ------------------------------------------------------------ GET */

static void
fill_sample(struct view *v, const char *type)
{
	char date[DATE_TEXT_SIZE];
	size_t i, j;

	for (i = 0; i < HUB_NELEM(samples); i++) {
		if (strcmp(samples[i].type, type) != 0)
			continue;
		set_val(v, "title", samples[i].title);
		set_val(v, "justification", samples[i].justification);
		for (j = 0; j < HUB_NELEM(samples[i].v) && samples[i].v[j].name != NULL; j++) {
			date_text(samples[i].v[j].days, date);
			set_val(v, samples[i].v[j].name,
			    samples[i].v[j].text != NULL ? samples[i].v[j].text : date);
		}
	}
}

int
hub_pagereqform_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_buf tok = HUB_BUF_INIT(64);
	struct hub_session s;
	struct view v;
	const struct form_type *t;
	int rc = 500;

	if (hub_page_need(app, req, HUB_ACCESS_REQUEST_CREATE, &s) != 0)
		return 0;
	if (view_init(&v) != 0 || hub_random_token(TOKEN_BYTES, &tok) != HUB_CRYPTO_OK)
		goto out;
	snprintf(v.token, sizeof(v.token), "%s", hub_buf_str(&tok));
	t = type_named(hub_form_get(&req->args, "type"));
	set_val(&v, "type", t != NULL ? t->value : "");
	if (t != NULL && hub_form_get(&req->args, "sample") != NULL)
		fill_sample(&v, t->value);
	rc = form_page(app, req, &s, &v, 200);
out:
	view_free(&v);
	hub_buf_release(&tok);
	return rc;
}

int
hub_pagereqform_legacy(struct hub_req *req, void *arg)
{
	return hub_page_redirect(arg, req, 301, "/requests/new");
}

/* ------------------------------------------------------------ POST: form -> intake */

/* What a POST parsed, for mapping intake's field names back. */
struct parsed {
	const struct form_type	*type;
	json_object		*approvers;	/* the tokens, as sent to intake */
	json_object		*in;		/* intake's input */
};

/* s without leading and trailing white space, into a new string. */
static json_object *
trimmed(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return json_object_new_string_len(s, (int)n);
}

static int
blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* A number as JSON reads it (json-c keeps the text: "245.80" stays so),
 * else the text itself, which intake then calls not a number. */
static json_object *
number_value(const char *s)
{
	json_object *t = trimmed(s), *n = NULL;
	const char *x = json_object_get_string(t);

	if (strlen(x) <= NUMBER_TEXT_MAX &&
	    hub_json_parse(x, strlen(x), NUMBER_TEXT_MAX, 1, &n) == HUB_JSON_OK &&
	    (json_object_is_type(n, json_type_int) || json_object_is_type(n, json_type_double))) {
		json_object_put(t);
		return n;
	}
	json_object_put(n);
	return t;
}

/* The approvers box: one per line, or separated by commas, semicolons or
 * spaces. */
static json_object *
approver_list(const char *s)
{
	json_object *a = json_object_new_array();
	size_t n;

	while (a != NULL && *s != '\0') {
		s += strspn(s, ",; \t\r\n");
		if ((n = strcspn(s, ",; \t\r\n")) == 0)
			break;
		json_object_array_add(a, json_object_new_string_len(s, (int)n));
		s += n;
	}
	return a;
}

/* The metadata of the chosen type's fields. */
static void
preset_metadata(const struct view *v, const struct form_type *t, json_object *meta)
{
	const struct hub_preset *p = hub_intake_preset_def(t->preset);
	const struct hub_preset_field *f;
	char n[FIELD_NAME_MAX], sn[FIELD_NAME_MAX], en[FIELD_NAME_MAX];
	json_object *r;
	size_t i;

	for (i = 0; p != NULL && i < p->nfields; i++) {
		f = &p->fields[i];
		field_name(n, t->value, f->key, "");
		if (f->type == HUB_META_RANGE) {
			field_name(sn, t->value, f->key, ".start");
			field_name(en, t->value, f->key, ".end");
			if (blank(val(v, sn)) && blank(val(v, en)))
				continue;
			r = json_object_new_object();
			if (!blank(val(v, sn)))
				json_object_object_add(r, "start", trimmed(val(v, sn)));
			if (!blank(val(v, en)))
				json_object_object_add(r, "end", trimmed(val(v, en)));
			json_object_object_add(meta, f->key, r);
		} else if (!blank(val(v, n)))
			json_object_object_add(meta, f->key, f->type == HUB_META_NUMBER ?
			    number_value(val(v, n)) : trimmed(val(v, n)));
	}
}

/* Is label (case aside) the chosen type's field or an earlier row's? */
static int
label_taken(const struct view *v, const struct form_type *t, const char *label, size_t row)
{
	const struct hub_preset *p = hub_intake_preset_def(t != NULL ? t->preset : NULL);
	json_object *a, *b;
	char n[FIELD_NAME_MAX];
	size_t i;
	int same;

	for (i = 0; p != NULL && i < p->nfields; i++)
		if (strcasecmp(label, p->fields[i].key) == 0)
			return 1;
	for (i = 1; i < row; i++) {
		snprintf(n, sizeof(n), "extra_label_%zu", i);
		a = trimmed(val(v, n));
		b = trimmed(label);
		same = strcasecmp(json_object_get_string(a), json_object_get_string(b)) == 0;
		json_object_put(a);
		json_object_put(b);
		if (same)
			return 1;
	}
	return 0;
}

/* The "other details" rows into metadata, with the form's own checks. */
static void
extra_metadata(struct view *v, const struct form_type *t, json_object *meta)
{
	char ln[FIELD_NAME_MAX], vn[FIELD_NAME_MAX];
	json_object *label;
	const char *l;
	size_t i;

	for (i = 1; i <= EXTRA_ROWS; i++) {
		snprintf(ln, sizeof(ln), "extra_label_%zu", i);
		snprintf(vn, sizeof(vn), "extra_value_%zu", i);
		if (blank(val(v, ln)) && blank(val(v, vn)))
			continue;
		label = trimmed(val(v, ln));
		l = json_object_get_string(label);
		if (*l == '\0')
			set_err(v, ln, "Give this detail a name.");
		else if (blank(val(v, vn)))
			set_err(v, ln, "Give this detail a value, or clear its name.");
		else if (strlen(l) > EXTRA_LABEL_MAX || strchr(l, '.') != NULL)
			set_err(v, ln, "A name is at most 50 characters, without dots.");
		else if (label_taken(v, t, l, i))
			set_err(v, ln, "This name is used twice.");
		else
			json_object_object_add(meta, l, trimmed(val(v, vn)));
		json_object_put(label);
	}
}

/* A plain text field into in[key] unless it is blank. */
static void
put_text(json_object *in, const char *key, const char *text)
{
	if (!blank(text))
		json_object_object_add(in, key, trimmed(text));
}

/* Intake's input from the form's values; the form's own problems go to
 * v->errors. */
static int
build_input(struct view *v, struct parsed *p)
{
	json_object *meta;
	const char *q;

	if ((p->in = json_object_new_object()) == NULL || (meta = json_object_new_object()) == NULL)
		return -1;
	if ((p->type = type_named(val(v, "type"))) == NULL)
		set_err(v, "type", "Choose one of the listed types.");
	else if (p->type->value[0] != '\0')
		json_object_object_add(p->in, "request_source", json_object_new_string(p->type->value));
	put_text(p->in, "title", val(v, "title"));
	json_object_object_add(p->in, "justification_text",
	    json_object_new_string(val(v, "justification")));
	if (strlen(val(v, "approvers")) > APPROVERS_TEXT_MAX)
		set_err(v, "approvers", "Too long: name at most 500 approvers.");
	p->approvers = approver_list(val(v, "approvers"));
	json_object_object_add(p->in, "approvers", json_object_get(p->approvers));
	put_text(p->in, "rule", val(v, "rule"));
	q = val(v, "quorum");
	if (strcmp(val(v, "rule"), "quorum") == 0 && !blank(q))
		json_object_object_add(p->in, "quorum", number_value(q));
	put_text(p->in, "deadline", val(v, "deadline"));
	put_text(p->in, "reminder_every", val(v, "reminder"));
	if (p->type != NULL)
		preset_metadata(v, p->type, meta);
	extra_metadata(v, p->type, meta);
	json_object_object_add(p->in, "metadata", meta);
	return 0;
}

/* ------------------------------------------------------------ POST: intake -> form */

/*
 * Intake's messages follow a field's JSON name ("must be a number"); on the
 * page they stand under the field's label.  A few read better said
 * otherwise; the rest get a capital and a full stop.
 */
enum wording_match { W_EXACT, W_LEAD_ALL, W_LEAD };

static const struct wording {
	enum wording_match	 match;
	const char		*from;
	const char		*to;
} wordings[] = {
	{ W_EXACT, "required", "Fill this in." },
	{ W_LEAD_ALL, "required: give approver_id", "Name at least one approver." },
	{ W_EXACT, "must be a non-empty array of approvers", "Name at least one approver." },
	{ W_EXACT, "required when rule is quorum", "Say how many of them must approve." },
	{ W_LEAD, "must be a string of at most ", "Must be at most " },
	{ W_LEAD_ALL, "duplicates ", "Is listed twice." },
	{ W_LEAD_ALL, "must be an ISO-8601 date-time", "Must be a date (YYYY-MM-DD)." },
	{ W_LEAD_ALL, "the requester is this step's only approver",
	    "You cannot be the only approver of your own request: add someone else." },
	{ W_EXACT, "no such group", "One of the groups named does not exist." },
	{ W_LEAD_ALL, "step has no approvers", "The groups named have no members yet." },
	{ W_LEAD_ALL, "quorum larger than",
	    "The quorum is larger than the number of people who can approve." },
};

static void
humane(const char *msg, const char *lead, struct hub_buf *out)
{
	size_t i, n;

	hub_buf_adds(out, lead);
	for (i = 0; i < HUB_NELEM(wordings); i++) {
		n = strlen(wordings[i].from);
		if (wordings[i].match == W_EXACT ? strcmp(msg, wordings[i].from) == 0 :
		    strncmp(msg, wordings[i].from, n) == 0) {
			/* after a lead ("End date: ") the sentence goes on */
			hub_buf_addc(out, lead[0] != '\0' ?
			    (char)tolower((unsigned char)wordings[i].to[0]) : wordings[i].to[0]);
			hub_buf_adds(out, wordings[i].to + 1);
			if (wordings[i].match == W_LEAD)
				hub_buf_printf(out, "%s%s", msg + n,
				    msg[strlen(msg) - 1] == '.' ? "" : ".");
			return;
		}
	}
	if (lead[0] == '\0' && islower((unsigned char)msg[0])) {
		hub_buf_addc(out, (char)toupper((unsigned char)msg[0]));
		msg++;
	}
	hub_buf_printf(out, "%s%s", msg, msg[0] != '\0' && msg[strlen(msg) - 1] == '.' ? "" : ".");
}

/* The form field of metadata key path rest ("amount", "date_range.end"),
 * with a lead for a part of a range. */
static void
metadata_field(const struct view *v, const struct parsed *p, const char *rest,
    char name[FIELD_NAME_MAX], const char **lead)
{
	const struct hub_preset *pr = hub_intake_preset_def(p->type ? p->type->preset : NULL);
	char ln[FIELD_NAME_MAX];
	json_object *label;
	size_t i, k;
	int same;

	for (i = 0; pr != NULL && i < pr->nfields; i++) {
		k = strlen(pr->fields[i].key);
		if (strncmp(rest, pr->fields[i].key, k) != 0 || (rest[k] != '\0' && rest[k] != '.'))
			continue;
		field_name(name, p->type->value, pr->fields[i].key, "");
		*lead = strcmp(rest + k, ".start") == 0 ? "Start date: " :
		    strcmp(rest + k, ".end") == 0 ? "End date: " : "";
		return;
	}
	for (i = 1; i <= EXTRA_ROWS; i++) {
		snprintf(ln, sizeof(ln), "extra_label_%zu", i);
		label = trimmed(val(v, ln));
		same = strcmp(json_object_get_string(label), rest) == 0;
		json_object_put(label);
		if (same) {
			snprintf(name, FIELD_NAME_MAX, "%s", ln);
			return;
		}
	}
}

/* One of intake's problems next to its form field ("" when it has none). */
static void
map_error(struct view *v, const struct parsed *p, const char *field, const char *msg)
{
	struct hub_buf text = HUB_BUF_INIT(MSG_MAX), lead = HUB_BUF_INIT(MSG_MAX);
	char name[FIELD_NAME_MAX] = "";
	const char *lead_s = "";
	json_object *tok;
	size_t i;
	long idx;

	for (i = 0; i < HUB_NELEM(plains); i++)
		if (strcmp(field, plains[i].intake) == 0)
			snprintf(name, sizeof(name), "%s", plains[i].name);
	if (strncmp(field, "approvers[", 10) == 0) {
		snprintf(name, sizeof(name), "approvers");
		idx = strtol(field + 10, NULL, 10);
		if (idx >= 0 && (tok = json_object_array_get_idx(p->approvers, (size_t)idx)) != NULL)
			hub_buf_printf(&lead, "“%s”: ", json_object_get_string(tok));
		lead_s = hub_buf_str(&lead);
	} else if (strncmp(field, "metadata.", 9) == 0)
		metadata_field(v, p, field + 9, name, &lead_s);
	humane(msg, lead_s, &text);
	set_err(v, name, hub_buf_str(&text));
	hub_buf_release(&text);
	hub_buf_release(&lead);
}

static void
map_errors(struct view *v, const struct parsed *p, json_object *errors)
{
	json_object_object_foreach(errors, field, msg)
		map_error(v, p, field, json_object_get_string(msg));
}

/* Every known field of the form, as typed. */
static void
keep_values(struct view *v, const struct hub_form *form)
{
	size_t i;

	for (i = 0; i < form->n; i++)
		if (known_name(form->kv[i].key) &&
		    !json_object_object_get_ex(v->values, form->kv[i].key, NULL))
			set_val(v, form->kv[i].key, form->kv[i].val);
}

/* The outcome of hub_webintake_create as an answer. */
static int
created(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    struct view *v, const struct parsed *p, int rc, struct hub_webintake_result *res)
{
	char path[HUB_ID_LEN + 16];

	switch (rc) {
	case HUB_WEBINTAKE_OK:
		hub_log(HUB_LOG_INFO, "request_created", "request", res->id, "user", s->user.id,
		    "via", "web", "result", res->created ? "created" : "exists", NULL);
		snprintf(path, sizeof(path), "/requests/%s", res->id);
		return hub_page_redirect(app, req, 303, path);
	case HUB_WEBINTAKE_INVALID:
		map_errors(v, p, res->errors);
		return form_page(app, req, s, v, 400);
	case HUB_WEBINTAKE_BADTOKEN:
		return hub_page_error(app, req, 400, "This form is incomplete. Open the form"
		    " again and fill it in.");
	case HUB_WEBINTAKE_DISABLED:
		return hub_page_error(app, req, 403, "Requests from the web form are switched off"
		    " on this hub (its source \"" HUB_WEBINTAKE_SOURCE "\" is disabled). Ask an"
		    " administrator of the hub.");
	case HUB_WEBINTAKE_UNAVAILABLE:
		return hub_app_error(app, req, 503, "the database is unavailable, try again shortly",
		    NULL);
	default:
		hub_log(HUB_LOG_ERROR, "webintake_failed", "error", hub_webintake_strerror(rc),
		    NULL);
		return 500;
	}
}

int
hub_pagereqform_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_webintake_result res;
	struct parsed p = { NULL, NULL, NULL };
	json_object *errors = NULL;
	struct hub_session s;
	struct view v;
	int rc = 500, wrc;

	memset(&res, 0, sizeof(res));
	if (view_init(&v) != 0)
		goto out;
	rc = 0;
	if (hub_page_need(app, req, HUB_ACCESS_REQUEST_CREATE, &s) != 0 ||
	    hub_page_form(app, req, FORM_PAIRS, &form) != 0 ||
	    hub_page_csrf_refused(app, req, &s, &form))
		goto out;
	keep_values(&v, &form);
	/* The form's token is ours: without it the page was not our form. */
	if (!hub_webintake_token_ok(hub_form_get(&form, "token"))) {
		rc = created(app, req, &s, &v, &p, HUB_WEBINTAKE_BADTOKEN, &res);
		goto out;
	}
	snprintf(v.token, sizeof(v.token), "%s", hub_form_get(&form, "token"));
	rc = 500;
	if (build_input(&v, &p) != 0)
		goto out;
	/* The form's own problems: intake's too, but nothing is written. */
	if (json_object_object_length(v.errors) > 0) {
		wrc = hub_webintake_check(&s.user, p.in, &errors);
		if (wrc == HUB_WEBINTAKE_INVALID)
			map_errors(&v, &p, errors);
		rc = wrc == HUB_WEBINTAKE_OK || wrc == HUB_WEBINTAKE_INVALID ?
		    form_page(app, req, &s, &v, 400) : 500;
		goto out;
	}
	wrc = hub_webintake_create(hub_app_db(app), &s.user, p.in, v.token, &res);
	rc = created(app, req, &s, &v, &p, wrc, &res);
out:
	json_object_put(errors);
	json_object_put(res.errors);
	json_object_put(p.in);
	json_object_put(p.approvers);
	hub_form_free(&form);
	view_free(&v);
	return rc;
}
