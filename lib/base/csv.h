/*
 * csv.h - the one CSV writer (RFC 4180) of the exports.
 *
 * Records end in CRLF; fields are separated by commas; a field holding a
 * comma, a double quote, CR or LF is put in double quotes and its quotes
 * are doubled.  Bytes pass through unchanged otherwise: the caller hands
 * UTF-8 (PostgreSQL text is), and the file is UTF-8 without a BOM.
 *
 * Formula injection: a spreadsheet runs a cell that begins with '=', '+',
 * '-' or '@' (and, in some, a tab or CR before one of them) as a formula.
 * Every field written here that begins with one of those six bytes gets a
 * single quote in front ("'=HYPERLINK(...)"), which spreadsheets show as
 * text and a reader of the file can strip.  A field that was neutralised
 * is always quoted, so the quote is visibly part of the data.
 *
 * Appends to a hub_buf (whose maximum bounds it) and returns its enum
 * hub_buf_err; on failure the buffer is left as it was.  Pure: never
 * allocates beyond the buffer, never logs.
 */
#ifndef HUB_CSV_H
#define HUB_CSV_H

#include <stddef.h>

#include "base/buf.h"

/* Does a field of these bytes need the quote in front? */
int	hub_csv_risky(const char *s, size_t len);
/* One field, escaped and neutralised, no separator.  s may be NULL (an
 * empty field, as SQL NULL). */
int	hub_csv_field(struct hub_buf *, const char *s, size_t len);
/* A whole record: n fields (NULL entries are empty), commas between,
 * CRLF at the end. */
int	hub_csv_row(struct hub_buf *, const char *const *fields, size_t n);

#endif
