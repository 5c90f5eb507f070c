/*
 * esc.h - the escaping writers, one per output language.
 *
 *   HTML:   & < > " '  as  &amp; &lt; &gt; &quot; &#39;
 *   mrkdwn: & < >      as  &amp; &lt; &gt;  (Slack: nothing else, so user
 *           text cannot carry <!channel>, <@U…> or a link)
 *
 * Templates, Block Kit, the render code and the error pages write user text
 * only through these.  Each appends to a hub_buf and returns its enum
 * hub_buf_err; on failure the buffer is left as it was.  Never logs.
 */
#ifndef HUB_ESC_H
#define HUB_ESC_H

#include <stddef.h>
#include "base/buf.h"

enum hub_esc_lang {
	HUB_ESC_HTML,
	HUB_ESC_MRKDWN,
};

/* Append s[0..len) escaped for the language. */
int	 hub_esc(struct hub_buf *, enum hub_esc_lang, const char *s, size_t len);
int	 hub_esc_html(struct hub_buf *, const char *s, size_t len);
int	 hub_esc_mrkdwn(struct hub_buf *, const char *s, size_t len);
/*
 * Budgeted: append s[0..len) escaped, one whole unit at a time (a UTF-8
 * character, or an entity counted as its length in characters), while the
 * unit fits in *room characters; *room is lowered by what was written.
 * Never cuts an entity or a character.  *cut (may be NULL) is 1 when part
 * of s had to stay out, else 0.  An invalid byte is a unit of its own.
 */
int	 hub_esc_budget(struct hub_buf *, enum hub_esc_lang, const char *s,
	    size_t len, size_t *room, int *cut);

#endif
