/*
 * approvalhub-worker - runs jobs from the PostgreSQL job table: the table of
 * job kinds and sweeps below, and main.  The loop that claims, dispatches,
 * records and waits is lib/store/worker.c.
 *
 *   approvalhub-worker [--once] [--id NAME] [--lease SECONDS] [--backoff-base-ms MS]
 *                      [--sweep-seconds N]
 *
 * Several jobs at once, in lanes (the table below): each lane runs its own
 * number of child processes, one job each, so a lane whose remote end
 * hangs cannot hold up another.  WORKER_CONCURRENCY (jobs at once in all,
 * default 6 per core, at least 6) is shared out by the lanes' weights;
 * WORKER_LANES ("slack=4,callbacks=2,...") sets lanes one by one, "off"
 * runs one process that takes every kind one at a time (as --once does).
 * WORKER_CALLBACK_HOST_CAP (default 2): callbacks to one host at once.
 * SIGTERM/SIGINT: each job in flight finishes, or is given back if it is
 * interrupted, then exit 0.
 * WORKER_BACKOFF_BASE_MS (or --backoff-base-ms) replaces the retry backoff
 * base; tests set it to 0.  WORKER_SWEEP_SECONDS (or --sweep-seconds)
 * sets how often deadlines, reminders and lapses are swept (default 15,
 * 0 = never; the first sweep runs at start).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/common.h"
#include "base/conf.h"
#include "base/log.h"
#include "store/counters.h"
#include "store/job.h"
#include "store/worker.h"
#include "approval/ai.h"
#include "approval/engine.h"
#include "approval/outbound.h"
#include "slack/connadmin.h"
#include "slack/connections.h"
#include "slack/home.h"
#include "slack/respond.h"
#include "slack/oauth.h"
#include "slack/ratelimit.h"
#include "notify/callbacks.h"
#include "notify/deliver.h"
#include "notify/msgsync.h"
#include "web/session.h"

/* Job kinds: name, handler, stop retrying this long after creation
 * (0: the job's own deadline and attempts only), held back until
 * SLACK_BOT_TOKEN is a connection. */
static const struct hub_worker_kind kinds[] = {
	{ HUB_OUTBOUND_HTTP_POST, hub_job_http_post, HUB_OUTBOUND_HTTP_POST_MAX_AGE_S, 0 },
	{ HUB_OUTBOUND_NOTIFY,    hub_job_notify,    0, 1 },
	{ HUB_OUTBOUND_SYNC,      hub_job_sync,      0, 0 },
	{ HUB_RESPOND_KIND, hub_job_slack_respond, HUB_RESPOND_MAX_AGE_S, 0 },
	{ HUB_HOME_PUBLISH_KIND,  hub_job_home_publish,  0, 0 },
	{ HUB_OAUTH_JOB_KIND,     hub_job_oauth_exchange, HUB_OAUTH_JOB_MAX_AGE_S, 0 },
	{ HUB_OAUTH_WELCOME_KIND, hub_job_slack_welcome, HUB_OAUTH_WELCOME_MAX_AGE_S, 0 },
	{ HUB_CONNADM_TEST_KIND,  hub_job_connection_test, HUB_CONNADM_TEST_MAX_AGE_S, 0 },
	{ HUB_OUTBOUND_AI_EMBED,  hub_job_ai_embed,   HUB_AI_JOB_MAX_AGE_S, 0 },
	{ HUB_OUTBOUND_AI_ANALYZE, hub_job_ai_analyze, HUB_AI_JOB_MAX_AGE_S, 0 },
};

/* Lanes: name, kinds, weight (its share of WORKER_CONCURRENCY).  A job
 * whose producer chose a lane (jobs.lane) runs there whatever its kind:
 * a notification about to send an email moves itself to "email"
 * (lib/notify/deliver.c), so a slow SMTP server holds no place of "slack".  "slack" also takes
 * kinds no lane names. */
static const char *const slack_kinds[] = {
	HUB_OUTBOUND_NOTIFY, HUB_OUTBOUND_SYNC, HUB_RESPOND_KIND,
	HUB_OAUTH_JOB_KIND, HUB_OAUTH_WELCOME_KIND, HUB_CONNADM_TEST_KIND,
};
static const char *const home_kinds[] = { HUB_HOME_PUBLISH_KIND };
static const char *const callback_kinds[] = { HUB_OUTBOUND_HTTP_POST };
/* An inference service may take its 20 s: never in Slack's lane. */
static const char *const ai_kinds[] = { HUB_OUTBOUND_AI_EMBED, HUB_OUTBOUND_AI_ANALYZE };

