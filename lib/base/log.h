/*
 * log.h - one logfmt line per event on stderr.
 *
 *   ts=2026-11-22T01:02:03.456Z level=info prog=api pid=123 req=4f2a... event=request method=POST path=/api/x status=201
 *
 * Fields are key/value string pairs ending with NULL.  Values are quoted
 * (with \" and \\ and \n escaped) when they hold spaces, quotes, '=' or
 * control bytes.  Secrets are never written: a field whose key names a
 * secret (token, secret, password, key, authorization, cookie, signature,
 * webhook, url_secret...) and any value that looks like a Slack token
 * (xox?-...), a Slack webhook URL (hooks.slack.com/...) or a
 * "Bearer ..." credential is replaced by "[redacted]".
 * Never allocates on the heap; lines are cut at 4 KiB.
 */
#ifndef HUB_LOG_H
#define HUB_LOG_H

#include "base/common.h"

enum hub_log_level {
	HUB_LOG_DEBUG = 0,
	HUB_LOG_INFO,
	HUB_LOG_WARN,
	HUB_LOG_ERROR,
};

/* Program name for prog=; minimum level written. */
void	hub_log_init(const char *prog, enum hub_log_level min);
/* "debug", "info", "warn"/"warning", "error" (any case); 0 ok, -1 bad. */
int	hub_log_level_parse(const char *, enum hub_log_level *);
/* Request id written as req= on every line until cleared with NULL. */
void	hub_log_set_request(const char *id);
/* hub_log(HUB_LOG_INFO, "request", "method", "GET", "path", "/x", NULL) */
void	hub_log(enum hub_log_level, const char *event, ...) __attribute__((sentinel));
/* Is this key/value a secret that would be redacted?  (Exposed for tests.) */
int	hub_log_is_secret(const char *key, const char *value);

#ifdef HUB_UNITTEST
/* Only in the tests' copy (t/libhub_ut.a): write to this fd instead of 2
 * (-1 restores stderr). */
void	hub_log_set_fd(int fd);
#endif

#endif
