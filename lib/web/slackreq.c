#include <stdio.h>
#include <time.h>

#include "web/app.h"
#include "web/fcgi.h"
#include "base/log.h"
#include "web/slackreq.h"
#include "slack/slacksig.h"

int
hub_slackreq_accept(struct hub_app_ctx *app, struct hub_req *req, size_t body_max,
    const char *media_type)
{
	char msg[128];

	int rc;

	if ((rc = hub_req_read_body(req, body_max)) != 0) {
		hub_app_error(app, req, rc, rc == 413 ? "body too large" :
		    rc == 411 ? "Content-Length required" : "unreadable body", NULL);
		return 1;
	}
	if (!hub_req_is_type(req, media_type)) {
		snprintf(msg, sizeof(msg), "expected %s", media_type);
		hub_app_error(app, req, 415, msg, NULL);
		return 1;
	}
	if (app->conf.slack_signing_secret == NULL) {
		hub_app_error(app, req, 503, "SLACK_SIGNING_SECRET is not configured", NULL);
		return 1;
	}
	rc = hub_slacksig_verify(app->conf.slack_signing_secret,
	    hub_req_header(req, "X-Slack-Request-Timestamp"),
	    hub_req_header(req, "X-Slack-Signature"),
	    req->body, req->body_len, time(NULL));
	if (rc != HUB_SIG_OK) {
		hub_log(HUB_LOG_WARN, "slack_signature_refused", "reason", hub_sig_strerror(rc), NULL);
		hub_app_error(app, req, 401, "invalid Slack signature", NULL);
		return 1;
	}
	return 0;
}
