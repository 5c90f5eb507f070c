/*
 * webdriver.c - see webdriver.h.  The W3C WebDriver protocol as
 * chromedriver speaks it: JSON bodies, every answer {"value": ...}, errors
 * {"value": {"error", "message"}} with a 4xx/5xx status.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "webdriver.h"

#define WD_BODY_MAX   (64u << 20)   /* a full-page screenshot is a few MB */
#define WD_ELEMENT_KEY "element-6066-11e4-a52e-4f735466cecf"

/* Headless Chromium as root on a machine without network: no sandbox (it
 * refuses root), no GPU, no QUIC and none of the background services
 * whose outgoing connections would only fail. */
static const char *const chromium_args[] = {
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
	"--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
	"--password-store=basic", "--window-size=1280,900", "--lang=en-US",
	NULL
};

static void wd_seterr(struct wd *, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
wd_seterr(struct wd *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ HTTP */

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	return hub_buf_add(arg, p, size * n) == HUB_BUF_OK ? size * n : 0;
}

/*
 * One call: method on base + path (printf-style), body a JSON text or NULL.
 * On WD_OK *value (if not NULL) is the answer's "value" (caller puts).
 */
static int wd_call(struct wd *, const char *method, const char *body, long timeout,
    json_object **value, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
wd_call(struct wd *w, const char *method, const char *body, long timeout,
    json_object **value, const char *fmt, ...)
{
	struct hub_buf url = HUB_BUF_INIT(8192), resp = HUB_BUF_INIT(WD_BODY_MAX);
	struct curl_slist *hl = NULL;
	json_tokener *tok = NULL;
	json_object *root = NULL, *v = NULL, *e, *m;
	long status = 0;
	va_list ap;
	CURLcode cc;
	CURL *c;
	int rc = WD_PROTOCOL;

	if (value != NULL)
		*value = NULL;
	hub_buf_adds(&url, w->base);
	va_start(ap, fmt);
	hub_buf_vprintf(&url, fmt, ap);
	va_end(ap);
	if ((c = curl_easy_init()) == NULL) {
		wd_seterr(w, "curl_easy_init failed");
		rc = WD_TRANSPORT;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, hub_buf_str(&url));
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		hl = curl_slist_append(hl, "Content-Type: application/json; charset=utf-8");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		wd_seterr(w, "%s %s: %s", method, hub_buf_str(&url), curl_easy_strerror(cc));
		rc = WD_TRANSPORT;
		goto out;
	}
	if ((tok = json_tokener_new_ex(64)) == NULL)
		goto out;
	root = json_tokener_parse_ex(tok, hub_buf_str(&resp), (int)resp.len);
	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "value", &v)) {
		wd_seterr(w, "%s %s: HTTP %ld, not a WebDriver answer: %.200s", method,
		    hub_buf_str(&url), status, hub_buf_str(&resp));
		goto out;
	}
	if (status != 200 || (json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "error", &e))) {
		const char *err = "unknown error", *msg = "";

		if (json_object_is_type(v, json_type_object) &&
		    json_object_object_get_ex(v, "error", &e) && json_object_is_type(e, json_type_string))
			err = json_object_get_string(e);
		if (json_object_is_type(v, json_type_object) &&
		    json_object_object_get_ex(v, "message", &m) && json_object_is_type(m, json_type_string))
			msg = json_object_get_string(m);
		wd_seterr(w, "%s %s: HTTP %ld %s: %.300s", method, hub_buf_str(&url), status, err, msg);
		rc = strncmp(err, "no such ", 8) == 0 ? WD_NOSUCH : WD_ERROR;
		goto out;
	}
	if (value != NULL)
		*value = json_object_get(v);
	rc = WD_OK;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	json_object_put(root);
	hub_buf_release(&url);
	hub_buf_release(&resp);
	return rc;
}

