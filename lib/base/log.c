/*
 * log.c - logfmt lines with redaction.  See log.h.
 *
 * One line is built in a stack buffer and written with a single write(2):
 * lines up to PIPE_BUF bytes never interleave with other processes writing
 * to the same pipe (the prefork children share stderr).  Nothing here uses
 * the heap, so logging works when malloc has just failed, and errno is
 * preserved so callers can log before reporting it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

#define LOG_LINE_MAX	4096
/* Room kept for a closing quote, " truncated=true" and the newline. */
#define LOG_RESERVE	32
#define LOG_REDACTED	"[redacted]"

static char			 log_prog[64] = "approvalhub";
static enum hub_log_level	 log_min = HUB_LOG_INFO;
static int			 log_fd = 2;
static char			 log_req[128];

static const char *const level_names[] = {
	[HUB_LOG_DEBUG] = "debug",
	[HUB_LOG_INFO]  = "info",
	[HUB_LOG_WARN]  = "warn",
	[HUB_LOG_ERROR] = "error",
};

/* Key fragments that mark a field as secret (case-insensitive substring). */
static const char *const secret_keys[] = {
	"token", "secret", "password", "passwd", "key", "authorization",
	"cookie", "signature", "webhook", "credential", "session",
};

/*
 * Value fragments that are credentials wherever they appear.  "Bearer " is
 * matched as written so "the bearer of" is not; a whole value starting
 * with "bearer " in any case is caught separately.
 */
static const struct {
	const char	*frag;
	int		 anycase;
} secret_values[] = {
	{ "hooks.slack.com/", 1 },
	{ "Bearer ", 0 },
	{ "xapp-", 0 },
};

struct line {
	char	 b[LOG_LINE_MAX];
	size_t	 n;
	int	 full;
};

void
hub_log_init(const char *prog, enum hub_log_level min)
{
	if (prog != NULL)
		snprintf(log_prog, sizeof(log_prog), "%s", prog);
	if ((int)min >= HUB_LOG_DEBUG && min <= HUB_LOG_ERROR)
		log_min = min;
}

int
hub_log_level_parse(const char *s, enum hub_log_level *out)
{
	size_t i;

	if (s == NULL)
		return -1;
	if (strcasecmp(s, "warning") == 0) {
		*out = HUB_LOG_WARN;
		return 0;
	}
	for (i = 0; i < HUB_NELEM(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum hub_log_level)i;
			return 0;
		}
	return -1;
}

void
hub_log_set_request(const char *id)
{
	if (id == NULL)
		log_req[0] = '\0';
	else
		snprintf(log_req, sizeof(log_req), "%s", id);
}

HUB_STATIC HUB_UNUSED void
hub_log_set_fd(int fd)
{
	log_fd = fd < 0 ? 2 : fd;
}

static int
has_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* "xoxb-", "xoxp-", "xoxa-2-", "xoxe.xoxp-": any xox?- / xox?. prefix. */
static int
has_slack_token(const char *v)
{
	const char *p;

	for (p = v; (p = strstr(p, "xox")) != NULL; p += 3)
		if (isalpha((unsigned char)p[3]) && (p[4] == '-' || p[4] == '.'))
			return 1;
	return 0;
}

/* scheme://user:password@host - a URL carrying its own credentials. */
static int
has_url_password(const char *v)
{
	const char *p, *q;

	for (p = v; (p = strstr(p, "://")) != NULL; p += 3) {
		for (q = p + 3; *q && *q != '/' && *q != '@' &&
		    !isspace((unsigned char)*q); q++)
			if (*q == ':') {
				/* user:pass - look for the '@' before the path. */
				q += strcspn(q, "/@ \t\r\n");
				if (*q == '@')
					return 1;
				break;
			}
	}
	return 0;
}

