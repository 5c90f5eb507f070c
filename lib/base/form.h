/*
 * form.h - application/x-www-form-urlencoded bodies and query strings.
 *
 * Decoding is strict: '%' must be followed by two hex digits, or the whole
 * input is refused with HUB_FORM_BADESC (never half-decoded).  '+' is a
 * space.  Keys and values may hold any byte but NUL (a decoded %00 is
 * refused).  The parsed form owns copies of every key and value.
 */
#ifndef HUB_FORM_H
#define HUB_FORM_H

#include <stddef.h>
#include "base/buf.h"

enum hub_form_err {
	HUB_FORM_OK = 0,
	HUB_FORM_NOMEM,
	HUB_FORM_BADESC,   /* malformed percent-escape or encoded NUL */
	HUB_FORM_TOOMANY,  /* more pairs than max_pairs */
	HUB_FORM_TOOBIG,   /* input longer than HUB_FORM_MAX_INPUT */
};

#define HUB_FORM_MAX_INPUT (4u * 1024 * 1024)

struct hub_kv {
	char	*key;
	char	*val;
	size_t	 vlen;
};

struct hub_form {
	struct hub_kv	*kv;
	size_t		 n;
};

/* Parse "a=1&b=x+y&c"; a pair without '=' has the empty value. */
int		 hub_form_parse(const char *s, size_t len, size_t max_pairs, struct hub_form *out);
/* First value of key, or NULL. */
const char	*hub_form_get(const struct hub_form *, const char *key);
void		 hub_form_free(struct hub_form *);
/* Percent-decode into out (plus_is_space: '+' -> ' '). */
int		 hub_url_decode(const char *s, size_t len, int plus_is_space, struct hub_buf *out);
/* Percent-encode everything but ALPHA DIGIT - . _ ~ (RFC 3986 unreserved). */
int		 hub_url_encode(const char *s, size_t len, struct hub_buf *out);
const char	*hub_form_strerror(int);

#endif
