/*
 * crypto.c - see crypto.h.  Everything here rests on OpenSSL's libcrypto;
 * the only hand-written coding is hex and base64, because OpenSSL's own
 * decoders are lenient (whitespace, ignored trailing bits) and a sealed
 * value or a signature must have exactly one textual form.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/crypto.h"

#define BOX_VERSION	"v1"
#define BOX_KID_LEN	8
#define BOX_NONCE_LEN	12
#define BOX_TAG_LEN	16
/* "v1." kid "." */
#define BOX_PREFIX_LEN	(sizeof(BOX_VERSION) - 1 + 1 + BOX_KID_LEN + 1)

#define PW_N		16384
#define PW_R		8
#define PW_P		1
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32
/*
 * Bounds on what a stored hash string may ask of us: a crafted string must
 * not make verify allocate gigabytes or spin for minutes.  scrypt needs
 * about 128 * N * r bytes; 2^20 * 8 * 128 = 1 GiB is refused, our own
 * 16 MiB parameters and a few doublings are accepted.
 */
#define PW_N_MAX	(1L << 17)
#define PW_R_MAX	16
#define PW_P_MAX	16
#define PW_MEM_MAX	(64UL * 1024 * 1024)
#define PW_WORK_MAX	(1L << 21)	/* N * r * p */
#define PW_SALT_MIN	4	/* RFC 7914 test vector uses "NaCl" */
#define PW_SALT_MAX	64
#define PW_HASH_MIN	16
#define PW_HASH_MAX	64
#define PW_STR_MAX	512

static const char hexdigits[] = "0123456789abcdef";
static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
buferr(int rc)
{
	return rc == HUB_BUF_NOMEM ? HUB_CRYPTO_NOMEM : HUB_CRYPTO_TOOBIG;
}

/* Undo appends made since len was orig (buf.h has no truncate). */
static void
buf_truncate(struct hub_buf *b, size_t orig)
{
	if (b->data != NULL && b->len > orig) {
		OPENSSL_cleanse(b->data + orig, b->len - orig);
		b->len = orig;
		b->data[orig] = '\0';
	}
}

/* A failed digest must not leave a predictable value behind. */
static void
fail_closed(unsigned char out[HUB_SHA256_LEN])
{
	if (RAND_bytes(out, HUB_SHA256_LEN) != 1)
		abort();
}

int
hub_hmac_sha256_iov(const void *key, size_t klen, const struct hub_iov *iov, size_t niov,
    unsigned char out[HUB_SHA256_LEN])
{
	static const unsigned char nokey;
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t i, outl = 0;
	int rc = HUB_CRYPTO_INTERNAL;

	if (key == NULL || klen == 0)
		key = &nokey, klen = 0;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, klen, params) != 1)
		goto out;
	for (i = 0; i < niov; i++)
		if (iov[i].n > 0 && EVP_MAC_update(ctx, iov[i].p, iov[i].n) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &outl, HUB_SHA256_LEN) != 1 || outl != HUB_SHA256_LEN)
		goto out;
	rc = HUB_CRYPTO_OK;
out:
	if (rc != HUB_CRYPTO_OK)
		fail_closed(out);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

void
hub_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[HUB_SHA256_LEN])
{
	struct hub_iov iov = { msg, mlen };

	(void)hub_hmac_sha256_iov(key, klen, &iov, 1, out);
}

void
hub_sha256(const void *msg, size_t mlen, unsigned char out[HUB_SHA256_LEN])
{
	unsigned int outl = 0;

	if (EVP_Digest(msg, mlen, out, &outl, EVP_sha256(), NULL) != 1 ||
	    outl != HUB_SHA256_LEN)
		fail_closed(out);
}

int
hub_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
hub_random_bytes(void *p, size_t n)
{
	unsigned char *q = p;
	int chunk;

	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(q, chunk) != 1)
			return HUB_CRYPTO_RANDOM;
		q += chunk;
		n -= (size_t)chunk;
	}
	return HUB_CRYPTO_OK;
}

