/*
 * tmpl.c - parse templates into a small tree, then walk it with a json-c
 * context.  Every value goes out through hub_esc_html() (base/esc.h)
 * unless the tag says `raw`.  See tmpl.h for the language.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/tmpl.h"
#include "base/esc.h"

/* Parse limits: templates are ours, but a runaway one must not eat the
 * stack or the heap. */
#define MAX_NEST	32	/* open blocks inside one template */
#define MAX_NODES	20000	/* nodes per template */
#define MAX_NAME	128	/* path segment or partial name */
#define CACHE_SLOTS	64

enum ntype {
	N_TEXT,
	N_VAR,		/* escaped */
	N_RAW,		/* {{raw path}} */
	N_IF,
	N_UNLESS,
	N_EACH,
	N_PARTIAL,
};

static const char *const block_names[] = {
	[N_IF] = "if",
	[N_UNLESS] = "unless",
	[N_EACH] = "each",
};

struct node;

struct nodes {
	struct node	*v;
	size_t		 n;
	size_t		 cap;
};

struct node {
	enum ntype	 type;
	const char	*s;	/* text, path or partial name: points into source */
	size_t		 len;
	int		 line;
	struct nodes	 kids;	/* block body */
	struct nodes	 alt;	/* after {{else}} */
};

struct tmpl {
	struct nodes	 root;
};

struct parser {
	const char	*name;
	const char	*src;
	size_t		 len;
	size_t		 pos;
	int		 line;
	int		 nest;
	size_t		 nnodes;
};

/* One level of #each (or the root context, or the page's inner frame). */
struct frame {
	json_object		*obj;
	size_t			 index;
	int			 in_each;
	const struct frame	*up;
};

struct render {
	const struct hub_embed	*tab;
	struct hub_buf		*out;
	const char		*stack[HUB_TMPL_MAX_DEPTH + 1];
	size_t			 depth;	/* partials entered */
};

static char errmsg[256];

static struct {
	const struct hub_embed	*e;
	struct tmpl		*t;
} cache[CACHE_SLOTS];

static void set_err(const char *, ...) HUB_PRINTF(1, 2);

static void
set_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
}

const char *
hub_tmpl_errmsg(void)
{
	return errmsg;
}

const char *
hub_tmpl_strerror(int rc)
{
	static const char *const msg[] = {
		[HUB_TMPL_OK] = "ok",
		[HUB_TMPL_NOMEM] = "out of memory",
		[HUB_TMPL_TOOBIG] = "output too large",
		[HUB_TMPL_SYNTAX] = "template syntax error",
		[HUB_TMPL_NOTFOUND] = "template not found",
		[HUB_TMPL_DEPTH] = "partials nested too deep",
		[HUB_TMPL_CYCLE] = "partial includes itself",
		[HUB_TMPL_INVAL] = "invalid argument",
	};

	if (rc < 0 || (size_t)rc >= HUB_NELEM(msg) || msg[rc] == NULL)
		return "unknown error";
	return msg[rc];
}

static int
buf_rc(int brc)
{
	if (brc == HUB_BUF_OK)
		return HUB_TMPL_OK;
	return brc == HUB_BUF_TOOBIG ? HUB_TMPL_TOOBIG : HUB_TMPL_NOMEM;
}

/* ------------------------------------------------------------ parsing */

static void
nodes_free(struct nodes *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++) {
		nodes_free(&ns->v[i].kids);
		nodes_free(&ns->v[i].alt);
	}
	free(ns->v);
	ns->v = NULL;
	ns->n = ns->cap = 0;
}

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	nodes_free(&t->root);
	free(t);
}