/* A call in the session whose answer is a string (or null: ""). */
static char *
wd_string(struct wd *w, const char *method, const char *body, const char *path)
{
	json_object *v = NULL;
	char *s = NULL;

	if (wd_call(w, method, body, WD_CALL_TIMEOUT, &v, "/session/%s%s", w->session, path) != WD_OK)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		s = strdup(json_object_get_string(v));
	else if (json_object_is_type(v, json_type_null) || v == NULL)
		s = NULL;
	else
		wd_seterr(w, "%s: expected a string, got %s", path, json_object_to_json_string(v));
	json_object_put(v);
	return s;
}

/* A call in the session whose answer does not matter (null). */
static int
wd_do(struct wd *w, const char *method, const char *body, const char *path, const char *elem)
{
	if (w->session[0] == '\0') {
		wd_seterr(w, "no session");
		return WD_ERROR;
	}
	if (elem != NULL)
		return wd_call(w, method, body ? body : "{}", WD_CALL_TIMEOUT, NULL,
		    "/session/%s/element/%s%s", w->session, elem, path);
	return wd_call(w, method, body, WD_CALL_TIMEOUT, NULL, "/session/%s%s", w->session, path);
}

/* ------------------------------------------------------------ the process */

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

/*
 * The keeper: leader of a new session, parent and subreaper of
 * chromedriver, which runs in a process group of its own with Chromium.
 * It dies with the test process (PDEATHSIG) and, whichever of them goes
 * first, takes chromedriver's whole group with it, waits for every one of
 * them and removes Chromium's profile.  It tells the parent chromedriver's
 * pid through report (the last resort of wd_stop).
 */
static void __attribute__((noreturn))
keeper(pid_t parent, const char *driver, int port, const char *log, const char *profile,
    int report)
{
	sigset_t set, empty;
	char portarg[32];
	pid_t cd;
	int sig, fd, i;

	setsid();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(1);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(portarg, sizeof(portarg), "--port=%d", port);
	if ((cd = fork()) == -1)
		_exit(1);
	if (cd == 0) {
		setpgid(0, 0);
		sigemptyset(&empty);
		sigprocmask(SIG_SETMASK, &empty, NULL);
		/* Hold none of the test runner's pipes open. */
		close_range(3, ~0U, 0);
		fd = open(log != NULL ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd != -1)
			dup2(fd, 0);
		execl(driver, driver, portarg, (char *)NULL);
		_exit(127);
	}
	setpgid(cd, cd);
	(void)!write(report, &cd, sizeof(cd));
	close_range(3, ~0U, 0);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGCHLD && waitpid(cd, NULL, WNOHANG) == 0);
	/* Ask politely, then not; Chromium's processes come to us as orphans. */
	kill(-cd, SIGTERM);
	for (i = 0; i < 20 && (waitpid(-1, NULL, WNOHANG) >= 0 || errno != ECHILD); i++)
		sleep_ms(50);
	kill(-cd, SIGKILL);
	while (waitpid(-1, NULL, 0) >= 0 || errno == EINTR)
		;
	if (profile[0] != '\0')
		nftw(profile, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	_exit(0);
}

static int
wd_ready(struct wd *w)
{
	json_object *v = NULL, *r;
	int ok;

	if (wd_call(w, "GET", NULL, 2, &v, "/status") != WD_OK)
		return 0;
	ok = json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "ready", &r) &&
	    json_object_get_boolean(r);
	json_object_put(v);
	return ok;
}

