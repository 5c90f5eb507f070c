/*
 * smtp.c - build one MIME message and send it with libcurl's SMTP.
 * See smtp.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "base/check.h"
#include "base/crypto.h"
#include "base/smtp.h"

#define ADDR_MAX     320
#define MSG_MAX      (8u * HUB_SMTP_BODY_MAX + 65536u)  /* two QP parts at worst 3x */
#define QP_LINE      75   /* encoded characters before a soft break */
#define EW_CHUNK     39   /* bytes per RFC 2047 word: 52 base64 chars */
#define SMTP_QUIT_WAIT 3  /* seconds for the answer to a kept connection's QUIT */

/* ------------------------------------------------------------ checks */

static int
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* An address as the hub accepts it everywhere (hub_check_email): ASCII
 * without specials, spaces or CR/LF, so what passes can go into MAIL FROM,
 * RCPT TO and a header unquoted.  s need not be NUL-terminated. */
static int
addr_ok(const char *s, size_t n)
{
	char a[ADDR_MAX + 1];

	if (n == 0 || n > ADDR_MAX || memchr(s, '\0', n) != NULL)
		return 0;
	memcpy(a, s, n);
	a[n] = '\0';
	return hub_check_email(a);
}

/* ------------------------------------------------------------ encoders */

static int
is_plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* RFC 2047 "B" encoded-words, folded with CRLF SP, never cutting a UTF-8
 * sequence (a word must decode on its own). */
static int
encoded_words(struct hub_buf *b, const char *s)
{
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		k = n - i > EW_CHUNK ? EW_CHUNK : n - i;
		while (k > 1 && i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--;
		if ((i > 0 && hub_buf_adds(b, "\r\n ") != HUB_BUF_OK) ||
		    hub_buf_adds(b, "=?UTF-8?B?") != HUB_BUF_OK ||
		    hub_base64_encode(s + i, k, 0, b) != HUB_CRYPTO_OK ||
		    hub_buf_adds(b, "?=") != HUB_BUF_OK)
			return -1;
		i += k;
	}
	return 0;
}

/* A header value that may be free text: as is when short plain ASCII that
 * cannot be mistaken for an encoded-word, else encoded-words. */
static int
text_value(struct hub_buf *b, const char *s)
{
	if (is_plain_ascii(s) && strlen(s) <= 66 && strstr(s, "=?") == NULL)
		return hub_buf_adds(b, s) == HUB_BUF_OK ? 0 : -1;
	return encoded_words(b, s);
}

/* Quoted-printable (RFC 2045 6.7) with CRLF line ends; input lines end in
 * LF or CRLF; no line break is added at the end (the one before a MIME
 * boundary belongs to the boundary).  A '.' opening a line is encoded too, so no line of the body
 * can look like SMTP's end of data whatever the transport does. */
static int
qp_encode(struct hub_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	char tok[3];
	size_t t;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int eol = s[1] == '\0' || s[1] == '\n' || (s[1] == '\r' && s[2] == '\n');

		if (c == '\r' && s[1] == '\n')
			continue;
		if (c == '\n') {
			if (hub_buf_adds(b, "\r\n") != HUB_BUF_OK)
				return -1;
			col = 0;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
		    ((c == ' ' || c == '\t') && !eol)) {
			tok[0] = (char)c;
			t = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			t = 3;
		}
		if (col + t > QP_LINE) {
			if (hub_buf_adds(b, "=\r\n") != HUB_BUF_OK)
				return -1;
			col = 0;
			if (tok[0] == '.' && t == 1) {
				tok[0] = '=';
				tok[1] = '2';
				tok[2] = 'E';
				t = 3;
			}
		}
		if (hub_buf_add(b, tok, t) != HUB_BUF_OK)
			return -1;
		col += t;
	}
	return 0;
}

/* RFC 5322 date in UTC, English names whatever the locale. */
static int
rfc5322_date(struct hub_buf *b, time_t now)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	return hub_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec) == HUB_BUF_OK ? 0 : -1;
}

static int
part(struct hub_buf *b, const char *boundary, const char *type, const char *body)
{
	if ((boundary != NULL && hub_buf_printf(b, "\r\n--%s\r\n", boundary) != HUB_BUF_OK) ||
	    hub_buf_printf(b, "Content-Type: %s; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", type) != HUB_BUF_OK)
		return -1;
	return qp_encode(b, body);
}

struct from_parts {
	char	addr[ADDR_MAX + 1];
	char	name[256];   /* display name, "" when none */
};

/* "a@b" or "Name <a@b>". */
static int
split_from(const char *from, struct from_parts *f)
{
	const char *lt = strrchr(from, '<'), *gt;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (lt == NULL) {
		n = strlen(from);
		if (!addr_ok(from, n))
			return -1;
		memcpy(f->addr, from, n);
		return 0;
	}
	gt = strchr(lt, '>');
	if (gt == NULL || gt[1] != '\0' || !addr_ok(lt + 1, (size_t)(gt - lt - 1)))
		return -1;
	memcpy(f->addr, lt + 1, (size_t)(gt - lt - 1));
	n = (size_t)(lt - from);
	while (n > 0 && from[n - 1] == ' ')
		n--;
	if (n >= sizeof(f->name) || memchr(from, '"', n) != NULL ||
	    memchr(from, '<', n) != NULL || memchr(from, '>', n) != NULL)
		return -1;
	memcpy(f->name, from, n);
	return 0;
}

