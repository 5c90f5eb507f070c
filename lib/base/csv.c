/*
 * csv.c - RFC 4180 records with formula cells neutralised.  See csv.h.
 */
#include <string.h>

#include "base/csv.h"

/* A field that spreadsheets might run as a formula. */
int
hub_csv_risky(const char *s, size_t len)
{
	return s != NULL && len > 0 && strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
}

/* RFC 4180: quote a field holding a comma, a quote, CR or LF. */
static int
needs_quotes(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return 1;
	return 0;
}

int
hub_csv_field(struct hub_buf *b, const char *s, size_t len)
{
	size_t start = b->len, i, from;
	int risky, rc = HUB_BUF_OK;

	if (s == NULL || len == 0)
		return HUB_BUF_OK;
	risky = hub_csv_risky(s, len);
	if (!risky && !needs_quotes(s, len))
		return hub_buf_add(b, s, len);
	rc = hub_buf_addc(b, '"');
	if (rc == HUB_BUF_OK && risky)
		rc = hub_buf_addc(b, '\'');
	/* Copy runs between quotes, doubling each quote. */
	for (i = from = 0; rc == HUB_BUF_OK && i < len; i++) {
		if (s[i] != '"')
			continue;
		rc = hub_buf_add(b, s + from, i + 1 - from);
		if (rc == HUB_BUF_OK)
			rc = hub_buf_addc(b, '"');
		from = i + 1;
	}
	if (rc == HUB_BUF_OK)
		rc = hub_buf_add(b, s + from, len - from);
	if (rc == HUB_BUF_OK)
		rc = hub_buf_addc(b, '"');
	if (rc != HUB_BUF_OK) {
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
	}
	return rc;
}

int
hub_csv_row(struct hub_buf *b, const char *const *fields, size_t n)
{
	size_t start = b->len, i;
	int rc = HUB_BUF_OK;

	for (i = 0; rc == HUB_BUF_OK && i < n; i++) {
		if (i > 0)
			rc = hub_buf_addc(b, ',');
		if (rc == HUB_BUF_OK && fields[i] != NULL)
			rc = hub_csv_field(b, fields[i], strlen(fields[i]));
	}
	if (rc == HUB_BUF_OK)
		rc = hub_buf_add(b, "\r\n", 2);
	if (rc != HUB_BUF_OK) {
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
	}
	return rc;
}
