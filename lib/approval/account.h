/*
 * account.h - signing in with an email and a password, and changing the
 * password: the users that `approvalhub user add` creates (scrypt hashes,
 * crypto.h).
 *
 * An unknown email, a disabled user, a user without a password and a wrong
 * password are one answer, HUB_ACCOUNT_BADLOGIN, and cost the same time:
 * an unknown email is checked against a dummy hash made with the same
 * scrypt parameters (hub_account_prepare), so neither the answer nor its
 * timing tells whether an account exists.  Every try goes through the
 * throttle (throttle.h) first.  Passwords are never logged or kept.
 */
#ifndef HUB_ACCOUNT_H
#define HUB_ACCOUNT_H

#include "approval/access.h"
#include "store/db.h"

#define HUB_ACCOUNT_PASSWORD_MIN 8	/* as `approvalhub user add --password` */
#define HUB_ACCOUNT_PASSWORD_MAX 200

enum hub_account_err {
	HUB_ACCOUNT_OK = 0,
	HUB_ACCOUNT_BADLOGIN,	/* unknown user or wrong password: one message */
	HUB_ACCOUNT_THROTTLED,	/* too many failures: wait *wait_s seconds */
	HUB_ACCOUNT_NOTFOUND,	/* no active user with that email (REMOTE_USER) */
	HUB_ACCOUNT_INVALID,	/* new password refused (see the message) */
	HUB_ACCOUNT_DB,
	HUB_ACCOUNT_CRYPTO,
};

/* Make the dummy hash once per process, before the first sign-in. */
int	hub_account_prepare(void);
/* email, password: as typed; address: the client's (REMOTE_ADDR).  OK
 * fills *user.  BADLOGIN and THROTTLED set *wait_s (0 when a new try may
 * follow at once). */
int	hub_account_login(struct hub_db *, const char *email, const char *password,
	    const char *address, struct hub_access_user *user, long *wait_s);
/* The active user with this email (single sign-on). */
int	hub_account_by_email(struct hub_db *, const char *email, struct hub_access_user *user);
/* Change user_id's password: current must match (else BADLOGIN), fresh
 * must be HUB_ACCOUNT_PASSWORD_MIN..MAX bytes (else INVALID). */
int	hub_account_set_password(struct hub_db *, const char *user_id, const char *current,
	    const char *fresh);
const char *hub_account_strerror(int);

#endif
