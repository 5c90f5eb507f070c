/*
 * test_tmpl.c - the template language: escaping, raw, blocks, partials,
 * errors with line numbers, bounded output.
 */
/* The headers' unit-test declarations, as in the library copy this test
 * links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "base/tmpl.h"

static json_object *
ctx_of(const char *js)
{
	json_object *o = json_tokener_parse(js);

	cr_assert_not_null(o, "bad test context %s", js);
	return o;
}

/* Render t with context js; return rc, output in *out (caller releases). */
static int
render(const char *t, const char *js, struct hub_buf *out)
{
	json_object *ctx = ctx_of(js);
	int rc;

	hub_buf_init(out, 1 << 20);
	rc = hub_tmpl_render_string(t, strlen(t), ctx, out);
	json_object_put(ctx);
	return rc;
}

struct rcase {
	const char *tmpl;
	const char *ctx;
	const char *want;
};

static const struct rcase escaping[] = {
	{ "{{x}}", "{\"x\":\"<script>alert('x')</script>\"}",
	  "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
	{ "<a title=\"{{x}}\">", "{\"x\":\"\\\" onclick=\\\"evil()\"}",
	  "<a title=\"&quot; onclick=&quot;evil()\">" },
	{ "{{x}}", "{\"x\":\"a & b &amp; c\"}", "a &amp; b &amp;amp; c" },
	{ "{{ x }}", "{\"x\":\"plain été ✓\"}", "plain été ✓" },
	{ "{{raw x}}", "{\"x\":\"<b>bold</b>\"}", "<b>bold</b>" },
	{ "{{raw  x }}|{{x}}", "{\"x\":\"<i>\"}", "<i>|&lt;i&gt;" },
	{ "{{raw}}", "{\"raw\":\"<r>\"}", "&lt;r&gt;" },	/* a name, not the opt-out */
	{ "{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"<deep>\"}}}", "&lt;deep&gt;" },
	{ "[{{missing}}][{{a.missing}}][{{a.b.c.d}}]",
	  "{\"a\":{\"b\":{\"c\":\"s\"}}}", "[][][]" },
	{ "{{n}} {{d}} {{t}} {{f}} [{{z}}]",
	  "{\"n\":42,\"d\":1.5,\"t\":true,\"f\":false,\"z\":null}",
	  "42 1.5 true false []" },
	{ "[{{o}}][{{arr}}][{{raw o}}]", "{\"o\":{\"k\":\"<v>\"},\"arr\":[1]}",
	  "[][][]" },
	{ "a{{! a comment with <tags> }}b{{!}}c", "{}", "abc" },
	{ "no tags } { }} here", "{}", "no tags } { }} here" },
	{ "", "{}", "" },
};

Test(tmpl, escaping_raw_and_values)
{
	struct hub_buf out;
	size_t i;

	for (i = 0; i < HUB_NELEM(escaping); i++) {
		const struct rcase *c = &escaping[i];

		cr_expect_eq(render(c->tmpl, c->ctx, &out), HUB_TMPL_OK,
		    "case %zu: %s", i, hub_tmpl_errmsg());
		cr_expect_str_eq(hub_buf_str(&out), c->want, "case %zu", i);
		hub_buf_release(&out);
	}
}

static const struct rcase blocks[] = {
	/* truthiness, one value per row */
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":true}", "T" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":false}", "F" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":null}", "F" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{}", "F" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":\"\"}", "F" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":\"0\"}", "T" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":0}", "F" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":-3}", "T" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":0.0}", "F" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":[]}", "F" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":[0]}", "T" },
	{ "{{#if v}}T{{else}}F{{/if}}", "{\"v\":{}}", "T" },
	{ "{{#if a.b}}T{{/if}}", "{\"a\":{\"b\":1}}", "T" },
	{ "{{#if v}}T{{/if}}", "{\"v\":false}", "" },
	{ "{{#unless v}}U{{/unless}}", "{\"v\":false}", "U" },
	{ "{{#unless v}}U{{/unless}}", "{\"v\":\"x\"}", "" },
	{ "{{#unless v}}U{{else}}E{{/unless}}", "{\"v\":1}", "E" },
	{ "{{#if a}}{{#if b}}ab{{else}}a{{/if}}{{else}}-{{/if}}",
	  "{\"a\":1,\"b\":0}", "a" },
	/* each */
	{ "{{#each xs}}{{@index}}={{.}};{{/each}}", "{\"xs\":[\"a\",\"<b>\"]}",
	  "0=a;1=&lt;b&gt;;" },
	{ "{{#each xs}}x{{else}}none{{/each}}", "{\"xs\":[]}", "none" },
	{ "{{#each xs}}x{{else}}none{{/each}}", "{}", "none" },
	{ "{{#each xs}}x{{/each}}", "{\"xs\":\"not an array\"}", "" },
	{ "{{#each xs}}{{#if @index}}, {{/if}}{{.}}{{/each}}",
	  "{\"xs\":[\"a\",\"b\",\"c\"]}", "a, b, c" },
	/* item fields first, then the outer context */
	{ "{{#each items}}{{name}}@{{site}} {{/each}}",
	  "{\"site\":\"S\",\"items\":[{\"name\":\"a\"},"
	  "{\"name\":\"b\",\"site\":\"T\"}]}", "a@S b@T " },
	/* nested each: @index is the inner one, outer fields still visible */
	{ "{{#each rows}}{{id}}:{{#each cols}}{{@index}}{{.}}{{id}}{{/each}}|"
	  "{{/each}}",
	  "{\"rows\":[{\"id\":\"r\",\"cols\":[\"x\",\"y\"]},"
	  "{\"id\":\"s\",\"cols\":[]}]}", "r:0xr1yr|s:|" },
	{ "{{#each rows}}{{#each .}}{{.}}{{/each}};{{/each}}",
	  "{\"rows\":[[1,2],[3]]}", "12;3;" },
	/* @index outside #each (or in its else) is nothing and false */
	{ "[{{@index}}]{{#if @index}}T{{/if}}", "{}", "[]" },
	{ "{{#each xs}}x{{else}}[{{@index}}]{{/each}}", "{\"xs\":[]}", "[]" },
	{ "{{#each xs}}{{#unless @index}}first {{/unless}}{{.}} {{/each}}",
	  "{\"xs\":[\"a\",\"b\"]}", "first a b " },
};

