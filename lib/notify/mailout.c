/*
 * mailout.c - one email of the notify job, exactly once as far as SMTP
 * lets it be (mailout.h): the move to the email lane, the intent, the
 * rendering and the SMTP verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/smtp.h"
#include "approval/outbound.h"
#include "notify/notifyjob.h"
#include "notify/msgctx.h"
#include "notify/outbox.h"
#include "notify/mailout.h"

/*
 * A slow SMTP server must not hold the places of the lane running us
 * (slack): in another lane than email, the job is handed over instead of
 * sending, and goes on with its Slack messages; deliver.c's finish() then
 * puts it back at once into the email lane (one statement, with the
 * worker's next wait), and the email lane runs it again, the messages
 * already sent skipped by their intents.  1 when the email is not ours to
 * send here.
 */
static int
email_handover(struct hub_notify *d)
{
	if (d->env->lane == NULL || strcmp(d->env->lane, HUB_OUTBOUND_LANE_EMAIL) == 0)
		return 0;
	d->handed = 1;
	return 1;
}

/* The email's intent: 1 it is ours to send now (in filled), 0 not (*out
 * says why: sent before, another job's, failed for good, or trouble). */
static int
email_claim(struct hub_notify *d, struct hub_post *po, struct hub_intent *in,
    enum hub_uo *out)
{
	int fresh;

	*out = HUB_UO_RETRY;
	if ((fresh = hub_outbox_claim(d, po, in)) < 0)
		return 0;
	if (fresh)
		return 1;
	if (strcmp(in->status, "delivered") == 0) {
		*out = HUB_UO_OK;
		return 0;
	}
	if (!in->mine && in->owner_live && in->age_s < DL_STALE_INTENT_S &&
	    strcmp(in->status, "failed") != 0) {
		hub_notifyjob_retry(d, DL_BUSY_RETRY_S, "busy", "another job is sending %s",
		    po->key);
		*out = HUB_UO_BUSY;
		return 0;
	}
	if (strcmp(in->status, "failed") == 0) {
		hub_notifyjob_fail(d, in->code, "%s", in->detail);
		*out = HUB_UO_FAIL;
		return 0;
	}
	return hub_outbox_take(d, in) == 0;
}

/* The rendered email through SMTP, and what the server said on the
 * intent and the job. */
static enum hub_uo
email_smtp(struct hub_notify *d, const struct hub_person *p, int64_t intent,
    struct hub_post *po, const struct hub_render_out *ro)
{
	const struct hub_conf *c = d->env->conf;
	char err[HUB_SMTP_ERR_MAX];
	const char *code;
	int rc;

	err[0] = '\0';
	po->subject = ro->email_subject;
	rc = hub_smtp_send(d->env->smtp, c->smtp_url, c->smtp_from, p->email, ro->email_subject,
	    ro->email_text, ro->email_html, err, sizeof(err));
	switch (rc) {
	case HUB_SMTP_OK:
		if (hub_outbox_done(d, intent, po) != 0)
			return HUB_UO_RETRY;
		d->emailed++;
		return HUB_UO_OK;
	case HUB_SMTP_TRANSIENT:
	case HUB_SMTP_NOMEM:
		hub_outbox_error(d, intent, "retrying", "smtp_transient", err);
		hub_notifyjob_retry(d, -1, "smtp_transient", "email: %s", err);
		return HUB_UO_RETRY;
	default:
		code = rc == HUB_SMTP_PERMANENT ? "smtp_permanent" : "smtp_invalid";
		hub_outbox_error(d, intent, "failed", code, err);
		hub_notifyjob_fail(d, code, "email: %s", err);
		return HUB_UO_FAIL;
	}
}

enum hub_uo
hub_mailout_send(struct hub_notify *d, struct hub_person *p, enum hub_render_kind k)
{
	const struct hub_conf *c = d->env->conf;
	struct hub_render_out ro;
	struct hub_intent in;
	struct hub_post po;
	enum hub_uo out;

	memset(&po, 0, sizeof(po));
	snprintf(po.key, sizeof(po.key), "notify:%s:%s:%s:%s:email", d->req, p->tag, d->kind,
	    d->gen);
	po.transport = "email";
	po.kind = hub_render_kind_name(k);
	po.recipient = p->email;
	po.asg = p->asg;
	if (email_handover(d))
		return HUB_UO_RETRY;
	if (!email_claim(d, &po, &in, &out))
		return out;
	if (c == NULL || c->smtp_url == NULL || c->smtp_from == NULL) {
		hub_outbox_error(d, in.id, "failed", "no_smtp",
		    "SMTP_URL and SMTP_FROM are needed to reach people by email");
		hub_notifyjob_fail(d, "no_smtp", "no SMTP server configured for %s", p->tag);
		return HUB_UO_FAIL;
	}
	if (hub_msgctx_set(d, p, NULL, 0, NULL, NULL, 1) != 0) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return HUB_UO_RETRY;
	}
	if (hub_msgctx_render(d, k, &ro) != 0) {
		hub_outbox_error(d, in.id, "failed", "render", "cannot render the email");
		return d->retry ? HUB_UO_RETRY : HUB_UO_FAIL;
	}
	out = email_smtp(d, p, in.id, &po, &ro);
	hub_render_out_free(&ro);
	return out;
}
