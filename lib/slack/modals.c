#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "slack/blockkit.h"
#include "base/buf.h"
#include "base/check.h"
#include "base/crypto.h"
#include "base/json.h"
#include "slack/modals.h"

#define MODAL_MAC_BYTES		16
#define MODAL_KEY_MAX		200   /* a metadata key offered for editing */
#define MODAL_FIELD_BLOCKS	90    /* leaves room for title and comment */

/* ------------------------------------------------------------ metadata */

/* hex MAC of callback \n request \n assignment \n user. */
static void
metadata_mac(const unsigned char key[32], const char *callback_id,
    const struct hub_modal_ref *ref, const char *user, char hex[2 * MODAL_MAC_BYTES + 1])
{
	unsigned char mac[HUB_SHA256_LEN];
	char ab[HUB_INT64_TEXT_SIZE];
	struct hub_iov iov[7];

	snprintf(ab, sizeof(ab), "%" PRId64, ref->assignment_id);
	iov[0].p = callback_id; iov[0].n = strlen(callback_id);
	iov[1].p = "\n"; iov[1].n = 1;
	iov[2].p = ref->request_id; iov[2].n = strlen(ref->request_id);
	iov[3].p = "\n"; iov[3].n = 1;
	iov[4].p = ab; iov[4].n = strlen(ab);
	iov[5].p = "\n"; iov[5].n = 1;
	iov[6].p = user; iov[6].n = strlen(user);
	/* On failure mac holds random bytes: verification fails closed. */
	(void)hub_hmac_sha256_iov(key, 32, iov, HUB_NELEM(iov), mac);
	hub_hex_encode(mac, MODAL_MAC_BYTES, hex);
}

int
hub_modal_metadata(const unsigned char key[32], const char *callback_id,
    const struct hub_modal_ref *ref, const char *user_id, struct hub_buf *out)
{
	char hex[2 * MODAL_MAC_BYTES + 1];

	if (key == NULL || callback_id == NULL || ref == NULL || user_id == NULL ||
	    !hub_check_uuid(ref->request_id) || ref->assignment_id < 0)
		return HUB_MODAL_INVALID;
	metadata_mac(key, callback_id, ref, user_id, hex);
	/* Every part is a uuid, a number or hex: nothing to escape. */
	if (hub_buf_printf(out, "{\"r\":\"%s\",\"a\":%" PRId64 ",\"m\":\"%s\"}",
	    ref->request_id, ref->assignment_id, hex) != HUB_BUF_OK)
		return HUB_MODAL_NOMEM;
	return HUB_MODAL_OK;
}

int
hub_modal_metadata_verify(const unsigned char key[32], const char *callback_id,
    const char *md, const char *user_id, struct hub_modal_ref *ref)
{
	json_object *o = NULL;
	const char *r, *m;
	int64_t a;
	char hex[2 * MODAL_MAC_BYTES + 1];
	struct hub_modal_ref got;
	int rc = HUB_MODAL_INVALID;

	if (key == NULL || callback_id == NULL || md == NULL || user_id == NULL || ref == NULL)
		goto out;
	if (hub_json_parse_object(md, strlen(md), HUB_BK_MAX_METADATA, 4, &o) != HUB_JSON_OK ||
	    hub_json_get_string(o, "r", 36, &r) != HUB_JSON_OK || !hub_check_uuid(r) ||
	    hub_json_get_int64(o, "a", 0, INT64_MAX, &a) != HUB_JSON_OK ||
	    hub_json_get_string(o, "m", 2 * MODAL_MAC_BYTES, &m) != HUB_JSON_OK ||
	    strlen(m) != 2 * MODAL_MAC_BYTES)
		goto out;
	memset(&got, 0, sizeof(got));
	memcpy(got.request_id, r, 37);
	got.assignment_id = a;
	metadata_mac(key, callback_id, &got, user_id, hex);
	if (!hub_ct_equal(hex, m, 2 * MODAL_MAC_BYTES)) {
		rc = HUB_MODAL_BADMAC;
		goto out;
	}
	*ref = got;
	rc = HUB_MODAL_OK;
out:
	json_object_put(o);
	return rc;
}

/* ------------------------------------------------------------ views */

static int
bkerr(int rc)
{
	return rc == HUB_BK_NOMEM ? HUB_MODAL_NOMEM : HUB_MODAL_BLOCKKIT;
}