int
hub_random_token(size_t nbytes, struct hub_buf *out)
{
	/* A multiple of 3, so chunks encode without padding and concatenate. */
	unsigned char chunk[48];
	size_t orig = out->len, n;
	int rc = HUB_CRYPTO_OK;

	while (nbytes > 0) {
		n = nbytes < sizeof(chunk) ? nbytes : sizeof(chunk);
		if ((rc = hub_random_bytes(chunk, n)) != HUB_CRYPTO_OK ||
		    (rc = hub_base64_encode(chunk, n, 1, out)) != HUB_CRYPTO_OK)
			goto out;
		nbytes -= n;
	}
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (rc != HUB_CRYPTO_OK)
		buf_truncate(out, orig);
	return rc;
}

void
hub_hex_encode(const void *p, size_t n, char *out)
{
	const unsigned char *q = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[q[i] >> 4];
		out[2 * i + 1] = hexdigits[q[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
hub_base64_encode(const void *p, size_t n, int url, struct hub_buf *out)
{
	const unsigned char *q = p;
	const char *abc = url ? b64url : b64std;
	size_t orig = out->len, i;
	char enc[4];
	unsigned long v;
	int rc = HUB_CRYPTO_OK, b;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned long)q[i] << 16 | (unsigned long)q[i + 1] << 8 | q[i + 2];
		enc[0] = abc[v >> 18 & 63];
		enc[1] = abc[v >> 12 & 63];
		enc[2] = abc[v >> 6 & 63];
		enc[3] = abc[v & 63];
		if ((b = hub_buf_add(out, enc, 4)) != HUB_BUF_OK) {
			rc = buferr(b);
			goto out;
		}
	}
	if (n - i == 0)
		goto out;
	/* Url-safe output is unpadded (tokens, cookies, URLs); standard is padded. */
	v = (unsigned long)q[i] << 16;
	if (n - i == 2)
		v |= (unsigned long)q[i + 1] << 8;
	enc[0] = abc[v >> 18 & 63];
	enc[1] = abc[v >> 12 & 63];
	enc[2] = n - i == 2 ? abc[v >> 6 & 63] : '=';
	enc[3] = '=';
	if ((b = hub_buf_add(out, enc, url ? (n - i == 2 ? 3 : 2) : 4)) != HUB_BUF_OK)
		rc = buferr(b);
out:
	if (rc != HUB_CRYPTO_OK)
		buf_truncate(out, orig);
	return rc;
}

static int
b64val(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int
hub_base64_decode(const char *s, size_t n, int url, struct hub_buf *out)
{
	size_t orig = out->len, i, j, pad = 0;
	unsigned char dec[3];
	unsigned long v;
	int rc = HUB_CRYPTO_FORMAT, b, d, k;

	/* Padding: only at the end, only to a multiple of 4, at most two. */
	while (pad < n && pad < 3 && s[n - 1 - pad] == '=')
		pad++;
	if (pad > 0 && (pad > 2 || n % 4 != 0))
		goto out;
	n -= pad;
	if (n % 4 == 1)
		goto out;
	for (i = 0; i < n; i += 4) {
		v = 0;
		for (j = i, k = 0; j < n && j < i + 4; j++, k++) {
			if ((d = b64val(s[j], url)) < 0)
				goto out;
			v = v << 6 | (unsigned long)d;
		}
		/* k is 4, 3 or 2 here. */
		v <<= 6 * (4 - k);
		dec[0] = v >> 16 & 0xff;
		dec[1] = v >> 8 & 0xff;
		dec[2] = v & 0xff;
		/* Unused trailing bits must be zero: one text per byte string. */
		if ((k == 2 && (dec[1] | dec[2]) != 0) || (k == 3 && dec[2] != 0))
			goto out;
		if ((b = hub_buf_add(out, dec, (size_t)k - 1)) != HUB_BUF_OK) {
			rc = buferr(b);
			goto out;
		}
	}
	rc = HUB_CRYPTO_OK;
out:
	OPENSSL_cleanse(dec, sizeof(dec));
	if (rc != HUB_CRYPTO_OK)
		buf_truncate(out, orig);
	return rc;
}

void
hub_derive_key(const unsigned char master[32], const char *purpose, unsigned char out[32])
{
	static const char label[] = "approvalhub:";
	struct hub_iov iov[2] = {
		{ label, sizeof(label) - 1 },
		{ purpose, strlen(purpose) },
	};

	(void)hub_hmac_sha256_iov(master, 32, iov, 2, out);
}

int
hub_keyring_add(struct hub_keyring *kr, const unsigned char master[32])
{
	unsigned char sub[32], digest[HUB_SHA256_LEN];
	char hex[2 * HUB_SHA256_LEN + 1];
	size_t i;
	int rc = HUB_CRYPTO_OK;

	hub_derive_key(master, "box", sub);
	hub_sha256(sub, sizeof(sub), digest);
	hub_hex_encode(digest, BOX_KID_LEN / 2, hex);
	for (i = 0; i < kr->n; i++)
		if (CRYPTO_memcmp(kr->keys[i], sub, sizeof(sub)) == 0)
			goto out;	/* already present: adding twice is harmless */
	if (kr->n >= HUB_KEYRING_MAX) {
		rc = HUB_CRYPTO_TOOBIG;
		goto out;
	}
	memcpy(kr->keys[kr->n], sub, sizeof(sub));
	memcpy(kr->kids[kr->n], hex, BOX_KID_LEN + 1);
	kr->n++;
out:
	OPENSSL_cleanse(sub, sizeof(sub));
	return rc;
}

/* The AAD is the "v1.<kid>" prefix: a value cannot be moved to another kid. */
static int
box_gcm(int enc, const unsigned char key[32], const char *aad, size_t aadlen,
    const unsigned char nonce[BOX_NONCE_LEN], const unsigned char *in, size_t inlen,
    unsigned char *outp, unsigned char tag[BOX_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	int rc = HUB_CRYPTO_INTERNAL, len;

	if (inlen > INT_MAX)
		return HUB_CRYPTO_TOOBIG;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return HUB_CRYPTO_NOMEM;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, BOX_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)aadlen) != 1)
		goto out;
	if (inlen > 0 && EVP_CipherUpdate(ctx, outp, &len, in, (int)inlen) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, BOX_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, outp + inlen, &len) != 1) {
		rc = enc ? HUB_CRYPTO_INTERNAL : HUB_CRYPTO_AUTH;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, BOX_TAG_LEN, tag) != 1)
		goto out;
	rc = HUB_CRYPTO_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