static int
nodes_push(struct parser *p, struct nodes *ns, enum ntype type,
    const char *s, size_t len, int line, struct node **added)
{
	struct node *v;
	size_t ncap;

	if (++p->nnodes > MAX_NODES) {
		set_err("%s:%d: template too large", p->name, line);
		return HUB_TMPL_SYNTAX;
	}
	if (ns->n == ns->cap) {
		ncap = ns->cap ? ns->cap * 2 : 8;
		if ((v = realloc(ns->v, ncap * sizeof(*v))) == NULL)
			return HUB_TMPL_NOMEM;
		ns->v = v;
		ns->cap = ncap;
	}
	v = &ns->v[ns->n++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->s = s;
	v->len = len;
	v->line = line;
	if (added)
		*added = v;
	return HUB_TMPL_OK;
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * `.`, `@index` or name(.name)*; 1 if valid.  @index is allowed outside
 * #each because a partial may be rendered inside one; elsewhere it renders
 * nothing and is false.
 */
HUB_STATIC int
tmpl_valid_path(const char *s, size_t len)
{
	size_t i, seg = 0;

	if (len == 1 && s[0] == '.')
		return 1;
	if (len == 6 && memcmp(s, "@index", 6) == 0)
		return 1;
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else if (is_name_char(s[i])) {
			if (++seg > MAX_NAME)
				return 0;
		} else
			return 0;
	}
	return seg > 0;
}

static int
valid_partial(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_NAME || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!is_name_char(s[i]) && s[i] != '.')
			return 0;
	return 1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
trim(const char **s, size_t *len)
{
	while (*len && is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_space((*s)[*len - 1]))
		(*len)--;
}

static int
count_lines(const char *s, size_t len)
{
	int n = 0;

	while (len--)
		if (*s++ == '\n')
			n++;
	return n;
}

/* Split "word rest": word up to the first space, rest trimmed. */
static void
split_word(const char *s, size_t len, size_t *wlen, const char **rest,
    size_t *rlen)
{
	size_t i = 0;

	while (i < len && !is_space(s[i]))
		i++;
	*wlen = i;
	*rest = s + i;
	*rlen = len - i;
	trim(rest, rlen);
}

static int	parse_nodes(struct parser *, struct nodes *, enum ntype, int,
		    struct nodes *);

/* {{#if x}}, {{#unless x}}, {{#each x}} (tag without the "{{", trimmed):
 * the block and, recursively, what it holds up to its {{/x}}. */
static int
open_block(struct parser *p, struct nodes *into, const char *tag, size_t tlen, int line)
{
	const char *arg;
	size_t wlen, alen;
	struct node *n;
	enum ntype bt;
	int rc;

	split_word(tag + 1, tlen - 1, &wlen, &arg, &alen);
	if (wlen == 2 && memcmp(tag + 1, "if", 2) == 0)
		bt = N_IF;
	else if (wlen == 6 && memcmp(tag + 1, "unless", 6) == 0)
		bt = N_UNLESS;
	else if (wlen == 4 && memcmp(tag + 1, "each", 4) == 0)
		bt = N_EACH;
	else {
		set_err("%s:%d: unknown block {{%.*s}}", p->name, line, (int)tlen, tag);
		return HUB_TMPL_SYNTAX;
	}
	if (!tmpl_valid_path(arg, alen)) {
		set_err("%s:%d: bad path in {{%.*s}}", p->name, line, (int)tlen, tag);
		return HUB_TMPL_SYNTAX;
	}
	if (p->nest >= MAX_NEST) {
		set_err("%s:%d: blocks nested too deep", p->name, line);
		return HUB_TMPL_SYNTAX;
	}
	if ((rc = nodes_push(p, into, bt, arg, alen, line, &n)) != 0)
		return rc;
	p->nest++;
	/* n may move if `into` grows later; kids are filled now, before any
	 * further push to `into`. */
	rc = parse_nodes(p, &n->kids, bt, line, &n->alt);
	p->nest--;
	return rc;
}

/* {{/x}}: HUB_TMPL_OK when it closes `opener` of open_line. */
static int
close_block(struct parser *p, enum ntype opener, int open_line, const char *tag,
    size_t tlen, int line)
{
	const char *arg = tag + 1;
	size_t alen = tlen - 1;

	trim(&arg, &alen);
	if (opener == N_TEXT) {
		set_err("%s:%d: {{%.*s}} without opening block", p->name, line, (int)tlen, tag);
		return HUB_TMPL_SYNTAX;
	}
	if (alen != strlen(block_names[opener]) ||
	    memcmp(arg, block_names[opener], alen) != 0) {
		set_err("%s:%d: {{%.*s}} closes {{#%s}} of line %d", p->name, line,
		    (int)tlen, tag, block_names[opener], open_line);
		return HUB_TMPL_SYNTAX;
	}
	return HUB_TMPL_OK;
}

/* A tag that holds nothing: {{> partial}}, {{raw path}}, {{path}}. */
static int
leaf_tag(struct parser *p, struct nodes *into, const char *tag, size_t tlen, int line)
{
	const char *arg;
	size_t wlen, alen;

	if (tlen > 0 && tag[0] == '>') {
		arg = tag + 1;
		alen = tlen - 1;
		trim(&arg, &alen);
		if (!valid_partial(arg, alen)) {
			set_err("%s:%d: bad partial name in {{%.*s}}", p->name, line,
			    (int)tlen, tag);
			return HUB_TMPL_SYNTAX;
		}
		return nodes_push(p, into, N_PARTIAL, arg, alen, line, NULL);
	}
	split_word(tag, tlen, &wlen, &arg, &alen);
	if (wlen == 3 && memcmp(tag, "raw", 3) == 0 && alen > 0) {
		if (!tmpl_valid_path(arg, alen)) {
			set_err("%s:%d: bad path in {{%.*s}}", p->name, line, (int)tlen, tag);
			return HUB_TMPL_SYNTAX;
		}
		return nodes_push(p, into, N_RAW, arg, alen, line, NULL);
	}
	if (!tmpl_valid_path(tag, tlen)) {
		set_err("%s:%d: unknown tag {{%.*s}}", p->name, line,
		    (int)(tlen > 60 ? 60 : tlen), tag);
		return HUB_TMPL_SYNTAX;
	}
	return nodes_push(p, into, N_VAR, tag, tlen, line, NULL);
}

/*
 * Parse until EOF (opener N_TEXT: top level) or the {{/x}} that closes
 * `opener`.  {{else}} switches to `alt`.
 */
static int
parse_nodes(struct parser *p, struct nodes *into, enum ntype opener,
    int open_line, struct nodes *alt)
{
	const char *open, *close, *tag, *end;
	size_t tlen;
	int line, rc;

	for (;;) {
		end = p->src + p->len;
		open = memmem(p->src + p->pos, p->len - p->pos, "{{", 2);
		if (open == NULL)
			open = end;
		if (open > p->src + p->pos) {
			tlen = (size_t)(open - (p->src + p->pos));
			if ((rc = nodes_push(p, into, N_TEXT, p->src + p->pos,
			    tlen, p->line, NULL)) != 0)
				return rc;
			p->line += count_lines(p->src + p->pos, tlen);
			p->pos += tlen;
		}
		if (open == end)
			break;
		line = p->line;
		tag = open + 2;
		close = memmem(tag, (size_t)(end - tag), "}}", 2);
		if (close == NULL) {
			set_err("%s:%d: unterminated {{", p->name, line);
			return HUB_TMPL_SYNTAX;
		}
		tlen = (size_t)(close - tag);
		p->line += count_lines(tag, tlen);
		p->pos = (size_t)(close + 2 - p->src);
		trim(&tag, &tlen);

		if (tlen > 0 && tag[0] == '!')
			continue;
		if (tlen > 0 && tag[0] == '/')
			return close_block(p, opener, open_line, tag, tlen, line);
		if (tlen == 4 && memcmp(tag, "else", 4) == 0) {
			/* alt is NULL once past the block's {{else}} */
			if (opener == N_TEXT || alt == NULL) {
				set_err("%s:%d: {{else}} %s", p->name, line,
				    opener == N_TEXT ? "outside a block" :
				    "twice in one block");
				return HUB_TMPL_SYNTAX;
			}
			return parse_nodes(p, alt, opener, open_line, NULL);
		}
		if (tlen > 0 && tag[0] == '#')
			rc = open_block(p, into, tag, tlen, line);
		else
			rc = leaf_tag(p, into, tag, tlen, line);
		if (rc != 0)
			return rc;
	}
	if (opener != N_TEXT) {
		set_err("%s:%d: {{#%s}} never closed", p->name, open_line,
		    block_names[opener]);
		return HUB_TMPL_SYNTAX;
	}
	return HUB_TMPL_OK;
}

static int
tmpl_parse(const char *name, const char *src, size_t len, struct tmpl **out)
{
	struct parser p;
	struct tmpl *t;
	int rc;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return HUB_TMPL_NOMEM;
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.src = src;
	p.len = len;
	p.line = 1;
	if ((rc = parse_nodes(&p, &t->root, N_TEXT, 0, NULL)) != 0) {
		tmpl_free(t);
		return rc;
	}
	*out = t;
	return HUB_TMPL_OK;
}

HUB_STATIC HUB_UNUSED void
hub_tmpl_cache_clear(void)
{
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		tmpl_free(cache[i].t);
		cache[i].t = NULL;
		cache[i].e = NULL;
	}
}

