/*
 * conf.c - configuration from the environment and the APPROVALHUB_CONF file.
 * See conf.h.
 *
 * The file's entries live in one static table owned by this module (the
 * programs are single-threaded prefork children that load once at start).
 * Values are wiped before they are freed: the file holds secrets.
 * Error messages name the variable or the file line, never a value.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/conf.h"

#define CONF_FILE_MAX	(256u * 1024)
#define CONF_MAX_ENTRIES 256
#define CONF_DEFAULT_PORT 8080
#define CONF_DEFAULT_SLACK_API "https://slack.com/api/"

enum conf_err {
	CONF_OK = 0,
	CONF_ERR,	/* *err has been written */
	CONF_NOMEM,
};

struct conf_entry {
	char	*key;
	char	*val;
};

static struct conf_entry conf_file[CONF_MAX_ENTRIES];
static size_t		 conf_nfile;

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
file_clear(void)
{
	size_t i;

	for (i = 0; i < conf_nfile; i++) {
		free(conf_file[i].key);
		wipe_free(conf_file[i].val);
		conf_file[i].key = conf_file[i].val = NULL;
	}
	conf_nfile = 0;
}

const char *
hub_conf_get(const char *name)
{
	const char *v;
	size_t i;

	if (name == NULL)
		return NULL;
	if ((v = getenv(name)) != NULL && *v != '\0')
		return v;
	/* Last assignment in the file wins, as in a shell. */
	for (i = conf_nfile; i-- > 0; )
		if (strcmp(conf_file[i].key, name) == 0)
			return *conf_file[i].val != '\0' ? conf_file[i].val : NULL;
	return NULL;
}

/*
 * Base64 (RFC 4648 standard alphabet; the URL-safe one is accepted too).
 * Padding is optional but, if present, must be right; whitespace is not
 * allowed.  Returns the decoded length or -1.
 */
HUB_STATIC int
conf_b64decode(const char *s, unsigned char *out, size_t outmax)
{
	size_t n = strlen(s), i, o = 0, pad = 0;
	unsigned acc = 0, bits = 0;
	int v;
	char c;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad > 0 && (n + pad) % 4 != 0)
		return -1;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outmax)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, or the text is not canonical. */
	if (acc != 0)
		return -1;
	return (int)o;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* Parse one line (without its '\n'); CONF_OK also for blanks/comments. */
HUB_STATIC int
conf_parse_line(const char *line, size_t len, char **key, char **val)
{
	const char *k, *ke, *v, *ve, *eq;

	*key = *val = NULL;
	while (len > 0 && is_ws(*line)) {
		line++;
		len--;
	}
	while (len > 0 && is_ws(line[len - 1]))
		len--;
	if (len == 0 || line[0] == '#')
		return CONF_OK;
	if (memchr(line, '\0', len) != NULL)
		return CONF_ERR;
	if ((eq = memchr(line, '=', len)) == NULL)
		return CONF_ERR;
	k = line;
	ke = eq;
	while (ke > k && is_ws(ke[-1]))
		ke--;
	/* Accept the shell's "export KEY=VALUE" so one file serves both. */
	if ((size_t)(ke - k) > 7 && strncmp(k, "export", 6) == 0 && is_ws(k[6]))
		for (k += 7; k < ke && is_ws(*k); k++)
			;
	if (!valid_name(k, (size_t)(ke - k)))
		return CONF_ERR;
	v = eq + 1;
	ve = line + len;
	while (v < ve && is_ws(*v))
		v++;
	if (v < ve && (*v == '"' || *v == '\'')) {
		if (ve - v < 2 || ve[-1] != *v)
			return CONF_ERR;	/* unbalanced quote */
		v++;
		ve--;
		if (memchr(v, v[-1], (size_t)(ve - v)) != NULL)
			return CONF_ERR;	/* quote inside quotes */
	}
	if ((*key = strndup(k, (size_t)(ke - k))) == NULL ||
	    (*val = strndup(v, (size_t)(ve - v))) == NULL) {
		free(*key);
		*key = NULL;
		return CONF_NOMEM;
	}
	return CONF_OK;
}

