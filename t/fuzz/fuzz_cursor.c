/*
 * fuzz_cursor.c - libFuzzer target for hub_cursor_decode (cursor.h), the
 * parser of the ?cursor= every listing accepts from clients.
 *
 * The first byte picks the id kind (uuid or numeric) and whether the rest
 * is taken as an encoded cursor or as a raw "ts|id" pair.
 * Properties:
 * - decode never crashes, and what it accepts has a 27-byte timestamp
 *   and a 1..39 byte id that decode(encode(ts, id)) gives back unchanged;
 * - for a raw pair, encode then decode accepts it exactly when an
 *   independent check here says it is valid, and round-trips it;
 * - a ranked (search) cursor that decodes has a rank of 1..24 bytes of
 *   [0-9.e+-] and round-trips through encode_ranked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hex(char c)
{
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The reference: what a valid (ts, id) is, written apart from cursor.c. */
static int
valid_pair(const char *ts, const char *id, enum hub_cursor_kind kind)
{
	static const char tshape[] = "0000-00-00T00:00:00.000000Z";
	size_t i, n = strlen(id);

	if (strlen(ts) != sizeof(tshape) - 1)
		return 0;
	for (i = 0; tshape[i] != '\0'; i++)
		if (tshape[i] == '0' ? !digit(ts[i]) : ts[i] != tshape[i])
			return 0;
	if (kind == HUB_CURSOR_NUMERIC) {
		if (n == 0 || n > 18)
			return 0;
		for (i = 0; i < n; i++)
			if (!digit(id[i]))
				return 0;
		return 1;
	}
	if (n != 36)
		return 0;
	for (i = 0; i < n; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? id[i] != '-' : !hex(id[i]))
			return 0;
	return 1;
}

static void
round_trip(const char *ts, const char *id, enum hub_cursor_kind kind, int must)
{
	struct hub_buf enc = HUB_BUF_INIT(4 * HUB_CURSOR_MAX);
	char ts2[HUB_CURSOR_PART], id2[HUB_CURSOR_PART];
	int rc;

	if (hub_cursor_encode(ts, id, &enc) != HUB_CURSOR_OK) {
		/* Only a pair too long for a cursor may fail to encode. */
		if (must || strlen(ts) + strlen(id) + 1 <= HUB_CURSOR_MAX)
			abort();
		goto out;
	}
	rc = hub_cursor_decode(hub_buf_str(&enc), kind, ts2, id2);
	if ((rc == HUB_CURSOR_OK) != (must || valid_pair(ts, id, kind)))
		abort();
	if (rc == HUB_CURSOR_OK && (strcmp(ts, ts2) != 0 || strcmp(id, id2) != 0))
		abort();
out:
	hub_buf_release(&enc);
}

static void
ranked(const char *s)
{
	char rank[HUB_CURSOR_PART], ts[HUB_CURSOR_PART], id[HUB_CURSOR_PART];
	char rank2[HUB_CURSOR_PART], ts2[HUB_CURSOR_PART], id2[HUB_CURSOR_PART];
	struct hub_buf enc = HUB_BUF_INIT(4 * HUB_CURSOR_MAX);
	size_t i, n;

	if (hub_cursor_decode_ranked(s, rank, ts, id) != HUB_CURSOR_OK)
		return;
	n = strlen(rank);
	if (n == 0 || n > 24 || !valid_pair(ts, id, HUB_CURSOR_UUID))
		abort();
	for (i = 0; i < n; i++)
		if (!digit(rank[i]) && strchr(".e+-", rank[i]) == NULL)
			abort();
	if (hub_cursor_encode_ranked(rank, ts, id, &enc) != HUB_CURSOR_OK ||
	    hub_cursor_decode_ranked(hub_buf_str(&enc), rank2, ts2, id2) != HUB_CURSOR_OK ||
	    strcmp(rank, rank2) != 0 || strcmp(ts, ts2) != 0 || strcmp(id, id2) != 0)
		abort();
	hub_buf_release(&enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum hub_cursor_kind kind;
	char ts[HUB_CURSOR_PART], id[HUB_CURSOR_PART], *s, *bar;
	size_t n;
	int raw;

	if (size == 0)
		return 0;
	kind = data[0] & 1 ? HUB_CURSOR_NUMERIC : HUB_CURSOR_UUID;
	raw = (data[0] & 2) != 0;
	n = size - 1;
	if ((s = malloc(n + 1)) == NULL)
		return 0;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	if (raw) {
		/* A pair with a NUL or without a bar is no pair. */
		if (strlen(s) == n && (bar = strchr(s, '|')) != NULL &&
		    (size_t)(bar - s) < HUB_CURSOR_PART && strlen(bar + 1) < HUB_CURSOR_PART) {
			*bar = '\0';
			round_trip(s, bar + 1, kind, 0);
		}
	} else if (data[0] & 4) {
		ranked(s);
	} else if (hub_cursor_decode(s, kind, ts, id) == HUB_CURSOR_OK) {
		if (strlen(ts) != 27 || strlen(id) == 0 || strlen(id) >= HUB_CURSOR_PART)
			abort();
		round_trip(ts, id, kind, 1);
	}
	free(s);
	return 0;
}