enum { LANE_SLACK, LANE_HOME, LANE_CALLBACKS, LANE_EMAIL, LANE_AI, LANE__MAX };

static struct hub_worker_lane lanes[LANE__MAX] = {
	[LANE_SLACK]     = { "slack", slack_kinds, HUB_NELEM(slack_kinds), 1, 0, 0 },
	[LANE_HOME]      = { "home", home_kinds, HUB_NELEM(home_kinds), 0, 0, 0 },
	[LANE_CALLBACKS] = { "callbacks", callback_kinds, HUB_NELEM(callback_kinds), 0, 0, 0 },
	[LANE_EMAIL]     = { "email", NULL, 0, 0, 0, 0 },
	[LANE_AI]        = { "ai", ai_kinds, HUB_NELEM(ai_kinds), 0, 0, 0 },
};
static const int lane_weight[LANE__MAX] = { 3, 1, 2, 1, 1 };

#define WORKER_PER_CORE		6
#define WORKER_LANE_MAX		64
#define WORKER_HOST_CAP		2

/* Sweeps, in this order, every --sweep-seconds: expire, remind, lapse;
 * sent-message and lookup-cache retention; rotating Slack tokens; expired
 * dashboard sessions and stale sign-in throttle counts; metric events
 * folded into their counters (so they stay few without a scraper); Slack
 * rate buckets that are full again (one per channel would pile up). */
static const hub_job_sweep sweeps[] = {
	hub_engine_sweep,
	hub_msgsync_sweep,
	hub_oauth_sweep,
	hub_session_sweep,
	hub_counters_sweep,
	hub_ratelimit_sweep,
};

/* SLACK_BOT_TOKEN becomes the connection "default" before notifications run. */
static const struct hub_worker_setup env_connection = {
	hub_connections_env_setup, HUB_CONN_ENV_REASON, HUB_CONN_ENV_CODE, HUB_CONN_ENV_DETAIL
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: approvalhub-worker [--once] [--id NAME] [--lease SECONDS] "
	    "[--backoff-base-ms MS] [--sweep-seconds N]\n");
	exit(2);
}

static int
parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* Signals only set the flag (the lanes' children inherit it); no
 * SA_RESTART so waits return early. */
static void
signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* WORKER_CONCURRENCY shared out by weight, each lane at least one. */
static void
lanes_share(int total)
{
	int i, sum = 0;

	for (i = 0; i < LANE__MAX; i++)
		sum += lane_weight[i];
	for (i = 0; i < LANE__MAX; i++) {
		lanes[i].concurrency = total * lane_weight[i] / sum;
		if (lanes[i].concurrency < 1)
			lanes[i].concurrency = 1;
	}
}

/* WORKER_LANES "name=n,name=n": those lanes set one by one.  0 or -1. */
static int
lanes_spec(const char *spec)
{
	char name[32];
	const char *p = spec, *eq, *end;
	int i, n;

	while (*p != '\0') {
		end = p + strcspn(p, ",");
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    (size_t)(eq - p) >= sizeof(name))
			return -1;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - p), p);
		for (i = 0; i < LANE__MAX && strcmp(lanes[i].name, name) != 0; i++)
			;
		snprintf(name, sizeof(name), "%.*s", (int)(end - eq - 1), eq + 1);
		if (i == LANE__MAX || parse_int(name, 1, WORKER_LANE_MAX, &n) != 0)
			return -1;
		lanes[i].concurrency = n;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* The lanes from the settings into opts (none when "off"); 0, or -1 with
 * a message. */
static int
lanes_configure(struct hub_worker_opts *opts)
{
	const char *env;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int total = (int)(cores > 0 ? cores : 1) * WORKER_PER_CORE, cap = WORKER_HOST_CAP;

	if ((env = hub_conf_get("WORKER_CONCURRENCY")) != NULL &&
	    parse_int(env, 1, WORKER_LANE_MAX * LANE__MAX, &total) != 0) {
		fprintf(stderr, "approvalhub-worker: WORKER_CONCURRENCY is malformed: "
		    "must be 1..%d\n", WORKER_LANE_MAX * LANE__MAX);
		return -1;
	}
	lanes_share(total);
	opts->lanes = lanes;
	opts->nlanes = LANE__MAX;
	if ((env = hub_conf_get("WORKER_LANES")) != NULL && strcmp(env, "off") == 0)
		opts->nlanes = 0;
	else if (env != NULL && lanes_spec(env) != 0) {
		fprintf(stderr, "approvalhub-worker: WORKER_LANES is malformed: \"off\" or "
		    "slack=N,home=N,callbacks=N,email=N,ai=N (N 1..%d)\n", WORKER_LANE_MAX);
		return -1;
	}
	if ((env = hub_conf_get("WORKER_CALLBACK_HOST_CAP")) != NULL &&
	    parse_int(env, 1, WORKER_LANE_MAX, &cap) != 0) {
		fprintf(stderr, "approvalhub-worker: WORKER_CALLBACK_HOST_CAP is malformed: "
		    "must be 1..%d\n", WORKER_LANE_MAX);
		return -1;
	}
	lanes[LANE_CALLBACKS].target_cap = cap;
	return 0;
}

