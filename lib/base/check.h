/*
 * check.h - the small checks of untrusted text that several boundaries
 * share, kept in one place so that "a uuid" or "a name" means the same
 * thing in the API, the admin CLI and the listing modules.
 *
 * Every check is NULL-safe (NULL fails), never allocates, never logs.
 */
#ifndef HUB_CHECK_H
#define HUB_CHECK_H

#include <stddef.h>

#include "base/common.h"

#define HUB_UUID_TEXT_LEN 36   /* without the NUL */

/* Canonical 8-4-4-4-12 hex, either case: what PostgreSQL prints and what
 * clients copy back.  Checked before a value reaches SQL, so a malformed
 * id is a 400/404, never a database cast error. */
int	hub_check_uuid(const char *s);
/* The value of one hex digit (either case), -1 when c is not one. */
int	hub_hexval(int c);
/* s is one of the words of set (NULL-terminated). */
int	hub_check_oneof(const char *s, const char *const *set);
/* An email address as the hub accepts it everywhere (intake, admin, groups,
 * connections): local@domain.tld, dot-atom local part of at most 64, domain
 * labels of letters, digits and hyphens with an alphabetic top level, 320
 * at most.  Case is not checked (callers lower-case). */
int	hub_check_email(const char *s);
/* "YYYY-MM-DD" at s (10 bytes, not necessarily NUL-terminated), a real
 * date of the proleptic Gregorian calendar from year 1: days since
 * 1970-01-01 into *days. */
int	hub_check_date_at(const char *s, long long *days);
/* A whole string that is such a date; days may be NULL. */
int	hub_check_date(const char *s, long long *days);
/* 1..max bytes, no control characters; no spaces either unless spaces. */
int	hub_check_text(const char *s, size_t max, int spaces);
/* A Slack user id: ^[UW][A-Z0-9]{2,}$, at most 32 characters. */
int	hub_check_slack_user(const char *s);

/*
 * What a module reports about input it refused or a query that failed, for
 * its caller to answer with: field (borrowed: a static string or a key of
 * the caller's own input, NULL for none), message (a phrase, never the
 * input quoted), and db, the hub_db code behind a database failure.
 */
struct hub_problem {
	const char	*field;
	char		 message[300];
	int		 db;
};

/* Set field and message (cut to fit); returns ret, so a module can
 * `return hub_problem(p, "name", "must be…", HUB_X_INVALID);`. */
int	hub_problem(struct hub_problem *, const char *field, const char *message, int ret);

#endif
