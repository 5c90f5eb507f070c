/*
 * webdriver.h - a small W3C WebDriver client for the browser tests:
 * chromedriver started as a child process, one headless Chromium session,
 * libcurl for the HTTP and json-c for the bodies.
 *
 * wd_start forks a keeper process in a session of its own that runs
 * chromedriver (and so Chromium) in a process group; the keeper kills that
 * whole group and removes Chromium's profile when the test process goes
 * away for any reason (PR_SET_PDEATHSIG), so a test killed by Criterion's
 * timeout or a crash leaves no browser behind.  wd_stop deletes the session and kills the group; it is
 * safe to call twice or on a struct wd_start never finished.
 *
 * Every HTTP call to chromedriver has a timeout (WD_CALL_TIMEOUT seconds,
 * page loads WD_PAGE_TIMEOUT), so nothing here waits forever.  Functions
 * return 0 (WD_OK) or a wd_err; the last error's text is in wd->error.
 * Strings returned as char * are the caller's to free.
 */
#ifndef HUB_WEBDRIVER_H
#define HUB_WEBDRIVER_H

#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#define WD_CALL_TIMEOUT   20   /* seconds, any one HTTP call to chromedriver */
#define WD_PAGE_TIMEOUT   10   /* seconds, page load and script timeouts */
#define WD_START_TIMEOUT  20   /* seconds, chromedriver answering /status ready */
#define WD_ELEMENT_MAX    128  /* an element reference's length + NUL */

enum wd_err {
	WD_OK = 0,
	WD_SPAWN,       /* chromedriver could not be started or never got ready */
	WD_TRANSPORT,   /* HTTP to chromedriver failed (connection, timeout) */
	WD_PROTOCOL,    /* an answer that is not what the protocol promises */
	WD_NOSUCH,      /* "no such element" (and friends): nothing matched */
	WD_ERROR,       /* any other WebDriver error; see error */
};

struct wd {
	pid_t	 keeper;          /* our child: chromedriver's parent and reaper */
	pid_t	 driver;          /* chromedriver, leader of its process group */
	int	 port;
	char	 base[64];        /* http://127.0.0.1:<port> */
	char	 session[128];    /* "" until a session exists */
	char	 profile[256];    /* Chromium's --user-data-dir, removed by wd_stop */
	char	 error[512];
};

/* Start chromedriver (driver, e.g. /usr/bin/chromedriver) and a headless
 * session of browser (/usr/bin/chromium).  log: chromedriver's log file, or
 * NULL. */
int	 wd_start(struct wd *, const char *driver, const char *browser, const char *log);
/* End the session, kill chromedriver, Chromium and the keeper, remove the
 * profile directory. */
void	 wd_stop(struct wd *);

int	 wd_navigate(struct wd *, const char *url);
int	 wd_back(struct wd *);
int	 wd_forward(struct wd *);
int	 wd_refresh(struct wd *);
char	*wd_current_url(struct wd *);
char	*wd_title(struct wd *);

/* The first element matching a CSS selector; WD_NOSUCH when none. */
int	 wd_find(struct wd *, const char *css, char elem[WD_ELEMENT_MAX]);
/* How many elements match (0 is fine); -1 on error. */
int	 wd_count(struct wd *, const char *css);
/* Poll wd_find until it matches or timeout_ms passes (WD_NOSUCH). */
int	 wd_wait(struct wd *, const char *css, int timeout_ms, char elem[WD_ELEMENT_MAX]);

int	 wd_click(struct wd *, const char *elem);
int	 wd_send_keys(struct wd *, const char *elem, const char *text);
/* Rendered text (innerText) of an element; NULL on error. */
char	*wd_text(struct wd *, const char *elem);
/* The text of the first element matching css; NULL when none. */
char	*wd_text_of(struct wd *, const char *css);
/* An attribute (the markup's value), NULL when absent or on error. */
char	*wd_attribute(struct wd *, const char *elem, const char *name);
/* A computed CSS property value. */
char	*wd_css(struct wd *, const char *elem, const char *property);

/* Run script (a function body) with args (a JSON array text, or NULL for
 * []) in the page and return its value (caller puts; NULL is JSON null or
 * an error: check wd->error). */
json_object *wd_exec(struct wd *, const char *script, const char *args, int *rc);

/* Resize the window (CSS pixels), e.g. to a phone's width. */
int	 wd_window_size(struct wd *, int width, int height);

/* Save a PNG of the viewport to path. */
int	 wd_screenshot(struct wd *, const char *path);
/* A screenshot of the running Criterion test for a person to look at,
 * when $HUB_STATE is set and a session is open:
 * $HUB_STATE/screens/<test>-<n>-<what>.png (n counts this test's shots),
 * or <test>.png when what is NULL.  A failure is logged, not fatal. */
void	 wd_shot(struct wd *, const char *what);

#endif
