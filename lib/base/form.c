/*
 * form.c - strict application/x-www-form-urlencoded decoding and RFC 3986
 * percent-encoding.  See form.h for the contract.
 *
 * Why strict: a lenient decoder ("%zz" passed through, "%00" kept) lets two
 * components disagree on what a body says, and lets a NUL cut a C string
 * short after validation.  We refuse the whole input instead.
 */
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/form.h"

static const char *const form_errs[] = {
	[HUB_FORM_OK]      = "ok",
	[HUB_FORM_NOMEM]   = "out of memory",
	[HUB_FORM_BADESC]  = "malformed percent-escape or NUL byte",
	[HUB_FORM_TOOMANY] = "too many fields",
	[HUB_FORM_TOOBIG]  = "input too large",
};

const char *
hub_form_strerror(int e)
{
	if (e < 0 || (size_t)e >= HUB_NELEM(form_errs) || form_errs[e] == NULL)
		return "unknown form error";
	return form_errs[e];
}

static int
buf2form(int rc)
{
	switch (rc) {
	case HUB_BUF_OK:
		return HUB_FORM_OK;
	case HUB_BUF_TOOBIG:
		return HUB_FORM_TOOBIG;
	default:
		return HUB_FORM_NOMEM;
	}
}

int
hub_url_decode(const char *s, size_t len, int plus_is_space, struct hub_buf *out)
{
	size_t i, start, old = out->len;
	int rc = HUB_FORM_OK, hi, lo;
	char c;

	if (len > HUB_FORM_MAX_INPUT)
		return HUB_FORM_TOOBIG;
	for (i = 0; i < len; ) {
		/* Copy runs of plain bytes in one append. */
		start = i;
		while (i < len && s[i] != '%' && s[i] != '\0' &&
		    !(plus_is_space && s[i] == '+'))
			i++;
		if (i > start &&
		    (rc = buf2form(hub_buf_add(out, s + start, i - start))) != 0)
			goto out;
		if (i == len)
			break;
		if (s[i] == '\0') {
			rc = HUB_FORM_BADESC;
			goto out;
		}
		if (s[i] == '+') {
			c = ' ';
			i++;
		} else {
			if (len - i < 3 ||
			    (hi = hub_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hub_hexval((unsigned char)s[i + 2])) < 0 ||
			    (hi | lo) == 0) {
				rc = HUB_FORM_BADESC;
				goto out;
			}
			c = (char)(hi << 4 | lo);
			i += 3;
		}
		if ((rc = buf2form(hub_buf_addc(out, c))) != 0)
			goto out;
	}
out:
	if (rc != HUB_FORM_OK && out->data != NULL) {
		/* Never half-decoded: put the buffer back as it was. */
		out->len = old;
		out->data[old] = '\0';
	}
	return rc;
}

int
hub_url_encode(const char *s, size_t len, struct hub_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, old = out->len;
	unsigned char c;
	char esc[3];
	int rc = HUB_FORM_OK;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			rc = buf2form(hub_buf_addc(out, (char)c));
		} else {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 0xf];
			rc = buf2form(hub_buf_add(out, esc, 3));
		}
		if (rc != HUB_FORM_OK)
			goto out;
	}
out:
	if (rc != HUB_FORM_OK && out->data != NULL) {
		out->len = old;
		out->data[old] = '\0';
	}
	return rc;
}

void
hub_form_free(struct hub_form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->kv[i].key);
		free(f->kv[i].val);
	}
	free(f->kv);
	f->kv = NULL;
	f->n = 0;
}

/* The decoded pair kb=vb as out's next (the array grows to *cap, never
 * past max_pairs); the buffers' bytes are taken. */
static int
form_add(struct hub_form *out, size_t *cap, size_t max_pairs, struct hub_buf *kb,
    struct hub_buf *vb)
{
	struct hub_kv *kv;
	size_t ncap;

	if (out->n >= max_pairs)
		return HUB_FORM_TOOMANY;
	if (out->n == *cap) {
		ncap = *cap ? *cap * 2 : 8;
		if (ncap > max_pairs)
			ncap = max_pairs;
		if ((kv = realloc(out->kv, ncap * sizeof(*kv))) == NULL)
			return HUB_FORM_NOMEM;
		out->kv = kv;
		*cap = ncap;
	}
	kv = &out->kv[out->n];
	kv->vlen = vb->len;
	kv->key = hub_buf_detach(kb, NULL);
	kv->val = hub_buf_detach(vb, NULL);
	if (kv->key == NULL || kv->val == NULL) {
		free(kv->key);
		free(kv->val);
		return HUB_FORM_NOMEM;
	}
	out->n++;
	return HUB_FORM_OK;
}

int
hub_form_parse(const char *s, size_t len, size_t max_pairs, struct hub_form *out)
{
	struct hub_buf kb = HUB_BUF_INIT(HUB_FORM_MAX_INPUT);
	struct hub_buf vb = HUB_BUF_INIT(HUB_FORM_MAX_INPUT);
	const char *p, *pe, *eq;
	size_t i, j, cap = 0;
	int rc = HUB_FORM_OK;

	out->kv = NULL;
	out->n = 0;
	if (len > HUB_FORM_MAX_INPUT)
		return HUB_FORM_TOOBIG;
	if (len > 0 && s == NULL)
		return HUB_FORM_BADESC;

	for (i = 0; i < len; i = j + 1) {
		p = s + i;
		if ((pe = memchr(p, '&', len - i)) == NULL)
			pe = s + len;
		j = (size_t)(pe - s);
		if (pe == p)
			continue;	/* "a=1&&b=2", trailing '&' */
		eq = memchr(p, '=', (size_t)(pe - p));
		hub_buf_reset(&kb);
		hub_buf_reset(&vb);
		if ((rc = hub_url_decode(p, (size_t)((eq ? eq : pe) - p), 1, &kb)) != 0)
			goto out;
		if (eq != NULL &&
		    (rc = hub_url_decode(eq + 1, (size_t)(pe - eq - 1), 1, &vb)) != 0)
			goto out;
		if ((rc = form_add(out, &cap, max_pairs, &kb, &vb)) != HUB_FORM_OK)
			goto out;
	}
out:
	hub_buf_release(&kb);
	hub_buf_release(&vb);
	if (rc != HUB_FORM_OK)
		hub_form_free(out);
	return rc;
}

const char *
hub_form_get(const struct hub_form *f, const char *key)
{
	size_t i;

	if (f == NULL || key == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->kv[i].key, key) == 0)
			return f->kv[i].val;
	return NULL;
}
