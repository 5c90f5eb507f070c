/*
 * httpc.c - outgoing HTTP on one reused libcurl easy handle.
 *
 * curl_easy_reset() between requests clears the options but keeps the
 * connection, DNS and TLS session caches, so a worker posting to the same
 * host again reuses its connection.  Every option is set again per request
 * so nothing leaks from one request into the next.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/httpc.h"

#define HTTPC_USER_AGENT	"approvalhub/0.1"
#define HTTPC_CONNECT_MAX_MS	5000L
/* A Retry-After longer than a week is nonsense; keep arithmetic safe. */
#define HTTPC_RETRY_AFTER_MAX	(7 * 86400)
/* After the abort flag rises, a transfer about to finish gets this long:
 * aborting it would only make the receiver see it twice. */
#define HTTPC_ABORT_GRACE_MS	2000

struct hub_httpc {
	CURL				*curl;
	const volatile sig_atomic_t	*abort_flag;
	const struct hub_netguard	*guard;   /* NULL: unguarded */
	long				 connect_ms; /* 0: HTTPC_CONNECT_MAX_MS */
	char				 errbuf[CURL_ERROR_SIZE];
};

/* State of one transfer, handed to the callbacks. */
struct xfer {
	struct hub_httpc_resp	*resp;
	const volatile sig_atomic_t *abort_flag;
	int			 toobig;
	int			 nomem;
	int			 refused;     /* the guard refused an address */
	const struct hub_netguard *guard;
	struct timespec		 abort_seen;  /* when the flag was first seen up */
};

static int curl_ready;

struct hub_httpc *
hub_httpc_new(void)
{
	struct hub_httpc *h;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_ready = 1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->curl = curl_easy_init()) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
