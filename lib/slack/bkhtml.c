/*
 * bkhtml.c - Block Kit as inert HTML for the request page's previews.
 * See bkhtml.h.
 *
 * Writing goes through one struct bk: the first append that fails is
 * remembered and every later one skipped, so the render functions need
 * no error paths; hub_bkhtml_render rolls the buffer back at the end.
 */
#include <string.h>

#include <json-c/json.h>

#include "slack/bkhtml.h"
#include "base/common.h"
#include "base/esc.h"
#include "base/json.h"
#include "base/utf8.h"

#define BK_JSON_DEPTH	24
#define BK_TEXT_CHARS	3000	/* Slack's longest text (a section's) */
#define BK_MAX_FIELDS	10
#define BK_MAX_ELEMENTS	25
#define BK_MAX_NEST	4	/* *_~` inside each other */
#define BK_TYPE_SHOWN	40	/* bytes of an unknown type named in the preview */

struct bk {
	struct hub_buf	*out;
	int		 err;	/* first hub_buf error, then nothing is written */
};

static void
put(struct bk *b, const char *s)
{
	if (b->err == HUB_BUF_OK)
		b->err = hub_buf_adds(b->out, s);
}

/* Text for HTML: every markup character escaped. */
static void
esc(struct bk *b, const char *s, size_t n)
{
	if (b->err == HUB_BUF_OK && n > 0)
		b->err = hub_esc_html(b->out, s, n);
}

/* Which of Slack's three entities starts s (its length), else 0. */
static size_t
entity(const char *s, size_t n)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;" };
	size_t i, len;

	for (i = 0; i < HUB_NELEM(ents); i++) {
		len = strlen(ents[i]);
		if (n >= len && memcmp(s, ents[i], len) == 0)
			return len;
	}
	return 0;
}

/* mrkdwn text without markup (code, link targets, labels): Slack's
 * entities are already what HTML wants; everything else is escaped. */
static void
lit(struct bk *b, const char *s, size_t n)
{
	size_t i = 0, run = 0, e;

	while (i < n) {
		if (s[i] != '&' || (e = entity(s + i, n - i)) == 0) {
			i++;
			continue;
		}
		esc(b, s + run, i - run);
		if (b->err == HUB_BUF_OK)
			b->err = hub_buf_add(b->out, s + i, e);
		i += e;
		run = i;
	}
	esc(b, s + run, n - run);
}

/* ------------------------------------------------------------ mrkdwn */

static int
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
line_end(const char *s, size_t i, size_t n)
{
	const char *nl = memchr(s + i, '\n', n - i);

	return nl != NULL ? (size_t)(nl - s) : n;
}

static const char delims[] = "*_~`";
static const char *const open_tags[] = { "<b>", "<i>", "<s>", "<code>" };
static const char *const close_tags[] = { "</b>", "</i>", "</s>", "</code>" };

/*
 * One level of inline formatting over s[0..n).  nofind[d] is the end of
 * the line on which a closer for delimiter d was looked for in vain: no
 * later opener on that line can find one either, which keeps a line of
 * unclosed "*" linear.  The same for a "<" without ">".
 */
struct level {
	size_t	nofind[sizeof(delims) - 1];
	size_t	noangle;
	int	depth;
	unsigned active;	/* delimiters open around this level */
};

static void	inline_fmt(struct bk *, const char *, size_t, int, unsigned);

/* The closing delimiter of the span opened at i, or 0. */
static size_t
closer(const char *s, size_t i, size_t n, size_t d, struct level *lv)
{
	size_t eol = line_end(s, i, n), k;
	char c = delims[d];

	if (i < lv->nofind[d] || i + 2 >= eol || space(s[i + 1]))
		return 0;
	for (k = i + 2; k < eol; k++)
		if (s[k] == c && !space(s[k - 1]) && (k + 1 == n || !alnum(s[k + 1])))
			return k;
	lv->nofind[d] = eol;
	return 0;
}