/* The whole file into b (at most CONF_FILE_MAX). */
static int
file_read(const char *path, struct hub_buf *b, char *err, size_t errlen)
{
	char chunk[4096];
	ssize_t r;
	int fd, rc = CONF_ERR, brc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "APPROVALHUB_CONF: cannot open %s: %s",
		    path, strerror(errno));
		return CONF_ERR;
	}
	for (;;) {
		if ((r = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "APPROVALHUB_CONF: cannot read %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if ((brc = hub_buf_add(b, chunk, (size_t)r)) != HUB_BUF_OK) {
			snprintf(err, errlen, "APPROVALHUB_CONF: %s is %s", path,
			    brc == HUB_BUF_TOOBIG ? "too large" : "unreadable (out of memory)");
			goto out;
		}
	}
	rc = CONF_OK;
out:
	close(fd);
	return rc;
}

/* One KEY=VALUE per line into conf_file (comments and blank lines
 * skipped). */
static int
file_parse(const char *path, const struct hub_buf *b, char *err, size_t errlen)
{
	char *key, *val;
	const char *p = hub_buf_str(b), *end = p + b->len, *nl;
	size_t lineno = 0;
	int rc;

	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		rc = conf_parse_line(p, (size_t)(nl - p), &key, &val);
		if (rc == CONF_ERR) {
			snprintf(err, errlen, "APPROVALHUB_CONF: %s line %zu is malformed "
			    "(expected KEY=VALUE)", path, lineno);
			return CONF_ERR;
		}
		if (rc != CONF_OK) {
			snprintf(err, errlen, "APPROVALHUB_CONF: out of memory");
			return CONF_ERR;
		}
		if (key == NULL)
			continue;
		if (conf_nfile == CONF_MAX_ENTRIES) {
			free(key);
			wipe_free(val);
			snprintf(err, errlen, "APPROVALHUB_CONF: %s has more than "
			    "%d entries", path, CONF_MAX_ENTRIES);
			return CONF_ERR;
		}
		conf_file[conf_nfile].key = key;
		conf_file[conf_nfile].val = val;
		conf_nfile++;
	}
	return CONF_OK;
}

static int
file_load(const char *path, char *err, size_t errlen)
{
	struct hub_buf b = HUB_BUF_INIT(CONF_FILE_MAX);
	int rc;

	if ((rc = file_read(path, &b, err, errlen)) == CONF_OK)
		rc = file_parse(path, &b, err, errlen);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	hub_buf_release(&b);
	if (rc != CONF_OK)
		file_clear();
	return rc;
}