hub_httpc_free(struct hub_httpc *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void
hub_httpc_set_abort(struct hub_httpc *h, const volatile sig_atomic_t *flag)
{
	h->abort_flag = flag;
}

void
hub_httpc_set_guard(struct hub_httpc *h, const struct hub_netguard *allow)
{
	h->guard = allow;
}

void
hub_httpc_set_connect_timeout(struct hub_httpc *h, long ms)
{
	h->connect_ms = ms > 0 ? ms : 0;
}

void
hub_httpc_resp_init(struct hub_httpc_resp *r, size_t max_body)
{
	r->status = 0;
	hub_buf_init(&r->body, max_body);
	r->retry_after = -1;
	r->content_type[0] = '\0';
	r->error[0] = '\0';
}

void
hub_httpc_resp_free(struct hub_httpc_resp *r)
{
	hub_buf_release(&r->body);
}

static void
resp_reset(struct hub_httpc_resp *r)
{
	r->status = 0;
	hub_buf_reset(&r->body);
	r->retry_after = -1;
	r->content_type[0] = '\0';
	r->error[0] = '\0';
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	int rc;

	if ((rc = hub_buf_add(&x->resp->body, p, len)) != HUB_BUF_OK) {
		if (rc == HUB_BUF_TOOBIG)
			x->toobig = 1;
		else
			x->nomem = 1;
		return 0; /* anything but len aborts the transfer */
	}
	return len;
}

/*
 * Retry-After is either delay-seconds or an HTTP-date (RFC 9110 10.2.3).
 * Returns seconds from now (>= 0), or -1 when the value is neither.
 */
HUB_STATIC int
httpc_parse_retry_after(const char *v, time_t now)
{
	char *end;
	long n;
	time_t t;

	if (*v >= '0' && *v <= '9') {
		errno = 0;
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0')
			return -1;
		if (errno == ERANGE || n > HTTPC_RETRY_AFTER_MAX)
			return HTTPC_RETRY_AFTER_MAX;
		return (int)n;
	}
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	if (t <= now)
		return 0;
	if (t - now > HTTPC_RETRY_AFTER_MAX)
		return HTTPC_RETRY_AFTER_MAX;
	return (int)(t - now);
}

/* Header value with surrounding white space removed, into out. */
static int
header_value(const char *line, size_t len, size_t namelen, char *out, size_t outlen)
{
	size_t i = namelen + 1, j = len, n;

	while (i < j && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (j > i && isspace((unsigned char)line[j - 1]))
		j--;
	n = j - i;
	if (n >= outlen)
		return -1;
	memcpy(out, line + i, n);
	out[n] = '\0';
	return 0;
}

static int
header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char v[128];

	/* A new status line (after 1xx, or a new response): forget the old. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->resp->retry_after = -1;
		x->resp->content_type[0] = '\0';
	} else if (header_is(p, len, "Retry-After")) {
		if (header_value(p, len, strlen("Retry-After"), v, sizeof(v)) == 0)
			x->resp->retry_after = httpc_parse_retry_after(v, time(NULL));
	} else if (header_is(p, len, "Content-Type")) {
		if (header_value(p, len, strlen("Content-Type"), v, sizeof(v)) == 0)
			memcpy(x->resp->content_type, v, strlen(v) + 1);
	}
	return len;
}

static int
on_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	struct xfer *x = arg;
	struct timespec now;

	(void)dlt; (void)dln; (void)ult; (void)uln;
	if (x->abort_flag == NULL || !*x->abort_flag)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (x->abort_seen.tv_sec == 0 && x->abort_seen.tv_nsec == 0) {
		x->abort_seen = now;
		return 0;
	}
	return (now.tv_sec - x->abort_seen.tv_sec) * 1000 +
	    (now.tv_nsec - x->abort_seen.tv_nsec) / 1000000 >= HTTPC_ABORT_GRACE_MS;
}

/* libcurl asks for each socket it connects (each address it tries):
 * the address is checked here, after resolution, so the check and the
 * connection see the same address. */
static curl_socket_t
on_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer *x = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !hub_netguard_addr_ok(x->guard, &a->addr)) {
		x->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static int
map_error(CURLcode cc, const struct xfer *x)
{
	if (cc != CURLE_OK && x->refused)
		return HUB_HTTPC_REFUSED;
	switch (cc) {
	case CURLE_OK:
		return HUB_HTTPC_OK;
	case CURLE_OUT_OF_MEMORY:
		return HUB_HTTPC_NOMEM;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HUB_HTTPC_BADURL;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
		return HUB_HTTPC_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HUB_HTTPC_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return HUB_HTTPC_TOOBIG;
	case CURLE_WRITE_ERROR:
		if (x->toobig)
			return HUB_HTTPC_TOOBIG;
		if (x->nomem)
			return HUB_HTTPC_NOMEM;
		return HUB_HTTPC_OTHER;
	case CURLE_ABORTED_BY_CALLBACK:
		return HUB_HTTPC_ABORTED;
	default:
		return HUB_HTTPC_OTHER;
	}
}

static int
url_ok(const char *url)
{
	const unsigned char *p;

	if (url == NULL)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return 0;
	for (p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static void
set_error(struct hub_httpc_resp *r, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof(r->error))
		n = sizeof(r->error) - 1;
	memcpy(r->error, msg, n);
	r->error[n] = '\0';
}

/* A POST of len bytes of body (never NULL). */
static int
request(struct hub_httpc *h, const char *url, const char *const *headers,
    const void *body, size_t len, long timeout_ms, struct hub_httpc_resp *r)
{
	struct xfer x = { r, h->abort_flag, 0, 0, 0, h->guard, { 0, 0 } };
	struct curl_slist *hl = NULL, *t;
	CURL *c = h->curl;
	CURLcode cc;
	long connect_ms = h->connect_ms > 0 ? h->connect_ms : HTTPC_CONNECT_MAX_MS;
	int rc;

	resp_reset(r);
	if (!url_ok(url)) {
		set_error(r, "not an http(s) URL");
		return HUB_HTTPC_BADURL;
	}
	if (h->abort_flag != NULL && *h->abort_flag) {
		set_error(r, "aborted");
		return HUB_HTTPC_ABORTED;
	}
	if (timeout_ms <= 0)
		timeout_ms = 10000;

	/* "Expect:" stops curl from waiting for 100-continue on big bodies. */
	if ((hl = curl_slist_append(NULL, "Expect:")) == NULL)
		return HUB_HTTPC_NOMEM;
	for (; headers != NULL && *headers != NULL; headers++) {
		if ((t = curl_slist_append(hl, *headers)) == NULL) {
			curl_slist_free_all(hl);
			return HUB_HTTPC_NOMEM;
		}
		hl = t;
	}

	curl_easy_reset(c);
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < connect_ms ? timeout_ms :
	    connect_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, HTTPC_USER_AGENT);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->body.max);
	if (h->guard != NULL) {
		curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
		curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &x);
		/* A proxy would be the address checked; a kept connection was
		 * checked (or not) for another request. */
		curl_easy_setopt(c, CURLOPT_PROXY, "");
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	}
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, len ? body : "");

	cc = curl_easy_perform(c);
	rc = map_error(cc, &x);
	if (rc == HUB_HTTPC_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else if (rc == HUB_HTTPC_REFUSED)
		set_error(r, "the host's address is internal (loopback, private, link-local"
		    " or metadata) and not in the allowed networks");
	else
		set_error(r, h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));

	/* The handle keeps pointers to hl and x: drop them before returning. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, NULL);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, NULL);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, NULL);
	curl_slist_free_all(hl);
	return rc;
}

int
hub_httpc_post(struct hub_httpc *h, const char *url, const char *const *headers,
    const void *body, size_t len, long timeout_ms, struct hub_httpc_resp *r)
{
	return request(h, url, headers, body ? body : "", body ? len : 0, timeout_ms, r);
}

int
hub_httpc_is_transient(int err, long status)
{
	switch (err) {
	case HUB_HTTPC_OK:
		return status == 408 || status == 429 || (status >= 500 && status <= 599);
	case HUB_HTTPC_BADURL:
	case HUB_HTTPC_TOOBIG:
	case HUB_HTTPC_REFUSED:
		return 0;
	default:
		return 1;
	}
}

static const char *const errstr[] = {
	[HUB_HTTPC_OK] = "ok",
	[HUB_HTTPC_NOMEM] = "out of memory",
	[HUB_HTTPC_BADURL] = "bad URL",
	[HUB_HTTPC_CONNECT] = "could not connect",
	[HUB_HTTPC_TIMEOUT] = "timeout",
	[HUB_HTTPC_TOOBIG] = "response too big",
	[HUB_HTTPC_OTHER] = "transfer error",
	[HUB_HTTPC_ABORTED] = "aborted",
	[HUB_HTTPC_REFUSED] = "address refused",
};

const char *
hub_httpc_strerror(int err)
{
	if (err < 0 || (size_t)err >= HUB_NELEM(errstr) || errstr[err] == NULL)
		return "unknown error";
	return errstr[err];
}