static json_object *
session_request(const char *browser, const char *profile)
{
	json_object *req = json_object_new_object(), *caps = json_object_new_object(),
	    *always = json_object_new_object(), *chrome = json_object_new_object(),
	    *args = json_object_new_array(), *timeouts = json_object_new_object();
	char udd[512];
	size_t i;

	for (i = 0; chromium_args[i] != NULL; i++)
		json_object_array_add(args, json_object_new_string(chromium_args[i]));
	snprintf(udd, sizeof(udd), "--user-data-dir=%s", profile);
	json_object_array_add(args, json_object_new_string(udd));
	json_object_object_add(chrome, "binary", json_object_new_string(browser));
	json_object_object_add(chrome, "args", args);
	json_object_object_add(timeouts, "pageLoad", json_object_new_int(WD_PAGE_TIMEOUT * 1000));
	json_object_object_add(timeouts, "script", json_object_new_int(WD_PAGE_TIMEOUT * 1000));
	json_object_object_add(timeouts, "implicit", json_object_new_int(0));
	json_object_object_add(always, "browserName", json_object_new_string("chrome"));
	json_object_object_add(always, "pageLoadStrategy", json_object_new_string("normal"));
	json_object_object_add(always, "timeouts", timeouts);
	json_object_object_add(always, "goog:chromeOptions", chrome);
	json_object_object_add(caps, "alwaysMatch", always);
	json_object_object_add(req, "capabilities", caps);
	return req;
}

int
wd_start(struct wd *w, const char *driver, const char *browser, const char *log)
{
	json_object *req, *v = NULL, *sid;
	const char *tmp = getenv("TMPDIR");
	pid_t parent = getpid();
	long deadline;
	int rc, report[2];

	memset(w, 0, sizeof(*w));
	if (access(driver, X_OK) != 0 || access(browser, X_OK) != 0) {
		wd_seterr(w, "%s or %s is not installed (run ./bootstrap)", driver, browser);
		return WD_SPAWN;
	}
	snprintf(w->profile, sizeof(w->profile), "%s/hub-chromium.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(w->profile) == NULL) {
		wd_seterr(w, "mkdtemp %s: %s", w->profile, strerror(errno));
		w->profile[0] = '\0';
		return WD_SPAWN;
	}
	if ((w->port = free_port()) <= 0) {
		wd_seterr(w, "no free port: %s", strerror(errno));
		return WD_SPAWN;
	}
	snprintf(w->base, sizeof(w->base), "http://127.0.0.1:%d", w->port);
	if (pipe2(report, O_CLOEXEC) == -1) {
		wd_seterr(w, "pipe: %s", strerror(errno));
		return WD_SPAWN;
	}
	if ((w->keeper = fork()) == -1) {
		wd_seterr(w, "fork: %s", strerror(errno));
		w->keeper = 0;
		close(report[0]);
		close(report[1]);
		return WD_SPAWN;
	}
	if (w->keeper == 0)
		keeper(parent, driver, w->port, log, w->profile, report[1]);
	close(report[1]);
	if (read(report[0], &w->driver, sizeof(w->driver)) != (ssize_t)sizeof(w->driver))
		w->driver = 0;
	close(report[0]);
	deadline = now_ms() + WD_START_TIMEOUT * 1000L;
	while (!wd_ready(w)) {
		if (waitpid(w->keeper, NULL, WNOHANG) == w->keeper) {
			w->keeper = 0;
			wd_seterr(w, "chromedriver exited at start (log: %s)", log ? log : "none");
			return WD_SPAWN;
		}
		if (now_ms() > deadline) {
			wd_seterr(w, "chromedriver not ready on port %d after %d s", w->port,
			    WD_START_TIMEOUT);
			return WD_SPAWN;
		}
		sleep_ms(50);
	}
	req = session_request(browser, w->profile);
	rc = wd_call(w, "POST", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), 60,
	    &v, "/session");
	json_object_put(req);
	if (rc != WD_OK)
		return rc;
	if (!json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, "sessionId", &sid) ||
	    !json_object_is_type(sid, json_type_string) ||
	    json_object_get_string_len(sid) >= (int)sizeof(w->session)) {
		wd_seterr(w, "new session: no sessionId in %s", json_object_to_json_string(v));
		json_object_put(v);
		return WD_PROTOCOL;
	}
	snprintf(w->session, sizeof(w->session), "%s", json_object_get_string(sid));
	json_object_put(v);
	return WD_OK;
}

