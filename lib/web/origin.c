/* origin.c - the same-origin check of browser forms (origin.h). */
#include <string.h>
#include <strings.h>

#include "web/origin.h"

int
hub_origin_same(const char *pub, struct hub_req *req)
{
	const char *origin, *referer, *p;
	size_t n;

	if (pub == NULL || (p = strstr(pub, "://")) == NULL)
		return 0;
	p += 3;
	n = (size_t)(p - pub) + strcspn(p, "/?#");
	if ((origin = hub_req_header(req, "Origin")) != NULL)
		return strlen(origin) == n && strncasecmp(origin, pub, n) == 0;
	if ((referer = hub_req_header(req, "Referer")) != NULL)
		return strncasecmp(referer, pub, n) == 0 &&
		    (referer[n] == '/' || referer[n] == '\0');
	return 1;
}