int
hub_log_is_secret(const char *key, const char *value)
{
	size_t i;

	if (key != NULL)
		for (i = 0; i < HUB_NELEM(secret_keys); i++)
			if (has_ci(key, secret_keys[i]))
				return 1;
	if (value == NULL)
		return 0;
	for (i = 0; i < HUB_NELEM(secret_values); i++)
		if (secret_values[i].anycase ? has_ci(value, secret_values[i].frag) :
		    strstr(value, secret_values[i].frag) != NULL)
			return 1;
	/* "bearer x" as a whole value; mid-sentence only capitalised above. */
	if (strncasecmp(value, "bearer ", 7) == 0)
		return 1;
	return has_slack_token(value) || has_url_password(value);
}

static int
put(struct line *l, const char *s, size_t n, int reserved)
{
	size_t lim = sizeof(l->b) - (reserved ? 0 : LOG_RESERVE);

	if ((l->full && !reserved) || n > lim - l->n) {
		l->full = 1;
		return -1;
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
	return 0;
}

static int
needs_quote(const char *v)
{
	const unsigned char *p;

	if (*v == '\0')
		return 1;
	for (p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			return 1;
	return 0;
}

/* Keys come from our code, but keep the line parseable whatever they are. */
static void
put_key(struct line *l, const char *k)
{
	char c;

	for (; *k && !l->full; k++) {
		c = *k;
		if (!isalnum((unsigned char)c) && c != '_' && c != '.' && c != '-')
			c = '_';
		put(l, &c, 1, 0);
	}
}

static void
put_val(struct line *l, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	char esc[4];
	size_t n;
	int q;

	if ((q = needs_quote(v)) && put(l, "\"", 1, 0) != 0)
		return;
	for (p = (const unsigned char *)v; *p && !l->full; p++) {
		n = 2;
		esc[0] = '\\';
		switch (*p) {
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (*p < ' ' || *p == 0x7f) {
				esc[1] = 'x';
				esc[2] = hex[*p >> 4];
				esc[3] = hex[*p & 0xf];
				n = 4;
			} else {
				esc[0] = (char)*p;
				n = 1;
			}
		}
		put(l, esc, n, 0);
	}
	if (q)
		put(l, "\"", 1, 1);
}

static void
put_field(struct line *l, const char *k, const char *v, int check_secret)
{
	if (l->full)
		return;
	if (l->n > 0)
		put(l, " ", 1, 0);
	put_key(l, k);
	put(l, "=", 1, 0);
	if (v == NULL)
		v = "";
	if (check_secret && hub_log_is_secret(k, v))
		v = LOG_REDACTED;
	put_val(l, v);
}

/* ts (UTC, milliseconds), level, prog, pid, req (when set) and event. */
static void
put_head(struct line *l, enum hub_log_level lvl, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char tbuf[40], pid[24];
	size_t off;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		tbuf[0] = '\0';
	off = strlen(tbuf);
	snprintf(tbuf + off, sizeof(tbuf) - off, ".%03ldZ", ts.tv_nsec / 1000000L);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());

	put_field(l, "ts", tbuf, 0);
	put_field(l, "level", level_names[lvl], 0);
	put_field(l, "prog", log_prog, 0);
	put_field(l, "pid", pid, 0);
	if (log_req[0] != '\0')
		put_field(l, "req", log_req, 1);
	put_field(l, "event", event, 1);
}

/* The whole line, across short writes and EINTR; a failed write drops
 * the rest of it. */
static void
write_line(const struct line *l)
{
	size_t off;
	ssize_t w;

	for (off = 0; off < l->n; off += (size_t)w) {
		w = write(log_fd, l->b + off, l->n - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}

void
hub_log(enum hub_log_level lvl, const char *event, ...)
{
	struct line l;
	const char *k, *v;
	va_list ap;
	int saved = errno;

	if ((int)lvl < HUB_LOG_DEBUG || lvl > HUB_LOG_ERROR)
		lvl = HUB_LOG_ERROR;
	if (lvl < log_min)
		goto out;

	l.n = 0;
	l.full = 0;
	put_head(&l, lvl, event);
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		put_field(&l, k, v, 1);
		if (v == NULL)
			break;	/* odd argument list: the value was the sentinel */
	}
	va_end(ap);

	if (l.full) {
		l.full = 0;
		put(&l, " truncated=true", 15, 1);
	}
	l.b[l.n++] = '\n';
	write_line(&l);
out:
	errno = saved;
}