Test(tmpl, if_unless_each)
{
	struct hub_buf out;
	size_t i;

	for (i = 0; i < HUB_NELEM(blocks); i++) {
		const struct rcase *c = &blocks[i];

		cr_expect_eq(render(c->tmpl, c->ctx, &out), HUB_TMPL_OK,
		    "case %zu: %s", i, hub_tmpl_errmsg());
		cr_expect_str_eq(hub_buf_str(&out), c->want, "case %zu: %s",
		    i, c->tmpl);
		hub_buf_release(&out);
	}
}

struct ecase {
	const char *tmpl;
	int rc;
	const char *msg;	/* substring of hub_tmpl_errmsg() */
};

static const struct ecase errors[] = {
	{ "{{#if x}}open", HUB_TMPL_SYNTAX, ":1: {{#if}} never closed" },
	{ "a\nb\n{{/if}}", HUB_TMPL_SYNTAX, ":3: {{/if}} without" },
	{ "{{#if x}}\n{{/each}}", HUB_TMPL_SYNTAX, ":2: {{/each}} closes {{#if}} of line 1" },
	{ "{{#each x}}{{#if y}}{{/each}}{{/if}}", HUB_TMPL_SYNTAX, "closes" },
	{ "{{else}}", HUB_TMPL_SYNTAX, "outside a block" },
	{ "{{#if x}}{{else}}{{else}}{{/if}}", HUB_TMPL_SYNTAX, "twice" },
	{ "\n\n{{#with x}}{{/with}}", HUB_TMPL_SYNTAX, ":3: unknown block" },
	{ "{{foo bar}}", HUB_TMPL_SYNTAX, "unknown tag" },
	{ "{{}}", HUB_TMPL_SYNTAX, "unknown tag" },
	{ "{{a..b}}", HUB_TMPL_SYNTAX, "unknown tag" },
	{ "{{#if a b}}{{/if}}", HUB_TMPL_SYNTAX, "bad path" },
	{ "{{raw a b}}", HUB_TMPL_SYNTAX, "bad path" },
	{ "x\n{{x", HUB_TMPL_SYNTAX, ":2: unterminated" },
	{ "{{@index.x}}", HUB_TMPL_SYNTAX, "unknown tag" },
	{ "{{.x}}", HUB_TMPL_SYNTAX, "unknown tag" },
	{ "{{x.}}", HUB_TMPL_SYNTAX, "unknown tag" },
	{ "{{> ../etc/passwd}}", HUB_TMPL_SYNTAX, "bad partial name" },
	{ "{{>}}", HUB_TMPL_SYNTAX, "bad partial name" },
	{ "ok\n{{> nope.html}}", HUB_TMPL_NOTFOUND, "<string>:2: no template named nope.html" },
};

