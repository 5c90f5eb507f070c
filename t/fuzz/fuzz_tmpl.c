/*
 * fuzz_tmpl.c - libFuzzer target for the templates (base/tmpl.h) with
 * hostile values, and with hostile template text.
 *
 * Input: a value, a NUL, then template text (optional).
 *
 * Properties: the value, put in every place a template can put it (text,
 * an attribute, #each items, #if, the embedded error page), adds no markup:
 * the output holds exactly as many < > " ' as the same template rendered
 * with a harmless value of the same emptiness.  Any template text either renders
 * or is refused, and a refusal leaves the buffer as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/tmpl.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const scaffolds[] = {
	"<p>{{v}}</p>",
	"<a title=\"{{v}}\" href='/x?{{v}}'>{{v}}</a>",
	"{{#if v}}<b>{{v}}</b>{{else}}none{{/if}}",
	"<ul>{{#each list}}<li data-i=\"{{@index}}\">{{.}}</li>{{/each}}</ul>",
	"{{#each objs}}<i>{{name}}</i>{{/each}}",
};

static void
marks(const char *s, size_t n, size_t k[4])
{
	size_t i;

	memset(k, 0, 4 * sizeof(k[0]));
	for (i = 0; i < n; i++) {
		k[0] += s[i] == '<';
		k[1] += s[i] == '>';
		k[2] += s[i] == '"';
		k[3] += s[i] == '\'';
	}
}

/* The context every scaffold reads, with value s[0..n). */
static json_object *
context(const char *s, size_t n)
{
	json_object *ctx = json_object_new_object(), *list = json_object_new_array();
	json_object *objs = json_object_new_array(), *o = json_object_new_object();

	json_object_object_add(ctx, "v", json_object_new_string_len(s, (int)n));
	json_object_array_add(list, json_object_new_string_len(s, (int)n));
	json_object_array_add(list, json_object_new_string_len(s, (int)(n / 2)));
	json_object_object_add(o, "name", json_object_new_string_len(s, (int)n));
	json_object_array_add(objs, o);
	json_object_object_add(ctx, "list", list);
	json_object_object_add(ctx, "objs", objs);
	json_object_object_add(ctx, "title", json_object_new_string_len(s, (int)n));
	json_object_object_add(ctx, "message", json_object_new_string_len(s, (int)n));
	json_object_object_add(ctx, "reason", json_object_new_string_len(s, (int)n));
	json_object_object_add(ctx, "status", json_object_new_int(400));
	return ctx;
}

/* Render with the hostile and the harmless context; compare. */
static void
compare(const char *name, const char *t, json_object *bad, json_object *good, int special)
{
	struct hub_buf a = HUB_BUF_INIT(1u << 20), b = HUB_BUF_INIT(1u << 20);
	size_t ka[4], kb[4];
	int ra, rb;

	ra = name != NULL ? hub_tmpl_render_page(name, bad, &a) :
	    hub_tmpl_render_string(t, strlen(t), bad, &a);
	rb = name != NULL ? hub_tmpl_render_page(name, good, &b) :
	    hub_tmpl_render_string(t, strlen(t), good, &b);
	if (ra != HUB_TMPL_OK && a.len != 0)
		abort();
	if (ra == HUB_TMPL_OK && rb == HUB_TMPL_OK) {
		marks(a.data, a.len, ka);
		marks(b.data, b.len, kb);
		if (memcmp(ka, kb, sizeof(ka)) != 0)
			abort();
		/* no value has markup of its own left: each mark escaped */
		if (special && ka[0] + ka[1] + ka[2] + ka[3] > kb[0] + kb[1] + kb[2] + kb[3])
			abort();
	}
	hub_buf_release(&a);
	hub_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char harmless[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *s = (const char *)data, *nul = memchr(data, '\0', size);
	size_t vlen = nul != NULL ? (size_t)(nul - s) : size, i;
	json_object *bad, *good;
	int special = 0, rc;

	if (!hub_utf8_valid(s, vlen))
		return 0;	/* json-c strings in a context are UTF-8 */
	for (i = 0; i < vlen; i++)
		special |= strchr("&<>\"'", s[i]) != NULL;
	bad = context(s, vlen);
	/* same emptiness (#if, the half-length item), nothing to escape */
	good = context(harmless, vlen < 2 ? vlen : 2);
	for (i = 0; i < sizeof(scaffolds) / sizeof(scaffolds[0]); i++)
		compare(NULL, scaffolds[i], bad, good, special);
	compare("error.html", NULL, bad, good, special);

	/* the rest as a template of its own */
	if (nul != NULL) {
		struct hub_buf t = HUB_BUF_INIT(1u << 20);

		rc = hub_tmpl_render_string(nul + 1, size - vlen - 1, bad, &t);
		if (rc != HUB_TMPL_OK && t.len != 0)
			abort();
		hub_buf_release(&t);
	}
	json_object_put(bad);
	json_object_put(good);
	return 0;
}
