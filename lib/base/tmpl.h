/*
 * tmpl.h - HTML templates that escape by default.
 *
 * A small mustache-like language over a json-c context:
 *
 *   {{path}}                 value, HTML-escaped (& < > " ' become entities)
 *   {{raw path}}             value, NOT escaped: the one greppable opt-out
 *   {{#if path}}..{{else}}..{{/if}}
 *   {{#unless path}}..{{else}}..{{/unless}}
 *   {{#each path}}..{{else}}..{{/each}}   over an array; {{else}} when empty
 *   {{> name.html}}          another embedded template, same context
 *   {{! comment}}            dropped
 *
 * A path is `.` (the current item), `@index` (0-based, inside #each only) or
 * dotted names `a.b.c` ([A-Za-z0-9_-] each).  Lookup tries the first name in
 * the innermost #each item, then outwards to the root context; missing
 * values, null, objects and arrays render as nothing.  Truthy: present and
 * not null, not false, not 0, not "" and not [] (objects are truthy).
 *
 * Templates are parsed before anything renders: an unknown tag, an
 * unbalanced block or an unterminated {{ is HUB_TMPL_SYNTAX with the line
 * number in hub_tmpl_errmsg().  Partials nest at most HUB_TMPL_MAX_DEPTH
 * deep and a template that includes itself (directly or not) is refused.
 *
 * Ownership: output is appended to the caller's struct hub_buf, whose
 * maximum bounds it; on any error the buffer is left exactly as it was (no
 * partial page).  The context is borrowed, never modified.  Parsed embedded
 * templates are cached for the life of the process (single-threaded
 * processes, STYLE 10); the tests free it with hub_tmpl_cache_clear().  Never
 * blocks, never logs.
 *
 * Pages: a page is a body fragment (home.html, error.html, ...) rendered
 * inside layout.html by hub_tmpl_render_page(); layout reads `title` (and
 * optionally `user`) from the context and gets the body as {{raw body}}.
 * error.html is such a body fragment: `status` (number), `reason` and
 * `message`.
 */
#ifndef HUB_TMPL_H
#define HUB_TMPL_H

#include <stddef.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "base/embed.h"

enum hub_tmpl_err {
	HUB_TMPL_OK = 0,
	HUB_TMPL_NOMEM,     /* malloc failed */
	HUB_TMPL_TOOBIG,    /* output would pass the buffer's maximum */
	HUB_TMPL_SYNTAX,    /* bad tag, unbalanced block, bad path */
	HUB_TMPL_NOTFOUND,  /* template or partial not in the table */
	HUB_TMPL_DEPTH,     /* partials nested deeper than HUB_TMPL_MAX_DEPTH */
	HUB_TMPL_CYCLE,     /* a partial includes itself */
	HUB_TMPL_INVAL,     /* NULL argument */
};

#define HUB_TMPL_MAX_DEPTH 8

/* Render embedded template `name` (hub_embed_templates) with ctx into out. */
int		 hub_tmpl_render(const char *name, json_object *ctx,
		    struct hub_buf *out);
/* Render `name` from another table (tests, email wording).  The table must
 * end with a NULL name; only hub_embed_templates is cached. */
int		 hub_tmpl_render_from(const struct hub_embed *tab,
		    const char *name, json_object *ctx, struct hub_buf *out);
/* Render body template `name` with ctx, then layout.html with ctx plus
 * `body` (the rendered fragment) into out. */
int		 hub_tmpl_render_page(const char *name, json_object *ctx,
		    struct hub_buf *out);
/* Parse every template of hub_embed_templates and check that each partial
 * it names exists; for a self-test at program start. */
int		 hub_tmpl_check_all(void);

/* Why the last failing call failed ("home.html:3: {{/if}} without {{#if}}");
 * "" after success.  Static storage, overwritten by the next call. */
const char	*hub_tmpl_errmsg(void);
const char	*hub_tmpl_strerror(int);

#ifdef HUB_UNITTEST
/* Only in the tests' copy (t/libhub_ut.a) and the fuzz target: the
 * programs render embedded templates and keep the cache until they exit. */
/* Render a template held in memory; its partials come from
 * hub_embed_templates.  Nothing is cached. */
int		 hub_tmpl_render_string(const char *tmpl, size_t len,
		    json_object *ctx, struct hub_buf *out);
/* Parse only: HUB_TMPL_OK or HUB_TMPL_SYNTAX (message in hub_tmpl_errmsg). */
int		 hub_tmpl_check(const char *tmpl, size_t len);
/* Free the cache of parsed embedded templates. */
void		 hub_tmpl_cache_clear(void);
#endif

#endif