/* "*Title*\nFrom Requester" as a section; text escaped. */
static int
add_summary(struct hub_bk_blocks *blocks, const struct hub_modal_request *mr)
{
	struct hub_buf t = HUB_BUF_INIT(8192);
	json_object *sec = NULL;
	int rc = HUB_MODAL_NOMEM;

	if (hub_buf_adds(&t, "*") != HUB_BUF_OK ||
	    hub_mrkdwn_escape(&t, mr->title != NULL && *mr->title != '\0' ?
	    mr->title : "Approval request") != HUB_BK_OK ||
	    hub_buf_adds(&t, "*") != HUB_BUF_OK)
		goto out;
	if (mr->requester != NULL && *mr->requester != '\0' &&
	    (hub_buf_adds(&t, "\nFrom ") != HUB_BUF_OK ||
	    hub_mrkdwn_escape(&t, mr->requester) != HUB_BK_OK))
		goto out;
	if ((rc = hub_bk_section("summary", hub_buf_str(&t), &sec)) != HUB_BK_OK ||
	    (rc = hub_bk_blocks_add(blocks, sec)) != HUB_BK_OK) {
		rc = bkerr(rc);
		goto out;
	}
	sec = NULL;
	rc = HUB_MODAL_OK;
out:
	json_object_put(sec);
	hub_buf_release(&t);
	return rc;
}

/* An input block around a plain_text_input. */
static int
add_text_input(struct hub_bk_blocks *blocks, const char *block_id, const char *action_id,
    const char *label, const char *initial, int multiline, int optional)
{
	struct hub_bk_text_input ti;
	struct hub_bk_input in;
	json_object *el = NULL, *blk = NULL;
	int rc;

	memset(&ti, 0, sizeof(ti));
	ti.action_id = action_id;
	ti.initial_value = initial != NULL && *initial != '\0' ? initial : NULL;
	ti.multiline = multiline;
	ti.max_length = HUB_MODAL_TEXT_MAX;
	memset(&in, 0, sizeof(in));
	in.block_id = block_id;
	in.label = label;
	in.optional = optional;
	if ((rc = hub_bk_text_input(&ti, &el)) != HUB_BK_OK)
		goto out;
	if ((rc = hub_bk_input(&in, el, &blk)) != HUB_BK_OK)
		goto out;
	el = NULL;
	if ((rc = hub_bk_blocks_add(blocks, blk)) != HUB_BK_OK)
		goto out;
	blk = NULL;
out:
	json_object_put(el);
	json_object_put(blk);
	return rc == HUB_BK_OK ? HUB_MODAL_OK : bkerr(rc);
}

static int
finish_modal(const char *callback_id, const char *title, const char *submit,
    const char *md, struct hub_bk_blocks *blocks, json_object **view)
{
	struct hub_bk_modal m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.callback_id = callback_id;
	m.title = title;
	m.submit = submit;
	m.close = "Cancel";
	m.private_metadata = md;
	rc = hub_bk_modal(&m, blocks, view);
	return rc == HUB_BK_OK ? HUB_MODAL_OK : bkerr(rc);
}

int
hub_modal_reject(const struct hub_modal_request *mr, const char *md, json_object **view)
{
	struct hub_bk_blocks blocks;
	int rc;

	if (mr == NULL || md == NULL || view == NULL)
		return HUB_MODAL_INVALID;
	if (hub_bk_blocks_init(&blocks, HUB_BK_MODAL) != HUB_BK_OK)
		return HUB_MODAL_NOMEM;
	if ((rc = add_summary(&blocks, mr)) != HUB_MODAL_OK)
		goto out;
	if ((rc = add_text_input(&blocks, HUB_MODAL_REASON_BLOCK, HUB_MODAL_REASON_ACTION,
	    mr->reason_required ? "Reason (required)" : "Reason", NULL, 1,
	    !mr->reason_required)) != HUB_MODAL_OK)
		goto out;
	rc = finish_modal(HUB_MODAL_REJECT, "Reject request", "Reject", md, &blocks, view);
out:
	hub_bk_blocks_release(&blocks);
	return rc;
}

/* Can this metadata value be edited as text?  Absent counts (text). */
static int
editable_type(json_object *v)
{
	return v == NULL || json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_boolean);
}

static json_object *
meta_get(const struct hub_modal_request *mr, const char *key)
{
	json_object *v = NULL;

	if (mr->metadata == NULL || !json_object_object_get_ex(mr->metadata, key, &v))
		return NULL;
	return v;
}

/* The keys an edit modal offers, in editable_fields order. */
static int
offered(const struct hub_modal_request *mr, size_t i, const char **key)
{
	json_object *f = json_object_array_get_idx(mr->editable, i);
	const char *k;

	if (!json_object_is_type(f, json_type_string))
		return 0;
	k = json_object_get_string(f);
	if (*k == '\0' || strlen(k) > MODAL_KEY_MAX || !editable_type(meta_get(mr, k)))
		return 0;
	*key = k;
	return 1;
}

