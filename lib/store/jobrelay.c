/*
 * jobrelay.c - notifications from the lanes' parent to its children
 * (jobrelay.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/common.h"
#include "store/jobrelay.h"

int
hub_job_relay_send(int fd, const char *payload)
{
	char rec[HUB_JOB_RELAY_REC];
	size_t len = strlen(payload);

	if (len >= sizeof(rec))
		return -1;
	memset(rec, 0, sizeof(rec));
	memcpy(rec, payload, len);
	return write(fd, rec, sizeof(rec)) == (ssize_t)sizeof(rec) ? 0 : -1;
}

int
hub_job_relay_socket(struct hub_db *db)
{
	PGconn *conn = db != NULL ? hub_db_conn(db) : NULL;

	return conn != NULL && PQstatus(conn) == CONNECTION_OK ? PQsocket(conn) : -1;
}

int
hub_job_relay_take(struct hub_db *db, void (*fn)(void *arg, const char *payload), void *arg)
{
	PGconn *conn = db != NULL ? hub_db_conn(db) : NULL;
	PGnotify *n;

	if (conn == NULL || !PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
		return -1;
	while ((n = PQnotifies(conn)) != NULL) {
		fn(arg, n->extra);
		PQfreemem(n);
	}
	return 0;
}

/* Read every whole record waiting in the pipe into h.  0 the pipe is
 * empty, 1 its writer is gone, -1 an error. */
static int
relay_read(int fd, struct hub_job_heard *h, const struct hub_job_filter *f,
    const char *worker_id)
{
	char buf[HUB_JOB_RELAY_REC * 8];
	ssize_t n, off;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		for (off = 0; off + HUB_JOB_RELAY_REC <= n; off += HUB_JOB_RELAY_REC) {
			buf[off + HUB_JOB_RELAY_REC - 1] = '\0';
			hub_job_heard_add(h, f, worker_id, buf + off);
		}
	}
}

int
hub_job_relay_wait(int fd, int timeout_ms, const struct hub_job_filter *f,
    const char *worker_id)
{
	struct hub_job_heard h = { 0, 0, 0 };
	long long until = hub_mono_ms() + timeout_ms;
	int rc, gone;

	for (;;) {
		if ((gone = relay_read(fd, &h, f, worker_id)) < 0)
			return -1;
		if ((rc = hub_job_heard_rc(&h)) > 0)
			return rc;
		/* A pipe whose writer is gone: only sleep out the wait. */
		if ((rc = hub_job_poll(gone ? -1 : fd, until)) <= 0)
			return rc;
	}
}
