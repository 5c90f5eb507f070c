/*
 * routing.h - which connection, channel and delivery mode a notification
 * uses.  First set wins: connection step -> request -> source -> default
 * connection; channel step -> request -> source -> settings
 * "delivery.channel" -> the connection's default channel; mode step ->
 * request -> source -> settings "delivery.mode" (default "dm").  A channel
 * mode without a channel becomes dm, and the admin is told once (a failed
 * delivery_log row, no_channel).  Owns reading the request, step and
 * assignment rows those inputs (and the render context's request and
 * step) come from.
 */
#ifndef HUB_ROUTING_H
#define HUB_ROUTING_H

#include <libpq-fe.h>

#include "notify/notifyjob.h"

/* The request into the render context and the resolution inputs; *out
 * the row (the caller clears it).  HUB_DB_OK, HUB_DB_NOTFOUND, or a
 * database error (hub_db_strerror). */
int	hub_routing_load_request(struct hub_notify *, PGresult **out);
/* The job's assignment into me, its step into d->step.  HUB_DB_OK,
 * HUB_DB_NOTFOUND, or a database error. */
int	hub_routing_load_assignment(struct hub_notify *, struct hub_person *me);
/* The step d->step into the render context and the resolution inputs. */
int	hub_routing_load_step(struct hub_notify *);
/* The connection into d->conn: 1 found, 0 none, -1 database. */
int	hub_routing_connection(struct hub_notify *);
/* The channel, mode and delivery.user_not_found of the notification. */
void	hub_routing_mode(struct hub_notify *);

#endif