/* The parsed form of entry e; *owned says the caller must free it. */
static int
tmpl_get(const struct hub_embed *tab, const struct hub_embed *e,
    struct tmpl **t, int *owned)
{
	size_t i, freeslot = CACHE_SLOTS;
	int rc;

	*owned = 0;
	if (tab == hub_embed_templates) {
		for (i = 0; i < CACHE_SLOTS; i++) {
			if (cache[i].e == e) {
				*t = cache[i].t;
				return HUB_TMPL_OK;
			}
			if (cache[i].e == NULL && freeslot == CACHE_SLOTS)
				freeslot = i;
		}
	}
	if ((rc = tmpl_parse(e->name, e->data, e->len, t)) != 0)
		return rc;
	if (tab == hub_embed_templates && freeslot < CACHE_SLOTS) {
		cache[freeslot].e = e;
		cache[freeslot].t = *t;
	} else
		*owned = 1;
	return HUB_TMPL_OK;
}

/* ------------------------------------------------------------ rendering */

static json_object *
lookup(const struct frame *f, const char *path, size_t len, int *found)
{
	char seg[MAX_NAME + 1];
	const char *dot;
	json_object *v = NULL;
	size_t slen;
	int first = 1;

	*found = 0;
	if (len == 1 && path[0] == '.') {
		*found = 1;
		return f->obj;
	}
	while (len > 0) {
		dot = memchr(path, '.', len);
		slen = dot ? (size_t)(dot - path) : len;
		if (slen > MAX_NAME)
			return NULL;
		memcpy(seg, path, slen);
		seg[slen] = '\0';
		if (first) {
			for (; f != NULL; f = f->up)
				if (json_object_is_type(f->obj, json_type_object) &&
				    json_object_object_get_ex(f->obj, seg, &v))
					break;
			if (f == NULL)
				return NULL;
			first = 0;
		} else if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, seg, &v))
			return NULL;
		if (dot == NULL)
			break;
		len -= slen + 1;
		path = dot + 1;
	}
	*found = 1;
	return v;
}

