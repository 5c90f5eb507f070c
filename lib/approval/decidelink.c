/*
 * decidelink.c - signed, expiring decision links bound to one assignment,
 * and the model of the page they open.  See decidelink.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "approval/decidelink.h"
#include "approval/intake.h"
#include "approval/metadisplay.h"
#include "store/sqlfrag.h"
#include "base/json.h"

#define MAC_B64_LEN 43   /* 32 bytes, base64url, unpadded */
#define UUID_LEN    36

void
hub_decidelink_key(const unsigned char master[32], unsigned char key[32])
{
	hub_derive_key(master, "decide-link", key);
}

time_t
hub_decidelink_expiry(time_t now, time_t deadline)
{
	return deadline > now ? deadline : now + HUB_DECIDELINK_DEFAULT_TTL;
}

/* A request id as the token carries it: 36 chars, lower-case hex and the
 * four dashes.  lower (may be NULL) gets the lower-cased copy. */
static int
uuid_ok(const char *s, size_t n, int allow_upper, char *lower)
{
	size_t i;
	char c;

	if (s == NULL || n != UUID_LEN)
		return 0;
	for (i = 0; i < UUID_LEN; i++) {
		c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (allow_upper && c >= 'A' && c <= 'F') {
			c = (char)(c - 'A' + 'a');
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
		if (lower != NULL)
			lower[i] = c;
	}
	if (lower != NULL)
		lower[UUID_LEN] = '\0';
	return 1;
}

/* Decimal 1..INT64_MAX, no sign, no leading zero: one spelling per value,
 * so a token has exactly one form. */
static int
dec_ok(const char *s, size_t n, int64_t *out)
{
	char tmp[20], *end;
	long long v;
	size_t i;

	if (n == 0 || n > 19 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return 0;
	*out = (int64_t)v;
	return 1;
}

static void
mac_payload(const unsigned char key[32], const char *payload, size_t n,
    unsigned char mac[HUB_SHA256_LEN])
{
	hub_hmac_sha256(key, 32, payload, n, mac);
}

int
hub_decidelink_make(const unsigned char key[32], int64_t assignment_id,
    const char *request_id, time_t expires, struct hub_buf *out)
{
	char rid[UUID_LEN + 1], payload[96];
	unsigned char mac[HUB_SHA256_LEN];
	size_t orig;
	int n, rc = HUB_DECIDELINK_INVAL;

	if (key == NULL || out == NULL || assignment_id <= 0 || expires <= 0 ||
	    request_id == NULL || !uuid_ok(request_id, strlen(request_id), 1, rid))
		return HUB_DECIDELINK_INVAL;
	orig = out->len;
	n = snprintf(payload, sizeof(payload), "%" PRId64 ".%s.%lld", assignment_id, rid,
	    (long long)expires);
	if (n < 0 || (size_t)n >= sizeof(payload))
		goto out;
	mac_payload(key, payload, (size_t)n, mac);
	rc = HUB_DECIDELINK_NOMEM;
	if (hub_buf_add(out, payload, (size_t)n) != HUB_BUF_OK ||
	    hub_buf_addc(out, '.') != HUB_BUF_OK ||
	    hub_base64_encode(mac, sizeof(mac), 1, out) != HUB_CRYPTO_OK)
		goto out;
	rc = HUB_DECIDELINK_OK;
out:
	if (rc != HUB_DECIDELINK_OK && out != NULL && out->data != NULL) {
		out->len = orig;
		out->data[orig] = '\0';
	}
	return rc;
}

int
hub_decidelink_parse(const unsigned char key[32], const char *token, time_t now,
    int64_t *assignment_id, char *request_id_out, time_t *expires)
{
	struct hub_buf raw = HUB_BUF_INIT(64);
	unsigned char want[HUB_SHA256_LEN];
	const char *dot[3], *p;
	size_t len, i;
	int64_t aid = 0, exp = 0;
	int rc = HUB_DECIDELINK_MALFORMED;

	if (assignment_id != NULL)
		*assignment_id = 0;
	if (request_id_out != NULL)
		request_id_out[0] = '\0';
	if (expires != NULL)
		*expires = 0;
	if (key == NULL || token == NULL)
		goto out;
	len = strnlen(token, HUB_DECIDELINK_TOKEN_MAX + 1);
	if (len > HUB_DECIDELINK_TOKEN_MAX)
		goto out;
	for (i = 0, p = token; i < 3; i++, p = dot[i - 1] + 1)
		if ((dot[i] = memchr(p, '.', len - (size_t)(p - token))) == NULL)
			goto out;
	if (!dec_ok(token, (size_t)(dot[0] - token), &aid) ||
	    !uuid_ok(dot[0] + 1, (size_t)(dot[1] - dot[0] - 1), 0, NULL) ||
	    !dec_ok(dot[1] + 1, (size_t)(dot[2] - dot[1] - 1), &exp) ||
	    len - (size_t)(dot[2] + 1 - token) != MAC_B64_LEN)
		goto out;
	/* The strict decoder gives every MAC one spelling; a '.' in it fails. */
	if (hub_base64_decode(dot[2] + 1, MAC_B64_LEN, 1, &raw) != HUB_CRYPTO_OK ||
	    raw.len != HUB_SHA256_LEN)
		goto out;
	mac_payload(key, token, (size_t)(dot[2] - token), want);
	if (!hub_ct_equal(want, raw.data, HUB_SHA256_LEN)) {
		rc = HUB_DECIDELINK_BADSIG;
		goto out;
	}
	if ((time_t)exp <= now) {
		rc = HUB_DECIDELINK_EXPIRED;
		goto out;
	}
	if (assignment_id != NULL)
		*assignment_id = aid;
	if (request_id_out != NULL) {
		memcpy(request_id_out, dot[0] + 1, UUID_LEN);
		request_id_out[UUID_LEN] = '\0';
	}
	if (expires != NULL)
		*expires = (time_t)exp;
	rc = HUB_DECIDELINK_OK;
out:
	hub_buf_release(&raw);
	return rc;
}

int
hub_decidelink_url(const char *public_url, const char *token, struct hub_buf *out)
{
	size_t n, orig;

	if (public_url == NULL || token == NULL || *token == '\0' || out == NULL ||
	    (strncmp(public_url, "http://", 7) != 0 && strncmp(public_url, "https://", 8) != 0))
		return HUB_DECIDELINK_INVAL;
	n = strlen(public_url);
	while (n > 0 && public_url[n - 1] == '/')
		n--;
	orig = out->len;
	if (hub_buf_add(out, public_url, n) != HUB_BUF_OK ||
	    hub_buf_adds(out, "/decide/") != HUB_BUF_OK ||
	    hub_buf_adds(out, token) != HUB_BUF_OK) {
		if (out->data != NULL) {
			out->len = orig;
			out->data[orig] = '\0';
		}
		return HUB_DECIDELINK_NOMEM;
	}
	return HUB_DECIDELINK_OK;
}

int
hub_decidelink_make_url(const unsigned char master[32], const char *public_url,
    int64_t assignment_id, const char *request_id, time_t now, time_t deadline,
    struct hub_buf *url_out)
{
	struct hub_buf tok = HUB_BUF_INIT(HUB_DECIDELINK_TOKEN_MAX);
	unsigned char key[32];
	int rc;

	if (master == NULL)
		return HUB_DECIDELINK_INVAL;
	hub_decidelink_key(master, key);
	if ((rc = hub_decidelink_make(key, assignment_id, request_id,
	    hub_decidelink_expiry(now, deadline), &tok)) == HUB_DECIDELINK_OK)
		rc = hub_decidelink_url(public_url, hub_buf_str(&tok), url_out);
	hub_buf_release(&tok);
	return rc;
}

/* ------------------------------------------------------------ page model */

#define DL_TIME(col) HUB_SQL_SHOWN_TIME(col)

enum dl_stmt {
	DL_VIEW,
	DL__MAX
};

enum dl_col {
	C_KIND, C_VALUE, C_ASTATUS, C_ADECIDED_BY, C_ADECIDED_AT, C_ACOMMENT,
	C_POSITION, C_STEP_STATUS, C_STEPS,
	C_TITLE, C_REQUESTER, C_REQUESTER_EMAIL, C_SOURCE, C_JUSTIFICATION, C_METADATA,
	C_STATUS, C_DEADLINE, C_CREATED, C_RDECIDED_BY, C_RDECIDED_AT, C_RCOMMENT,
	C_PRESET,
	C__MAX
};

static const struct hub_stmt dl_stmts[DL__MAX] = {
	/* $1 assignment id, $2 request id; columns in enum dl_col order */
	[DL_VIEW] = {
	    "SELECT a.approver_kind, a.approver_value, a.status, coalesce(a.decided_by, ''),"
	    " " DL_TIME("a.decided_at") ", coalesce(a.comment, ''),"
	    " st.position, st.status,"
	    " (SELECT count(*) FROM request_steps x WHERE x.request_id = r.id),"
	    " r.title, r.requester_name, coalesce(r.requester_email, ''), src.name,"
	    " r.justification, r.metadata::text, r.status,"
	    " " DL_TIME("r.deadline") ", " DL_TIME("r.created_at") ","
	    " coalesce(r.decided_by, ''), " DL_TIME("r.decided_at") ","
	    " coalesce(r.decision_comment, ''), coalesce(r.preset, '')"
	    " FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    " JOIN requests r ON r.id = a.request_id"
	    " JOIN sources src ON src.id = r.source_id"
	    " WHERE a.id = $1::bigint AND a.request_id = $2::uuid", 2 },
};

static const struct hub_stmt_table dl_table = { "decidelink", dl_stmts, DL__MAX };

/* "Approved by X at T": the parts that are known. */
static int
said(struct hub_buf *b, const char *what, const char *who, const char *when)
{
	if (hub_buf_adds(b, what) != HUB_BUF_OK ||
	    (*who != '\0' && hub_buf_printf(b, " by %s", who) != HUB_BUF_OK) ||
	    (*when != '\0' && hub_buf_printf(b, " at %s", when) != HUB_BUF_OK))
		return -1;
	return 0;
}

static const char *
capital(const char *asg_status)
{
	return strcmp(asg_status, "approved") == 0 ? "Approved" : "Rejected";
}

/*
 * The sentence under the request, and whether the form shows.  Request
 * states first: once the request left Pending, that is all that matters.
 */
static int
outcome(const PGresult *r, struct hub_buf *b, int *can_decide, int *waiting,
    const char **cls)
{
	const char *status = PQgetvalue(r, 0, C_STATUS);
	const char *ast = PQgetvalue(r, 0, C_ASTATUS);
	const char *sst = PQgetvalue(r, 0, C_STEP_STATUS);

	*can_decide = *waiting = 0;
	*cls = "status-Pending";
	if (strcmp(status, "Pending") != 0) {
		*cls = strcmp(status, "Approved") == 0 ? "status-Approved" :
		    strcmp(status, "Rejected") == 0 ? "status-Rejected" :
		    strcmp(status, "Expired") == 0 ? "status-Expired" : "status-Closed";
		if (strcmp(status, "Expired") == 0)
			return said(b, "Expired", "", *PQgetvalue(r, 0, C_RDECIDED_AT) != '\0' ?
			    PQgetvalue(r, 0, C_RDECIDED_AT) : PQgetvalue(r, 0, C_DEADLINE));
		return said(b, status, PQgetvalue(r, 0, C_RDECIDED_BY),
		    PQgetvalue(r, 0, C_RDECIDED_AT));
	}
	if (strcmp(ast, "approved") == 0 || strcmp(ast, "rejected") == 0) {
		if (said(b, capital(ast), PQgetvalue(r, 0, C_ADECIDED_BY),
		    PQgetvalue(r, 0, C_ADECIDED_AT)) != 0)
			return -1;
		return hub_buf_adds(b, ". The request is still pending: other approvers"
		    " have not finished yet.") == HUB_BUF_OK ? 0 : -1;
	}
	if (strcmp(ast, "skipped") == 0)
		return hub_buf_adds(b, "No action needed: this step was already decided.") ==
		    HUB_BUF_OK ? 0 : -1;
	if (strcmp(ast, "reassigned") == 0)
		return hub_buf_adds(b, "This request was reassigned to another approver;"
		    " this link no longer decides it.") == HUB_BUF_OK ? 0 : -1;
	if (strcmp(sst, "waiting") == 0) {
		*waiting = 1;
		return hub_buf_adds(b, "An earlier step must be approved first. You will get"
		    " a new message when it is your turn.") == HUB_BUF_OK ? 0 : -1;
	}
	if (strcmp(sst, "active") == 0 && strcmp(ast, "pending") == 0) {
		*can_decide = 1;
		return 0;
	}
	return hub_buf_adds(b, "Nothing to decide here.") == HUB_BUF_OK ? 0 : -1;
}

/* The metadata as fields, labelled by the request's preset (the one
 * stored with it, else its source's). */
static int
add_fields(json_object *v, PGresult *r)
{
	const char *metadata = PQgetvalue(r, 0, C_METADATA);
	json_object *md = NULL, *fields = NULL;
	int rc = -1;

	if (hub_json_parse_object(metadata, strlen(metadata), 1u << 20,
	    HUB_JSON_DEFAULT_DEPTH, &md) != HUB_JSON_OK)
		goto out;
	if (hub_metadisplay_fields(hub_intake_preset_of(PQgetvalue(r, 0, C_PRESET),
	    PQgetvalue(r, 0, C_SOURCE)), md, &fields) != HUB_INTAKE_OK)
		goto out;
	rc = hub_json_set(v, "fields", fields);
	fields = NULL;
out:
	json_object_put(fields);
	json_object_put(md);
	return rc;
}

/* The page's view of DL_VIEW's row: the request and assignment, what
 * happened (outcome), the decision's comment and the metadata fields. */
static int
view_of_row(PGresult *r, json_object **view)
{
	static const struct { const char *key; int col; } strs[] = {
		{ "approver_kind", C_KIND }, { "approver_value", C_VALUE },
		{ "assignment_status", C_ASTATUS }, { "title", C_TITLE },
		{ "requester", C_REQUESTER }, { "requester_email", C_REQUESTER_EMAIL },
		{ "source", C_SOURCE }, { "justification", C_JUSTIFICATION },
		{ "status", C_STATUS }, { "deadline", C_DEADLINE }, { "created", C_CREATED },
		{ "step", C_POSITION }, { "steps", C_STEPS },
		{ "decided_by", C_RDECIDED_BY }, { "decided_at", C_RDECIDED_AT },
	};
	struct hub_buf sentence = HUB_BUF_INIT(2048);
	const char *cls, *comment;
	json_object *v = NULL;
	int can_decide, waiting, rc = HUB_DECIDELINK_NOMEM;
	size_t i;

	if ((v = json_object_new_object()) == NULL)
		goto out;
	for (i = 0; i < HUB_NELEM(strs); i++)
		if (hub_json_set_str(v, strs[i].key, PQgetvalue(r, 0, strs[i].col)) != 0)
			goto out;
	if (outcome(r, &sentence, &can_decide, &waiting, &cls) != 0 ||
	    hub_json_set(v, "can_decide", json_object_new_boolean(can_decide)) != 0 ||
	    hub_json_set(v, "waiting", json_object_new_boolean(waiting)) != 0 ||
	    hub_json_set_str(v, "outcome", hub_buf_str(&sentence)) != 0 ||
	    hub_json_set_str(v, "outcome_class", cls) != 0 ||
	    hub_json_set(v, "multi_step", json_object_new_boolean(
	    strcmp(PQgetvalue(r, 0, C_STEPS), "1") != 0)) != 0)
		goto out;
	/* The comment that went with the decision this page reports. */
	comment = strcmp(PQgetvalue(r, 0, C_STATUS), "Pending") != 0 ?
	    PQgetvalue(r, 0, C_RCOMMENT) : PQgetvalue(r, 0, C_ACOMMENT);
	if (hub_json_set_str(v, "comment", comment) != 0)
		goto out;
	if (add_fields(v, r) != 0) {
		rc = HUB_DECIDELINK_DB;
		goto out;
	}
	*view = v;
	v = NULL;
	rc = HUB_DECIDELINK_OK;
out:
	json_object_put(v);
	hub_buf_release(&sentence);
	return rc;
}

int
hub_decidelink_view(struct hub_db *db, int64_t assignment_id, const char *request_id,
    json_object **view)
{
	char aid[HUB_INT64_TEXT_SIZE];
	const char *p[2];
	PGresult *r = NULL;
	int rc, dbrc;

	*view = NULL;
	if (assignment_id <= 0 || request_id == NULL ||
	    !uuid_ok(request_id, strlen(request_id), 1, NULL))
		return HUB_DECIDELINK_NOTFOUND;
	snprintf(aid, sizeof(aid), "%" PRId64, assignment_id);
	p[0] = aid;
	p[1] = request_id;
	if ((dbrc = hub_db_exec(db, &dl_table, DL_VIEW, p, &r)) != HUB_DB_OK)
		rc = dbrc == HUB_DB_CONN ? HUB_DECIDELINK_UNAVAILABLE : HUB_DECIDELINK_DB;
	else if (PQntuples(r) != 1 || PQnfields(r) != C__MAX)
		rc = HUB_DECIDELINK_NOTFOUND;
	else
		rc = view_of_row(r, view);
	PQclear(r);
	return rc;
}

const char *
hub_decidelink_strerror(int rc)
{
	static const char *const msgs[] = {
		[HUB_DECIDELINK_OK] = "ok",
		[HUB_DECIDELINK_MALFORMED] = "malformed link",
		[HUB_DECIDELINK_BADSIG] = "link signature does not match",
		[HUB_DECIDELINK_EXPIRED] = "link expired",
		[HUB_DECIDELINK_NOMEM] = "out of memory",
		[HUB_DECIDELINK_INVAL] = "invalid argument",
		[HUB_DECIDELINK_NOTFOUND] = "no such assignment",
		[HUB_DECIDELINK_DB] = "database error",
		[HUB_DECIDELINK_UNAVAILABLE] = "database unavailable",
	};

	if (rc < 0 || (size_t)rc >= HUB_NELEM(msgs) || msgs[rc] == NULL)
		return "unknown error";
	return msgs[rc];
}
