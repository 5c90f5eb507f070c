/*
 * stepmsg.h - the shared message of a step: in channel mode (and on
 * webhook connections) ONE message per step and notification, with
 * @mentions of its undecided approvers (a webhook post names them), batches
 * past 50 as thread replies; the first job posts it, the others find it
 * and are done.  An assignment added after it went out gets a message of
 * its own.  groupdm.h posts its mpim message through the same path.  Owns
 * the batches of a step's people a message is built from.
 */
#ifndef HUB_STEPMSG_H
#define HUB_STEPMSG_H

#include <stddef.h>

#include <json-c/json.h>

#include "notify/notifyjob.h"

/* What a shared message's intent says about the job's own person. */
enum hub_stepmsg_state {
	HUB_STEPMSG_GO = 0,	/* not sent yet: send it */
	HUB_STEPMSG_DONE,	/* it reached them (or its failure is handled) */
	HUB_STEPMSG_ALONE,	/* it went out without them: a message of their own */
	HUB_STEPMSG_WAIT,	/* another job is sending it, or trouble (noted) */
};

/* People of the step, owned by the batch (hub_stepmsg_batch_free). */
struct hub_batch {
	struct hub_person	*p;
	size_t			 n;
};

enum hub_stepmsg_state hub_stepmsg_state(struct hub_notify *, const char *key,
		    struct hub_person *me);
/* The step's pending approvers the notification speaks to (delegates for
 * a delegate call), or with undecided set the approvers a deadline left
 * undecided.  -1 with the retry noted. */
int		hub_stepmsg_batch_load(struct hub_notify *, int undecided,
		    struct hub_batch *);
void		hub_stepmsg_batch_free(struct hub_batch *);
/* Keep the people whose assignment id is in ids (a JSON array of group
 * members), or, with ids NULL, those in no group (excl). */
void		hub_stepmsg_batch_filter(struct hub_batch *, json_object *ids,
		    json_object *excl);
/* Post the message with this key to target (NULL: the webhook) once for
 * the Slack-reachable people of the batch; me is the job's own person,
 * whose fallback alone is this job's business. */
void		hub_stepmsg_post(struct hub_notify *, struct hub_person *me,
		    const char *key, struct hub_batch *, const char *target, int webhook);
/* The channel (or webhook) post for me's step, once; me alone when it
 * went out before me. */
void		hub_stepmsg_channel(struct hub_notify *, struct hub_person *me,
		    int webhook);

#endif
