/*
 * slacksig.h - request signatures, Slack's scheme and ours.
 *
 * signature = <version> "=" hex(HMAC-SHA256(secret, <version> ":" ts ":" body))
 * Slack signs with version "v0" (X-Slack-Signature, X-Slack-Request-Timestamp);
 * the hub signs its callbacks with "v1" (X-Hub-Signature, X-Hub-Request-Timestamp).
 * Verification refuses a missing or non-numeric timestamp, one more than
 * HUB_SIG_MAX_SKEW seconds from now in either direction, a missing header,
 * a wrong version prefix, and a mismatch (compared in constant time).
 */
#ifndef HUB_SLACKSIG_H
#define HUB_SLACKSIG_H

#include <stddef.h>
#include <time.h>

enum hub_sig_err {
	HUB_SIG_OK = 0,
	HUB_SIG_NO_SECRET,    /* secret NULL or empty: refuse everything */
	HUB_SIG_NO_TIMESTAMP,
	HUB_SIG_BAD_TIMESTAMP,
	HUB_SIG_STALE,        /* |now - ts| > HUB_SIG_MAX_SKEW */
	HUB_SIG_NO_SIGNATURE,
	HUB_SIG_BAD_VERSION,  /* not "<version>=" */
	HUB_SIG_MISMATCH,
};

#define HUB_SIG_MAX_SKEW 300
#define HUB_SIG_LEN (3 + 64 + 1) /* "v0=" + hex + NUL */

/* out gets "<version>=<64 hex>". version is "v0" or "v1". */
void	hub_sig_sign(const char *version, const char *secret, const char *ts,
	    const void *body, size_t len, char out[HUB_SIG_LEN]);
int	hub_sig_verify(const char *version, const char *secret, const char *ts_header,
	    const char *sig_header, const void *body, size_t len, time_t now);
/* Slack's: version "v0". */
int	hub_slacksig_verify(const char *secret, const char *ts_header, const char *sig_header,
	    const void *body, size_t len, time_t now);
const char *hub_sig_strerror(int);

#ifdef HUB_UNITTEST
/* HUB_STATIC in slacksig.c: reachable from the tests through t/libhub_ut.a. */
int	 hub_sig_parse_ts(const char *, long long *);
#endif

#endif
