/*
 * httpc.h - outgoing HTTP with libcurl: one CURL easy handle per process,
 * reused (connection reuse), http/https only, no redirects followed,
 * bounded response size, explicit timeouts.
 * Never logs URLs (webhook URLs are secrets) or bodies.
 */
#ifndef HUB_HTTPC_H
#define HUB_HTTPC_H

#include <signal.h>
#include <stddef.h>
#include "base/buf.h"
#include "base/netguard.h"

enum hub_httpc_err {
	HUB_HTTPC_OK = 0,       /* a response arrived (any status) */
	HUB_HTTPC_NOMEM,
	HUB_HTTPC_BADURL,       /* not http(s) or malformed */
	HUB_HTTPC_CONNECT,      /* could not connect / DNS */
	HUB_HTTPC_TIMEOUT,
	HUB_HTTPC_TOOBIG,       /* response body over the cap */
	HUB_HTTPC_OTHER,        /* any other curl error */
	HUB_HTTPC_ABORTED,      /* the abort flag was raised (shutdown) */
	HUB_HTTPC_REFUSED,      /* the guard refused the address (final) */
};

struct hub_httpc_resp {
	long		status;
	struct hub_buf	body;          /* capped; release with hub_httpc_resp_free */
	int		retry_after;   /* seconds from Retry-After, -1 when absent */
	char		content_type[128];
	char		error[256];    /* curl's message on failure */
};

struct hub_httpc;

struct hub_httpc *hub_httpc_new(void);
void		 hub_httpc_free(struct hub_httpc *);
/* A flag (set by a signal handler): while it is up no request starts, and
 * a transfer in flight is aborted about 2 s after it rose (one about to
 * finish is let finish), with HUB_HTTPC_ABORTED.  NULL to clear.  Borrowed. */
void		 hub_httpc_set_abort(struct hub_httpc *, const volatile sig_atomic_t *flag);
/* Guard every connection this handle opens (until set to NULL): the
 * address a connection is about to be opened to is checked against
 * netguard's refused ranges and this allowlist, no proxy is used and no
 * connection opened before is reused, so what was checked is what is
 * reached (a name that now resolves elsewhere, DNS rebinding, included).
 * For URLs someone other than the admin chose (callbacks).  Borrowed. */
void		 hub_httpc_set_guard(struct hub_httpc *, const struct hub_netguard *allow);
/* POST body with the given headers ("Name: value", NULL-terminated). */
/* Connecting may take this long at most (until set to 0: 5 s, or the
 * request's timeout if shorter). */
void		 hub_httpc_set_connect_timeout(struct hub_httpc *, long ms);
int		 hub_httpc_post(struct hub_httpc *, const char *url, const char *const *headers,
		    const void *body, size_t len, long timeout_ms, struct hub_httpc_resp *);
void		 hub_httpc_resp_init(struct hub_httpc_resp *, size_t max_body);
void		 hub_httpc_resp_free(struct hub_httpc_resp *);
/* Transient (retry) or final?  5xx, 429, 408, timeouts, connect errors,
 * other transport errors (reset, empty reply), NOMEM and ABORTED are
 * transient; BADURL, TOOBIG, REFUSED and any other status are final. */
int		 hub_httpc_is_transient(int err, long status);
const char	*hub_httpc_strerror(int);

#ifdef HUB_UNITTEST
#include <time.h>
/* HUB_STATIC in httpc.c: reachable from the tests through t/libhub_ut.a. */
int	 httpc_parse_retry_after(const char *, time_t);
#endif

#endif
