/*
 * notifyjob.h - what one run of the "notify" job (deliver.h) carries from
 * module to module: the request and notification it is about, the
 * connection, channel and mode routing.h resolved, the render context, and
 * the job's outcome gathered over its messages.  Owns the outcome notes
 * (retry, rate limit, failure) every part of delivery writes and finish()
 * in deliver.c reads, and the people a message is for.
 *
 * Internal to lib/notify's delivery modules (routing, fanout, stepmsg,
 * groupdm, recipient, slackpost, mailout, outbox, msgctx): nothing else
 * includes it.  Nothing here sends, or allocates beyond the render
 * context the job owns.
 */
#ifndef HUB_NOTIFYJOB_H
#define HUB_NOTIFYJOB_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/common.h"
#include "store/db.h"
#include "store/job.h"
#include "approval/engine.h"
#include "slack/connections.h"
#include "slack/render.h"
#include "slack/slackapi.h"

#define DL_KEY_MAX		300
#define DL_VALUE_MAX		324     /* approver values are <= 320 */
#define DL_JSON_MAX		(256 * 1024)
#define DL_CHANNEL_MAX		80      /* a channel or user id, as Slack gives it */
#define DL_DETAIL_MAX		256     /* the job's outcome, and an intent's error */
#define DL_FIX_MAX		512     /* a delivery_log detail with its fix */

/* What one send came to. */
enum hub_uo {
	HUB_UO_OK = 0,
	HUB_UO_RETRY,	/* recorded in the job's result: try the job again */
	HUB_UO_FAIL,	/* recorded: permanent */
	HUB_UO_AUTH,	/* connection dead or disabled: reach them by email */
	HUB_UO_NOUSER,	/* the Slack user does not exist: fallback setting */
	HUB_UO_NOCONN,	/* no connection resolves at all: on record, fallback setting */
	HUB_UO_BUSY,	/* another job is sending this shared message */
};

struct hub_person {
	int64_t	asg;                        /* 0: requester or watcher */
	char	kind[8];                    /* slack | email */
	char	value[DL_VALUE_MAX];
	char	slack[HUB_SLACK_ID_LEN];
	char	email[DL_VALUE_MAX];
	char	delegate_for[DL_VALUE_MAX];
	char	status[16];
	char	tag[32];                    /* key part: a12, req, w3 */
	int	from_lookup;                /* slack came from the email lookup */
};

struct hub_notify {
	struct hub_job_env		*env;
	const struct hub_job		*job;
	struct hub_job_result	*r;
	struct hub_slack		 sl;
	char		 req[HUB_ID_LEN];
	const char	*kind;
	enum hub_render_kind rk;
	int64_t		 asg;
	int		 step;
	char		 gen[32];
	char		 jobid[24];
	char		 step_id[24];
	long long	 deadline;
	int		 current_step;
	/* resolution inputs: step, request, source */
	char		 conn_ids[3][HUB_CONN_ID_LEN];
	char		 channels[3][DL_CHANNEL_MAX];
	char		 modes[3][16];
	struct hub_conn	 conn;
	int		 have_conn;
	char		 mode[16];
	char		 channel[DL_CHANNEL_MAX];
	char		 notfound[16];
	json_object	*ctx;          /* render context, changed per message */
	json_object	*watchers;
	/* the job's outcome, gathered over its messages */
	int		 retry;
	int		 retry_after;
	long		 defer_ms;     /* our own rate bucket said later: defer the job */
	int		 handed;       /* moved to the email lane: its emails go out there */
	int		 fail;
	int		 stop;         /* ratelimited or shutdown: send no more */
	int		 sent;
	int		 emailed;
	int		 logged;
	char		 code[32];
	char		 detail[DL_DETAIL_MAX];
};

/* Column col of row as a number, 0 when it is not one. */
long long	hub_notifyjob_cell(const PGresult *, int row, int col);
/* Truncating copy: every destination is sized for what it holds. */
void		hub_notifyjob_copy(char *dst, size_t n, const char *src);
/* The worker is shutting down: send no more. */
int		hub_notifyjob_stopping(const struct hub_notify *);
/* A retry for the whole job (after: seconds, -1 backoff); the shortest
 * Retry-After asked wins. */
void		hub_notifyjob_retry(struct hub_notify *, int after, const char *code,
		    const char *fmt, ...) HUB_PRINTF(4, 5);
/* A rate limit met calling what: deferral or retry, and stop. */
void		hub_notifyjob_limited(struct hub_notify *, const struct hub_slack_result *,
		    const char *what);
/* A permanent failure; a retry already noted keeps its reason. */
void		hub_notifyjob_fail(struct hub_notify *, const char *code,
		    const char *fmt, ...) HUB_PRINTF(3, 4);
/* A Slack user id (U…, W…) rather than a channel. */
int		hub_notifyjob_is_user_id(const char *);
/* The notification is one a step's shared message carries. */
int		hub_notifyjob_shared(const struct hub_notify *);
/* The notification asks its approver to decide. */
int		hub_notifyjob_decides(const struct hub_notify *);
/* Global settings (settings.h) read in one round trip: each out the
 * setting's value, or dflt when it is unset or unreadable. */
#define HUB_NOTIFYJOB_WANT_MAX	4
struct hub_notifyjob_want {
	const char	*key;
	char		*out;
	size_t		 size;
	const char	*dflt;
};
void		 hub_notifyjob_settings(struct hub_notify *, const struct hub_notifyjob_want *,
		    size_t n);
/* A person from an assignment row (routing's and stepmsg's statements:
 * id, kind, value, slack id, status, position, delegate_for). */
void		hub_notifyjob_person_row(const PGresult *, int i, struct hub_person *);
/* A requester or watcher: kind "slack" or "email", tag the key part. */
void		hub_notifyjob_person_set(struct hub_person *, const char *kind,
		    const char *value, const char *tag);

#endif
