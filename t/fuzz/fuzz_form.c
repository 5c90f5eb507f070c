/*
 * fuzz_form.c - libFuzzer target for the urlencoded decoder and form parser.
 *
 * Checks properties, not just absence of crashes: a successful parse holds
 * no NUL inside any key or value, vlen matches the value, and encoding then
 * decoding a value gives it back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_buf b = HUB_BUF_INIT(HUB_FORM_MAX_INPUT);
	struct hub_buf e = HUB_BUF_INIT(3 * HUB_FORM_MAX_INPUT);
	struct hub_buf d = HUB_BUF_INIT(HUB_FORM_MAX_INPUT);
	const char *s = (const char *)data;
	struct hub_form f;
	size_t i;
	int rc;

	rc = hub_url_decode(s, size, size > 0 && data[0] & 1, &b);
	if (rc == HUB_FORM_OK) {
		if (b.len > size || memchr(hub_buf_str(&b), '\0', b.len) != NULL)
			abort();
		if (hub_url_encode(hub_buf_str(&b), b.len, &e) != HUB_FORM_OK ||
		    hub_url_decode(hub_buf_str(&e), e.len, 0, &d) != HUB_FORM_OK ||
		    d.len != b.len || memcmp(hub_buf_str(&d), hub_buf_str(&b), b.len) != 0)
			abort();
	} else if (b.len != 0) {
		abort();	/* never half-decoded */
	}

	rc = hub_form_parse(s, size, 64, &f);
	if (rc == HUB_FORM_OK) {
		if (f.n > 64)
			abort();
		for (i = 0; i < f.n; i++) {
			if (strlen(f.kv[i].val) != f.kv[i].vlen)
				abort();
			if (hub_form_get(&f, f.kv[i].key) == NULL)
				abort();
		}
	} else if (f.n != 0 || f.kv != NULL) {
		abort();
	}
	hub_form_free(&f);
	hub_buf_release(&b);
	hub_buf_release(&e);
	hub_buf_release(&d);
	return 0;
}