/* "<...>": a link, a mention, a channel, a special. */
static void
angle(struct bk *b, const char *s, size_t n)
{
	const char *bar = memchr(s, '|', n);
	size_t head = bar != NULL ? (size_t)(bar - s) : n;
	const char *label = bar != NULL ? bar + 1 : NULL;
	size_t llen = bar != NULL ? n - head - 1 : 0;

	if (n > 0 && (s[0] == '@' || s[0] == '#' || s[0] == '!')) {
		put(b, "<span class=\"bk-mention\">");
		if (label != NULL && llen > 0) {
			if (s[0] != '!' && label[0] != s[0])
				esc(b, s, 1);
			lit(b, label, llen);
		} else if (s[0] == '!') {
			/* <!here>, <!channel>, <!everyone>; a date without its
			 * fallback shows its token. */
			put(b, "@");
			lit(b, s + 1, head - 1);
		} else
			lit(b, s, head);
		put(b, "</span>");
		return;
	}
	if ((head > 7 && strncmp(s, "http://", 7) == 0) ||
	    (head > 8 && strncmp(s, "https://", 8) == 0) ||
	    (head > 7 && strncmp(s, "mailto:", 7) == 0)) {
		put(b, "<a href=\"");
		lit(b, s, head);
		put(b, "\" rel=\"noopener noreferrer nofollow\">");
		if (label != NULL && llen > 0)
			lit(b, label, llen);
		else
			lit(b, s, head);
		put(b, "</a>");
		return;
	}
	/* Anything else is shown, not followed. */
	if (label != NULL && llen > 0)
		lit(b, label, llen);
	else
		lit(b, s, head);
}

/* A run of plain text up to the next character inline_fmt handles. */
static size_t
plain_run(const char *s, size_t i, size_t n)
{
	size_t k;

	for (k = i; k < n; k++)
		if (s[k] == '\n' || s[k] == '<' || s[k] == '&' || strchr(delims, s[k]) != NULL)
			break;
	return k;
}

/* At s[i] (one of *_~`): a formatted span, or the character itself.
 * Returns the index after what was written. */
static size_t
delim_at(struct bk *b, const char *s, size_t i, size_t n, struct level *lv)
{
	size_t d = (size_t)(strchr(delims, s[i]) - delims), k;

	if (lv->depth < BK_MAX_NEST && !(lv->active & (1u << d)) &&
	    (i == 0 || !alnum(s[i - 1])) && (k = closer(s, i, n, d, lv)) != 0) {
		put(b, open_tags[d]);
		if (delims[d] == '`')
			lit(b, s + i + 1, k - i - 1);
		else
			inline_fmt(b, s + i + 1, k - i - 1, lv->depth + 1, lv->active | (1u << d));
		put(b, close_tags[d]);
		return k + 1;
	}
	esc(b, s + i, 1);
	return i + 1;
}

/* At s[i] == '<': a construct up to '>' on the same line, or "&lt;". */
static size_t
angle_at(struct bk *b, const char *s, size_t i, size_t n, struct level *lv)
{
	size_t eol = line_end(s, i, n);
	const char *gt = i >= lv->noangle ? memchr(s + i + 1, '>', eol - i - 1) : NULL;

	if (gt == NULL) {
		lv->noangle = eol;
		put(b, "&lt;");
		return i + 1;
	}
	angle(b, s + i + 1, (size_t)(gt - s) - i - 1);
	return (size_t)(gt - s) + 1;
}

static void
inline_fmt(struct bk *b, const char *s, size_t n, int depth, unsigned active)
{
	struct level lv;
	size_t i = 0, k, e;

	memset(&lv, 0, sizeof(lv));
	lv.depth = depth;
	lv.active = active;
	while (i < n && b->err == HUB_BUF_OK) {
		if (s[i] == '\n') {
			put(b, "<br>");
			i++;
		} else if (s[i] == '<') {
			i = angle_at(b, s, i, n, &lv);
		} else if (s[i] == '&') {
			e = entity(s + i, n - i);
			lit(b, s + i, e > 0 ? e : 1);
			i += e > 0 ? e : 1;
		} else if (strchr(delims, s[i]) != NULL) {
			i = delim_at(b, s, i, n, &lv);
		} else {
			k = plain_run(s, i, n);
			esc(b, s + i, k - i);
			i = k;
		}
	}
}

/* Whole mrkdwn text: ```preformatted``` blocks, then inline formatting. */
static void
mrkdwn(struct bk *b, const char *s, size_t n)
{
	const char *open, *close;
	size_t at;

	while (n > 0 && b->err == HUB_BUF_OK) {
		open = memmem(s, n, "```", 3);
		close = open != NULL ? memmem(open + 3, n - (size_t)(open - s) - 3, "```", 3) :
		    NULL;
		if (close == NULL) {
			inline_fmt(b, s, n, 0, 0);
			return;
		}
		inline_fmt(b, s, (size_t)(open - s), 0, 0);
		put(b, "<pre class=\"bk-pre\">");
		lit(b, open + 3, (size_t)(close - open) - 3);
		put(b, "</pre>");
		at = (size_t)(close - s) + 3;
		s += at;
		n -= at;
	}
}

