/*
 * embed.h - files compiled into the binaries (lib/base/embed.sh writes the tables).
 * Entries are sorted by name as the Makefile lists them; the table ends with
 * a NULL name.  Contents are not NUL-terminated C strings of the file only:
 * use len.
 */
#ifndef HUB_EMBED_H
#define HUB_EMBED_H

#include <stddef.h>

struct hub_embed {
	const char *name;
	const char *data;
	size_t      len;
};

extern const struct hub_embed hub_embed_migrations[];
extern const struct hub_embed hub_embed_templates[];

const struct hub_embed *hub_embed_find(const struct hub_embed *, const char *name);

#endif
