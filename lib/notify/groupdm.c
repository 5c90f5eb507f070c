/*
 * groupdm.c - the group DM mode of the notify job (groupdm.h): the
 * undecided approvers of one hub group (or the step's ungrouped ones)
 * share one conversations.open mpim message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/connections.h"
#include "slack/slackapi.h"
#include "notify/notifyjob.h"
#include "notify/outbox.h"
#include "notify/slackpost.h"
#include "notify/recipient.h"
#include "notify/stepmsg.h"
#include "notify/groupdm.h"

#define DL_GROUP_DM_MAX		8

enum groupdm_stmt {
	DL_GROUPS,
	GROUPDM__MAX
};

static const struct hub_stmt groupdm_stmts[GROUPDM__MAX] = {
	/* $1 request: which assignments came from which group */
	[DL_GROUPS] = {
	    "SELECT coalesce(detail->'groups', '[]')::text FROM audit_log"
	    " WHERE request_id = $1::uuid AND action = 'request.created' ORDER BY id LIMIT 1", 1 },
};

static const struct hub_stmt_table groupdm_table = { "groupdm", groupdm_stmts, GROUPDM__MAX };

static int
dq(struct hub_notify *d, int stmt, const char *const *p, PGresult **res)
{
	return hub_db_exec(d->env->db, &groupdm_table, stmt, p, res);
}

/* The group an assignment came from, in request.created's audit detail:
 * the members' assignment ids (an array the caller puts), its index; NULL
 * when none; *all collects every grouped id of the step. */
static json_object *
group_of(struct hub_notify *d, int64_t asg, int *index, json_object **all)
{
	const char *p[1] = { d->req };
	PGresult *res = NULL;
	json_object *groups = NULL, *g, *members, *m, *id, *mine = NULL, *ids;
	size_t i, j;

	*all = json_object_new_array();
	if (dq(d, DL_GROUPS, p, &res) != HUB_DB_OK || PQntuples(res) != 1 ||
	    hub_json_parse(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), DL_JSON_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &groups) != HUB_JSON_OK ||
	    !json_object_is_type(groups, json_type_array))
		goto out;
	for (i = 0; i < json_object_array_length(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (!json_object_object_get_ex(g, "step_id", &id) ||
		    json_object_get_int64(id) != strtoll(d->step_id, NULL, 10) ||
		    !json_object_object_get_ex(g, "members", &members) ||
		    !json_object_is_type(members, json_type_array))
			continue;
		if ((ids = json_object_new_array()) == NULL)
			goto out;
		for (j = 0; j < json_object_array_length(members); j++) {
			m = json_object_array_get_idx(members, j);
			if (json_object_object_get_ex(m, "assignment_id", &id))
				json_object_array_add(ids, json_object_new_int64(
				    json_object_get_int64(id)));
		}
		if (mine == NULL && hub_outbox_covers_has(json_object_to_json_string(ids),
		    asg)) {
			mine = json_object_get(ids);
			*index = (int)i;
		}
		json_object_array_add(*all, ids);
	}
out:
	json_object_put(groups);
	PQclear(res);
	return mine;
}

/* The mpim of users (comma-separated ids) into mpim: 1 opened, 0 not,
 * and what follows is handled here (noted, a fallback, or me on their
 * own). */
static int
open_mpim(struct hub_notify *d, struct hub_person *me, const char *users, char *mpim,
    size_t n)
{
	struct hub_slack_result res;
	json_object *args, *ch, *id;
	int rc, ret = 0;

	if ((args = json_object_new_object()) == NULL) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return 0;
	}
	hub_slack_result_init(&res);
	hub_slackpost_arg(args, "users", users);
	rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "conversations.open", NULL,
	    args, &res);
	mpim[0] = '\0';
	if (rc == HUB_CONN_OK && json_object_object_get_ex(res.resp, "channel", &ch) &&
	    json_object_object_get_ex(ch, "id", &id))
		hub_notifyjob_copy(mpim, n, json_object_get_string(id));
	else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_RATELIMITED) {
		hub_notifyjob_limited(d, &res, "conversations.open");
		goto out;
	} else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_TRANSIENT) {
		hub_notifyjob_retry(d, -1, res.error, "conversations.open: %s", res.error);
		goto out;
	} else if (rc == HUB_CONN_DISABLED || (rc == HUB_CONN_SLACK &&
	    res.cls == HUB_SLACK_AUTH)) {
		hub_recipient_fallback(d, me, HUB_UO_AUTH);
		goto out;
	}
	if (mpim[0] == '\0') {
		/* A member Slack refuses in a group: everyone on their own. */
		hub_log(HUB_LOG_WARN, "group_dm_refused", "error", res.error, NULL);
		hub_recipient_send(d, me, NULL, 0);
		goto out;
	}
	ret = 1;
out:
	json_object_put(args);
	hub_slack_result_free(&res);
	return ret;
}

/* Group DM: the undecided approvers of my group (or the step's ungrouped
 * ones), 2..8 of them reachable in Slack, share one mpim message. */
void
hub_groupdm_send(struct hub_notify *d, struct hub_person *me)
{
	struct hub_buf users = HUB_BUF_INIT(512);
	struct hub_batch b;
	json_object *members, *all = NULL;
	char key[DL_KEY_MAX + 1], mpim[DL_CHANNEL_MAX];
	size_t i, reach = 0;
	int gi = -1;

	if (!hub_notifyjob_shared(d) || me->asg <= 0) {
		hub_recipient_send(d, me, NULL, 0);
		return;
	}
	members = group_of(d, me->asg, &gi, &all);
	if (gi >= 0)
		snprintf(key, sizeof(key), "notify:%s:s%d:%s:%s:group%d", d->req, d->step,
		    d->kind, d->gen, gi);
	else
		snprintf(key, sizeof(key), "notify:%s:s%d:%s:%s:group", d->req, d->step,
		    d->kind, d->gen);
	switch (hub_stepmsg_state(d, key, me)) {
	case HUB_STEPMSG_DONE:
	case HUB_STEPMSG_WAIT:
		goto out0;
	case HUB_STEPMSG_ALONE:
		hub_recipient_send(d, me, NULL, 0);
		goto out0;
	case HUB_STEPMSG_GO:
		break;
	}
	if (hub_stepmsg_batch_load(d, 0, &b) != 0)
		goto out0;
	hub_stepmsg_batch_filter(&b, members, members == NULL ? all : NULL);
	for (i = 0; i < b.n && !d->stop; i++)
		if (hub_recipient_resolve(d, &b.p[i]) == HUB_REACH_SLACK) {
			if (reach < DL_GROUP_DM_MAX + 1)
				hub_buf_printf(&users, "%s%s", reach ? "," : "", b.p[i].slack);
			reach++;
		}
	if (d->stop)
		goto out;
	if (reach < 2 || reach > DL_GROUP_DM_MAX) {
		/* Too small for a group, or too big for an mpim. */
		if (reach > DL_GROUP_DM_MAX && d->channel[0] != '\0')
			hub_stepmsg_channel(d, me, 0);
		else
			hub_recipient_send(d, me, NULL, 0);
		goto out;
	}
	if (open_mpim(d, me, hub_buf_str(&users), mpim, sizeof(mpim)))
		hub_stepmsg_post(d, me, key, &b, mpim, 0);
out:
	hub_stepmsg_batch_free(&b);
out0:
	json_object_put(members);
	json_object_put(all);
	hub_buf_release(&users);
}