/* ------------------------------------------------------------ objects */

static const char *
str_of(json_object *o, const char *key, size_t *len)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static json_object *
arr_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static int
is(const char *s, const char *want)
{
	return s != NULL && strcmp(s, want) == 0;
}

/* A text object: plain_text escaped (line breaks kept), mrkdwn formatted;
 * cut at BK_TEXT_CHARS characters. */
static void
text_obj(struct bk *b, json_object *t)
{
	size_t len = 0, tl, cut, chars = 0, k;
	const char *s = str_of(t, "text", &len), *type = str_of(t, "type", &tl);
	unsigned cp;

	if (s == NULL)
		return;
	/* Count characters up to the limit (json-c gave valid UTF-8). */
	for (cut = 0; cut < len && chars < BK_TEXT_CHARS; chars++) {
		k = hub_utf8_seq(s + cut, len - cut, &cp);
		cut += k > 0 ? k : 1;
	}
	if (is(type, "mrkdwn"))
		mrkdwn(b, s, cut);
	else {
		const char *p = s, *nl;
		size_t left = cut;

		while ((nl = memchr(p, '\n', left)) != NULL) {
			esc(b, p, (size_t)(nl - p));
			put(b, "<br>");
			left -= (size_t)(nl - p) + 1;
			p = nl + 1;
		}
		esc(b, p, left);
	}
	if (cut < len)
		put(b, "\xe2\x80\xa6");
}

/* The named type of an unknown block or element, cut short. */
static void
type_name(struct bk *b, json_object *o)
{
	size_t len = 0;
	const char *t = str_of(o, "type", &len);

	if (t == NULL) {
		put(b, "unknown");
		return;
	}
	esc(b, t, hub_utf8_cut(t, len, BK_TYPE_SHOWN));
}

static void
image_alt(struct bk *b, json_object *img, const char *prefix)
{
	size_t len = 0;
	const char *alt = str_of(img, "alt_text", &len);

	put(b, "<span class=\"bk-img\">[");
	put(b, prefix);
	if (alt != NULL && len > 0)
		esc(b, alt, hub_utf8_cut(alt, len, 4 * BK_TEXT_CHARS));
	else
		put(b, "image");
	put(b, "]</span>");
}

/* An interactive element: shown, disabled. */
static void
element(struct bk *b, json_object *e)
{
	size_t len = 0;
	const char *type = str_of(e, "type", &len), *style;
	json_object *t;

	if (is(type, "button")) {
		style = str_of(e, "style", &len);
		put(b, "<button type=\"button\" class=\"bk-button");
		put(b, is(style, "primary") ? " bk-primary" : is(style, "danger") ?
		    " bk-danger" : "");
		put(b, "\" disabled>");
		if (json_object_object_get_ex(e, "text", &t))
			text_obj(b, t);
		put(b, "</button>");
	} else if (is(type, "overflow")) {
		put(b, "<button type=\"button\" class=\"bk-button bk-overflow\" disabled"
		    " aria-label=\"More options\">\xe2\x8b\xaf</button>");
	} else if (is(type, "image")) {
		image_alt(b, e, "");
	} else {
		put(b, "<span class=\"bk-select\">");
		if (json_object_object_get_ex(e, "placeholder", &t))
			text_obj(b, t);
		else
			type_name(b, e);
		put(b, "</span>");
	}
}

/* ------------------------------------------------------------ blocks */

static void
b_header(struct bk *b, json_object *blk)
{
	json_object *t;

	put(b, "<div class=\"bk-header\">");
	if (json_object_object_get_ex(blk, "text", &t))
		text_obj(b, t);
	put(b, "</div>");
}

static void
b_section(struct bk *b, json_object *blk)
{
	json_object *t, *fields = arr_of(blk, "fields");
	size_t i, n;

	put(b, "<div class=\"bk-section\">");
	if (json_object_object_get_ex(blk, "text", &t)) {
		put(b, "<div class=\"bk-text\">");
		text_obj(b, t);
		put(b, "</div>");
	}
	if (fields != NULL && (n = json_object_array_length(fields)) > 0) {
		put(b, "<div class=\"bk-fields\">");
		for (i = 0; i < n && i < BK_MAX_FIELDS; i++) {
			put(b, "<div class=\"bk-field\">");
			text_obj(b, json_object_array_get_idx(fields, i));
			put(b, "</div>");
		}
		put(b, "</div>");
	}
	if (json_object_object_get_ex(blk, "accessory", &t) &&
	    json_object_is_type(t, json_type_object)) {
		put(b, "<div class=\"bk-accessory\">");
		element(b, t);
		put(b, "</div>");
	}
	put(b, "</div>");
}