Test(tmpl, errors_have_line_numbers)
{
	struct hub_buf out;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(errors); i++) {
		const struct ecase *c = &errors[i];

		rc = render(c->tmpl, "{\"x\":1,\"y\":1,\"xs\":[]}", &out);
		cr_expect_eq(rc, c->rc, "case %zu (%s): rc %d", i, c->tmpl, rc);
		cr_expect(strstr(hub_tmpl_errmsg(), c->msg) != NULL,
		    "case %zu: message '%s' lacks '%s'", i, hub_tmpl_errmsg(),
		    c->msg);
		cr_expect_eq(out.len, 0, "case %zu: partial output", i);
		hub_buf_release(&out);
		if (c->rc == HUB_TMPL_SYNTAX)
			cr_expect_eq(hub_tmpl_check(c->tmpl, strlen(c->tmpl)),
			    HUB_TMPL_SYNTAX, "check, case %zu", i);
	}
	cr_expect_eq(hub_tmpl_check("{{#if a}}{{/if}}", 16), HUB_TMPL_OK);
	cr_expect_str_eq(hub_tmpl_errmsg(), "");
}

#define E(n, s) { n, s, sizeof(s) - 1 }
static const struct hub_embed ptab[] = {
	E("main.html", "A{{> part.html}}C"),
	E("part.html", "[{{name}}]"),
	E("loop.html", "{{#each xs}}{{> item.html}}{{/each}}"),
	E("item.html", "{{@index}}:{{.}}{{who}} "),
	E("self.html", "x{{> self.html}}"),
	E("a.html", "{{#if x}}{{> b.html}}{{/if}}"),
	E("b.html", "{{> a.html}}"),
	/* d1 -> ... -> d9: eight levels of partials, the maximum */
	E("d0.html", "{{> d1.html}}"),
	E("d1.html", "1{{> d2.html}}"),
	E("d2.html", "2{{> d3.html}}"),
	E("d3.html", "3{{> d4.html}}"),
	E("d4.html", "4{{> d5.html}}"),
	E("d5.html", "5{{> d6.html}}"),
	E("d6.html", "6{{> d7.html}}"),
	E("d7.html", "7{{> d8.html}}"),
	E("d8.html", "8{{> d9.html}}"),
	E("d9.html", "9"),
	E("missing.html", "{{> nope.html}}"),
	E("broken.html", "\n{{#if x}}"),
	E("usesbroken.html", "ok{{> broken.html}}"),
	{ NULL, NULL, 0 }
};

static const struct {
	const char *name;
	int rc;
	const char *want;	/* output, or substring of the message */
} pcases[] = {
	{ "main.html", HUB_TMPL_OK, "A[&lt;n&gt;]C" },
	{ "loop.html", HUB_TMPL_OK, "0:p&lt;w&gt; 1:q&lt;w&gt; " },
	{ "d1.html", HUB_TMPL_OK, "123456789" },
	{ "d0.html", HUB_TMPL_DEPTH, "d8.html:1: partials nested deeper than 8" },
	{ "self.html", HUB_TMPL_CYCLE, "self.html:1: partial self.html includes itself" },
	{ "a.html", HUB_TMPL_CYCLE, "b.html:1: partial a.html includes itself" },
	{ "missing.html", HUB_TMPL_NOTFOUND, "no template named nope.html" },
	{ "usesbroken.html", HUB_TMPL_SYNTAX, "broken.html:2: {{#if}} never closed" },
	{ "absent.html", HUB_TMPL_NOTFOUND, "no template named absent.html" },
};