/* The whole message, CRLF throughout. */
static int
build(struct hub_buf *m, const struct from_parts *f, const char *to, const char *subject,
    const char *text, const char *html)
{
	unsigned char rnd[16], brnd[12];
	char id[33], bid[25], boundary[48];
	const char *domain = strchr(f->addr, '@') + 1;

	if (hub_random_bytes(rnd, sizeof(rnd)) != HUB_CRYPTO_OK ||
	    hub_random_bytes(brnd, sizeof(brnd)) != HUB_CRYPTO_OK)
		return -1;
	hub_hex_encode(rnd, sizeof(rnd), id);
	hub_hex_encode(brnd, sizeof(brnd), bid);
	/* "=_" never occurs in quoted-printable output: a safe boundary. */
	snprintf(boundary, sizeof(boundary), "=_hub_%s", bid);

	if (rfc5322_date(m, time(NULL)) != 0 || hub_buf_adds(m, "From: ") != HUB_BUF_OK)
		return -1;
	if (f->name[0] != '\0') {
		if (text_value(m, f->name) != 0 ||
		    hub_buf_printf(m, " <%s>\r\n", f->addr) != HUB_BUF_OK)
			return -1;
	} else if (hub_buf_printf(m, "%s\r\n", f->addr) != HUB_BUF_OK) {
		return -1;
	}
	if (hub_buf_printf(m, "To: %s\r\nSubject: ", to) != HUB_BUF_OK ||
	    text_value(m, subject) != 0 ||
	    hub_buf_printf(m, "\r\nMessage-ID: <%s@%s>\r\n"
	    "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n", id, domain) !=
	    HUB_BUF_OK)
		return -1;
	if (html == NULL)
		return part(m, NULL, "text/plain", text);
	if (hub_buf_printf(m, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
	    "This is a multi-part message in MIME format.\r\n", boundary) != HUB_BUF_OK ||
	    part(m, boundary, "text/plain", text) != 0 ||
	    part(m, boundary, "text/html", html) != 0 ||
	    hub_buf_printf(m, "\r\n--%s--\r\n", boundary) != HUB_BUF_OK)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ transport */

struct reader {
	const char	*p;
	size_t		 left;
};

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nmemb;

	if (n > r->left)
		n = r->left;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

static int
is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "::1") == 0 || strncmp(host, "127.", 4) == 0;
}

/* Scheme smtp/smtps; *tls_required when credentials would otherwise cross
 * a network in clear. */
static int
check_url(const char *url, int *implicit_tls, int *tls_required)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	int rc = -1;

	*implicit_tls = *tls_required = 0;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (strcmp(scheme, "smtps") == 0)
		*implicit_tls = 1;
	else if (strcmp(scheme, "smtp") != 0)
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user != NULL &&
	    *user != '\0' && !is_loopback(host))
		*tls_required = 1;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

static int
classify(CURLcode cc, long code)
{
	if (code >= 500 && code <= 599)
		return HUB_SMTP_PERMANENT;
	if (code >= 400 && code <= 499)
		return HUB_SMTP_TRANSIENT;
	switch (cc) {
	case CURLE_OUT_OF_MEMORY:
		return HUB_SMTP_NOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return HUB_SMTP_INVALID;
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
		return HUB_SMTP_PERMANENT;
	default:
		/* Connect, resolve, timeouts, dropped connections. */
		return HUB_SMTP_TRANSIENT;
	}
}

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* Why the message cannot be sent as asked (NULL: it can), the sender's
 * parts in f and the URL's TLS needs on the way. */
static const char *
refusal(const char *smtp_url, const char *from, const char *to, const char *subject,
    const char *text, const char *html, struct from_parts *f, int *implicit_tls,
    int *tls_required)
{
	if (smtp_url == NULL || from == NULL || to == NULL || subject == NULL || text == NULL)
		return "missing argument";
	if (has_crlf(from) || has_crlf(to) || has_crlf(subject))
		return "header value holds CR or LF";
	if (split_from(from, f) != 0)
		return "SMTP_FROM is not an address";
	if (!addr_ok(to, strlen(to)))
		return "recipient is not an address";
	if (strlen(subject) > HUB_SMTP_SUBJECT_MAX || strlen(text) > HUB_SMTP_BODY_MAX ||
	    (html != NULL && strlen(html) > HUB_SMTP_BODY_MAX))
		return "subject or body too long";
	if (check_url(smtp_url, implicit_tls, tls_required) != 0)
		return "SMTP_URL must be smtp:// or smtps://";
	return NULL;
}