/* "trip_dates" -> "Trip dates". */
static int
humanize(const char *key, struct hub_buf *out)
{
	size_t i;
	char c;

	for (i = 0; key[i] != '\0'; i++) {
		c = key[i] == '_' ? ' ' : key[i];
		if (i == 0 && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (hub_buf_addc(out, c) != HUB_BUF_OK)
			return -1;
	}
	return 0;
}

static const char *
value_text(json_object *v)
{
	if (v == NULL || json_object_is_type(v, json_type_null))
		return "";
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "yes" : "no";
	return json_object_get_string(v);
}

int
hub_modal_edit(const struct hub_modal_request *mr, const char *md, json_object **view)
{
	struct hub_bk_blocks blocks;
	struct hub_buf bid = HUB_BUF_INIT(256), label = HUB_BUF_INIT(512);
	const char *key;
	size_t i, n = 0, len;
	int rc;

	if (mr == NULL || md == NULL || view == NULL)
		return HUB_MODAL_INVALID;
	if (hub_bk_blocks_init(&blocks, HUB_BK_MODAL) != HUB_BK_OK)
		return HUB_MODAL_NOMEM;
	if ((rc = add_summary(&blocks, mr)) != HUB_MODAL_OK)
		goto out;
	len = json_object_is_type(mr->editable, json_type_array) ?
	    json_object_array_length(mr->editable) : 0;
	for (i = 0; i < len && n < MODAL_FIELD_BLOCKS; i++) {
		if (!offered(mr, i, &key))
			continue;
		hub_buf_reset(&bid);
		hub_buf_reset(&label);
		rc = HUB_MODAL_NOMEM;
		if (hub_buf_printf(&bid, "%s%s", HUB_MODAL_EDIT_PREFIX, key) != HUB_BUF_OK ||
		    humanize(key, &label) != 0)
			goto out;
		if ((rc = add_text_input(&blocks, hub_buf_str(&bid), HUB_MODAL_EDIT_ACTION,
		    hub_buf_str(&label), value_text(meta_get(mr, key)), 0, 1)) != HUB_MODAL_OK)
			goto out;
		n++;
	}
	if (n == 0) {
		rc = HUB_MODAL_FIELDS;
		goto out;
	}
	if ((rc = add_text_input(&blocks, HUB_MODAL_COMMENT_BLOCK, HUB_MODAL_COMMENT_ACTION,
	    "Comment", NULL, 1, 1)) != HUB_MODAL_OK)
		goto out;
	rc = finish_modal(HUB_MODAL_EDIT, "Edit and approve", "Approve", md, &blocks, view);
out:
	hub_buf_release(&bid);
	hub_buf_release(&label);
	hub_bk_blocks_release(&blocks);
	return rc;
}

/* ------------------------------------------------------------ submission */

int
hub_modal_value(json_object *view, const char *block_id, const char *action_id,
    const char **out)
{
	json_object *state, *values, *blk, *act;
	const char *s = NULL;
	int rc;

	*out = NULL;
	if (hub_json_get_object(view, "state", &state) != HUB_JSON_OK ||
	    hub_json_get_object(state, "values", &values) != HUB_JSON_OK)
		return HUB_MODAL_INVALID;
	/* An input Slack did not send is an input left empty. */
	if ((rc = hub_json_get_object(values, block_id, &blk)) == HUB_JSON_MISSING)
		return HUB_MODAL_OK;
	if (rc != HUB_JSON_OK)
		return HUB_MODAL_INVALID;
	if ((rc = hub_json_get_object(blk, action_id, &act)) == HUB_JSON_MISSING)
		return HUB_MODAL_OK;
	if (rc != HUB_JSON_OK)
		return HUB_MODAL_INVALID;
	rc = hub_json_get_string(act, "value", HUB_MODAL_TEXT_MAX * 4, &s);
	if (rc == HUB_JSON_MISSING)
		return HUB_MODAL_OK;
	if (rc != HUB_JSON_OK)
		return HUB_MODAL_INVALID;
	*out = s;
	return HUB_MODAL_OK;
}

/* Strict decimal: [-+]digits[.digits][e[-+]digits], nothing else. */
static json_object *
parse_number(const char *s)
{
	const char *p = s;
	char *end;
	long long ll;
	double d;
	int frac = 0, digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' || *p == 'e' || *p == 'E' ||
		    ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
			frac = 1;
		else
			return NULL;
	}
	if (digits == 0)
		return NULL;
	errno = 0;
	if (!frac) {
		ll = strtoll(s, &end, 10);
		if (errno == 0 && end != s && *end == '\0')
			return json_object_new_int64(ll);
		errno = 0;
	}
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(d))
		return NULL;
	return json_object_new_double(d);
}

