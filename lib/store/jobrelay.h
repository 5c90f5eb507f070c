/*
 * jobrelay.h - the lanes' parent listens for its children (worker.c).
 *
 * PostgreSQL 15 signals every listening backend of the database at each
 * commit that notifies, whatever the channel, and each backend passes
 * the notification on to its client.  With a dozen lane processes each
 * listening on its own connection, a commit that names one waiter
 * (0029_named_wakeup.sql) woke a dozen backends and every idle lane
 * process with them, to read a payload meant for another.  So in lanes
 * only the parent listens, on a connection of its own, and writes each
 * notification to the pipe of the child it names (one that names
 * nobody: to each child of its lane); a child waits on its pipe.  A
 * record is HUB_JOB_RELAY_REC bytes, the payload and a NUL: a pipe write
 * that size is atomic, so a read of whole records gets whole records.
 */
#ifndef HUB_STORE_JOBRELAY_H
#define HUB_STORE_JOBRELAY_H

#include "store/db.h"
#include "store/jobs.h"

#define HUB_JOB_RELAY_REC	512

/* The parent: one record to a child's pipe (non-blocking).  A payload
 * too long for a record, or a full pipe (a child busy for a long time
 * with 128 records behind), is dropped: the child stands and looks
 * before it waits again.  0 written, -1 dropped. */
int	hub_job_relay_send(int fd, const char *payload);
/* The parent: the notifications its connection received (it listens:
 * hub_job_listen), each through fn.  0, or -1 when the connection is
 * lost (close it and connect again: notifications may have been
 * missed meanwhile). */
int	hub_job_relay_take(struct hub_db *, void (*fn)(void *arg, const char *payload),
	    void *arg);
/* The parent: the connection's socket, to wait on (-1: none). */
int	hub_job_relay_socket(struct hub_db *);
/* A child: as hub_job_wait, reading its pipe instead of a connection
 * (no reconnect to report: the parent's empty record wakes every child
 * after its own).  A pipe whose writer is gone waits out the timeout. */
int	hub_job_relay_wait(int fd, int timeout_ms, const struct hub_job_filter *,
	    const char *worker_id);

#endif
