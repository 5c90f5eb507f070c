/*
 * smtp.h - one email through SMTP with libcurl (SMTP_URL, SMTP_FROM).
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
 * a request handler's (DESIGN rule 1).  One easy handle per call.
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

/* Send one message.  html may be NULL (text/plain only); text may not.
 * err (may be NULL) gets one line saying why, with the server's reply
 * code when there was one ("RCPT refused: 550"). */
int	hub_smtp_send(const char *smtp_url, const char *from, const char *to,
	    const char *subject, const char *text, const char *html,
	    char *err, size_t errlen);

#endif