hub_box_seal(const struct hub_keyring *kr, const void *pt, size_t ptlen, struct hub_buf *out)
{
	unsigned char *blob = NULL;
	char prefix[BOX_PREFIX_LEN + 1];
	size_t orig = out->len, bloblen;
	int rc, b;

	if (kr == NULL || kr->n == 0)
		return HUB_CRYPTO_NOKEY;
	if (ptlen > INT_MAX - BOX_NONCE_LEN - BOX_TAG_LEN)
		return HUB_CRYPTO_TOOBIG;
	bloblen = BOX_NONCE_LEN + ptlen + BOX_TAG_LEN;
	if ((blob = malloc(bloblen)) == NULL)
		return HUB_CRYPTO_NOMEM;
	memcpy(prefix, BOX_VERSION ".", 3);
	memcpy(prefix + 3, kr->kids[0], BOX_KID_LEN);
	prefix[BOX_PREFIX_LEN - 1] = '.';
	prefix[BOX_PREFIX_LEN] = '\0';
	if ((rc = hub_random_bytes(blob, BOX_NONCE_LEN)) != HUB_CRYPTO_OK)
		goto out;
	if ((rc = box_gcm(1, kr->keys[0], prefix, BOX_PREFIX_LEN - 1, blob, pt, ptlen,
	    blob + BOX_NONCE_LEN, blob + BOX_NONCE_LEN + ptlen)) != HUB_CRYPTO_OK)
		goto out;
	if ((b = hub_buf_add(out, prefix, BOX_PREFIX_LEN)) != HUB_BUF_OK) {
		rc = buferr(b);
		goto out;
	}
	rc = hub_base64_encode(blob, bloblen, 1, out);
out:
	if (rc != HUB_CRYPTO_OK)
		buf_truncate(out, orig);
	OPENSSL_clear_free(blob, bloblen);
	return rc;
}

