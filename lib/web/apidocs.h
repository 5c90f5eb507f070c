/*
 * apidocs.h - the API's own documentation: the embedded OpenAPI document
 * (templates/openapi.json) and the /api-docs page generated from it at
 * run time, so the page cannot drift from the document.
 *
 * Every value taken from the document goes through hub_esc_html; the
 * page (templates/api-docs.html around the generated reference) has no
 * script and loads nothing from elsewhere.  The caller owns the buffer it
 * passes.  Logs only a document or template that fails to render.
 */
#ifndef HUB_APIDOCS_H
#define HUB_APIDOCS_H

#include "base/buf.h"
#include "base/embed.h"

enum hub_apidocs_err {
	HUB_APIDOCS_OK = 0,
	HUB_APIDOCS_NOTBUILT,  /* the OpenAPI document is not embedded */
	HUB_APIDOCS_FAILED,    /* unparsable document, template error, no memory */
};

/* The OpenAPI document, or NULL when not built in. */
const struct hub_embed *hub_apidocs_openapi(void);
/* Append the whole HTML page to page. */
int	hub_apidocs_page(struct hub_buf *page);

#endif
