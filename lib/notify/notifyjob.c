/*
 * notifyjob.c - the state one notify job carries (notifyjob.h): the
 * outcome notes every part of delivery writes, the people a message is
 * for, the settings it reads.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/log.h"
#include "store/settings.h"
#include "notify/notifyjob.h"

long long
hub_notifyjob_cell(const PGresult *r, int row, int col)
{
	int64_t v = 0;

	(void)hub_db_get_int64(r, row, col, &v);
	return v;
}

/* Truncating copy: every destination is sized for what it holds. */
void
hub_notifyjob_copy(char *dst, size_t n, const char *src)
{
	size_t l = src != NULL ? strlen(src) : 0;

	if (l > n - 1)
		l = n - 1;

	if (l > 0)
		memcpy(dst, src, l);
	dst[l] = '\0';
}

int
hub_notifyjob_stopping(const struct hub_notify *d)
{
	return d->env->stop != NULL && *d->env->stop;
}

/* A retry for the whole job; the shortest Retry-After asked wins. */
HUB_PRINTF(4, 5) void
hub_notifyjob_retry(struct hub_notify *d, int after, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!d->retry || (after >= 0 && (d->retry_after < 0 || after < d->retry_after)))
		d->retry_after = after;
	d->retry = 1;
	hub_notifyjob_copy(d->code, sizeof(d->code), code);
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

/*
 * A rate limit.  Our own bucket had no token: the job is deferred to its
 * place in line (ratelimit.h), no attempt spent and nothing slept, and
 * stops here.  Slack's own 429: a retry after its Retry-After.
 */
void
hub_notifyjob_limited(struct hub_notify *d, const struct hub_slack_result *res,
    const char *what)
{
	if (strcmp(res->error, "local_ratelimit") == 0 && res->wait_ms > 0) {
		if (d->defer_ms == 0)
			d->defer_ms = res->wait_ms;
	} else
		hub_notifyjob_retry(d, res->retry_after > 0 ? res->retry_after :
		    res->wait_ms > 0 ? (int)(res->wait_ms / 1000 + 1) : 1, "ratelimited",
		    "%s rate limited (connection \"%s\")", what, d->conn.name);
	d->stop = 1;
}

HUB_PRINTF(3, 4) void
hub_notifyjob_fail(struct hub_notify *d, const char *code, const char *fmt, ...)
{
	va_list ap;

	d->fail = 1;
	if (d->retry)
		return;   /* the retry's reason stays on the job */
	hub_notifyjob_copy(d->code, sizeof(d->code), code);
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

int
hub_notifyjob_is_user_id(const char *s)
{
	return s != NULL && (s[0] == 'U' || s[0] == 'W');
}

int
hub_notifyjob_shared(const struct hub_notify *d)
{
	return d->rk == HUB_RENDER_CALL_FOR_ACTION || d->rk == HUB_RENDER_DELEGATE_CALL ||
	    d->rk == HUB_RENDER_REMINDER || d->rk == HUB_RENDER_MANUAL_REMINDER;
}

int
hub_notifyjob_decides(const struct hub_notify *d)
{
	return hub_notifyjob_shared(d) || d->rk == HUB_RENDER_APPROVER_ADDED;
}

/* Global settings (settings.h), each its dflt when it is unset or
 * unreadable. */
void
hub_notifyjob_settings(struct hub_notify *d, const struct hub_notifyjob_want *w, size_t n)
{
	const char *keys[HUB_NOTIFYJOB_WANT_MAX] = { NULL };
	struct hub_buf v[HUB_NOTIFYJOB_WANT_MAX];
	int errs[HUB_NOTIFYJOB_WANT_MAX];
	size_t i;

	if (n > HUB_NOTIFYJOB_WANT_MAX)
		n = HUB_NOTIFYJOB_WANT_MAX;
	for (i = 0; i < n; i++) {
		keys[i] = w[i].key;
		hub_buf_init(&v[i], 256);
		errs[i] = HUB_SETTINGS_DB;
		hub_notifyjob_copy(w[i].out, w[i].size, w[i].dflt);
	}
	(void)hub_settings_get_each(d->env->db, keys, v, errs, n);
	for (i = 0; i < n; i++) {
		if (errs[i] == HUB_SETTINGS_OK && v[i].len > 0)
			hub_notifyjob_copy(w[i].out, w[i].size, v[i].data);
		hub_buf_release(&v[i]);
	}
}

void
hub_notifyjob_person_row(const PGresult *r, int i, struct hub_person *p)
{
	memset(p, 0, sizeof(*p));
	p->asg = hub_notifyjob_cell(r, i, 0);
	hub_notifyjob_copy(p->kind, sizeof(p->kind), PQgetvalue(r, i, 1));
	hub_notifyjob_copy(p->value, sizeof(p->value), PQgetvalue(r, i, 2));
	hub_notifyjob_copy(p->slack, sizeof(p->slack), PQgetvalue(r, i, 3));
	hub_notifyjob_copy(p->status, sizeof(p->status), PQgetvalue(r, i, 4));
	hub_notifyjob_copy(p->delegate_for, sizeof(p->delegate_for), PQgetvalue(r, i, 6));
	if (strcmp(p->kind, "slack") == 0)
		hub_notifyjob_copy(p->slack, sizeof(p->slack), p->value);
	else
		hub_notifyjob_copy(p->email, sizeof(p->email), p->value);
	snprintf(p->tag, sizeof(p->tag), "a%lld", (long long)p->asg);
}

void
hub_notifyjob_person_set(struct hub_person *p, const char *kind, const char *value,
    const char *tag)
{
	memset(p, 0, sizeof(*p));
	hub_notifyjob_copy(p->kind, sizeof(p->kind), kind);
	hub_notifyjob_copy(p->value, sizeof(p->value), value);
	hub_notifyjob_copy(p->tag, sizeof(p->tag), tag);
	if (strcmp(kind, "slack") == 0)
		hub_notifyjob_copy(p->slack, sizeof(p->slack), value);
	else
		hub_notifyjob_copy(p->email, sizeof(p->email), value);
}