/* One upload of rd to rcpt from the envelope sender, TLS as the URL
 * needs, bounded in time, errors in curlerr: 0, or -1 when libcurl
 * refused an option. */
static int
set_options(CURL *c, const char *smtp_url, const char *envelope, struct curl_slist *rcpt,
    struct reader *rd, int ssl_all, char *curlerr)
{
	if (curl_easy_setopt(c, CURLOPT_URL, smtp_url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
#endif
	    curl_easy_setopt(c, CURLOPT_MAIL_FROM, envelope) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rd->left) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, rd) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL, ssl_all ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)HUB_SMTP_CONNECT_TIMEOUT) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)HUB_SMTP_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr) != CURLE_OK)
		return -1;
	return 0;
}

/* A failed transfer as a HUB_SMTP_* code, and what went wrong in err. */
static int
failure(CURL *c, CURLcode cc, const char *curlerr, char *err, size_t errlen)
{
	long code = 0;

	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (err != NULL && errlen > 0) {
		/* curl's messages name hosts and replies, never the URL's
		 * credentials. */
		if (code > 0)
			snprintf(err, errlen, "%s: %ld (%s)", *curlerr != '\0' ? curlerr :
			    curl_easy_strerror(cc), code, curl_easy_strerror(cc));
		else
			snprintf(err, errlen, "%s", *curlerr != '\0' ? curlerr :
			    curl_easy_strerror(cc));
	}
	return classify(cc, code);
}

/* Did the transfer fail on a connection kept from an earlier message
 * before any of this one was sent?  The server may have closed it
 * meanwhile (an idle timeout, a restart), or answered 421 and closed it. */
static int
stale(CURL *c, CURLcode cc, const struct reader *rd, size_t len)
{
	long connects = -1, code = 0;

	if (rd->left != len || curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) !=
	    CURLE_OK || connects != 0)
		return 0;
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 0)
		return code == 421;
	return cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING;
}

struct hub_smtp {
	CURL	*curl;
};

struct hub_smtp *
hub_smtp_new(void)
{
	struct hub_smtp *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->curl = curl_easy_init()) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
hub_smtp_free(struct hub_smtp *s)
{
	if (s == NULL)
		return;
	/* The QUIT of a kept connection waits this long for its answer. */
	(void)curl_easy_setopt(s->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)SMTP_QUIT_WAIT);
	curl_easy_cleanup(s->curl);
	free(s);
}

/* After a message: a handle of its own closed, the session's kept without
 * the pointers to what the message's call owned. */
static void
handle_done(struct hub_smtp *s, CURL *c)
{
	if (c == NULL)
		return;
	if (s == NULL) {
		curl_easy_cleanup(c);
		return;
	}
	(void)curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
	(void)curl_easy_setopt(c, CURLOPT_READDATA, NULL);
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
}

int
hub_smtp_send(struct hub_smtp *s, const char *smtp_url, const char *from, const char *to,
    const char *subject, const char *text, const char *html, char *err, size_t errlen)
{
	struct hub_buf msg = HUB_BUF_INIT(MSG_MAX);
	struct from_parts f;
	struct curl_slist *rcpt = NULL;
	struct reader rd;
	char envelope[ADDR_MAX + 3], curlerr[CURL_ERROR_SIZE];
	const char *why;
	CURL *c = NULL;
	CURLcode cc;
	int rc = HUB_SMTP_INVALID, implicit_tls, tls_required;

	seterr(err, errlen, "");
	if ((why = refusal(smtp_url, from, to, subject, text, html, &f, &implicit_tls,
	    &tls_required)) != NULL) {
		seterr(err, errlen, why);
		goto out;
	}
	rc = HUB_SMTP_NOMEM;
	if (build(&msg, &f, to, subject, text, html) != 0) {
		seterr(err, errlen, "could not build the message");
		goto out;
	}
	snprintf(envelope, sizeof(envelope), "<%s>", to);
	if ((rcpt = curl_slist_append(NULL, envelope)) == NULL)
		goto out;
	if (s != NULL) {
		/* Options cleared, the kept connection kept. */
		c = s->curl;
		curl_easy_reset(c);
	} else if ((c = curl_easy_init()) == NULL)
		goto out;
	snprintf(envelope, sizeof(envelope), "<%s>", f.addr);
	rd.p = msg.data;
	rd.left = msg.len;
	curlerr[0] = '\0';
	if (set_options(c, smtp_url, envelope, rcpt, &rd, implicit_tls || tls_required,
	    curlerr) != 0) {
		rc = HUB_SMTP_INVALID;
		seterr(err, errlen, "libcurl refused an option");
		goto out;
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK && s != NULL && stale(c, cc, &rd, msg.len)) {
		curlerr[0] = '\0';
		if (curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) == CURLE_OK)
			cc = curl_easy_perform(c);
	}
	rc = cc == CURLE_OK ? HUB_SMTP_OK : failure(c, cc, curlerr, err, errlen);
out:
	handle_done(s, c);
	curl_slist_free_all(rcpt);
	hub_buf_release(&msg);
	return rc;
}
