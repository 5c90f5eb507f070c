/*
 * job.c - the job result helpers (see job.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/job.h"

void
hub_job_result_init(struct hub_job_result *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = HUB_JOB_DONE;
	r->retry_after = -1;
}

void
hub_job_result_set(struct hub_job_result *r, int verdict, const char *reason,
    const char *code, const char *fmt, ...)
{
	va_list ap;

	r->verdict = verdict;
	r->retry_after = -1;
	r->lane = NULL;
	r->reason = reason;
	snprintf(r->code, sizeof(r->code), "%.*s", (int)sizeof(r->code) - 1,
	    code != NULL ? code : "");
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

void
hub_job_result_defer(struct hub_job_result *r, long delay_ms, const char *reason)
{
	hub_job_result_set(r, HUB_JOB_DEFER, reason, NULL, "deferred %ld ms: %s",
	    delay_ms, reason != NULL ? reason : "");
	r->defer_ms = delay_ms > 0 ? delay_ms : 0;
}

void
hub_job_result_append(struct hub_job_result *r, const char *fmt, ...)
{
	size_t n = strlen(r->detail);
	va_list ap;

	if (n + 1 >= sizeof(r->detail))
		return;
	va_start(ap, fmt);
	vsnprintf(r->detail + n, sizeof(r->detail) - n, fmt, ap);
	va_end(ap);
}