static void
b_context(struct bk *b, json_object *blk)
{
	json_object *els = arr_of(blk, "elements"), *e;
	size_t i, n = els != NULL ? json_object_array_length(els) : 0, tl;

	put(b, "<div class=\"bk-context\">");
	for (i = 0; i < n && i < BK_MAX_ELEMENTS; i++) {
		e = json_object_array_get_idx(els, i);
		if (is(str_of(e, "type", &tl), "image")) {
			image_alt(b, e, "");
			continue;
		}
		put(b, "<span>");
		text_obj(b, e);
		put(b, "</span>");
	}
	put(b, "</div>");
}

static void
b_actions(struct bk *b, json_object *blk)
{
	json_object *els = arr_of(blk, "elements"), *e;
	size_t i, n = els != NULL ? json_object_array_length(els) : 0;

	put(b, "<div class=\"bk-actions\">");
	for (i = 0; i < n && i < BK_MAX_ELEMENTS; i++)
		if (json_object_is_type(e = json_object_array_get_idx(els, i), json_type_object))
			element(b, e);
	put(b, "</div>");
}

static void
b_divider(struct bk *b, json_object *blk)
{
	(void)blk;
	put(b, "<hr class=\"bk-divider\">");
}

static void
b_image(struct bk *b, json_object *blk)
{
	json_object *t;

	put(b, "<div class=\"bk-image\">");
	if (json_object_object_get_ex(blk, "title", &t)) {
		put(b, "<div class=\"bk-text\">");
		text_obj(b, t);
		put(b, "</div>");
	}
	image_alt(b, blk, "Image: ");
	put(b, "</div>");
}

static const struct {
	const char	*type;
	void		(*fn)(struct bk *, json_object *);
} block_fns[] = {
	{ "header", b_header },
	{ "section", b_section },
	{ "context", b_context },
	{ "actions", b_actions },
	{ "divider", b_divider },
	{ "image", b_image },
};

static void
block(struct bk *b, json_object *blk)
{
	size_t i, tl;
	const char *type = str_of(blk, "type", &tl);

	for (i = 0; type != NULL && i < HUB_NELEM(block_fns); i++)
		if (strcmp(type, block_fns[i].type) == 0) {
			block_fns[i].fn(b, blk);
			return;
		}
	put(b, "<div class=\"bk-unsupported\">[");
	type_name(b, blk);
	put(b, " block]</div>");
}

static void
blocks(struct bk *b, json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n && i < HUB_BKHTML_MAX_BLOCKS; i++)
		block(b, json_object_array_get_idx(arr, i));
	if (n > HUB_BKHTML_MAX_BLOCKS && b->err == HUB_BUF_OK)
		b->err = hub_buf_printf(b->out, "<div class=\"bk-unsupported\">[%zu more blocks]"
		    "</div>", n - HUB_BKHTML_MAX_BLOCKS);
}

int
hub_bkhtml_render(const char *json, size_t len, struct hub_buf *out)
{
	struct bk b = { out, HUB_BUF_OK };
	json_object *root = NULL, *arr = NULL;
	size_t start = out->len, tl;
	const char *text = NULL;
	int rc;

	if (hub_json_parse(json, len, HUB_BKHTML_JSON_MAX, BK_JSON_DEPTH, &root) != HUB_JSON_OK)
		return HUB_BKHTML_JSON;
	if (json_object_is_type(root, json_type_array))
		arr = root;
	else if (json_object_is_type(root, json_type_object)) {
		arr = arr_of(root, "blocks");
		text = str_of(root, "text", &tl);
	}
	if (arr == NULL && text == NULL) {
		json_object_put(root);
		return HUB_BKHTML_SHAPE;
	}
	put(&b, "<div class=\"bk-message\">");
	if (arr != NULL && json_object_array_length(arr) > 0)
		blocks(&b, arr);
	else if (text != NULL) {
		put(&b, "<div class=\"bk-section\"><div class=\"bk-text\">");
		mrkdwn(&b, text, hub_utf8_cut(text, tl, 4 * BK_TEXT_CHARS));
		put(&b, "</div></div>");
	}
	put(&b, "</div>");
	json_object_put(root);
	if (b.err == HUB_BUF_OK)
		return HUB_BKHTML_OK;
	rc = b.err == HUB_BUF_TOOBIG ? HUB_BKHTML_TOOBIG : HUB_BKHTML_NOMEM;
	/* Leave the buffer as it was. */
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return rc;
}