Test(tmpl, partials)
{
	json_object *ctx = ctx_of("{\"name\":\"<n>\",\"x\":1,\"who\":\"<w>\","
	    "\"xs\":[\"p\",\"q\"]}");
	struct hub_buf out;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(pcases); i++) {
		hub_buf_init(&out, 4096);
		hub_buf_adds(&out, "keep");
		rc = hub_tmpl_render_from(ptab, pcases[i].name, ctx, &out);
		cr_expect_eq(rc, pcases[i].rc, "case %s: rc %d (%s)",
		    pcases[i].name, rc, hub_tmpl_errmsg());
		if (pcases[i].rc == HUB_TMPL_OK)
			cr_expect_str_eq(hub_buf_str(&out) + 4, pcases[i].want,
			    "case %s", pcases[i].name);
		else {
			cr_expect(strstr(hub_tmpl_errmsg(), pcases[i].want),
			    "case %s: '%s'", pcases[i].name, hub_tmpl_errmsg());
			cr_expect_str_eq(hub_buf_str(&out), "keep",
			    "case %s: output not rolled back", pcases[i].name);
		}
		hub_buf_release(&out);
	}
	json_object_put(ctx);
}

Test(tmpl, buffer_maximum)
{
	json_object *ctx = ctx_of("{\"x\":\"<<<<\"}");	/* 16 bytes escaped */
	static const struct {
		size_t max;
		int rc;
	} cases[] = {
		{ 4 + 16 + 2, HUB_TMPL_OK },	/* exactly fits "[" + 16 + "]" */
		{ 4 + 16 + 1, HUB_TMPL_TOOBIG },
		{ 4 + 3, HUB_TMPL_TOOBIG },	/* mid-entity */
		{ 4, HUB_TMPL_TOOBIG },
	};
	struct hub_buf b;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		hub_buf_init(&b, cases[i].max);
		hub_buf_adds(&b, "keep");
		cr_expect_eq(hub_tmpl_render_string("[{{x}}]", 7, ctx, &b),
		    cases[i].rc, "case %zu", i);
		cr_expect_leq(b.len, cases[i].max);
		if (cases[i].rc == HUB_TMPL_OK)
			cr_expect_str_eq(hub_buf_str(&b),
			    "keep[&lt;&lt;&lt;&lt;]");
		else
			cr_expect_str_eq(hub_buf_str(&b), "keep", "case %zu", i);
		hub_buf_release(&b);
	}
	json_object_put(ctx);
}

Test(tmpl, embedded_pages)
{
	json_object *ctx;
	struct hub_buf out;
	const char *s;

	cr_assert_eq(hub_tmpl_check_all(), HUB_TMPL_OK, "%s", hub_tmpl_errmsg());

	ctx = ctx_of("{\"title\":\"Oops <1>\",\"status\":404,"
	    "\"reason\":\"Not Found\",\"message\":\"no <script>x</script>\"}");
	hub_buf_init(&out, 1 << 16);
	cr_assert_eq(hub_tmpl_render_page("error.html", ctx, &out),
	    HUB_TMPL_OK, "%s", hub_tmpl_errmsg());
	s = hub_buf_str(&out);
	cr_expect_eq(strncmp(s, "<!doctype html>", 15), 0, "starts %.40s", s);
	cr_expect(strstr(s, "<title>Oops &lt;1&gt; · Approval Hub</title>"));
	cr_expect(strstr(s, "<h1>404 Not Found</h1>"));
	cr_expect(strstr(s, "no &lt;script&gt;x&lt;/script&gt;"));
	cr_expect_null(strstr(s, "<script"));
	cr_expect(strstr(s, "href=\"/static/hub.css\""));
	cr_expect(strstr(s, "href=\"/api-docs\""));
	cr_expect_null(strstr(s, "{{"));
	cr_expect_null(strstr(s, "http"), "no external resources");
	json_object_put(ctx);

	/* the cache gives the same page twice; a body fragment alone has no
	 * layout */
	ctx = ctx_of("{\"hub_name\":\"ACME & Co\"}");
	hub_buf_reset(&out);
	cr_assert_eq(hub_tmpl_render("home.html", ctx, &out), HUB_TMPL_OK);
	cr_expect(strstr(hub_buf_str(&out), "<h1>ACME &amp; Co</h1>"));
	cr_expect_null(strstr(hub_buf_str(&out), "<html"));
	hub_buf_reset(&out);
	cr_assert_eq(hub_tmpl_render_page("home.html", ctx, &out), HUB_TMPL_OK);
	cr_expect(strstr(hub_buf_str(&out), "<h1>ACME &amp; Co</h1>"));
	cr_expect(strstr(hub_buf_str(&out), "<title>Approval Hub</title>"));
	json_object_put(ctx);

	cr_expect_eq(hub_tmpl_render("nope.html", NULL, &out), HUB_TMPL_NOTFOUND);
	hub_buf_release(&out);
	hub_tmpl_cache_clear();
}
