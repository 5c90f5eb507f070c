/*
 * test_crypto.c - known-answer vectors (RFC 4231, FIPS 180, RFC 4648,
 * RFC 7914) plus the secret box's tamper, key and rotation behaviour and the
 * strictness of every decoder.
 */
/* The headers' unit-test declarations (HUB_STATIC functions), as in the
 * library copy this test links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/check.h"
#include "base/crypto.h"

static void
hexof(const void *p, size_t n, char *out)
{
	hub_hex_encode(p, n, out);
}

/* A test vector's hex: nothing in the library decodes hex (digests are
 * compared as the hex they are sent as), so the vectors decode here. */
static long
unhex(const char *s, unsigned char *out, size_t outlen)
{
	size_t i, n = strlen(s);
	int hi, lo;

	if (n % 2 != 0 || n / 2 > outlen)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = hub_hexval((unsigned char)s[2 * i])) < 0 ||
		    (lo = hub_hexval((unsigned char)s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* ------------------------------------------------------------ HMAC, SHA */

struct mac_vec {
	const char	*name;
	const char	*key_hex;
	const char	*msg;
	const char	*want;
};

static const struct mac_vec mac_vecs[] = {
	/* RFC 4231 test case 1 */
	{ "rfc4231-1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	/* RFC 4231 test case 2: key "Jefe" */
	{ "rfc4231-2", "4a656665", "what do ya want for nothing?",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	/* empty key, empty message */
	{ "empty", "", "",
	  "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad" },
};

Test(crypto, hmac_sha256_vectors)
{
	unsigned char key[64], mac[HUB_SHA256_LEN], mac2[HUB_SHA256_LEN];
	char hex[2 * HUB_SHA256_LEN + 1];
	size_t i;
	long klen;

	for (i = 0; i < sizeof(mac_vecs) / sizeof(mac_vecs[0]); i++) {
		const struct mac_vec *v = &mac_vecs[i];
		size_t mlen = strlen(v->msg);
		struct hub_iov iov[2] = { { v->msg, mlen / 2 }, { v->msg + mlen / 2, mlen - mlen / 2 } };

		klen = unhex(v->key_hex, key, sizeof(key));
		cr_assert_geq(klen, 0, "%s", v->name);
		hub_hmac_sha256(key, (size_t)klen, v->msg, mlen, mac);
		hexof(mac, sizeof(mac), hex);
		cr_expect_str_eq(hex, v->want, "%s", v->name);
		/* The split form must agree with the one-shot form. */
		cr_expect_eq(hub_hmac_sha256_iov(key, (size_t)klen, iov, 2, mac2), HUB_CRYPTO_OK);
		cr_expect(memcmp(mac, mac2, sizeof(mac)) == 0, "%s iov", v->name);
	}
}

Test(crypto, sha256_vectors)
{
	static const struct { const char *msg, *want; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	};
	unsigned char d[HUB_SHA256_LEN];
	char hex[2 * HUB_SHA256_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hub_sha256(v[i].msg, strlen(v[i].msg), d);
		hexof(d, sizeof(d), hex);
		cr_expect_str_eq(hex, v[i].want, "sha256(%s)", v[i].msg);
	}
}

Test(crypto, ct_equal)
{
	cr_expect(hub_ct_equal("abcd", "abcd", 4));
	cr_expect(!hub_ct_equal("abcd", "abce", 4));
	cr_expect(!hub_ct_equal("xbcd", "abcd", 4));
	cr_expect(hub_ct_equal("a", "b", 0));
}

Test(crypto, derive_key)
{
	unsigned char master[32], a[32], b[32], want[32];
	const char *label = "approvalhub:session";

	memset(master, 0x42, sizeof(master));
	hub_derive_key(master, "session", a);
	hub_hmac_sha256(master, sizeof(master), label, strlen(label), want);
	cr_expect(memcmp(a, want, 32) == 0);
	hub_derive_key(master, "link", b);
	cr_expect(memcmp(a, b, 32) != 0, "purposes must give different keys");
}

/* ------------------------------------------------------------ hex */

Test(crypto, hex_encode)
{
	unsigned char in[256], out[256];
	char hex[513];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	hub_hex_encode(in, sizeof(in), hex);
	cr_assert_eq(strlen(hex), 512);
	cr_expect_eq(strncmp(hex, "000102", 6), 0);
	cr_expect_str_eq(hex + 506, "fdfeff");
	cr_expect_eq(unhex(hex, out, sizeof(out)), 256);
	cr_expect(memcmp(in, out, sizeof(in)) == 0);
	hub_hex_encode(in, 0, hex);
	cr_expect_str_eq(hex, "");
}

/* ------------------------------------------------------------ base64 */

struct b64_vec {
	const char	*raw;
	size_t		 rawlen;
	int		 url;
	const char	*enc;
};

static const struct b64_vec b64_vecs[] = {
	/* RFC 4648 section 10 */
	{ "", 0, 0, "" },
	{ "f", 1, 0, "Zg==" },
	{ "fo", 2, 0, "Zm8=" },
	{ "foo", 3, 0, "Zm9v" },
	{ "foob", 4, 0, "Zm9vYg==" },
	{ "fooba", 5, 0, "Zm9vYmE=" },
	{ "foobar", 6, 0, "Zm9vYmFy" },
	/* url-safe output is unpadded */
	{ "f", 1, 1, "Zg" },
	{ "fo", 2, 1, "Zm8" },
	{ "\xfb\xff", 2, 0, "+/8=" },
	{ "\xfb\xff", 2, 1, "-_8" },
	{ "\xff\xff\xfe", 3, 1, "___-" },
};

Test(crypto, base64_vectors)
{
	struct hub_buf b = HUB_BUF_INIT(64);
	size_t i;

	for (i = 0; i < sizeof(b64_vecs) / sizeof(b64_vecs[0]); i++) {
		const struct b64_vec *v = &b64_vecs[i];

		hub_buf_reset(&b);
		cr_expect_eq(hub_base64_encode(v->raw, v->rawlen, v->url, &b), HUB_CRYPTO_OK);
		cr_expect_str_eq(hub_buf_str(&b), v->enc, "encode %zu", i);
		hub_buf_reset(&b);
		cr_expect_eq(hub_base64_decode(v->enc, strlen(v->enc), v->url, &b), HUB_CRYPTO_OK,
		    "decode %s", v->enc);
		cr_expect_eq(b.len, v->rawlen, "decode %s", v->enc);
		cr_expect(b.len == 0 || memcmp(b.data, v->raw, v->rawlen) == 0, "decode %s", v->enc);
	}
	/* padded and unpadded both decode, in either alphabet */
	hub_buf_reset(&b);
	cr_expect_eq(hub_base64_decode("Zm8", 3, 0, &b), HUB_CRYPTO_OK);
	cr_expect_str_eq(hub_buf_str(&b), "fo");
	hub_buf_reset(&b);
	cr_expect_eq(hub_base64_decode("Zg==", 4, 1, &b), HUB_CRYPTO_OK);
	cr_expect_str_eq(hub_buf_str(&b), "f");
	hub_buf_release(&b);
}

Test(crypto, base64_roundtrip_all_lengths)
{
	unsigned char raw[100];
	struct hub_buf enc = HUB_BUF_INIT(1024), dec = HUB_BUF_INIT(1024);
	size_t n, i;
	int url;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	for (url = 0; url <= 1; url++)
		for (n = 0; n <= sizeof(raw); n++) {
			hub_buf_reset(&enc);
			hub_buf_reset(&dec);
			cr_assert_eq(hub_base64_encode(raw, n, url, &enc), HUB_CRYPTO_OK);
			cr_assert_eq(hub_base64_decode(enc.data ? enc.data : "", enc.len, url, &dec),
			    HUB_CRYPTO_OK, "n=%zu url=%d", n, url);
			cr_assert_eq(dec.len, n);
			cr_assert(n == 0 || memcmp(dec.data, raw, n) == 0);
		}
	hub_buf_release(&enc);
	hub_buf_release(&dec);
}

struct b64_bad {
	const char	*in;
	size_t		 len;	/* 0: strlen */
	int		 url;
};

static const struct b64_bad b64_bad[] = {
	{ "Z", 0, 0 },		/* one char cannot encode a byte */
	{ "Zm9vY", 0, 0 },
	{ "Zg=", 0, 0 },	/* padding to a non-multiple of 4 */
	{ "Zg===", 0, 0 },
	{ "Z===", 0, 0 },
	{ "====", 0, 0 },
	{ "=", 0, 0 },
	{ "Zm=v", 0, 0 },	/* padding in the middle */
	{ "=Zm9", 0, 0 },
	{ "Zm8=Zm8=", 0, 0 },
	{ "Zh==", 0, 0 },	/* non-zero unused bits */
	{ "Zm9=", 0, 0 },
	{ "Zh", 0, 1 },
	{ "Zm9v\n", 0, 0 },	/* whitespace */
	{ "Zm 9v", 0, 0 },
	{ " Zm9v", 0, 0 },
	{ "Zm9v!", 0, 0 },
	{ "-_8", 0, 0 },	/* url alphabet in standard mode */
	{ "+/8=", 0, 1 },	/* standard alphabet in url mode */
	{ "Zm9v\0Zm9v", 9, 0 },	/* embedded NUL */
	{ "Zm9v\xc3\xa9", 0, 0 },
};

Test(crypto, base64_bad_input)
{
	struct hub_buf b = HUB_BUF_INIT(64);
	size_t i, len;

	hub_buf_adds(&b, "keep");
	for (i = 0; i < sizeof(b64_bad) / sizeof(b64_bad[0]); i++) {
		len = b64_bad[i].len ? b64_bad[i].len : strlen(b64_bad[i].in);
		cr_expect_eq(hub_base64_decode(b64_bad[i].in, len, b64_bad[i].url, &b),
		    HUB_CRYPTO_FORMAT, "bad base64 #%zu", i);
		/* a failed decode leaves the buffer as it was */
		cr_expect_str_eq(hub_buf_str(&b), "keep", "#%zu", i);
	}
	hub_buf_release(&b);
}

Test(crypto, base64_output_bounded)
{
	struct hub_buf b = HUB_BUF_INIT(5);

	hub_buf_adds(&b, "ab");
	cr_expect_eq(hub_base64_encode("foobar", 6, 0, &b), HUB_CRYPTO_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "ab");
	cr_expect_eq(hub_base64_decode("Zm9vYmFy", 8, 0, &b), HUB_CRYPTO_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "ab");
	hub_buf_release(&b);
}

Test(crypto, random_token)
{
	static const size_t sizes[] = { 1, 16, 32, 48, 49, 100 };
	struct hub_buf a = HUB_BUF_INIT(512), b = HUB_BUF_INIT(512), d = HUB_BUF_INIT(512);
	size_t i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		hub_buf_reset(&a);
		hub_buf_reset(&b);
		hub_buf_reset(&d);
		cr_assert_eq(hub_random_token(n, &a), HUB_CRYPTO_OK);
		cr_assert_eq(hub_random_token(n, &b), HUB_CRYPTO_OK);
		cr_expect_eq(a.len, (n * 4 + 2) / 3, "n=%zu", n);
		for (j = 0; j < a.len; j++)
			cr_expect(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-_", a.data[j]) != NULL, "char %c", a.data[j]);
		cr_expect_eq(hub_base64_decode(a.data, a.len, 1, &d), HUB_CRYPTO_OK);
		cr_expect_eq(d.len, n);
		if (n >= 16)
			cr_expect_str_neq(hub_buf_str(&a), hub_buf_str(&b));
	}
	hub_buf_release(&a);
	hub_buf_release(&b);
	hub_buf_release(&d);
}

/* ------------------------------------------------------------ secret box */

static void
master_key(unsigned char m[32], unsigned char fill)
{
	memset(m, fill, 32);
}

static void
keyring_of(struct hub_keyring *kr, const unsigned char *fills, size_t n)
{
	unsigned char m[32];
	size_t i;

	memset(kr, 0, sizeof(*kr));
	for (i = 0; i < n; i++) {
		master_key(m, fills[i]);
		cr_assert_eq(hub_keyring_add(kr, m), HUB_CRYPTO_OK);
	}
}

static void
seal(const struct hub_keyring *kr, const char *pt, struct hub_buf *out)
{
	hub_buf_init(out, 4096);
	cr_assert_eq(hub_box_seal(kr, pt, strlen(pt), out), HUB_CRYPTO_OK);
}

static int
open_s(const struct hub_keyring *kr, const char *s, size_t len, struct hub_buf *out)
{
	hub_buf_reset(out);
	return hub_box_open(kr, s, len, out);
}

Test(box, kid_is_sha256_of_box_subkey)
{
	struct hub_keyring kr;
	unsigned char m[32], sub[32], d[32];
	char hex[65];

	keyring_of(&kr, (const unsigned char *)"\x01", 1);
	master_key(m, 0x01);
	hub_derive_key(m, "box", sub);
	hub_sha256(sub, sizeof(sub), d);
	hexof(d, sizeof(d), hex);
	hex[8] = '\0';
	cr_expect_str_eq(kr.kids[0], hex);
	cr_expect(memcmp(kr.keys[0], sub, 32) == 0, "keyring holds the subkey, not the master");
}

Test(box, roundtrip_and_format)
{
	static const char *const pts[] = { "", "x", "xoxb-1234-secret-token",
	    "a longer value that spans more than one AES block, to be sure" };
	struct hub_keyring kr;
	struct hub_buf s, s2, o = HUB_BUF_INIT(4096);
	char prefix[16];
	size_t i;

	keyring_of(&kr, (const unsigned char *)"\x01", 1);
	for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		seal(&kr, pts[i], &s);
		seal(&kr, pts[i], &s2);
		snprintf(prefix, sizeof(prefix), "v1.%s.", kr.kids[0]);
		cr_expect_eq(strncmp(s.data, prefix, strlen(prefix)), 0, "%s", s.data);
		/* nonce 12 + tag 16 + pt, base64url unpadded */
		cr_expect_eq(s.len, strlen(prefix) + ((12 + 16 + strlen(pts[i])) * 4 + 2) / 3);
		cr_expect(strchr(s.data, '=') == NULL);
		cr_expect_str_neq(s.data, s2.data, "random nonce makes each seal differ");
		cr_expect_eq(open_s(&kr, s.data, s.len, &o), HUB_CRYPTO_OK);
		cr_expect_eq(o.len, strlen(pts[i]));
		cr_expect_str_eq(hub_buf_str(&o), pts[i]);
		hub_buf_release(&s);
		hub_buf_release(&s2);
	}
	hub_buf_release(&o);
}

/* Flip every byte of nonce|ciphertext|tag: each must fail authentication. */
Test(box, tamper_every_byte_of_blob)
{
	struct hub_keyring kr;
	struct hub_buf s, blob = HUB_BUF_INIT(256), t = HUB_BUF_INIT(512), o = HUB_BUF_INIT(64);
	size_t i, plen = 3 + 8 + 1;

	keyring_of(&kr, (const unsigned char *)"\x01", 1);
	seal(&kr, "secret", &s);
	cr_assert_eq(hub_base64_decode(s.data + plen, s.len - plen, 1, &blob), HUB_CRYPTO_OK);
	cr_assert_eq(blob.len, 12 + 6 + 16);
	for (i = 0; i < blob.len; i++) {
		blob.data[i] ^= 0x01;
		hub_buf_reset(&t);
		hub_buf_add(&t, s.data, plen);
		cr_assert_eq(hub_base64_encode(blob.data, blob.len, 1, &t), HUB_CRYPTO_OK);
		cr_expect_eq(open_s(&kr, t.data, t.len, &o), HUB_CRYPTO_AUTH, "byte %zu", i);
		cr_expect_eq(o.len, 0, "nothing is released on failure");
		blob.data[i] ^= 0x01;
	}
	hub_buf_release(&s);
	hub_buf_release(&blob);
	hub_buf_release(&t);
	hub_buf_release(&o);
}

/* Flip every character of the text: never opens; the kid part gives NOKEY. */
Test(box, tamper_every_char_of_text)
{
	struct hub_keyring kr;
	struct hub_buf s, o = HUB_BUF_INIT(64);
	size_t i;
	int rc;

	keyring_of(&kr, (const unsigned char *)"\x01", 1);
	seal(&kr, "secret", &s);
	for (i = 0; i < s.len; i++) {
		char *t = strdup(s.data);

		t[i] ^= 0x01;
		rc = open_s(&kr, t, s.len, &o);
		cr_expect_neq(rc, HUB_CRYPTO_OK, "char %zu", i);
		if (i >= 3 && i < 11)
			cr_expect(rc == HUB_CRYPTO_NOKEY || rc == HUB_CRYPTO_FORMAT, "kid char %zu", i);
		else if (i < 12)
			cr_expect_eq(rc, HUB_CRYPTO_FORMAT, "prefix char %zu", i);
		else
			cr_expect(rc == HUB_CRYPTO_AUTH || rc == HUB_CRYPTO_FORMAT, "body %zu: %d", i, rc);
		free(t);
	}
	hub_buf_release(&s);
	hub_buf_release(&o);
}

Test(box, truncated)
{
	struct hub_keyring kr;
	struct hub_buf s, o = HUB_BUF_INIT(64);
	size_t n;
	int rc;

	keyring_of(&kr, (const unsigned char *)"\x01", 1);
	seal(&kr, "secret", &s);
	for (n = 0; n < s.len; n++) {
		rc = open_s(&kr, s.data, n, &o);
		cr_expect_neq(rc, HUB_CRYPTO_OK, "len %zu", n);
		/* shorter than prefix + nonce + tag: malformed, not an auth question */
		if (n < 12 + (28 * 4 + 2) / 3)
			cr_expect_eq(rc, HUB_CRYPTO_FORMAT, "len %zu", n);
	}
	/* extra padding is refused even though base64 would allow it */
	{
		char *t = malloc(s.len + 2);

		memcpy(t, s.data, s.len);
		t[s.len] = '=';
		t[s.len + 1] = '\0';
		cr_expect_eq(open_s(&kr, t, s.len + 1, &o), HUB_CRYPTO_FORMAT);
		free(t);
	}
	cr_expect_eq(open_s(&kr, "", 0, &o), HUB_CRYPTO_FORMAT);
	cr_expect_eq(open_s(&kr, "v2.00000000.AAAA", 16, &o), HUB_CRYPTO_FORMAT);
	hub_buf_release(&s);
	hub_buf_release(&o);
}

Test(box, wrong_key)
{
	struct hub_keyring a, b, forged;
	struct hub_buf s, o = HUB_BUF_INIT(64);

	keyring_of(&a, (const unsigned char *)"\x01", 1);
	keyring_of(&b, (const unsigned char *)"\x02", 1);
	seal(&a, "secret", &s);
	cr_expect_eq(open_s(&b, s.data, s.len, &o), HUB_CRYPTO_NOKEY);
	/* a keyring that claims A's kid but holds B's key: the tag catches it */
	forged = b;
	memcpy(forged.kids[0], a.kids[0], sizeof(forged.kids[0]));
	cr_expect_eq(open_s(&forged, s.data, s.len, &o), HUB_CRYPTO_AUTH);
	cr_expect_eq(o.len, 0);
	/* empty keyring */
	memset(&forged, 0, sizeof(forged));
	cr_expect_eq(open_s(&forged, s.data, s.len, &o), HUB_CRYPTO_NOKEY);
	cr_expect_eq(hub_box_seal(&forged, "x", 1, &o), HUB_CRYPTO_NOKEY);
	hub_buf_release(&s);
	hub_buf_release(&o);
}

/* The kid is authenticated: relabelling a value under another kid fails
 * even when that kid maps to the very same key. */
Test(box, kid_is_aad)
{
	struct hub_keyring kr;
	struct hub_buf s, o = HUB_BUF_INIT(64);

	keyring_of(&kr, (const unsigned char *)"\x01", 1);
	seal(&kr, "secret", &s);
	kr.n = 2;
	memcpy(kr.keys[1], kr.keys[0], 32);
	memcpy(kr.kids[1], "deadbeef", 9);
	memcpy(s.data + 3, "deadbeef", 8);
	cr_expect_eq(open_s(&kr, s.data, s.len, &o), HUB_CRYPTO_AUTH);
	hub_buf_release(&s);
	hub_buf_release(&o);
}

Test(box, key_rotation)
{
	struct hub_keyring a, ba, b;
	struct hub_buf s_old, s_new, o = HUB_BUF_INIT(64);

	keyring_of(&a, (const unsigned char *)"\x0a", 1);
	keyring_of(&ba, (const unsigned char *)"\x0b\x0a", 2);
	keyring_of(&b, (const unsigned char *)"\x0b", 1);
	cr_assert_str_neq(a.kids[0], b.kids[0]);
	seal(&a, "old secret", &s_old);
	cr_expect_eq(open_s(&ba, s_old.data, s_old.len, &o), HUB_CRYPTO_OK);
	cr_expect_str_eq(hub_buf_str(&o), "old secret");
	seal(&ba, "new secret", &s_new);
	cr_expect_eq(strncmp(s_new.data + 3, b.kids[0], 8), 0, "new values are sealed with B");
	cr_expect_eq(open_s(&b, s_new.data, s_new.len, &o), HUB_CRYPTO_OK);
	cr_expect_eq(open_s(&a, s_new.data, s_new.len, &o), HUB_CRYPTO_NOKEY);
	hub_buf_release(&s_old);
	hub_buf_release(&s_new);
	hub_buf_release(&o);
}

Test(box, keyring_limits)
{
	struct hub_keyring kr;
	unsigned char m[32];
	size_t i;

	memset(&kr, 0, sizeof(kr));
	for (i = 0; i < HUB_KEYRING_MAX; i++) {
		master_key(m, (unsigned char)(0x10 + i));
		cr_expect_eq(hub_keyring_add(&kr, m), HUB_CRYPTO_OK);
	}
	master_key(m, 0x10);
	cr_expect_eq(hub_keyring_add(&kr, m), HUB_CRYPTO_OK, "duplicate is a no-op");
	cr_expect_eq(kr.n, HUB_KEYRING_MAX);
	master_key(m, 0x7f);
	cr_expect_eq(hub_keyring_add(&kr, m), HUB_CRYPTO_TOOBIG);
	cr_expect_eq(kr.n, HUB_KEYRING_MAX);
}

Test(box, output_bounded)
{
	struct hub_keyring kr;
	struct hub_buf s, small = HUB_BUF_INIT(3);

	keyring_of(&kr, (const unsigned char *)"\x01", 1);
	cr_expect_eq(hub_box_seal(&kr, "secret", 6, &small), HUB_CRYPTO_TOOBIG);
	cr_expect_eq(small.len, 0);
	seal(&kr, "secret", &s);
	cr_expect_eq(hub_box_open(&kr, s.data, s.len, &small), HUB_CRYPTO_TOOBIG);
	cr_expect_eq(small.len, 0);
	hub_buf_release(&s);
	hub_buf_release(&small);
}

/* ------------------------------------------------------------ passwords */

Test(password, hash_verify_mismatch)
{
	struct hub_buf h = HUB_BUF_INIT(256), h2 = HUB_BUF_INIT(256);

	cr_assert_eq(hub_password_hash("correct horse", &h), HUB_CRYPTO_OK);
	cr_expect_eq(strncmp(h.data, "scrypt$16384$8$1$", 17), 0, "%s", h.data);
	cr_expect_eq(hub_password_verify("correct horse", h.data), HUB_CRYPTO_OK);
	cr_expect_eq(hub_password_verify("correct horsf", h.data), HUB_CRYPTO_MISMATCH);
	cr_expect_eq(hub_password_verify("", h.data), HUB_CRYPTO_MISMATCH);
	cr_assert_eq(hub_password_hash("correct horse", &h2), HUB_CRYPTO_OK);
	cr_expect_str_neq(h.data, h2.data, "random salt");
	cr_expect_eq(hub_password_verify("correct horse", h2.data), HUB_CRYPTO_OK);
	hub_buf_release(&h);
	hub_buf_release(&h2);
}

/* RFC 7914 section 12, third vector: an answer we did not compute ourselves. */
Test(password, rfc7914_vector)
{
	static const char dk_hex[] =
	    "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
	    "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640";
	unsigned char dk[64];
	struct hub_buf s = HUB_BUF_INIT(256);

	cr_assert_eq(unhex(dk_hex, dk, sizeof(dk)), 64);
	hub_buf_adds(&s, "scrypt$1024$8$16$TmFDbA==$");
	cr_assert_eq(hub_base64_encode(dk, sizeof(dk), 0, &s), HUB_CRYPTO_OK);
	cr_expect_eq(hub_password_verify("password", s.data), HUB_CRYPTO_OK);
	cr_expect_eq(hub_password_verify("Password", s.data), HUB_CRYPTO_MISMATCH);
	hub_buf_release(&s);
}

Test(password, malformed_hash_strings)
{
	/* valid salt and hash fields, reused in the malformed strings */
	static const char S[] = "AAECAwQFBgcICQoLDA0ODw==";
	static const char H[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	static const char *const fmts[] = {
		"",
		"scrypt",
		"scrypt$16384$8$1$%s",			/* five fields */
		"scrypt$16384$8$1$%s$%s$",		/* seven */
		"bcrypt$16384$8$1$%s$%s",
		"SCRYPT$16384$8$1$%s$%s",
		"scrypt$16383$8$1$%s$%s",		/* N not a power of two */
		"scrypt$1$8$1$%s$%s",			/* N too small */
		"scrypt$1048576$8$1$%s$%s",		/* N: 1 GiB of memory */
		"scrypt$4294967296$8$1$%s$%s",
		"scrypt$99999999999999999999$8$1$%s$%s",
		"scrypt$16384$0$1$%s$%s",		/* r out of range */
		"scrypt$16384$1000$1$%s$%s",
		"scrypt$16384$8$0$%s$%s",		/* p out of range */
		"scrypt$16384$8$1000000$%s$%s",
		"scrypt$131072$16$16$%s$%s",		/* each bound ok, work too big */
		"scrypt$131072$16$1$%s$%s",		/* each bound ok, 256 MiB */
		"scrypt$-16384$8$1$%s$%s",
		"scrypt$+16384$8$1$%s$%s",
		"scrypt$016384$8$1$%s$%s",
		"scrypt$ 16384$8$1$%s$%s",
		"scrypt$16384 $8$1$%s$%s",
		"scrypt$0x4000$8$1$%s$%s",
		"scrypt$$8$1$%s$%s",
		"scrypt$16384$8$1$$%s",			/* empty salt */
		"scrypt$16384$8$1$%s$",			/* empty hash */
		"scrypt$16384$8$1$!!!!$%s",		/* bad base64 */
		"scrypt$16384$8$1$%s$AAAA",		/* hash too short */
	};
	char s[600];
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
		snprintf(s, sizeof(s), fmts[i], S, H);
#pragma GCC diagnostic pop
		cr_expect_eq(hub_password_verify("pw", s), HUB_CRYPTO_FORMAT, "%s", s);
	}
	/* sane parameters, wrong password: a mismatch, not a format error */
	snprintf(s, sizeof(s), "scrypt$16384$8$1$%s$%s", S, H);
	cr_expect_eq(hub_password_verify("pw", s), HUB_CRYPTO_MISMATCH);
	cr_expect_eq(hub_password_verify(NULL, s), HUB_CRYPTO_FORMAT);
	cr_expect_eq(hub_password_verify("pw", NULL), HUB_CRYPTO_FORMAT);
	/* a stored string longer than any hash we write */
	memset(s, 'A', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	cr_expect_eq(hub_password_verify("pw", s), HUB_CRYPTO_FORMAT);
}

Test(crypto, parse_uint)
{
	static const struct { const char *s; int rc; long v; } v[] = {
		{ "1", HUB_CRYPTO_OK, 1 }, { "16", HUB_CRYPTO_OK, 16 },
		{ "17", HUB_CRYPTO_FORMAT, 0 }, { "0", HUB_CRYPTO_FORMAT, 0 },
		{ "", HUB_CRYPTO_FORMAT, 0 }, { "01", HUB_CRYPTO_FORMAT, 0 },
		{ "-1", HUB_CRYPTO_FORMAT, 0 }, { "1a", HUB_CRYPTO_FORMAT, 0 },
		{ "999999999999999999999", HUB_CRYPTO_FORMAT, 0 },
	};
	size_t i;
	long out;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		out = -7;
		cr_expect_eq(hub_crypto_parse_uint(v[i].s, strlen(v[i].s), 1, 16, &out), v[i].rc,
		    "%s", v[i].s);
		if (v[i].rc == HUB_CRYPTO_OK)
			cr_expect_eq(out, v[i].v);
	}
}