/* The command line into opts: 0, or -1 after saying what is wrong. */
static int
parse_args(int argc, char *argv[], struct hub_worker_opts *opts)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			opts->once = 1;
		else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
			opts->id = argv[++i];
		else if (strcmp(argv[i], "--lease") == 0 && i + 1 < argc) {
			if (parse_int(argv[++i], 10, 3600, &opts->lease_s) != 0) {
				fprintf(stderr, "approvalhub-worker: --lease must be 10..3600\n");
				return -1;
			}
		} else if (strcmp(argv[i], "--backoff-base-ms") == 0 && i + 1 < argc) {
			if (parse_int(argv[++i], 0, 3600000, &opts->backoff_base_ms) != 0) {
				fprintf(stderr, "approvalhub-worker: --backoff-base-ms must be 0..3600000\n");
				return -1;
			}
		} else if (strcmp(argv[i], "--sweep-seconds") == 0 && i + 1 < argc) {
			if (parse_int(argv[++i], 0, 86400, &opts->sweep_s) != 0) {
				fprintf(stderr, "approvalhub-worker: --sweep-seconds must be 0..86400\n");
				return -1;
			}
		} else
			usage();
	}
	return 0;
}

/* What the environment sets that the command line did not (backoff,
 * sweep interval, lanes): 0, or -1 after saying what is wrong. */
static int
env_options(struct hub_worker_opts *opts)
{
	const char *env;

	if (opts->backoff_base_ms < 0 && (env = hub_conf_get("WORKER_BACKOFF_BASE_MS")) != NULL &&
	    parse_int(env, 0, 3600000, &opts->backoff_base_ms) != 0) {
		fprintf(stderr, "approvalhub-worker: WORKER_BACKOFF_BASE_MS is malformed: "
		    "must be 0..3600000\n");
		return -1;
	}
	if (opts->sweep_s < 0 && (env = hub_conf_get("WORKER_SWEEP_SECONDS")) != NULL &&
	    parse_int(env, 0, 86400, &opts->sweep_s) != 0) {
		fprintf(stderr, "approvalhub-worker: WORKER_SWEEP_SECONDS is malformed: "
		    "must be 0..86400\n");
		return -1;
	}
	if (opts->sweep_s < 0)
		opts->sweep_s = 15;
	return lanes_configure(opts);
}

int
main(int argc, char *argv[])
{
	struct hub_conf conf;
	struct hub_worker_opts opts;
	char err[512], host[256], id[320];
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.lease_s = 60;
	opts.backoff_base_ms = -1;
	opts.idle_wait_ms = 5000;
	opts.sweep_s = -1;

	if (parse_args(argc, argv, &opts) != 0)
		return 2;

	if (hub_conf_load(&conf, HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "approvalhub-worker: %s\n", err);
		return 1;
	}
	hub_log_init("worker", conf.log_level);

	if (env_options(&opts) != 0) {
		hub_conf_free(&conf);
		return 1;
	}
	if (opts.id == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		snprintf(id, sizeof(id), "%s:%ld", host[0] ? host : "worker", (long)getpid());
		opts.id = id;
	}
	opts.database_url = conf.database_url;
	opts.conf = &conf;
	opts.kinds = kinds;
	opts.nkinds = HUB_NELEM(kinds);
	opts.sweeps = sweeps;
	opts.nsweeps = HUB_NELEM(sweeps);
	if (conf.slack_bot_token != NULL && conf.slack_bot_token[0] != '\0')
		opts.setup = &env_connection;
	opts.secret_key = conf.have_secret_key ? conf.secret_key : NULL;

	signals_setup();

	rc = hub_worker_run(&opts, &stop);
	hub_conf_free(&conf);
	return rc == 0 ? 0 : 1;
}