void
wd_stop(struct wd *w)
{
	int i;

	if (w->session[0] != '\0' && w->keeper > 0)
		(void)wd_call(w, "DELETE", NULL, 10, NULL, "/session/%s", w->session);
	w->session[0] = '\0';
	if (w->keeper > 0) {
		kill(w->keeper, SIGTERM);
		for (i = 0; i < 100 && waitpid(w->keeper, NULL, WNOHANG) == 0; i++)
			sleep_ms(50);
		/* The keeper has not finished in 5 s: do its job. */
		if (i == 100) {
			if (w->driver > 0)
				kill(-w->driver, SIGKILL);
			kill(w->keeper, SIGKILL);
			waitpid(w->keeper, NULL, 0);
		}
		w->keeper = 0;
		w->driver = 0;
	}
	if (w->profile[0] != '\0') {
		nftw(w->profile, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		w->profile[0] = '\0';
	}
}

/* ------------------------------------------------------------ navigation */

int
wd_navigate(struct wd *w, const char *url)
{
	json_object *b = json_object_new_object();
	int rc;

	json_object_object_add(b, "url", json_object_new_string(url));
	rc = wd_do(w, "POST", json_object_to_json_string(b), "/url", NULL);
	json_object_put(b);
	return rc;
}

int
wd_back(struct wd *w)
{
	return wd_do(w, "POST", "{}", "/back", NULL);
}

int
wd_forward(struct wd *w)
{
	return wd_do(w, "POST", "{}", "/forward", NULL);
}

int
wd_refresh(struct wd *w)
{
	return wd_do(w, "POST", "{}", "/refresh", NULL);
}

char *
wd_current_url(struct wd *w)
{
	return wd_string(w, "GET", NULL, "/url");
}

char *
wd_title(struct wd *w)
{
	return wd_string(w, "GET", NULL, "/title");
}

/* ------------------------------------------------------------ elements */

static int
element_ref(struct wd *w, json_object *v, char elem[WD_ELEMENT_MAX])
{
	json_object *id;

	if (!json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, WD_ELEMENT_KEY, &id) ||
	    !json_object_is_type(id, json_type_string) ||
	    json_object_get_string_len(id) >= WD_ELEMENT_MAX) {
		wd_seterr(w, "not an element reference: %s", json_object_to_json_string(v));
		return WD_PROTOCOL;
	}
	snprintf(elem, WD_ELEMENT_MAX, "%s", json_object_get_string(id));
	return WD_OK;
}