static int
is_index(const struct node *n)
{
	return n->len == 6 && memcmp(n->s, "@index", 6) == 0;
}

static const struct frame *
each_frame(const struct frame *f)
{
	while (f != NULL && !f->in_each)
		f = f->up;
	return f;
}

static int
truthy(const struct node *n, const struct frame *f)
{
	json_object *v;
	int found;

	if (is_index(n))
		return each_frame(f) != NULL && each_frame(f)->index != 0;
	v = lookup(f, n->s, n->len, &found);
	if (!found || v == NULL)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0.0;
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return 1;
	}
	return 0;
}

static int
put_value(struct render *r, const struct node *n, const struct frame *f)
{
	const struct frame *ef;
	const char *s;
	json_object *v;
	size_t len;
	int found;

	if (is_index(n)) {
		if ((ef = each_frame(f)) == NULL)
			return HUB_TMPL_OK;
		return buf_rc(hub_buf_printf(r->out, "%zu", ef->index));
	}
	v = lookup(f, n->s, n->len, &found);
	if (v == NULL)
		return HUB_TMPL_OK;
	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		break;
	case json_type_boolean:
	case json_type_int:
	case json_type_double:
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		len = strlen(s);
		break;
	default:	/* null, object, array: never dump JSON into a page */
		return HUB_TMPL_OK;
	}
	if (n->type == N_RAW)
		return buf_rc(hub_buf_add(r->out, s, len));
	return buf_rc(hub_esc_html(r->out, s, len));
}

struct embed_ref {
	const struct hub_embed	*e;	/* NULL: `t` given directly */
	struct tmpl		*t;
	const char		*name;
};

static int	render_tmpl(struct render *, const struct embed_ref *,
		    const struct frame *);
static int	render_nodes(struct render *, const struct nodes *,
		    const struct frame *);
static int	render_partial(struct render *, const struct node *,
		    const struct frame *);

static int
render_each(struct render *r, const struct node *n, const struct frame *f)
{
	struct frame item;
	json_object *v;
	size_t i, cnt;
	int found, rc;

	v = lookup(f, n->s, n->len, &found);
	if (!json_object_is_type(v, json_type_array) ||
	    (cnt = json_object_array_length(v)) == 0)
		return render_nodes(r, &n->alt, f);
	for (i = 0; i < cnt; i++) {
		item.obj = json_object_array_get_idx(v, i);
		item.index = i;
		item.in_each = 1;
		item.up = f;
		if ((rc = render_nodes(r, &n->kids, &item)) != 0)
			return rc;
	}
	return HUB_TMPL_OK;
}

