/*
 * metadisplay.c - a request's metadata as people read it (metadisplay.h):
 * labels, grouped numbers, money with its currency, date ranges, links.
 * Moved out of intake.c, which checks metadata; both read the presets
 * intake.h declares.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "approval/intake.h"
#include "approval/metadisplay.h"

static int
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

/* Group the integer digits of a "%.Nf"-formatted number with commas. */
static void
group_digits(const char *num, char *dst, size_t size)
{
	size_t i = 0, j = 0, ndig, k;

	if (num[0] == '-' && j + 1 < size)
		dst[j++] = num[i++];
	for (ndig = 0; isdigit((unsigned char)num[i + ndig]); ndig++)
		;
	for (k = 0; k < ndig && j + 2 < size; k++) {
		if (k > 0 && (ndig - k) % 3 == 0)
			dst[j++] = ',';
		dst[j++] = num[i + k];
	}
	for (i += ndig; num[i] != '\0' && j + 1 < size; i++)
		dst[j++] = num[i];
	dst[j] = '\0';
}

/*
 * Display form of a number: money "1,234.50" (two decimals), otherwise
 * at most two decimals without trailing zeros ("2.5", "15").
 */
HUB_STATIC void
metadisplay_format_number(double v, int money, char *dst, size_t size)
{
	char raw[64];
	size_t n;
	int w;

	w = snprintf(raw, sizeof(raw), "%.2f", v);
	if (w < 0 || (size_t)w >= 40) {	/* absurdly large: no grouping */
		snprintf(dst, size, "%.6g", v);
		return;
	}
	if (!money && strchr(raw, '.') != NULL) {
		n = strlen(raw);
		while (raw[n - 1] == '0')
			raw[--n] = '\0';
		if (raw[n - 1] == '.')
			raw[--n] = '\0';
	}
	if (strcmp(raw, "-0") == 0 || strcmp(raw, "-0.00") == 0)
		memmove(raw, raw + 1, strlen(raw));
	group_digits(raw, dst, size);
}

/* "trip_dates" -> "Trip dates", "dealValue" -> "Deal value". */
static int
humanize(const char *key, struct hub_buf *b)
{
	size_t i;
	char c, prev = 0;
	int rc = HUB_BUF_OK;

	for (i = 0; key[i] != '\0' && rc == HUB_BUF_OK; prev = key[i++]) {
		c = key[i];
		if (c == '_' || c == '-')
			c = ' ';
		else if (isupper((unsigned char)c) && islower((unsigned char)prev)) {
			if ((rc = hub_buf_addc(b, ' ')) != HUB_BUF_OK)
				break;
			c = (char)tolower((unsigned char)c);
		}
		if (b->len == 0)
			c = (char)toupper((unsigned char)c);
		rc = hub_buf_addc(b, c);
	}
	return rc == HUB_BUF_OK ? HUB_INTAKE_OK : HUB_INTAKE_NOMEM;
}

/* Any JSON value as display text: strings as given, booleans Yes/No,
 * arrays of scalars joined with ", ", anything else as compact JSON. */
static int
display_value(json_object *v, struct hub_buf *b)
{
	json_object *el;
	size_t i, n;
	int rc = HUB_BUF_OK;

	switch (json_object_get_type(v)) {
	case json_type_string:
		rc = hub_buf_add(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		break;
	case json_type_boolean:
		rc = hub_buf_adds(b, json_object_get_boolean(v) ? "Yes" : "No");
		break;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n && rc == HUB_BUF_OK; i++) {
			el = json_object_array_get_idx(v, i);
			if (json_object_is_type(el, json_type_object) ||
			    json_object_is_type(el, json_type_array)) {
				hub_buf_reset(b);
				rc = hub_buf_adds(b, hub_json_str(v, NULL));
				break;
			}
			if (i > 0)
				rc = hub_buf_adds(b, ", ");
			if (rc == HUB_BUF_OK)
				rc = display_value(el, b) == HUB_INTAKE_OK ? HUB_BUF_OK :
				    HUB_BUF_NOMEM;
		}
		break;
	default:
		rc = hub_buf_adds(b, v == NULL ? "" : hub_json_str(v, NULL));
		break;
	}
	return rc == HUB_BUF_OK ? HUB_INTAKE_OK : HUB_INTAKE_NOMEM;
}

static int
add_row(json_object *arr, const char *label, const char *value, const char *url)
{
	json_object *row;

	if ((row = json_object_new_object()) == NULL)
		return HUB_INTAKE_NOMEM;
	if (hub_json_put_str(row, "label", label) != HUB_JSON_OK ||
	    hub_json_put_str(row, "value", value) != HUB_JSON_OK ||
	    (url != NULL && hub_json_put_str(row, "url", url) != HUB_JSON_OK)) {
		json_object_put(row);
		return HUB_INTAKE_NOMEM;
	}
	return hub_json_push(arr, row) == HUB_JSON_OK ? HUB_INTAKE_OK : HUB_INTAKE_NOMEM;
}

/* A typed preset field in its display form; 0 when v does not have the
 * field's type (then it is shown like any other key). */
static int
typed_display(const struct hub_preset_field *f, json_object *v, json_object *meta,
    struct hub_buf *b, int *ok)
{
	json_object *cur, *s, *e;
	char num[96];
	int rc = HUB_BUF_OK;