int
hub_box_open(const struct hub_keyring *kr, const char *sealed, size_t len, struct hub_buf *out)
{
	struct hub_buf blob = HUB_BUF_INIT(len);
	unsigned char *pt = NULL;
	size_t orig = out->len, ctlen = 0, i, k;
	int rc = HUB_CRYPTO_FORMAT, b;

	if (kr == NULL || sealed == NULL || len <= BOX_PREFIX_LEN ||
	    memcmp(sealed, BOX_VERSION ".", 3) != 0 || sealed[BOX_PREFIX_LEN - 1] != '.')
		goto out;
	for (i = 3; i < 3 + BOX_KID_LEN; i++)
		if (strchr(hexdigits, sealed[i]) == NULL || sealed[i] == '\0')
			goto out;
	/* We never pad; refusing '=' keeps one text per sealed value. */
	if (memchr(sealed + BOX_PREFIX_LEN, '=', len - BOX_PREFIX_LEN) != NULL)
		goto out;
	for (k = 0; k < kr->n; k++)
		if (memcmp(kr->kids[k], sealed + 3, BOX_KID_LEN) == 0)
			break;
	if (k == kr->n) {
		rc = HUB_CRYPTO_NOKEY;
		goto out;
	}
	if ((rc = hub_base64_decode(sealed + BOX_PREFIX_LEN, len - BOX_PREFIX_LEN, 1,
	    &blob)) != HUB_CRYPTO_OK)
		goto out;
	rc = HUB_CRYPTO_FORMAT;
	if (blob.len < BOX_NONCE_LEN + BOX_TAG_LEN)
		goto out;
	ctlen = blob.len - BOX_NONCE_LEN - BOX_TAG_LEN;
	/* Decrypt aside: nothing unauthenticated reaches the caller's buffer. */
	if ((pt = malloc(ctlen + 1)) == NULL) {
		rc = HUB_CRYPTO_NOMEM;
		goto out;
	}
	if ((rc = box_gcm(0, kr->keys[k], sealed, BOX_PREFIX_LEN - 1,
	    (unsigned char *)blob.data, (unsigned char *)blob.data + BOX_NONCE_LEN, ctlen,
	    pt, (unsigned char *)blob.data + BOX_NONCE_LEN + ctlen)) != HUB_CRYPTO_OK)
		goto out;
	if ((b = hub_buf_add(out, pt, ctlen)) != HUB_BUF_OK)
		rc = buferr(b);
out:
	if (rc != HUB_CRYPTO_OK)
		buf_truncate(out, orig);
	if (pt != NULL)
		OPENSSL_clear_free(pt, ctlen + 1);
	if (blob.data != NULL)
		OPENSSL_cleanse(blob.data, blob.len);
	hub_buf_release(&blob);
	return rc;
}

static int
scrypt_raw(const char *pw, const unsigned char *salt, size_t saltlen,
    uint64_t n, uint64_t r, uint64_t p, unsigned char *outp, size_t outlen)
{
	/* maxmem: scrypt's own need plus slack; parameters were bounded before. */
	if (EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen, n, r, p,
	    PW_MEM_MAX + 16 * 1024 * 1024, outp, outlen) != 1)
		return HUB_CRYPTO_INTERNAL;
	return HUB_CRYPTO_OK;
}