static int
render_nodes(struct render *r, const struct nodes *ns, const struct frame *f)
{
	const struct node *n;
	size_t i;
	int rc = HUB_TMPL_OK;

	for (i = 0; i < ns->n && rc == HUB_TMPL_OK; i++) {
		n = &ns->v[i];
		switch (n->type) {
		case N_TEXT:
			rc = buf_rc(hub_buf_add(r->out, n->s, n->len));
			break;
		case N_VAR:
		case N_RAW:
			rc = put_value(r, n, f);
			break;
		case N_IF:
			rc = render_nodes(r, truthy(n, f) ? &n->kids : &n->alt,
			    f);
			break;
		case N_UNLESS:
			rc = render_nodes(r, truthy(n, f) ? &n->alt : &n->kids,
			    f);
			break;
		case N_EACH:
			rc = render_each(r, n, f);
			break;
		case N_PARTIAL:
			rc = render_partial(r, n, f);
			break;
		}
	}
	return rc;
}

static int
render_tmpl(struct render *r, const struct embed_ref *ref,
    const struct frame *f)
{
	struct tmpl *t = ref->t;
	int owned = 0, rc;

	if (t == NULL && (rc = tmpl_get(r->tab, ref->e, &t, &owned)) != 0)
		return rc;
	r->stack[r->depth] = ref->name;
	rc = render_nodes(r, &t->root, f);
	if (owned)
		tmpl_free(t);
	return rc;
}

static int
render_partial(struct render *r, const struct node *n, const struct frame *f)
{
	struct embed_ref ref;
	char name[MAX_NAME + 1];
	size_t i;
	int rc;

	memcpy(name, n->s, n->len);
	name[n->len] = '\0';
	for (i = 0; i <= r->depth; i++)
		if (r->stack[i] != NULL && strcmp(r->stack[i], name) == 0) {
			set_err("%s:%d: partial %s includes itself",
			    r->stack[r->depth], n->line, name);
			return HUB_TMPL_CYCLE;
		}
	if (r->depth >= HUB_TMPL_MAX_DEPTH) {
		set_err("%s:%d: partials nested deeper than %d",
		    r->stack[r->depth], n->line, HUB_TMPL_MAX_DEPTH);
		return HUB_TMPL_DEPTH;
	}
	memset(&ref, 0, sizeof(ref));
	if ((ref.e = hub_embed_find(r->tab, name)) == NULL) {
		set_err("%s:%d: no template named %s", r->stack[r->depth],
		    n->line, name);
		return HUB_TMPL_NOTFOUND;
	}
	ref.name = ref.e->name;
	r->depth++;
	rc = render_tmpl(r, &ref, f);
	r->depth--;
	return rc;
}

/* Render with all-or-nothing output. */
static int
render_top(const struct hub_embed *tab, const struct embed_ref *ref,
    const struct frame *f, struct hub_buf *out)
{
	struct render r;
	size_t start = out->len;
	int rc;

	memset(&r, 0, sizeof(r));
	r.tab = tab;
	r.out = out;
	rc = render_tmpl(&r, ref, f);
	if (rc != HUB_TMPL_OK) {
		if (rc == HUB_TMPL_TOOBIG && errmsg[0] == '\0')
			set_err("%s: output larger than %zu bytes", ref->name,
			    out->max);
		if (out->data != NULL) {
			out->len = start;
			out->data[start] = '\0';
		}
	}
	return rc;
}

static int
render_named(const struct hub_embed *tab, const char *name,
    const struct frame *f, struct hub_buf *out)
{
	struct embed_ref ref;

	memset(&ref, 0, sizeof(ref));
	if ((ref.e = hub_embed_find(tab, name)) == NULL) {
		set_err("no template named %s", name);
		return HUB_TMPL_NOTFOUND;
	}
	ref.name = ref.e->name;
	return render_top(tab, &ref, f, out);
}

int
hub_tmpl_render_from(const struct hub_embed *tab, const char *name,
    json_object *ctx, struct hub_buf *out)
{
	struct frame root = { ctx, 0, 0, NULL };

	errmsg[0] = '\0';
	if (tab == NULL || name == NULL || out == NULL)
		return HUB_TMPL_INVAL;
	return render_named(tab, name, &root, out);
}

int
hub_tmpl_render(const char *name, json_object *ctx, struct hub_buf *out)
{
	return hub_tmpl_render_from(hub_embed_templates, name, ctx, out);
}

HUB_STATIC HUB_UNUSED int
hub_tmpl_render_string(const char *tmpl, size_t len, json_object *ctx,
    struct hub_buf *out)
{
	struct frame root = { ctx, 0, 0, NULL };
	struct embed_ref ref;
	int rc;

