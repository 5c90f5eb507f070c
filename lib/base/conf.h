/*
 * conf.h - configuration from the environment and from the KEY=VALUE file
 * named by APPROVALHUB_CONF (the environment wins).
 *
 * File syntax: one KEY=VALUE per line, '#' comments and blank lines
 * ignored, optional surrounding single or double quotes on the value, no
 * variable expansion.  A malformed line is an error naming the line.
 *
 * hub_conf_load() validates what the caller says it needs and fills *err
 * with ONE line naming the first missing or malformed variable, e.g.
 *   "SECRET_KEY is malformed: must be 32 bytes of base64 (openssl rand -base64 32)"
 * Optional values are validated too when present (URLs must be http(s)://,
 * LOG_LEVEL one of debug/info/warn/error, PORT 1-65535).
 * Never logs a value.
 */
#ifndef HUB_CONF_H
#define HUB_CONF_H

#include <stddef.h>
#include "base/log.h"

enum hub_conf_need {
	HUB_CONF_NEED_DATABASE = 1u << 0, /* DATABASE_URL */
	HUB_CONF_NEED_SECRET   = 1u << 1, /* SECRET_KEY */
	HUB_CONF_NEED_SIGNING  = 1u << 2, /* SLACK_SIGNING_SECRET */
	HUB_CONF_NEED_PUBLIC   = 1u << 3, /* PUBLIC_URL */
};

struct hub_conf {
	char		*database_url;
	unsigned char	 secret_key[32];
	int		 have_secret_key;
	char		*public_url;           /* no trailing slash; default http://127.0.0.1:PORT */
	char		*slack_signing_secret;
	char		*slack_bot_token;
	char		*slack_client_id;
	char		*slack_client_secret;
	char		*slack_api_url;        /* always ends with '/'; default https://slack.com/api/ */
	char		*smtp_url;
	char		*smtp_from;
	char		*inference_url;
	char		*inference_key;
	char		*inference_model_id;
	char		*embedding_url;
	char		*embedding_key;
	char		*embedding_model_id;
	enum hub_log_level log_level;      /* LOG_LEVEL, default info */
	int		 port;                 /* PORT, default 8080 */
	/* Database limits; -1 when unset (each program has its own default,
	 * store/db.h), 0 = no limit (not for the connect timeout). */
	long		 db_connect_timeout_s;     /* DB_CONNECT_TIMEOUT, 1..300 */
	long		 db_statement_timeout_ms;  /* DB_STATEMENT_TIMEOUT_MS, 0..86400000 */
	long		 db_lock_timeout_ms;       /* DB_LOCK_TIMEOUT_MS, 0..86400000 */
	long		 db_idle_tx_timeout_ms;    /* DB_IDLE_TX_TIMEOUT_MS, 0..86400000 */
};

/* 0 ok; -1 with *err set (one line, no trailing newline). */
int		 hub_conf_load(struct hub_conf *, unsigned need, char *err, size_t errlen);
void		 hub_conf_free(struct hub_conf *);
/* Raw lookup (environment, then the file); NULL when unset or empty. The
 * string is valid until hub_conf_free / the next hub_conf_load. */
const char	*hub_conf_get(const char *name);

#ifdef HUB_UNITTEST
/* HUB_STATIC in conf.c: reachable from the tests through t/libhub_ut.a. */
int	 conf_b64decode(const char *, unsigned char *, size_t);
int	 conf_parse_line(const char *, size_t, char **, char **);
#endif

#endif
