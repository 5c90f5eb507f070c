/*
 * esc.c - the escaping writers (see esc.h).
 */
#include <string.h>

#include "base/esc.h"
#include "base/utf8.h"

/* The entity for c in lang, NULL when c goes out as itself. */
static const char *
entity(enum hub_esc_lang lang, char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return lang == HUB_ESC_HTML ? "&quot;" : NULL;
	case '\'': return lang == HUB_ESC_HTML ? "&#39;" : NULL;
	default: return NULL;
	}
}

static void
rollback(struct hub_buf *b, size_t len)
{
	if (b->data != NULL) {
		b->len = len;
		b->data[len] = '\0';
	}
}

int
hub_esc(struct hub_buf *out, enum hub_esc_lang lang, const char *s,
    size_t len)
{
	size_t start = out->len, i, run = 0;
	const char *ent;
	int rc = HUB_BUF_OK;

	for (i = 0; i < len; i++) {
		if ((ent = entity(lang, s[i])) == NULL)
			continue;
		if ((rc = hub_buf_add(out, s + run, i - run)) != HUB_BUF_OK ||
		    (rc = hub_buf_adds(out, ent)) != HUB_BUF_OK)
			goto out;
		run = i + 1;
	}
	rc = hub_buf_add(out, s + run, len - run);
out:
	if (rc != HUB_BUF_OK)
		rollback(out, start);
	return rc;
}

int
hub_esc_html(struct hub_buf *out, const char *s, size_t len)
{
	return hub_esc(out, HUB_ESC_HTML, s, len);
}

int
hub_esc_mrkdwn(struct hub_buf *out, const char *s, size_t len)
{
	return hub_esc(out, HUB_ESC_MRKDWN, s, len);
}

int
hub_esc_budget(struct hub_buf *out, enum hub_esc_lang lang, const char *s,
    size_t len, size_t *room, int *cut)
{
	size_t start = out->len, left = *room, i, ulen, ucps;
	const char *ent;
	int rc;

	if (cut != NULL)
		*cut = 0;
	for (i = 0; i < len; i += ulen) {
		if ((ent = entity(lang, s[i])) != NULL)
			ulen = 1, ucps = strlen(ent);
		else {
			if ((ulen = hub_utf8_seq(s + i, len - i, NULL)) == 0)
				ulen = 1;
			ucps = 1;
		}
		if (ucps > left) {
			if (cut != NULL)
				*cut = 1;
			break;
		}
		rc = ent != NULL ? hub_buf_adds(out, ent) :
		    hub_buf_add(out, s + i, ulen);
		if (rc != HUB_BUF_OK) {
			rollback(out, start);
			return rc;
		}
		left -= ucps;
	}
	*room = left;
	return HUB_BUF_OK;
}
