/*
 * bkhtml.h - a Slack message's Block Kit as HTML, for the preview on a
 * request's page (what each copy sent to Slack looks like).
 *
 * The input is untrusted JSON text (what was stored when the message went
 * out, or anything else): a blocks array, or a message object
 * {"blocks": [...], "text": "..."} (the fallback text is shown when there
 * are no blocks).  Parsed with hub_json_parse's limits.
 *
 * What comes out, inside <div class="bk-message">:
 *   header   <div class="bk-header">plain text</div>
 *   section  <div class="bk-section"> text, <div class="bk-fields"> of
 *            <div class="bk-field">, and its accessory </div>
 *   context  <div class="bk-context"> texts and images as [alt text]
 *   actions  <div class="bk-actions"> of elements
 *   divider  <hr class="bk-divider">
 *   image    <div class="bk-image"><span class="bk-img">Image: alt</span>
 *   buttons  <button type="button" class="bk-button[ bk-primary|
 *            bk-danger]" disabled> - shown, never clickable; overflow
 *            menus and selects are disabled stand-ins.  Nothing loads:
 *            images are their alt text.
 *   other    <div class="bk-unsupported">[type block]</div>
 * mrkdwn becomes <b>, <i>, <s>, <code>, <pre class="bk-pre">, <br>, and
 * <a href rel="noopener noreferrer nofollow"> for http(s) and mailto links
 * only; mentions, channels, @here and dates show as text (<span
 * class="bk-mention">).  Slack's entities &amp; &lt; &gt; stay entities.
 *
 * Guarantees (fuzzed, t/fuzz/fuzz_bkhtml.c): every tag is one of the list
 * above, balanced; attribute values are escaped and quoted; no text of the
 * input reaches the output unescaped.  At most HUB_BKHTML_MAX_BLOCKS blocks
 * (a line counts the rest), 10 fields, 25 elements, texts cut at 3000
 * characters; linear in the input.  On any error the buffer is left as it
 * was.  Never logs, no I/O.
 */
#ifndef HUB_BKHTML_H
#define HUB_BKHTML_H

#include <stddef.h>

#include "base/buf.h"

enum hub_bkhtml_err {
	HUB_BKHTML_OK = 0,
	HUB_BKHTML_JSON,	/* not JSON within the limits */
	HUB_BKHTML_SHAPE,	/* neither a blocks array nor a message object */
	HUB_BKHTML_TOOBIG,	/* the output passed the buffer's maximum */
	HUB_BKHTML_NOMEM,
};

#define HUB_BKHTML_JSON_MAX	(256u * 1024u)
#define HUB_BKHTML_MAX_BLOCKS	100

/* Append the HTML of json[0..len) to out. */
int		 hub_bkhtml_render(const char *json, size_t len, struct hub_buf *out);

#endif
