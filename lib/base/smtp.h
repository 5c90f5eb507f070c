/*
 * smtp.h - email through SMTP with libcurl (SMTP_URL, SMTP_FROM).
 *
 * URL: smtp://host[:port] or smtps://host[:port] (implicit TLS), with
 * optional user:password ("smtp://user:pass@host:587"; percent-encode
 * special characters).  On smtp:// STARTTLS is used when the server offers
 * it, and REQUIRED when the URL carries credentials and the host is not
 * loopback, so a password never crosses a network in clear.  The URL and
 * its credentials are never logged nor copied into err.
 *
 * The message: Date (RFC 5322, UTC), From, To, Subject (RFC 2047 "B"
 * encoded-words when not plain ASCII or long), Message-ID
 * (<random@domain of from>), MIME-Version, Auto-Submitted, and either a
 * text/plain part alone or multipart/alternative of text/plain and
 * text/html, both UTF-8 and quoted-printable; CRLF line endings
 * throughout.  Header values holding CR, LF or NUL are refused (header
 * injection), as are addresses that are not plain "local@domain" (to) or
 * "local@domain" / "Name <local@domain>" (from).
 *
 * Blocks for up to HUB_SMTP_TIMEOUT seconds: the worker's business, never
 * a request handler's (DESIGN rule 1).
 *
 * A session (hub_smtp_new, one per process) keeps its connection open
 * between messages: the next message skips the connect, the greeting,
 * EHLO, STARTTLS's handshake and AUTH.  A connection idle for about two
 * minutes (libcurl's CURLOPT_MAXAGE_CONN) or one the server has closed is
 * not reused.  When a kept connection fails before any of the message was
 * sent (the server closed it meanwhile, or answered 421 and closed it),
 * the message is sent again at once on a new connection; once any of it
 * went, it is not (the server may have taken it).
 */
#ifndef HUB_SMTP_H
#define HUB_SMTP_H

#include <stddef.h>

enum hub_smtp_err {
	HUB_SMTP_OK = 0,
	HUB_SMTP_INVALID,    /* bad argument: header injection, bad address or URL; do not retry */
	HUB_SMTP_TRANSIENT,  /* 4xx reply, connect failure, timeout, TLS hiccup: retry later */
	HUB_SMTP_PERMANENT,  /* 5xx reply (unknown mailbox, refused, auth denied): do not retry */
	HUB_SMTP_NOMEM,
};

#define HUB_SMTP_TIMEOUT         60
#define HUB_SMTP_CONNECT_TIMEOUT 10
#define HUB_SMTP_SUBJECT_MAX     998    /* bytes */
#define HUB_SMTP_ERR_MAX         256    /* room for hub_smtp_send's err line */
#define HUB_SMTP_BODY_MAX        (1024u * 1024u)  /* each part, bytes before encoding */

struct hub_smtp;

/* A session: NULL when out of memory.  Free says QUIT on its kept
 * connection, waiting a few seconds at most for the answer. */
struct hub_smtp	*hub_smtp_new(void);
void		 hub_smtp_free(struct hub_smtp *);

/* Send one message, on the session's kept connection (s NULL: on a
 * connection of its own, closed after).  html may be NULL (text/plain
 * only); text may not.  err (may be NULL) gets one line saying why, with
 * the server's reply code when there was one ("RCPT refused: 550"). */
int	hub_smtp_send(struct hub_smtp *s, const char *smtp_url, const char *from,
	    const char *to, const char *subject, const char *text, const char *html,
	    char *err, size_t errlen);

#endif