int
hub_password_hash(const char *password, struct hub_buf *out)
{
	unsigned char salt[PW_SALT_LEN], hash[PW_HASH_LEN];
	size_t orig = out->len;
	int rc, b;

	if (password == NULL)
		return HUB_CRYPTO_FORMAT;
	if ((rc = hub_random_bytes(salt, sizeof(salt))) != HUB_CRYPTO_OK ||
	    (rc = scrypt_raw(password, salt, sizeof(salt), PW_N, PW_R, PW_P,
	    hash, sizeof(hash))) != HUB_CRYPTO_OK)
		goto out;
	if ((b = hub_buf_printf(out, "scrypt$%d$%d$%d$", PW_N, PW_R, PW_P)) != HUB_BUF_OK) {
		rc = buferr(b);
		goto out;
	}
	if ((rc = hub_base64_encode(salt, sizeof(salt), 0, out)) != HUB_CRYPTO_OK)
		goto out;
	if ((b = hub_buf_addc(out, '$')) != HUB_BUF_OK) {
		rc = buferr(b);
		goto out;
	}
	rc = hub_base64_encode(hash, sizeof(hash), 0, out);
out:
	if (rc != HUB_CRYPTO_OK)
		buf_truncate(out, orig);
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

/* A decimal field: digits only, no sign, no leading zero, within [lo, hi]. */
HUB_STATIC int
hub_crypto_parse_uint(const char *s, size_t n, long lo, long hi, long *v)
{
	char tmp[16], *end;
	long x;
	size_t i;

	if (n == 0 || n >= sizeof(tmp) || (n > 1 && s[0] == '0'))
		return HUB_CRYPTO_FORMAT;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return HUB_CRYPTO_FORMAT;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	x = strtol(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return HUB_CRYPTO_FORMAT;
	*v = x;
	return HUB_CRYPTO_OK;
}

int
hub_password_verify(const char *password, const char *stored)
{
	struct hub_buf salt = HUB_BUF_INIT(PW_SALT_MAX), want = HUB_BUF_INIT(PW_HASH_MAX);
	unsigned char got[PW_HASH_MAX];
	const char *f[6];
	size_t flen[6], len, i, nf;
	long n = 0, r = 0, p = 0;
	int rc = HUB_CRYPTO_FORMAT;

	if (password == NULL || stored == NULL)
		goto out;
	if ((len = strnlen(stored, PW_STR_MAX + 1)) > PW_STR_MAX)
		goto out;
	/* Split on '$' into exactly six fields. */
	f[0] = stored;
	for (i = 0, nf = 1; i < len; i++) {
		if (stored[i] != '$')
			continue;
		if (nf == 6)
			goto out;
		flen[nf - 1] = (size_t)(stored + i - f[nf - 1]);
		f[nf++] = stored + i + 1;
	}
	if (nf != 6)
		goto out;
	flen[5] = (size_t)(stored + len - f[5]);
	if (flen[0] != 6 || memcmp(f[0], "scrypt", 6) != 0)
		goto out;
	if (hub_crypto_parse_uint(f[1], flen[1], 2, PW_N_MAX, &n) != HUB_CRYPTO_OK ||
	    (n & (n - 1)) != 0 ||
	    hub_crypto_parse_uint(f[2], flen[2], 1, PW_R_MAX, &r) != HUB_CRYPTO_OK ||
	    hub_crypto_parse_uint(f[3], flen[3], 1, PW_P_MAX, &p) != HUB_CRYPTO_OK)
		goto out;
	if (128UL * (unsigned long)n * (unsigned long)r > PW_MEM_MAX ||
	    n * r * p > PW_WORK_MAX)
		goto out;
	if (hub_base64_decode(f[4], flen[4], 0, &salt) != HUB_CRYPTO_OK ||
	    salt.len < PW_SALT_MIN ||
	    hub_base64_decode(f[5], flen[5], 0, &want) != HUB_CRYPTO_OK ||
	    want.len < PW_HASH_MIN)
		goto out;
	if ((rc = scrypt_raw(password, (unsigned char *)salt.data, salt.len,
	    (uint64_t)n, (uint64_t)r, (uint64_t)p, got, want.len)) != HUB_CRYPTO_OK)
		goto out;
	rc = CRYPTO_memcmp(got, want.data, want.len) == 0 ?
	    HUB_CRYPTO_OK : HUB_CRYPTO_MISMATCH;
out:
	OPENSSL_cleanse(got, sizeof(got));
	hub_buf_release(&salt);
	hub_buf_release(&want);
	return rc;
}
