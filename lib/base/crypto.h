/*
 * crypto.h - the hub's cryptography, all on OpenSSL's libcrypto.
 *
 * - HMAC-SHA256 and constant-time comparison (CRYPTO_memcmp);
 * - random bytes and tokens (RAND_bytes; fails closed);
 * - hex and base64 (standard and url-safe) coding;
 * - SHA-256 for API-key hashes;
 * - a secret box: AES-256-GCM with a random 96-bit nonce, sealed text
 *   "v1.<kid>.<base64url(nonce | ciphertext | tag)>", where kid is 8 hex
 *   chars derived from the key, so values sealed under an old key can still
 *   be opened after SECRET_KEY rotates (keep the old key in the keyring);
 * - scrypt password hashes "scrypt$N$r$p$<b64 salt>$<b64 hash>".
 * Never logs; callers free nothing unless said.
 *
 * Functions taking a struct hub_buf *out append to it (its maximum bounds the
 * output) and, on any error, leave it exactly as it was.  Decoders are strict:
 * a character outside the alphabet, misplaced padding or non-zero unused
 * trailing bits is HUB_CRYPTO_FORMAT, so every text has one decoding.
 * hub_hmac_sha256() and hub_sha256() cannot report failure: if libcrypto
 * fails (out of memory) out is filled with random bytes, never a predictable
 * value, so a MAC check against it fails closed.
 */
#ifndef HUB_CRYPTO_H
#define HUB_CRYPTO_H

#include <stddef.h>
#include "base/buf.h"

enum hub_crypto_err {
	HUB_CRYPTO_OK = 0,
	HUB_CRYPTO_NOMEM,
	HUB_CRYPTO_RANDOM,   /* RAND_bytes failed */
	HUB_CRYPTO_FORMAT,   /* malformed input (sealed text, hash string, coding) */
	HUB_CRYPTO_NOKEY,    /* sealed under a key id the keyring lacks */
	HUB_CRYPTO_AUTH,     /* GCM tag mismatch: tampered or wrong key */
	HUB_CRYPTO_MISMATCH, /* password does not match */
	HUB_CRYPTO_INTERNAL, /* libcrypto failure */
	HUB_CRYPTO_TOOBIG,   /* output buffer maximum reached, or keyring full */
};

#define HUB_SHA256_LEN 32

void	hub_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
	    unsigned char out[HUB_SHA256_LEN]);
/* MAC over the concatenation of parts, without copying them together.
 * Returns HUB_CRYPTO_OK or HUB_CRYPTO_INTERNAL (out then holds random bytes). */
struct hub_iov {
	const void	*p;
	size_t		 n;
};
int	hub_hmac_sha256_iov(const void *key, size_t klen, const struct hub_iov *, size_t niov,
	    unsigned char out[HUB_SHA256_LEN]);
void	hub_sha256(const void *msg, size_t mlen, unsigned char out[HUB_SHA256_LEN]);
/* 1 when equal; time depends only on n. */
int	hub_ct_equal(const void *a, const void *b, size_t n);
int	hub_random_bytes(void *, size_t);
/* nbytes random bytes as base64url without padding, appended to out. */
int	hub_random_token(size_t nbytes, struct hub_buf *out);

void	hub_hex_encode(const void *, size_t, char *out /* 2n+1 */);
int	hub_base64_encode(const void *, size_t, int url, struct hub_buf *out);
/* Accepts padded or unpadded; url selects the alphabet. */
int	hub_base64_decode(const char *, size_t, int url, struct hub_buf *out);

/* Derive a 32-byte subkey for one purpose ("box", "session", "link"...):
 * HMAC-SHA256(master, "approvalhub:" purpose). */
void	hub_derive_key(const unsigned char master[32], const char *purpose, unsigned char out[32]);

#define HUB_KEYRING_MAX 4
struct hub_keyring {
	size_t		n;                           /* keys[0] seals; all open */
	unsigned char	keys[HUB_KEYRING_MAX][32];
	char		kids[HUB_KEYRING_MAX][9];
};
/* Start from a zeroed keyring.  Add a master key (its box subkey and kid are
 * derived; the master is not kept).  Adding a key twice is a no-op; a fifth
 * key is HUB_CRYPTO_TOOBIG.  Add the current key first, then older ones. */
int	hub_keyring_add(struct hub_keyring *, const unsigned char master[32]);
int	hub_box_seal(const struct hub_keyring *, const void *pt, size_t ptlen, struct hub_buf *out);
/* Open: HUB_CRYPTO_FORMAT (not our text, or truncated), HUB_CRYPTO_NOKEY (kid
 * unknown), HUB_CRYPTO_AUTH (any altered byte, or the kid's key is wrong).
 * The "v1.<kid>" prefix is the GCM AAD.  Nothing unauthenticated reaches out. */
int	hub_box_open(const struct hub_keyring *, const char *sealed, size_t len, struct hub_buf *out);

int	hub_password_hash(const char *password, struct hub_buf *out);
/* HUB_CRYPTO_OK, HUB_CRYPTO_MISMATCH, or HUB_CRYPTO_FORMAT for a malformed
 * string or parameters beyond sane bounds (N <= 2^17 and a power of two,
 * r, p <= 16, at most 64 MiB): a crafted hash cannot exhaust memory. */
int	hub_password_verify(const char *password, const char *stored);

#ifdef HUB_UNITTEST
/* HUB_STATIC in crypto.c: reachable from the tests through t/libhub_ut.a. */
int	 hub_crypto_parse_uint(const char *, size_t, long, long, long *);
#endif

#endif
