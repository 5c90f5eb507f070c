/*
 * outbox.h - the exactly-once outbox of the notify job.  Every message is
 * a delivery_log row with a unique delivery_key (an "intent"), inserted
 * and committed ('sending') before anything is sent; when the message is
 * out, its ts goes on the intent and on the sent_messages rows (one per
 * assignment it reaches) in one statement.  A job run again finds its
 * intents by key and sends only what is not delivered yet.
 *
 * Owns the intents and the sent_messages rows delivery writes
 * (msgsync.c reads them; problems.c retries failed ones).  Sends nothing
 * itself: slackpost.h and mailout.h do, through it.  Database trouble is
 * noted on the job as a retry (notifyjob.h).
 */
#ifndef HUB_OUTBOX_H
#define HUB_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "notify/notifyjob.h"

#define DL_BUSY_RETRY_S		3       /* another job is posting the shared message */
#define DL_STALE_INTENT_S	600     /* an intent untouched this long has no live owner */

#define DL_COVERS_MAX		4096    /* an intent's covers as text: "{1,2,3}" */

/* An intent as the database holds it. */
struct hub_intent {
	int64_t		id;
	char		status[16];
	char		ts[40];
	char		channel[DL_CHANNEL_MAX];
	int		mine;
	int		owner_live;
	long long	created;
	long long	age_s;
	char		code[64];
	char		detail[DL_DETAIL_MAX];
	char		covers[DL_COVERS_MAX];
};

/* One message to send: what its intent records, and (ts, channel) what
 * the send answered. */
struct hub_post {
	char		 key[DL_KEY_MAX + 1];
	const char	*transport;     /* slack | webhook | email */
	const char	*target;        /* channel or user id; NULL for a webhook */
	const char	*thread_ts;
	const char	*kind;          /* delivery_log / sent_messages kind */
	const char	*recipient;
	int64_t		 asg;
	const int64_t	*covers;
	size_t		 ncovers;
	json_object	*blocks;        /* borrowed; NULL: text only */
	const char	*text;
	const char	*subject;       /* an email's, for its preview */
	char		 ts[40];
	char		 channel[DL_CHANNEL_MAX];
};

/* Whether an intent's covers ("{1,2,3}") hold assignment id. */
int	hub_outbox_covers_has(const char *covers, int64_t id);
/* The intent with this key: 1 found (in filled), 0 none, -1 database
 * trouble (noted). */
int	hub_outbox_get(struct hub_notify *, const char *key, struct hub_intent *in);
/* Insert the intent: 1 it is ours and new, 0 one exists (in filled),
 * -1 database trouble (noted). */
int	hub_outbox_claim(struct hub_notify *, struct hub_post *, struct hub_intent *in);
/* Take over an intent a run before this one left 'sending'. */
int	hub_outbox_take(struct hub_notify *, const struct hub_intent *in);
/* Say on an intent why it did not go out (status 'failed' or 'retrying'). */
void	hub_outbox_error(struct hub_notify *, int64_t intent, const char *status,
	    const char *code, const char *detail);
/* Delivered: the ts on the intent and the sent_messages rows, together.
 * -1: the message is out but not recorded (retry noted; the next run finds
 * it by its key). */
int	hub_outbox_done(struct hub_notify *, int64_t intent, struct hub_post *);
/* A failed row for an admin without sending anything; once per key. */
void	hub_outbox_log(struct hub_notify *, const char *key, const char *kind,
	    const char *transport, const char *recipient, int64_t asg, const char *code,
	    const char *detail);

#endif