/* http:// or https:// followed by a host, no white space or control bytes. */
HUB_STATIC int
conf_url_ok(const char *u, const char *const *schemes)
{
	const unsigned char *p;
	size_t n;

	for (; *schemes != NULL; schemes++) {
		n = strlen(*schemes);
		if (strncasecmp(u, *schemes, n) == 0)
			break;
	}
	if (*schemes == NULL)
		return 0;
	p = (const unsigned char *)u + n;
	if (*p == '\0' || *p == '/' || *p == '?' || *p == '#')
		return 0;
	for (; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static const char *const http_schemes[] = { "http://", "https://", NULL };
static const char *const smtp_schemes[] = { "smtp://", "smtps://", NULL };

/* Optional string values copied as they are (validated below if URLs). */
struct conf_str {
	const char		*name;
	size_t			 off;
	const char *const	*schemes;	/* NULL: not a URL */
};

static const struct conf_str conf_strs[] = {
	{ "DATABASE_URL",         offsetof(struct hub_conf, database_url), NULL },
	{ "SLACK_SIGNING_SECRET", offsetof(struct hub_conf, slack_signing_secret), NULL },
	{ "SLACK_BOT_TOKEN",      offsetof(struct hub_conf, slack_bot_token), NULL },
	{ "SLACK_CLIENT_ID",      offsetof(struct hub_conf, slack_client_id), NULL },
	{ "SLACK_CLIENT_SECRET",  offsetof(struct hub_conf, slack_client_secret), NULL },
	{ "SMTP_URL",             offsetof(struct hub_conf, smtp_url), smtp_schemes },
	{ "SMTP_FROM",            offsetof(struct hub_conf, smtp_from), NULL },
	{ "INFERENCE_URL",        offsetof(struct hub_conf, inference_url), http_schemes },
	{ "INFERENCE_KEY",        offsetof(struct hub_conf, inference_key), NULL },
	{ "INFERENCE_MODEL_ID",   offsetof(struct hub_conf, inference_model_id), NULL },
	{ "EMBEDDING_URL",        offsetof(struct hub_conf, embedding_url), http_schemes },
	{ "EMBEDDING_KEY",        offsetof(struct hub_conf, embedding_key), NULL },
	{ "EMBEDDING_MODEL_ID",   offsetof(struct hub_conf, embedding_model_id), NULL },
	{ "PUBLIC_URL",           offsetof(struct hub_conf, public_url), http_schemes },
	{ "SLACK_API_URL",        offsetof(struct hub_conf, slack_api_url), http_schemes },
};

/* Optional whole numbers in a range. */
static const struct {
	const char	*name;
	size_t		 off;
	long		 min, max;
} conf_longs[] = {
	{ "DB_CONNECT_TIMEOUT",      offsetof(struct hub_conf, db_connect_timeout_s), 1, 300 },
	{ "DB_STATEMENT_TIMEOUT_MS", offsetof(struct hub_conf, db_statement_timeout_ms), 0, 86400000 },
	{ "DB_LOCK_TIMEOUT_MS",      offsetof(struct hub_conf, db_lock_timeout_ms), 0, 86400000 },
	{ "DB_IDLE_TX_TIMEOUT_MS",   offsetof(struct hub_conf, db_idle_tx_timeout_ms), 0, 86400000 },
};

static const struct {
	unsigned	 bit;
	const char	*name;
} conf_needs[] = {
	{ HUB_CONF_NEED_DATABASE, "DATABASE_URL" },
	{ HUB_CONF_NEED_SECRET,   "SECRET_KEY" },
	{ HUB_CONF_NEED_SIGNING,  "SLACK_SIGNING_SECRET" },
	{ HUB_CONF_NEED_PUBLIC,   "PUBLIC_URL" },
};

static char **
str_field(struct hub_conf *c, size_t off)
{
	return (char **)(void *)((char *)c + off);
}

/* The optional whole numbers (conf_longs) into c. */
static int
load_longs(struct hub_conf *c, char *err, size_t errlen)
{
	const char *v;
	char *end;
	size_t i;
	long num;

	for (i = 0; i < HUB_NELEM(conf_longs); i++) {
		if ((v = hub_conf_get(conf_longs[i].name)) == NULL)
			continue;
		errno = 0;
		num = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || !(*v >= '0' && *v <= '9') ||
		    num < conf_longs[i].min || num > conf_longs[i].max) {
			snprintf(err, errlen, "%s is malformed: must be a number from %ld to %ld",
			    conf_longs[i].name, conf_longs[i].min, conf_longs[i].max);
			return CONF_ERR;
		}
		*(long *)(void *)((char *)c + conf_longs[i].off) = num;
	}
	return CONF_OK;
}

/* SECRET_KEY, LOG_LEVEL and PORT: each checked, the key decoded. */
static int
load_scalars(struct hub_conf *c, char *err, size_t errlen)
{
	unsigned char key[48];
	const char *v;
	long port;
	char *end;
	int rc = CONF_ERR, klen;

	if ((v = hub_conf_get("SECRET_KEY")) != NULL) {
		klen = conf_b64decode(v, key, sizeof(key));
		if (klen != (int)sizeof(c->secret_key)) {
			snprintf(err, errlen, "SECRET_KEY is malformed: must be 32 "
			    "bytes of base64 (openssl rand -base64 32)");
			goto out;
		}
		memcpy(c->secret_key, key, sizeof(c->secret_key));
		c->have_secret_key = 1;
	}

	if ((v = hub_conf_get("LOG_LEVEL")) != NULL &&
	    hub_log_level_parse(v, &c->log_level) != 0) {
		snprintf(err, errlen, "LOG_LEVEL is malformed: must be one of "
		    "debug, info, warn, error");
		goto out;
	}

	if ((v = hub_conf_get("PORT")) != NULL) {
		errno = 0;
		port = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    !(*v >= '0' && *v <= '9') || port < 1 || port > 65535) {
			snprintf(err, errlen, "PORT is malformed: must be a number "
			    "from 1 to 65535");
			goto out;
		}
		c->port = (int)port;
	}
	rc = CONF_OK;
out:
	explicit_bzero(key, sizeof(key));
	return rc;
}

