/*
 * throttle.h - slowing down password guessing at the sign-in form.
 *
 * Failures are counted per account (the lower-cased email typed, whether
 * or not such a user exists) and per client address, in the database
 * (login_throttle), so every dashboard process on every host counts
 * together.  The first HUB_THROTTLE_FREE failures cost nothing; each one
 * after that locks the key for HUB_THROTTLE_BASE_S seconds, doubled per
 * further failure, at most HUB_THROTTLE_MAX_S (15 minutes).  A try while
 * either key is locked is refused without looking at the password.  A
 * success starts both counts over; a count whose last failure is over an
 * hour old (and not locked) starts over too.
 */
#ifndef HUB_THROTTLE_H
#define HUB_THROTTLE_H

#include "store/db.h"

#define HUB_THROTTLE_FREE	5
#define HUB_THROTTLE_BASE_S	30
#define HUB_THROTTLE_MAX_S	900

enum hub_throttle_err {
	HUB_THROTTLE_OK = 0,
	HUB_THROTTLE_DB,
	HUB_THROTTLE_UNAVAILABLE,	/* hub_throttle_prune: the database did not answer */
};

/* hub_throttle_prune deletes at most BATCH rows a statement, ROUNDS times. */
#define HUB_THROTTLE_PRUNE_BATCH	1000
#define HUB_THROTTLE_PRUNE_ROUNDS	10

/* *wait_s: seconds before account or address may try again (0: now). */
int	hub_throttle_wait(struct hub_db *, const char *account, const char *address,
	    long *wait_s);
/* Count a failure for both; *wait_s: the wait it imposes (0: none yet). */
int	hub_throttle_fail(struct hub_db *, const char *account, const char *address,
	    long *wait_s);
/* A success: both counts start over. */
int	hub_throttle_reset(struct hub_db *, const char *account, const char *address);
/* Delete the counts that no longer count: last failure over an hour ago
 * and not locked (the next failure would start over anyway).  For the
 * worker's sweep (web/session.h); *deleted: how many. */
int	hub_throttle_prune(struct hub_db *, long *deleted);

#endif