static json_object *
parse_bool(const char *s)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0)
		return json_object_new_boolean(1);
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0)
		return json_object_new_boolean(0);
	return NULL;
}

/* Trimmed copy of s in buf. */
static const char *
trim(const char *s, struct hub_buf *buf)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
	    s[n - 1] == '\r'))
		n--;
	hub_buf_reset(buf);
	if (hub_buf_add(buf, s, n) != HUB_BUF_OK)
		return NULL;
	return hub_buf_str(buf);
}

/* One offered field of the Edit modal: its value typed like the current
 * one into out when it changed, or why it cannot be into errs (under
 * its block id); an empty input leaves the field as it is. */
static int
edit_one(json_object *view, const struct hub_modal_request *mr, const char *key,
    struct hub_buf *bid, struct hub_buf *tb, json_object *out, json_object *errs)
{
	json_object *cur, *nv = NULL;
	const char *raw, *t, *msg = NULL;
	int rc;

	hub_buf_reset(bid);
	if (hub_buf_printf(bid, "%s%s", HUB_MODAL_EDIT_PREFIX, key) != HUB_BUF_OK)
		return HUB_MODAL_NOMEM;
	if ((rc = hub_modal_value(view, hub_buf_str(bid), HUB_MODAL_EDIT_ACTION, &raw)) !=
	    HUB_MODAL_OK)
		return rc;
	if (raw == NULL || (t = trim(raw, tb)) == NULL || *t == '\0')
		return HUB_MODAL_OK;
	cur = meta_get(mr, key);
	if (json_object_is_type(cur, json_type_int) ||
	    json_object_is_type(cur, json_type_double)) {
		if ((nv = parse_number(t)) == NULL)
			msg = "Must be a number";
	} else if (json_object_is_type(cur, json_type_boolean)) {
		if ((nv = parse_bool(t)) == NULL)
			msg = "Must be yes or no";
	} else if ((nv = json_object_new_string(t)) == NULL)
		return HUB_MODAL_NOMEM;
	if (msg != NULL)
		return json_object_object_add(errs, hub_buf_str(bid),
		    json_object_new_string(msg)) != 0 ? HUB_MODAL_NOMEM : HUB_MODAL_OK;
	if (cur != NULL && json_object_equal(cur, nv)) {
		json_object_put(nv);
		return HUB_MODAL_OK;
	}
	if (json_object_object_add(out, key, nv) != 0) {
		json_object_put(nv);
		return HUB_MODAL_NOMEM;
	}
	return HUB_MODAL_OK;
}

int
hub_modal_edit_values(json_object *view, const struct hub_modal_request *mr,
    json_object **edits, json_object **errors)
{
	struct hub_buf bid = HUB_BUF_INIT(256), tb = HUB_BUF_INIT(HUB_MODAL_TEXT_MAX * 4);
	json_object *out = NULL, *errs = NULL;
	const char *key;
	size_t i, len;
	int rc;

	*edits = NULL;
	*errors = NULL;
	if (view == NULL || mr == NULL)
		return HUB_MODAL_INVALID;
	rc = HUB_MODAL_NOMEM;
	if ((out = json_object_new_object()) == NULL || (errs = json_object_new_object()) == NULL)
		goto out;
	len = json_object_is_type(mr->editable, json_type_array) ?
	    json_object_array_length(mr->editable) : 0;
	for (i = 0; i < len; i++)
		if (offered(mr, i, &key) &&
		    (rc = edit_one(view, mr, key, &bid, &tb, out, errs)) != HUB_MODAL_OK)
			goto out;
	if (json_object_object_length(errs) > 0) {
		*errors = errs;
		errs = NULL;
		rc = HUB_MODAL_FIELDS;
		goto out;
	}
	if (json_object_object_length(out) > 0) {
		*edits = out;
		out = NULL;
	}
	rc = HUB_MODAL_OK;
out:
	json_object_put(out);
	json_object_put(errs);
	hub_buf_release(&bid);
	hub_buf_release(&tb);
	return rc;
}

const char *
hub_modal_strerror(int e)
{
	static const char *const s[] = {
		[HUB_MODAL_OK] = "ok",
		[HUB_MODAL_NOMEM] = "out of memory",
		[HUB_MODAL_INVALID] = "malformed view",
		[HUB_MODAL_BADMAC] = "private_metadata does not verify",
		[HUB_MODAL_FIELDS] = "invalid input",
		[HUB_MODAL_BLOCKKIT] = "view breaks a Block Kit limit",
	};

	if (e < 0 || (size_t)e >= HUB_NELEM(s) || s[e] == NULL)
		return "unknown error";
	return s[e];
}
