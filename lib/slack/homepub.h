/*
 * homepub.h - getting the App Home tab to Slack (homepub.c): the
 * home_publish table (the stored view state and the publish marks) and
 * the "home_publish" job.
 *
 * Publishing: hub_home_enqueue() marks (connection, user) for a publish in
 * the caller's transaction.  At most one "home_publish" job per user is in
 * flight (home_publish.in_flight); marks made while it runs set dirty, and
 * the job then queues one follow-up.  A new job waits until 2 s after the
 * last publish, so a burst costs one publish plus at most one more.  An
 * in-flight mark older than 10 minutes (a job lost for good) is ignored.
 *
 * Nothing here blocks a request handler: only the job calls Slack.
 */
#ifndef HUB_HOMEPUB_H
#define HUB_HOMEPUB_H

#include "store/db.h"
#include "store/job.h"
#include "slack/home.h"

/* Mark (connection, user) for a publish and queue the job when none is in
 * flight.  Runs inside the caller's transaction (begins and commits
 * nothing); call it in the transaction whose change the view must show. */
int	hub_home_enqueue(struct hub_db *, const char *connection_id,
	    const char *slack_user_id);

/* Worker job "home_publish" {"connection_id", "user"}, queued by
 * hub_home_enqueue only: load, build, views.publish with the connection's
 * bot token; queue the follow-up when marked dirty meanwhile. */
#define HUB_HOME_PUBLISH_KIND	"home_publish"
void	hub_job_home_publish(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

/* Store the tab's state for (connection, user) and mark it for a
 * publish, in one transaction (run it outside one): what a Home tab
 * action changed reaches the view. */
int	hub_home_state_save(struct hub_db *, const char *connection_id,
	    const char *slack_user_id, const struct hub_home_state *);

#endif
