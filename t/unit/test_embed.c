/*
 * The files compiled into the binaries: every migration and template the
 * Makefile lists is there, byte for byte, in order, and lookups work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/embed.h"

static char *
slurp(const char *rel, size_t *len)
{
	char path[4096];
	const char *top = getenv("top_srcdir");
	FILE *f;
	char *p;
	long n;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	cr_assert_not_null(f = fopen(path, "rb"), "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void
assert_same_as_file(const struct hub_embed *tab, const char *dir)
{
	char rel[512];
	size_t n = 0, len;
	char *want;

	for (; tab->name != NULL; tab++, n++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, tab->name);
		want = slurp(rel, &len);
		cr_assert_eq(tab->len, len, "%s: %zu bytes embedded, %zu on disk", rel, tab->len, len);
		cr_assert(memcmp(tab->data, want, len) == 0, "%s differs", rel);
		free(want);
	}
	cr_assert_gt(n, 0, "nothing embedded from %s", dir);
}

Test(embed, migrations_match_the_files_in_order)
{
	const struct hub_embed *e;

	assert_same_as_file(hub_embed_migrations, "db/migrations");
	for (e = hub_embed_migrations; e[0].name != NULL && e[1].name != NULL; e++)
		cr_assert_lt(strcmp(e[0].name, e[1].name), 0, "%s before %s", e[0].name, e[1].name);
}

Test(embed, templates_match_the_files)
{
	assert_same_as_file(hub_embed_templates, "templates");
}

Test(embed, find)
{
	const struct hub_embed *e = hub_embed_find(hub_embed_migrations, "0001_core.sql");

	cr_assert_not_null(e);
	cr_assert_str_eq(e->name, "0001_core.sql");
	cr_assert_null(hub_embed_find(hub_embed_migrations, "0001_core"));
	cr_assert_null(hub_embed_find(hub_embed_migrations, ""));
	cr_assert_null(hub_embed_find(hub_embed_templates, "0001_core.sql"));
}
