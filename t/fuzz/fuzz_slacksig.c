/*
 * fuzz_slacksig.c - libFuzzer target for the signature check and the
 * decoders that read untrusted text.
 *
 * Input: "<timestamp>\n<signature>\n<body>" goes to hub_slacksig_verify and
 * hub_sig_verify("v1"); the whole input also goes to hub_box_open and
 * hub_base64_decode (both alphabets).  Besides the
 * sanitizers, it checks two properties and aborts when they break:
 *  - a signature that verifies is exactly the one hub_sig_sign produces;
 *  - decoding is canonical: what decodes re-encodes to the same text
 *    (modulo '=' padding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "slack/slacksig.h"

#define SECRET	"8f742231b10e8888abcd99yyyzzz85a5"
#define NOW	((time_t)1531420618)

static char *
dupn(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
check_sig(const char *version, const char *ts, const char *sig, const uint8_t *body,
    size_t blen)
{
	char want[HUB_SIG_LEN];
	int rc;

	rc = hub_sig_verify(version, SECRET, ts, sig, body, blen, NOW);
	if (rc == HUB_SIG_OK) {
		hub_sig_sign(version, SECRET, ts, body, blen, want);
		if (strcmp(want, sig) != 0)
			abort();
	}
	if (hub_sig_strerror(rc) == NULL)
		abort();
}

static size_t
strip_pad(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == '=')
		n--;
	return n;
}

static void
check_base64(const uint8_t *data, size_t size, int url)
{
	struct hub_buf dec = HUB_BUF_INIT(size), enc = HUB_BUF_INIT(2 * size + 8);
	size_t a, b;

	if (hub_base64_decode((const char *)data, size, url, &dec) == HUB_CRYPTO_OK) {
		if (dec.len > size)
			abort();
		if (hub_base64_encode(dec.data ? dec.data : "", dec.len, url, &enc) != HUB_CRYPTO_OK)
			abort();
		a = strip_pad((const char *)data, size);
		b = strip_pad(hub_buf_str(&enc), enc.len);
		if (a != b || memcmp(data, hub_buf_str(&enc), a) != 0)
			abort();
	}
	hub_buf_release(&dec);
	hub_buf_release(&enc);
}

static void
check_box(const uint8_t *data, size_t size)
{
	static struct hub_keyring kr;
	static int ready;
	unsigned char m[32];
	struct hub_buf out = HUB_BUF_INIT(size);
	int rc;

	if (!ready) {
		/* the same keys the seeds were sealed with: 0x01..., then 0x02... */
		memset(m, 0x01, sizeof(m));
		hub_keyring_add(&kr, m);
		memset(m, 0x02, sizeof(m));
		hub_keyring_add(&kr, m);
		ready = 1;
	}
	rc = hub_box_open(&kr, (const char *)data, size, &out);
	if (rc != HUB_CRYPTO_OK && out.len != 0)
		abort();
	hub_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl1, *nl2, *body;
	char *ts = NULL, *sig = NULL;
	size_t blen;

	nl1 = memchr(data, '\n', size);
	if (nl1 != NULL) {
		nl2 = memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - data));
		if (nl2 != NULL) {
			/* NUL inside a header is its end, as it would be from FastCGI */
			ts = dupn(data, (size_t)(nl1 - data));
			sig = dupn(nl1 + 1, (size_t)(nl2 - nl1 - 1));
			body = nl2 + 1;
			blen = size - (size_t)(body - data);
			check_sig("v0", ts, sig, body, blen);
			check_sig("v1", ts, sig, body, blen);
			(void)hub_slacksig_verify(SECRET, ts, sig, body, blen, NOW);
			/* absent headers */
			(void)hub_slacksig_verify(SECRET, NULL, sig, body, blen, NOW);
			(void)hub_slacksig_verify(SECRET, ts, NULL, body, blen, NOW);
		}
	}
	check_box(data, size);
	check_base64(data, size, 0);
	check_base64(data, size, 1);
	free(ts);
	free(sig);
	return 0;
}
