/*
 * mailout.h - one email of the notify job (SMTP_URL, SMTP_FROM through
 * smtp.h), once per key through the outbox (outbox.h): at least once, as
 * only a crash between the send and the commit repeats one.  A slow SMTP
 * server must not hold the places of the lane running the job: outside
 * the "email" lane the job is handed over instead of sending (deliver.c's
 * finish() then puts it back at once into that lane).  SMTP transient ->
 * retry, permanent -> failure.
 */
#ifndef HUB_MAILOUT_H
#define HUB_MAILOUT_H

#include "slack/render.h"
#include "notify/notifyjob.h"

/* Email p the kind k form of the notification (with the decision link
 * when k asks to decide). */
enum hub_uo	hub_mailout_send(struct hub_notify *, struct hub_person *p,
		    enum hub_render_kind k);

#endif