/* The URL settings, each checked against its schemes and copied. */
static int
load_strs(struct hub_conf *c, char *err, size_t errlen)
{
	const char *v;
	char **f;
	size_t i;

	for (i = 0; i < HUB_NELEM(conf_strs); i++) {
		if ((v = hub_conf_get(conf_strs[i].name)) == NULL)
			continue;
		if (conf_strs[i].schemes != NULL &&
		    !conf_url_ok(v, conf_strs[i].schemes)) {
			snprintf(err, errlen, "%s is malformed: must be a URL "
			    "starting with %s", conf_strs[i].name,
			    conf_strs[i].schemes == smtp_schemes ?
			    "smtp:// or smtps://" : "http:// or https://");
			return CONF_ERR;
		}
		f = str_field(c, conf_strs[i].off);
		if ((*f = strdup(v)) == NULL)
			return CONF_NOMEM;
	}
	return CONF_OK;
}

/* Defaults and shapes callers rely on: PUBLIC_URL without a trailing
 * slash (callers append "/path"), SLACK_API_URL always ending with one
 * (callers append "chat.update"). */
static int
url_defaults(struct hub_conf *c)
{
	size_t n;
	char *tmp;

	if (c->public_url == NULL) {
		n = (size_t)snprintf(NULL, 0, "http://127.0.0.1:%d", c->port) + 1;
		if ((c->public_url = malloc(n)) == NULL)
			return CONF_NOMEM;
		snprintf(c->public_url, n, "http://127.0.0.1:%d", c->port);
	}
	n = strlen(c->public_url);
	while (n > 0 && c->public_url[n - 1] == '/')
		c->public_url[--n] = '\0';

	if (c->slack_api_url == NULL) {
		if ((c->slack_api_url = strdup(CONF_DEFAULT_SLACK_API)) == NULL)
			return CONF_NOMEM;
	} else if ((n = strlen(c->slack_api_url)) > 0 &&
	    c->slack_api_url[n - 1] != '/') {
		if ((tmp = malloc(n + 2)) == NULL)
			return CONF_NOMEM;
		memcpy(tmp, c->slack_api_url, n);
		tmp[n] = '/';
		tmp[n + 1] = '\0';
		free(c->slack_api_url);
		c->slack_api_url = tmp;
	}
	return CONF_OK;
}

int
hub_conf_load(struct hub_conf *c, unsigned need, char *err, size_t errlen)
{
	const char *path;
	size_t i;
	int rc = CONF_OK;

	memset(c, 0, sizeof(*c));
	c->log_level = HUB_LOG_INFO;
	c->port = CONF_DEFAULT_PORT;
	for (i = 0; i < HUB_NELEM(conf_longs); i++)
		*(long *)(void *)((char *)c + conf_longs[i].off) = -1;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	file_clear();

	if ((path = getenv("APPROVALHUB_CONF")) != NULL && *path != '\0' &&
	    (rc = file_load(path, err, errlen)) != CONF_OK)
		goto out;

	for (i = 0; i < HUB_NELEM(conf_needs); i++)
		if ((need & conf_needs[i].bit) && hub_conf_get(conf_needs[i].name) == NULL) {
			snprintf(err, errlen, "%s is required (set it in the "
			    "environment or in the APPROVALHUB_CONF file)",
			    conf_needs[i].name);
			rc = CONF_ERR;
			goto out;
		}
	if ((rc = load_scalars(c, err, errlen)) != CONF_OK ||
	    (rc = load_longs(c, err, errlen)) != CONF_OK ||
	    (rc = load_strs(c, err, errlen)) != CONF_OK)
		goto out;
	rc = url_defaults(c);
out:
	if (rc == CONF_NOMEM)
		snprintf(err, errlen, "configuration: out of memory");
	if (rc != CONF_OK) {
		hub_conf_free(c);
		return -1;
	}
	return 0;
}

void
hub_conf_free(struct hub_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < HUB_NELEM(conf_strs); i++) {
		wipe_free(*str_field(c, conf_strs[i].off));
		*str_field(c, conf_strs[i].off) = NULL;
	}
	explicit_bzero(c->secret_key, sizeof(c->secret_key));
	c->have_secret_key = 0;
	file_clear();
}
