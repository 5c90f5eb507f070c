#include <string.h>

#include "base/crypto.h"
#include "store/cursor.h"
#include "base/check.h"

/* A decimal id of at most 18 digits always fits a bigint. */
#define NUMERIC_ID_MAX	18

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
ts_ok(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i;

	if (n != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

static int
id_ok(const char *id, size_t n, enum hub_cursor_kind kind)
{
	size_t i;

	if (n == 0 || n >= HUB_CURSOR_PART)
		return 0;
	if (kind != HUB_CURSOR_NUMERIC)
		return hub_check_uuid(id);
	if (n > NUMERIC_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_digit(id[i]))
			return 0;
	return 1;
}

/* A real as PostgreSQL prints it: 1 to 24 of [0-9.e+-], starting with a
 * digit or '-' (relevance is never NaN; Infinity is only the first page's
 * bound, never in a cursor). */
static int
rank_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 24 || !(is_digit(s[0]) || s[0] == '-'))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && strchr(".e+-", s[i]) == NULL)
			return 0;
	return 1;
}

int
hub_cursor_decode_ranked(const char *c, char rank[HUB_CURSOR_PART],
    char ts[HUB_CURSOR_PART], char id[HUB_CURSOR_PART])
{
	char rest_ts[HUB_CURSOR_PART], rest_id[HUB_CURSOR_PART];
	struct hub_buf b = HUB_BUF_INIT(HUB_CURSOR_MAX), inner = HUB_BUF_INIT(HUB_CURSOR_MAX);
	const char *s, *bar;
	size_t rlen;
	int rc = HUB_CURSOR_INVALID;

	if (c == NULL || strlen(c) > HUB_CURSOR_MAX ||
	    hub_base64_decode(c, strlen(c), 1, &b) != HUB_CRYPTO_OK)
		goto out;
	s = hub_buf_str(&b);
	if (strlen(s) != b.len || (bar = strchr(s, '|')) == NULL)
		goto out;
	rlen = (size_t)(bar - s);
	/* The rest is a plain cursor's text: check it the same way. */
	if (!rank_ok(s, rlen) ||
	    hub_base64_encode(bar + 1, b.len - rlen - 1, 1, &inner) != HUB_CRYPTO_OK ||
	    hub_cursor_decode(hub_buf_str(&inner), HUB_CURSOR_UUID, rest_ts, rest_id) !=
	    HUB_CURSOR_OK)
		goto out;
	memcpy(rank, s, rlen);
	rank[rlen] = '\0';
	memcpy(ts, rest_ts, sizeof(rest_ts));
	memcpy(id, rest_id, sizeof(rest_id));
	rc = HUB_CURSOR_OK;
out:
	hub_buf_release(&b);
	hub_buf_release(&inner);
	return rc;
}

int
hub_cursor_encode_ranked(const char *rank, const char *ts, const char *id,
    struct hub_buf *out)
{
	struct hub_buf raw = HUB_BUF_INIT(HUB_CURSOR_MAX);
	int rc = HUB_CURSOR_NOMEM;

	if (hub_buf_printf(&raw, "%s|%s|%s", rank, ts, id) == HUB_BUF_OK &&
	    hub_base64_encode(raw.data, raw.len, 1, out) == HUB_CRYPTO_OK)
		rc = HUB_CURSOR_OK;
	hub_buf_release(&raw);
	return rc;
}

int
hub_cursor_decode(const char *c, enum hub_cursor_kind kind,
    char ts[HUB_CURSOR_PART], char id[HUB_CURSOR_PART])
{
	struct hub_buf b = HUB_BUF_INIT(HUB_CURSOR_MAX);
	const char *s, *bar;
	size_t tslen, idlen, clen;
	int rc = HUB_CURSOR_INVALID;

	if (c == NULL || (clen = strlen(c)) > HUB_CURSOR_MAX ||
	    hub_base64_decode(c, clen, 1, &b) != HUB_CRYPTO_OK)
		goto out;
	s = hub_buf_str(&b);
	/* A NUL inside the decoded bytes would hide what follows it. */
	if (strlen(s) != b.len || (bar = strchr(s, '|')) == NULL)
		goto out;
	tslen = (size_t)(bar - s);
	idlen = b.len - tslen - 1;
	if (!ts_ok(s, tslen) || !id_ok(bar + 1, idlen, kind))
		goto out;
	memcpy(ts, s, tslen);
	ts[tslen] = '\0';
	memcpy(id, bar + 1, idlen + 1);
	rc = HUB_CURSOR_OK;
out:
	hub_buf_release(&b);
	return rc;
}

int
hub_cursor_encode(const char *ts, const char *id, struct hub_buf *out)
{
	struct hub_buf raw = HUB_BUF_INIT(HUB_CURSOR_MAX);
	int rc = HUB_CURSOR_NOMEM;

	if (hub_buf_printf(&raw, "%s|%s", ts, id) == HUB_BUF_OK &&
	    hub_base64_encode(raw.data, raw.len, 1, out) == HUB_CRYPTO_OK)
		rc = HUB_CURSOR_OK;
	hub_buf_release(&raw);
	return rc;
}

