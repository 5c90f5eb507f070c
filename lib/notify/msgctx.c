/*
 * msgctx.c - the render context of one message of a notify job
 * (msgctx.h): whom it speaks to, the mode, the mentions and names, the
 * decision link when the message may carry one.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "base/common.h"
#include "base/log.h"
#include "approval/decidelink.h"
#include "notify/notifyjob.h"
#include "notify/msgctx.h"

static const char *
person_display(const struct hub_person *p)
{
	return p->value;
}

static int
jset(json_object *o, const char *k, json_object *v)
{
	if (v == NULL) {
		json_object_object_del(o, k);
		return 0;
	}
	return json_object_object_add(o, k, v);
}

static int
jset_str(json_object *o, const char *k, const char *v)
{
	if (v == NULL || *v == '\0') {
		json_object_object_del(o, k);
		return 0;
	}
	return json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *
links(struct hub_notify *d)
{
	json_object *l = json_object_object_get(d->ctx, "links");

	if (l == NULL) {
		l = json_object_new_object();
		json_object_object_add(d->ctx, "links", l);
	}
	return l;
}

/* The decision link of one assignment (email, webhook buttons). */
static int
decide_link(struct hub_notify *d, int64_t asg, struct hub_buf *out)
{
	const struct hub_conf *c = d->env->conf;

	if (c == NULL || !c->have_secret_key || c->public_url == NULL || asg <= 0)
		return -1;
	return hub_decidelink_make_url(c->secret_key, c->public_url, asg, d->req, time(NULL),
	    (time_t)d->deadline, out) == HUB_DECIDELINK_OK ? 0 : -1;
}

/* The context for one message: who it is for (NULL: shared), the mode,
 * mentions and the approvers a webhook post names (both borrowed), and
 * the decision link when the message should carry one (email only: a
 * webhook post is read by the whole channel). */
int
hub_msgctx_set(struct hub_notify *d, const struct hub_person *p, const char *display,
    int webhook, json_object *mentions, json_object *approvers, int with_decide)
{
	struct hub_buf url = HUB_BUF_INIT(2048);
	json_object *a = NULL;
	int rc = -1;

	if (p != NULL || display != NULL) {
		if ((a = json_object_new_object()) == NULL)
			goto out;
		if (p != NULL && p->asg > 0)
			json_object_object_add(a, "id", json_object_new_int64(p->asg));
		if (p != NULL) {
			jset_str(a, "approver_kind", p->kind);
			jset_str(a, "approver_value", p->value);
			jset_str(a, "slack_user_id", p->slack);
			jset_str(a, "delegate_for", p->delegate_for);
			jset_str(a, "status", p->status);
		}
		jset_str(a, "display", display != NULL ? display : person_display(p));
	}
	if (jset(d->ctx, "assignment", a) != 0)
		goto out;
	a = NULL;
	/* An approver reads a request-level notification in words for them. */
	if (jset_str(d->ctx, "audience", p != NULL && p->asg > 0 ? "approver" : NULL) != 0)
		goto out;
	if (jset_str(d->ctx, "mode", webhook ? "webhook" : "app") != 0 ||
	    jset(d->ctx, "mentions", mentions ? json_object_get(mentions) : NULL) != 0 ||
	    jset(d->ctx, "approvers", approvers ? json_object_get(approvers) : NULL) != 0)
		goto out;
	if (with_decide && p != NULL && p->asg > 0 && hub_notifyjob_decides(d) &&
	    decide_link(d, p->asg, &url) == 0) {
		if (jset_str(links(d), "decide", hub_buf_str(&url)) != 0)
			goto out;
	} else
		json_object_object_del(links(d), "decide");
	rc = 0;
out:
	json_object_put(a);
	hub_buf_release(&url);
	return rc;
}

/* {"slack_user_ids": [], "names": []}: whom a webhook post asking to
 * decide names (render.h "approvers"); NULL when out of memory. */
json_object *
hub_msgctx_approvers_new(void)
{
	json_object *o = json_object_new_object();

	if (o != NULL && (json_object_object_add(o, "slack_user_ids",
	    json_object_new_array()) != 0 || json_object_object_add(o, "names",
	    json_object_new_array()) != 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* p in the list: a mention when Slack knows them, else their name. */
void
hub_msgctx_approvers_add(json_object *o, const struct hub_person *p, int in_slack)
{
	json_object_array_add(json_object_object_get(o, in_slack ? "slack_user_ids" : "names"),
	    json_object_new_string(in_slack ? p->slack : person_display(p)));
}

int
hub_msgctx_render(struct hub_notify *d, enum hub_render_kind k, struct hub_render_out *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = hub_render(k, d->ctx, out)) != HUB_RENDER_OK) {
		hub_log(HUB_LOG_ERROR, "render_failed", "kind", hub_render_kind_name(k),
		    "error", hub_render_strerror(rc), NULL);
		if (rc == HUB_RENDER_NOMEM)
			hub_notifyjob_retry(d, -1, "nomem", "out of memory rendering %s",
			    hub_render_kind_name(k));
		else
			hub_notifyjob_fail(d, "render", "cannot render %s: %s",
			    hub_render_kind_name(k), hub_render_strerror(rc));
		return -1;
	}
	return 0;
}
