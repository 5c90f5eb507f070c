#include <string.h>

#include "base/embed.h"

const struct hub_embed *
hub_embed_find(const struct hub_embed *tab, const char *name)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	return NULL;
}