	errmsg[0] = '\0';
	if (tmpl == NULL || out == NULL)
		return HUB_TMPL_INVAL;
	memset(&ref, 0, sizeof(ref));
	ref.name = "<string>";
	if ((rc = tmpl_parse(ref.name, tmpl, len, &ref.t)) != 0)
		return rc;
	rc = render_top(hub_embed_templates, &ref, &root, out);
	tmpl_free(ref.t);
	return rc;
}

int
hub_tmpl_render_page(const char *name, json_object *ctx, struct hub_buf *out)
{
	struct frame root = { ctx, 0, 0, NULL }, inner;
	struct hub_buf body;
	json_object *bo = NULL, *bs;
	int rc;

	errmsg[0] = '\0';
	if (name == NULL || out == NULL)
		return HUB_TMPL_INVAL;
	hub_buf_init(&body, out->max - out->len);
	if ((rc = render_named(hub_embed_templates, name, &root, &body)) != 0)
		goto out;
	rc = HUB_TMPL_NOMEM;
	if ((bo = json_object_new_object()) == NULL ||
	    (bs = json_object_new_string_len(hub_buf_str(&body),
	    (int)body.len)) == NULL)
		goto out;
	if (json_object_object_add(bo, "body", bs) != 0) {
		json_object_put(bs);
		goto out;
	}
	inner.obj = bo;
	inner.index = 0;
	inner.in_each = 0;
	inner.up = &root;
	rc = render_named(hub_embed_templates, "layout.html", &inner, out);
out:
	json_object_put(bo);
	hub_buf_release(&body);
	return rc;
}

HUB_STATIC HUB_UNUSED int
hub_tmpl_check(const char *tmpl, size_t len)
{
	struct tmpl *t;
	int rc;

	errmsg[0] = '\0';
	if (tmpl == NULL)
		return HUB_TMPL_INVAL;
	if ((rc = tmpl_parse("<string>", tmpl, len, &t)) == 0)
		tmpl_free(t);
	return rc;
}

/* Follow every partial of ns as rendering would, without a context. */
static int
check_partials(const struct nodes *ns, const char **stack, size_t depth)
{
	const struct hub_embed *e;
	char name[MAX_NAME + 1];
	struct tmpl *t;
	size_t i, j;
	int owned, rc;

	for (i = 0; i < ns->n; i++) {
		const struct node *n = &ns->v[i];

		if ((rc = check_partials(&n->kids, stack, depth)) != 0 ||
		    (rc = check_partials(&n->alt, stack, depth)) != 0)
			return rc;
		if (n->type != N_PARTIAL)
			continue;
		memcpy(name, n->s, n->len);
		name[n->len] = '\0';
		for (j = 0; j <= depth; j++)
			if (strcmp(stack[j], name) == 0) {
				set_err("%s:%d: partial %s includes itself",
				    stack[depth], n->line, name);
				return HUB_TMPL_CYCLE;
			}
		if (depth >= HUB_TMPL_MAX_DEPTH) {
			set_err("%s:%d: partials nested deeper than %d",
			    stack[depth], n->line, HUB_TMPL_MAX_DEPTH);
			return HUB_TMPL_DEPTH;
		}
		if ((e = hub_embed_find(hub_embed_templates, name)) == NULL) {
			set_err("%s:%d: no template named %s", stack[depth],
			    n->line, name);
			return HUB_TMPL_NOTFOUND;
		}
		if ((rc = tmpl_get(hub_embed_templates, e, &t, &owned)) != 0)
			return rc;
		stack[depth + 1] = e->name;
		rc = check_partials(&t->root, stack, depth + 1);
		if (owned)
			tmpl_free(t);
		if (rc != 0)
			return rc;
	}
	return HUB_TMPL_OK;
}

int
hub_tmpl_check_all(void)
{
	const char *stack[HUB_TMPL_MAX_DEPTH + 1];
	const struct hub_embed *e;
	struct tmpl *t;
	int owned, rc;

	errmsg[0] = '\0';
	for (e = hub_embed_templates; e->name != NULL; e++) {
		if ((rc = tmpl_get(hub_embed_templates, e, &t, &owned)) != 0)
			return rc;
		stack[0] = e->name;
		rc = check_partials(&t->root, stack, 0);
		if (owned)
			tmpl_free(t);
		if (rc != 0)
			return rc;
	}
	return HUB_TMPL_OK;
}
