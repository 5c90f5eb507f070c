/*
 * fuzz_csv.c - libFuzzer target for the CSV writer (base/csv.h).
 *
 * The input is cut into fields at NUL bytes and written as one record.
 * Properties: a strict RFC 4180 reader (below, independent of the writer)
 * reads back exactly one record with the same number of fields; each field
 * is the original, or, for a field that begins with = + - @ tab or CR, the
 * original behind one single quote; no field read back begins with one of
 * those bytes; the record ends in CRLF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"

#define FIELDS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read one field at *p; its bytes into out.  -1 when the text is not
 * RFC 4180. */
static int
read_field(const char **p, const char *end, struct hub_buf *out)
{
	const char *s = *p;

	if (s < end && *s == '"') {
		for (s++;; s++) {
			if (s >= end)
				return -1;
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"') {
					hub_buf_addc(out, '"');
					s++;
					continue;
				}
				s++;
				break;
			}
			hub_buf_addc(out, *s);
		}
	} else {
		for (; s < end && *s != ',' && *s != '\r'; s++) {
			if (*s == '"' || *s == '\n')
				return -1;
			hub_buf_addc(out, *s);
		}
	}
	*p = s;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fields[FIELDS_MAX], *in = (const char *)data, *p, *end;
	struct hub_buf copy = HUB_BUF_INIT(size + 1), row = HUB_BUF_INIT(size * 2 + 4 * FIELDS_MAX + 8);
	struct hub_buf got = HUB_BUF_INIT(size * 2 + 8);
	size_t n = 0, i, len;

	/* NUL-separated fields, as C strings the writer takes. */
	hub_buf_add(&copy, in, size);
	p = copy.data != NULL ? copy.data : "";
	end = p + copy.len;
	while (n < FIELDS_MAX) {
		fields[n++] = p;
		p += strlen(p) + 1;
		if (p > end)
			break;
	}
	if (hub_csv_row(&row, fields, n) != HUB_BUF_OK)
		abort();
	if (row.len < 2 || memcmp(row.data + row.len - 2, "\r\n", 2) != 0)
		abort();
	p = row.data;
	end = row.data + row.len - 2;
	for (i = 0; i < n; i++) {
		hub_buf_reset(&got);
		if (read_field(&p, end, &got) != 0)
			abort();
		len = strlen(fields[i]);
		if (hub_csv_risky(fields[i], len)) {
			if (got.len != len + 1 || got.data[0] != '\'' ||
			    memcmp(got.data + 1, fields[i], len) != 0)
				abort();
		} else if (got.len != len || (len > 0 && memcmp(got.data, fields[i], len) != 0)) {
			abort();
		}
		if (hub_csv_risky(hub_buf_str(&got), got.len))
			abort();
		if (i + 1 < n && (p >= end || *p++ != ','))
			abort();
	}
	if (p != end)
		abort();
	hub_buf_release(&copy);
	hub_buf_release(&row);
	hub_buf_release(&got);
	return 0;
}
