/*
 * slacksig.c - see slacksig.h.  The signature is recomputed over the raw
 * bytes as received and compared as text, in constant time: Slack sends
 * lowercase hex, so any other spelling (uppercase included) is a mismatch,
 * as it is in Slack's own SDKs.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/crypto.h"
#include "slack/slacksig.h"

#define SIG_VERSION_LEN	2
/* Longest timestamp we parse; 19 digits still fit a 64-bit signed value. */
#define SIG_TS_MAXLEN	19

static int
version_ok(const char *version)
{
	return version != NULL && strlen(version) == SIG_VERSION_LEN;
}

static int
compute(const char *version, const char *secret, const char *ts,
    const void *body, size_t len, char out[HUB_SIG_LEN])
{
	unsigned char mac[HUB_SHA256_LEN];
	struct hub_iov iov[5] = {
		{ version, SIG_VERSION_LEN },
		{ ":", 1 },
		{ ts, strlen(ts) },
		{ ":", 1 },
		{ body, len },
	};
	int rc;

	rc = hub_hmac_sha256_iov(secret, strlen(secret), iov, HUB_NELEM(iov), mac);
	memcpy(out, version, SIG_VERSION_LEN);
	out[SIG_VERSION_LEN] = '=';
	hub_hex_encode(mac, sizeof(mac), out + SIG_VERSION_LEN + 1);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

void
hub_sig_sign(const char *version, const char *secret, const char *ts,
    const void *body, size_t len, char out[HUB_SIG_LEN])
{
	out[0] = '\0';
	if (!version_ok(version) || secret == NULL || *secret == '\0' || ts == NULL ||
	    (body == NULL && len > 0))
		return;
	if (compute(version, secret, ts, body, len, out) != HUB_CRYPTO_OK)
		out[0] = '\0';
}

/* Digits only: no sign, no space, no "0x"; bounded so strtoll cannot overflow. */
HUB_STATIC int
hub_sig_parse_ts(const char *s, long long *ts)
{
	char *end;
	size_t n, i;
	long long v;

	n = strnlen(s, SIG_TS_MAXLEN + 1);
	if (n == 0 || n > SIG_TS_MAXLEN)
		return HUB_SIG_BAD_TIMESTAMP;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return HUB_SIG_BAD_TIMESTAMP;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return HUB_SIG_BAD_TIMESTAMP;
	*ts = v;
	return HUB_SIG_OK;
}

int
hub_sig_verify(const char *version, const char *secret, const char *ts_header,
    const char *sig_header, const void *body, size_t len, time_t now)
{
	char want[HUB_SIG_LEN];
	long long ts = 0;
	int64_t n64;
	uint64_t skew;
	int rc;

	if (secret == NULL || *secret == '\0') {
		rc = HUB_SIG_NO_SECRET;
		goto out;
	}
	if (ts_header == NULL || *ts_header == '\0') {
		rc = HUB_SIG_NO_TIMESTAMP;
		goto out;
	}
	if ((rc = hub_sig_parse_ts(ts_header, &ts)) != HUB_SIG_OK)
		goto out;
	/* |now - ts| without signed overflow, whatever now is. */
	n64 = (int64_t)now;
	skew = ts >= n64 ? (uint64_t)ts - (uint64_t)n64 : (uint64_t)n64 - (uint64_t)ts;
	if (skew > HUB_SIG_MAX_SKEW) {
		rc = HUB_SIG_STALE;
		goto out;
	}
	if (sig_header == NULL || *sig_header == '\0') {
		rc = HUB_SIG_NO_SIGNATURE;
		goto out;
	}
	if (!version_ok(version) ||
	    strncmp(sig_header, version, SIG_VERSION_LEN) != 0 ||
	    sig_header[SIG_VERSION_LEN] != '=') {
		rc = HUB_SIG_BAD_VERSION;
		goto out;
	}
	if (body == NULL && len > 0) {
		rc = HUB_SIG_MISMATCH;
		goto out;
	}
	rc = HUB_SIG_MISMATCH;
	if (compute(version, secret, ts_header, body, len, want) != HUB_CRYPTO_OK)
		goto out;
	/* Length is public (always 67); the content is compared in constant time. */
	if (strnlen(sig_header, HUB_SIG_LEN) != HUB_SIG_LEN - 1 ||
	    CRYPTO_memcmp(sig_header, want, HUB_SIG_LEN - 1) != 0)
		goto out;
	rc = HUB_SIG_OK;
out:
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

int
hub_slacksig_verify(const char *secret, const char *ts_header, const char *sig_header,
    const void *body, size_t len, time_t now)
{
	return hub_sig_verify("v0", secret, ts_header, sig_header, body, len, now);
}

const char *
hub_sig_strerror(int e)
{
	static const char *const msgs[] = {
		[HUB_SIG_OK] = "signature valid",
		[HUB_SIG_NO_SECRET] = "no signing secret configured",
		[HUB_SIG_NO_TIMESTAMP] = "missing request timestamp",
		[HUB_SIG_BAD_TIMESTAMP] = "malformed request timestamp",
		[HUB_SIG_STALE] = "request timestamp too far from now",
		[HUB_SIG_NO_SIGNATURE] = "missing signature",
		[HUB_SIG_BAD_VERSION] = "wrong signature version",
		[HUB_SIG_MISMATCH] = "signature mismatch",
	};

	if (e < 0 || (size_t)e >= HUB_NELEM(msgs) || msgs[e] == NULL)
		return "unknown signature error";
	return msgs[e];
}
