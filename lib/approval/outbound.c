/*
 * outbound.c - the jobs the engine hands to the worker (see outbound.h).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "base/netguard.h"
#include "approval/outbound.h"
#include "store/db.h"
#include "store/jobs.h"

int
hub_outbound_notify(struct hub_db *db, const char *req, const char *kind, int64_t asg,
    int step, const char *reason, long long gen, const char *lane)
{
	json_object *pl = json_object_new_object();
	char key[HUB_OUTBOUND_KEY_MAX + 1];
	int rc = HUB_DB_NOMEM;

	if (pl == NULL)
		return rc;
	if (json_object_object_add(pl, "request_id", json_object_new_string(req)) != 0 ||
	    json_object_object_add(pl, "kind", json_object_new_string(kind)) != 0)
		goto out;
	if (asg > 0 && json_object_object_add(pl, "assignment_id",
	    json_object_new_int64(asg)) != 0)
		goto out;
	if (step > 0 && json_object_object_add(pl, "step", json_object_new_int(step)) != 0)
		goto out;
	if (reason != NULL && json_object_object_add(pl, "reason",
	    json_object_new_string(reason)) != 0)
		goto out;
	if ((size_t)snprintf(key, sizeof(key), "notify:%s:%s:%lld:%lld", req, kind,
	    asg > 0 ? (long long)asg : (long long)step, gen) >= sizeof(key)) {
		rc = HUB_DB_CHECK;
		goto out;
	}
	rc = hub_job_enqueue(db, &(struct hub_job_spec){ .kind = HUB_OUTBOUND_NOTIFY,
	    .payload = pl, .dedupe_key = key, .lane = lane }, NULL);
out:
	json_object_put(pl);
	return rc;
}

void
hub_outbound_notify_gen(const struct hub_job *job, char *out, size_t n)
{
	const char *colon;

	if (job->dedupe_key != NULL && (colon = strrchr(job->dedupe_key, ':')) != NULL && colon[1] != '\0')
		snprintf(out, n, "%s", colon + 1);
	else
		snprintf(out, n, "%lld", (long long)job->id);
}

int
hub_outbound_sync(struct hub_db *db, const char *req)
{
	json_object *pl = json_object_new_object();
	int rc = HUB_DB_NOMEM;

	if (pl == NULL)
		return rc;
	if (json_object_object_add(pl, "request_id", json_object_new_string(req)) != 0)
		goto out;
	rc = hub_job_enqueue(db, &(struct hub_job_spec){ .kind = HUB_OUTBOUND_SYNC,
	    .payload = pl }, NULL);
out:
	json_object_put(pl);
	return rc;
}

int
hub_outbound_http_post(struct hub_db *db, const char *url, json_object *body,
    const char *sealed, int64_t delivery_id, const char *source_id, const char *dedupe_key,
    int64_t *id)
{
	json_object *pl = json_object_new_object();
	char target[HUB_OUTBOUND_TARGET_MAX];
	int rc = HUB_DB_NOMEM;

	if (pl == NULL)
		return rc;
	/* Per host the worker caps and breaks its circuit (callbacks.h). */
	if (hub_netguard_url_target(url, target, sizeof(target)) != 0)
		target[0] = '\0';
	if (json_object_object_add(pl, "url", json_object_new_string(url)) != 0 ||
	    json_object_object_add(pl, "body", body != NULL ? json_object_get(body) : NULL) != 0)
		goto out;
	if (delivery_id > 0 && json_object_object_add(pl, "delivery_id",
	    json_object_new_int64(delivery_id)) != 0)
		goto out;
	if (source_id != NULL && json_object_object_add(pl, "source_id",
	    json_object_new_string(source_id)) != 0)
		goto out;
	if (sealed != NULL && json_object_object_add(pl, "sign_secret_sealed",
	    json_object_new_string(sealed)) != 0)
		goto out;
	rc = hub_job_enqueue(db, &(struct hub_job_spec){ .kind = HUB_OUTBOUND_HTTP_POST,
	    .payload = pl, .dedupe_key = dedupe_key,
	    .target = target[0] != '\0' ? target : NULL,
	    .max_age_s = HUB_OUTBOUND_HTTP_POST_MAX_AGE_S,
	    .max_attempts = HUB_OUTBOUND_HTTP_POST_ATTEMPTS }, id);
out:
	json_object_put(pl);
	return rc;
}

int
hub_outbound_callback(struct hub_db *db, const char *req, const char *status,
    const char *url, json_object *body, const char *sealed, int64_t delivery_id,
    const char *source_id, int64_t *id)
{
	char key[HUB_OUTBOUND_KEY_MAX + 1];

	if ((size_t)snprintf(key, sizeof(key), "callback:%s:%s", req, status) >= sizeof(key))
		return HUB_DB_CHECK;
	return hub_outbound_http_post(db, url, body, sealed, delivery_id, source_id, key, id);
}