static char *
locator(const char *css)
{
	json_object *b = json_object_new_object();
	char *s;

	json_object_object_add(b, "using", json_object_new_string("css selector"));
	json_object_object_add(b, "value", json_object_new_string(css));
	s = strdup(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
	json_object_put(b);
	return s;
}

int
wd_find(struct wd *w, const char *css, char elem[WD_ELEMENT_MAX])
{
	json_object *v = NULL;
	char *body = locator(css);
	int rc;

	elem[0] = '\0';
	rc = wd_call(w, "POST", body, WD_CALL_TIMEOUT, &v, "/session/%s/element", w->session);
	free(body);
	if (rc == WD_OK)
		rc = element_ref(w, v, elem);
	json_object_put(v);
	return rc;
}

int
wd_count(struct wd *w, const char *css)
{
	json_object *v = NULL;
	char *body = locator(css);
	int n = -1;

	if (wd_call(w, "POST", body, WD_CALL_TIMEOUT, &v, "/session/%s/elements", w->session) == WD_OK &&
	    json_object_is_type(v, json_type_array))
		n = (int)json_object_array_length(v);
	free(body);
	json_object_put(v);
	return n;
}

int
wd_wait(struct wd *w, const char *css, int timeout_ms, char elem[WD_ELEMENT_MAX])
{
	long deadline = now_ms() + timeout_ms;
	int rc;

	for (;;) {
		rc = wd_find(w, css, elem);
		if (rc != WD_NOSUCH || now_ms() > deadline)
			return rc;
		sleep_ms(100);
	}
}

int
wd_click(struct wd *w, const char *elem)
{
	return wd_do(w, "POST", "{}", "/click", elem);
}

int
wd_send_keys(struct wd *w, const char *elem, const char *text)
{
	json_object *b = json_object_new_object();
	int rc;

	json_object_object_add(b, "text", json_object_new_string(text));
	rc = wd_do(w, "POST", json_object_to_json_string(b), "/value", elem);
	json_object_put(b);
	return rc;
}

char *
wd_text(struct wd *w, const char *elem)
{
	char path[WD_ELEMENT_MAX + 32];

	snprintf(path, sizeof(path), "/element/%s/text", elem);
	return wd_string(w, "GET", NULL, path);
}

char *
wd_text_of(struct wd *w, const char *css)
{
	char elem[WD_ELEMENT_MAX];

	if (wd_find(w, css, elem) != WD_OK)
		return NULL;
	return wd_text(w, elem);
}

char *
wd_attribute(struct wd *w, const char *elem, const char *name)
{
	char path[WD_ELEMENT_MAX + 512];

	snprintf(path, sizeof(path), "/element/%s/attribute/%s", elem, name);
	return wd_string(w, "GET", NULL, path);
}

char *
wd_css(struct wd *w, const char *elem, const char *property)
{
	char path[WD_ELEMENT_MAX + 512];

	snprintf(path, sizeof(path), "/element/%s/css/%s", elem, property);
	return wd_string(w, "GET", NULL, path);
}

/* ------------------------------------------------------------ script, pictures */

json_object *
wd_exec(struct wd *w, const char *script, const char *args, int *rcp)
{
	json_object *b = json_object_new_object(), *a, *v = NULL;
	int rc;

	a = json_tokener_parse(args != NULL ? args : "[]");
	if (a == NULL || !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		a = json_object_new_array();
	}
	json_object_object_add(b, "script", json_object_new_string(script));
	json_object_object_add(b, "args", a);
	rc = wd_call(w, "POST", json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN),
	    WD_CALL_TIMEOUT, &v, "/session/%s/execute/sync", w->session);
	json_object_put(b);
	if (rcp != NULL)
		*rcp = rc;
	return v;
}

int
wd_window_size(struct wd *w, int width, int height)
{
	char body[96];

	snprintf(body, sizeof(body), "{\"width\": %d, \"height\": %d}", width, height);
	return wd_do(w, "POST", body, "/window/rect", NULL);
}

int
wd_screenshot(struct wd *w, const char *path)
{
	struct hub_buf png = HUB_BUF_INIT(WD_BODY_MAX);
	json_object *v = NULL;
	FILE *f;
	int rc;

	rc = wd_call(w, "GET", NULL, WD_CALL_TIMEOUT, &v, "/session/%s/screenshot", w->session);
	if (rc != WD_OK)
		goto out;
	rc = WD_PROTOCOL;
	if (!json_object_is_type(v, json_type_string) ||
	    hub_base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), 0,
	    &png) != 0 || png.len < 8 || memcmp(png.data, "\x89PNG", 4) != 0) {
		wd_seterr(w, "screenshot: not a base64 PNG");
		goto out;
	}
	if ((f = fopen(path, "wb")) == NULL) {
		wd_seterr(w, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(png.data, 1, png.len, f) != png.len) {
		wd_seterr(w, "%s: short write", path);
		fclose(f);
		goto out;
	}
	rc = fclose(f) == 0 ? WD_OK : WD_PROTOCOL;
out:
	json_object_put(v);
	hub_buf_release(&png);
	return rc;
}

void
wd_shot(struct wd *wd, const char *what)
{
	static int shots;
	char path[1024];
	const char *state = getenv("HUB_STATE");

	if (state == NULL || *state == '\0' || wd->session[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/screens", state);
	mkdir(path, 0755);
	if (what != NULL)
		snprintf(path, sizeof(path), "%s/screens/%s-%d-%s.png", state,
		    criterion_current_test->name, ++shots, what);
	else
		snprintf(path, sizeof(path), "%s/screens/%s.png", state,
		    criterion_current_test->name);
	if (wd_screenshot(wd, path) != WD_OK)
		cr_log_info("screenshot %s: %s", path, wd->error);
}