	*ok = 0;
	if (f->show == HUB_SHOW_MONEY || f->show == HUB_SHOW_NUMBER || f->show == HUB_SHOW_PERCENT) {
		if (!is_number(v) || !isfinite(json_object_get_double(v)))
			return HUB_INTAKE_OK;
		metadisplay_format_number(json_object_get_double(v), f->show == HUB_SHOW_MONEY,
		    num, sizeof(num));
		rc = hub_buf_adds(b, num);
		cur = json_object_object_get(meta, "currency");
		if (rc == HUB_BUF_OK && f->show == HUB_SHOW_MONEY && cur != NULL &&
		    json_object_is_type(cur, json_type_string) &&
		    hub_intake_is_currency(json_object_get_string(cur)))
			rc = hub_buf_printf(b, " %s", json_object_get_string(cur));
		if (rc == HUB_BUF_OK && f->show == HUB_SHOW_PERCENT)
			rc = hub_buf_addc(b, '%');
	} else if ((f->type == HUB_META_RANGE || f->type == HUB_META_DATES) &&
	    json_object_is_type(v, json_type_object)) {
		s = json_object_object_get(v, "start");
		e = json_object_object_get(v, "end");
		if (s == NULL || e == NULL || !json_object_is_type(s, json_type_string) ||
		    !json_object_is_type(e, json_type_string))
			return HUB_INTAKE_OK;
		rc = hub_buf_printf(b, "%s to %s", json_object_get_string(s),
		    json_object_get_string(e));
	} else
		return HUB_INTAKE_OK;
	if (rc != HUB_BUF_OK)
		return HUB_INTAKE_NOMEM;
	*ok = 1;
	return HUB_INTAKE_OK;
}

/* Is currency shown as part of a money field of p present in meta? */
static int
currency_merged(const struct hub_preset *p, json_object *meta)
{
	json_object *v;
	size_t i;

	for (i = 0; p != NULL && i < p->nfields; i++)
		if (p->fields[i].show == HUB_SHOW_MONEY &&
		    (v = json_object_object_get(meta, p->fields[i].key)) != NULL && is_number(v))
			return 1;
	return 0;
}

static const struct hub_preset_field *
pfield_of(const struct hub_preset *p, const char *key)
{
	size_t i;

	for (i = 0; p != NULL && i < p->nfields; i++)
		if (strcmp(p->fields[i].key, key) == 0)
			return &p->fields[i];
	return NULL;
}

static int
one_row(json_object *arr, const struct hub_preset_field *f, const char *key, json_object *v,
    json_object *meta, struct hub_buf *label, struct hub_buf *value)
{
	const char *url = NULL;
	int ok = 0, rc;

	hub_buf_reset(label);
	hub_buf_reset(value);
	if (f != NULL)
		rc = hub_buf_adds(label, f->label) == HUB_BUF_OK ? HUB_INTAKE_OK :
		    HUB_INTAKE_NOMEM;
	else
		rc = humanize(key, label);
	if (rc == HUB_INTAKE_OK && f != NULL)
		rc = typed_display(f, v, meta, value, &ok);
	if (rc == HUB_INTAKE_OK && !ok)
		rc = display_value(v, value);
	if (rc != HUB_INTAKE_OK)
		return rc;
	if (json_object_is_type(v, json_type_string) && hub_intake_is_url(hub_buf_str(value)))
		url = hub_buf_str(value);
	return add_row(arr, hub_buf_str(label), hub_buf_str(value), url);
}

int
hub_metadisplay_fields(const char *preset, json_object *metadata, json_object **fields_out)
{
	const struct hub_preset *p = hub_intake_preset_def(preset);
	struct hub_buf label = HUB_BUF_INIT(4096), value = HUB_BUF_INIT(2 * HUB_INTAKE_META_MAX);
	json_object *arr, *v;
	size_t i;
	int rc = HUB_INTAKE_OK, merged;

	*fields_out = NULL;
	if (metadata != NULL && !json_object_is_type(metadata, json_type_object))
		return HUB_INTAKE_INVALID;
	if ((arr = json_object_new_array()) == NULL)
		return HUB_INTAKE_NOMEM;
	merged = currency_merged(p, metadata);
	/* The preset's fields first, in the table's order... */
	for (i = 0; p != NULL && i < p->nfields && rc == HUB_INTAKE_OK; i++) {
		if ((v = json_object_object_get(metadata, p->fields[i].key)) == NULL)
			continue;
		if (merged && strcmp(p->fields[i].key, "currency") == 0)
			continue;
		rc = one_row(arr, &p->fields[i], p->fields[i].key, v, metadata, &label, &value);
	}
	/* ...then every other key in the order it was sent; nulls are skipped. */
	if (metadata != NULL && rc == HUB_INTAKE_OK) {
		json_object_object_foreach(metadata, key, val) {
			if (val == NULL || pfield_of(p, key) != NULL)
				continue;
			if ((rc = one_row(arr, NULL, key, val, metadata, &label, &value)) !=
			    HUB_INTAKE_OK)
				break;
		}
	}
	hub_buf_release(&label);
	hub_buf_release(&value);
	if (rc != HUB_INTAKE_OK) {
		json_object_put(arr);
		return rc;
	}
	*fields_out = arr;
	return HUB_INTAKE_OK;
}
