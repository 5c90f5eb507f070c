/*
 * testlib.h - what the integration tests share: HTTP through the real
 * nginx (libcurl), Slack-signed requests, the fakes' control APIs, and the
 * environment t/integration/env.sh sets up.
 */
#ifndef HUB_TESTLIB_H
#define HUB_TESTLIB_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <json-c/json.h>

struct th_resp {
	long	 status;
	char	*body;      /* NUL-terminated */
	size_t	 len;
	char	*headers;   /* raw header block, lower-cased names */
};

/* $NAME or abort the test with a message. */
const char	*th_env(const char *name);
/* method, url ("/path" is relative to $HUB_URL), NULL-terminated extra
 * headers ("Name: value"), body (may be NULL). Returns 0 or -1 (transport). */
int		 th_http(const char *method, const char *url, const char *const *headers,
		    const char *body, size_t len, struct th_resp *);
void		 th_resp_free(struct th_resp *);
/* Header value (case-insensitive) copied into out; NULL when absent. */
const char	*th_header(const struct th_resp *, const char *name, char *out, size_t outlen);
/* Body as JSON (caller puts), NULL when it is not JSON. */
json_object	*th_json(const struct th_resp *);
/* POST body to url with Slack's signature headers for timestamp ts
 * (secret: $SLACK_SIGNING_SECRET). content_type e.g. "application/json". */
int		 th_slack_post(const char *url, const char *content_type, const char *body,
		    size_t len, long ts, struct th_resp *);
/* POST JSON to a fake's control API: base from env var (FAKE_SLACK_URL...). */
json_object	*th_fake(const char *env_base, const char *method, const char *path,
		    const char *json_body);
/* A fresh, migrated database next to $DATABASE_URL for one test, so the
 * stack's background worker never sees its jobs.  name gets t_<random>,
 * url a libpq conninfo for it.  Aborts the test on failure. */
struct th_db {
	char	name[32];
	char	url[2048];
};
void		 th_db_create(struct th_db *);
/* A URI for database name on $DATABASE_URL's server (it need not exist). */
void		 th_db_url(const char *name, char *out, size_t outlen);
void		 th_db_drop(struct th_db *);
/* As env.sh does for the stack's database: callbacks may reach the
 * loopback fakes (th_db_create does it for its databases). */
struct hub_db;
void		 th_allow_loopback_callbacks(struct hub_db *);
/* secret sealed with $SECRET_KEY, as the admin tools store a source's
 * callback secret; appended to out. */
struct hub_buf;
void		 th_seal(const char *secret, struct hub_buf *out);
/* An http_post job (a callback) queued as the engine queues one: body
 * borrowed, secret NULL for an unsigned POST, global allowlist. */
void		 th_callback_queue(struct hub_db *, const char *url, json_object *body,
		    const char *secret);
/* Run SQL on $DATABASE_URL's server as the admin (no parameters). */
void		 th_admin_sql(const char *sql);
/* Run cmd; the rest of the output line after marker into out.  The test
 * fails when cmd fails or prints no such line. */
void		 th_capture(const char *cmd, const char *marker, char *out, size_t outlen);
/* `approvalhub source add NAME` / `key add-admin`: the key printed. */
void		 th_source_key(const char *name, char *key, size_t keylen);
void		 th_admin_key(char *key, size_t keylen);
/* An API call with Bearer key (NULL: none) and, with a body, its content
 * type (NULL: application/json); a transport error fails the test. */
void		 th_api(const char *method, const char *path, const char *key,
		    const char *ctype, const char *body, struct th_resp *);
/* Assert the status and, for errors, the JSON error shape and its field
 * (NULL: any); returns the body as JSON (caller puts). */
json_object	*th_expect(struct th_resp *, long status, const char *field);
/* Start bin/approvalhub-worker on database url (NULL: $DATABASE_URL) with
 * args after the program name and env ("NAME=value"), both NULL-terminated
 * and optional; its output is appended to log (NULL: the test's own).  It
 * gets SIGTERM when the test process dies.  Returns its pid. */
pid_t		 th_worker_start(const char *url, const char *log, const char *const *env,
		    const char *const *args);
/* Make th_http's connections from this local address (NULL: the default):
 * a loopback address of a test's own ("127.3.4.5") keeps per-address
 * counters (sign-in throttling) apart from every other test's. */
void		 th_http_source(const char *addr);
/* Cookie `name` set by r (any of its Set-Cookie headers): its value into
 * value, the attributes after it ("; Path=/; HttpOnly...") into attrs
 * (may be NULL).  NULL when r does not set it. */
const char	*th_cookie(const struct th_resp *, const char *name, char *value, size_t vlen,
		    char *attrs, size_t alen);
/* `approvalhub user add` with role and password: a fresh email into email. */
void		 th_user_add(const char *role, const char *password, char *email,
		    size_t emaillen);
/* Sign in as a browser does: GET /login (the form's token and cookie),
 * then POST it with email, password and next (may be NULL).  Returns the
 * POST's status; on 303 the hub_session cookie's value is in cookie.  The
 * POST's response goes to out when not NULL (the caller frees it). */
long		 th_login(const char *email, const char *password, const char *next,
		    char *cookie, size_t cookielen, struct th_resp *out);
/* The same at another hub: base "http://127.0.0.1:PORT" (NULL: $HUB_URL). */
long		 th_login_at(const char *base, const char *email, const char *password,
		    const char *next, char *cookie, size_t cookielen, struct th_resp *out);
/* GET path on $HUB_URL with the hub_session cookie (NULL: none); a
 * failed transfer fails the test. */
void		 th_get(const char *path, const char *cookie, struct th_resp *);
/* POST an urlencoded form body with the hub_session cookie (NULL: none)
 * and one extra header (NULL: none, e.g. a foreign Origin). */
void		 th_post_form(const char *path, const char *cookie, const char *extra,
		    const char *body, struct th_resp *);
/* The CSRF token the forms of a signed-in page carry (read from
 * /account/password). */
void		 th_csrf(const char *cookie, char *out, size_t outlen);
/* One value of a one-row query on $DATABASE_URL ($1 = p1, may be NULL)
 * into out ("" when it returns no row); a failing query fails the test. */
void		 th_sql_value(const char *sql, const char *p1, char *out, size_t outlen);
/* Wait until th_sql_value(sql, p1) reads want, up to 30 s (the stack's
 * worker at its jobs); the test fails when it never does. */
void		 th_sql_await(const char *sql, const char *p1, const char *want);
/* Run a shell command; returns its exit status. */
int		 th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `make run` (contrib/stack.sh run) as a test starts it. */
/* A free loopback TCP port. */
int		 th_free_port(void);
/* The pid the test wrote to DIR/pid (waits up to a second); -1 when none. */
pid_t		 th_run_pid(const char *dir);
/* The value after label on its line of the banner in log, into out; 1
 * found, 0 not (yet). */
/* How many times a libpq trace (PQtrace, PQTRACE_SUPPRESS_TIMESTAMPS) turns
 * from our messages to the server's: the round trips it holds. */
int		 th_trace_turns(FILE *);
int		 th_banner_value(const char *log, const char *label, char *out, size_t outlen);

#endif
