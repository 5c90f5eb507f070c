/*
 * blockkit.h - Slack Block Kit as json-c objects that are always valid.
 *
 * Text that people read is truncated to the limit of its place, UTF-8-safe,
 * counting code points, ending in "…" (the result is exactly the limit).
 * Identifiers (action_id, block_id, callback_id, option values,
 * private_metadata, urls) are never cut: too long is HUB_BK_TOOLONG, except
 * a button value when the caller sets truncate_value.  Containers refuse to
 * grow past Slack's counts with HUB_BK_FULL, so callers paginate.  Invalid
 * UTF-8 in any input becomes U+FFFD.  hub_bk_validate() checks the same
 * limits on arbitrary JSON before anything is sent.
 *
 * Ownership, one rule for the whole module: a json_object passed IN (an
 * element, a block, a blocks list) is taken by the call only when it returns
 * HUB_BK_OK; on any error the caller still owns it.  Objects handed OUT
 * (json_object **out) belong to the caller (json_object_put).  Strings are
 * borrowed and copied.  Never blocks, never logs.
 *
 * Text objects are {"type":"plain_text","text":…,"emoji":true} or
 * {"type":"mrkdwn",…}; empty text is HUB_BK_INVAL (Slack wants at least
 * one character), and a cut mrkdwn text never ends inside <…> or an
 * &entity;.  Mrkdwn (section text and fields, context) is taken as is;
 * user text must go through hub_mrkdwn_escape() (only & < >) so nobody
 * injects <!channel> or a link.  Mentions and links are built by hub_mrkdwn_mention/_link.
 */
#ifndef HUB_BLOCKKIT_H
#define HUB_BLOCKKIT_H

#include <stddef.h>
#include <json-c/json.h>

#include "base/buf.h"

enum hub_bk_err {
	HUB_BK_OK = 0,
	HUB_BK_NOMEM,	/* allocation failed */
	HUB_BK_INVAL,	/* NULL/empty required argument, bad id characters,
			   bad style, wrong surface */
	HUB_BK_TOOLONG,	/* an identifier or data value over its limit */
	HUB_BK_FULL,	/* container at its maximum count: paginate */
	HUB_BK_TOOBIG,	/* view over 250 KB, or a hub_buf's maximum */
	HUB_BK_INVALID,	/* hub_bk_validate: the JSON breaks a rule */
};

enum hub_bk_surface {
	HUB_BK_MESSAGE,	/* 50 blocks */
	HUB_BK_MODAL,	/* 100 blocks */
	HUB_BK_HOME,	/* 100 blocks */
};

/* Slack's limits (characters = code points; counts = items). */
enum {
	HUB_BK_MAX_TEXT = 3000,		/* any text object; section text */
	HUB_BK_MAX_FIELD = 2000,	/* section field */
	HUB_BK_MAX_HEADER = 150,
	HUB_BK_MAX_BUTTON_TEXT = 75,
	HUB_BK_MAX_BUTTON_VALUE = 2000,
	HUB_BK_MAX_ID = 255,		/* action_id, block_id, callback_id */
	HUB_BK_MAX_URL = 3000,
	HUB_BK_MAX_VIEW_TEXT = 24,	/* modal title, submit, close */
	HUB_BK_MAX_PLACEHOLDER = 150,
	HUB_BK_MAX_OPTION_TEXT = 75,	/* option text and description */
	HUB_BK_MAX_OPTION_VALUE = 150,
	HUB_BK_MAX_LABEL = 2000,	/* input label and hint */
	HUB_BK_MAX_ALT = 2000,		/* image alt_text, image title */
	HUB_BK_MAX_CONFIRM_TITLE = 100,
	HUB_BK_MAX_CONFIRM_TEXT = 300,
	HUB_BK_MAX_CONFIRM_BUTTON = 30,
	HUB_BK_MAX_METADATA = 3000,	/* private_metadata */
	HUB_BK_MAX_MSG_TEXT = 4000,	/* top-level text (chat.update's cap) */
	HUB_BK_MAX_FIELDS = 10,
	HUB_BK_MAX_ACTIONS = 25,
	HUB_BK_MAX_CONTEXT = 10,
	HUB_BK_MIN_OVERFLOW = 2,
	HUB_BK_MAX_OVERFLOW = 5,
	HUB_BK_MAX_OPTIONS = 100,	/* static_select */
	HUB_BK_MAX_INPUT_LEN = 3000,	/* plain_text_input min/max_length */
	HUB_BK_MAX_MESSAGE_BLOCKS = 50,
	HUB_BK_MAX_VIEW_BLOCKS = 100,
	HUB_BK_MAX_VIEW_BYTES = 250 * 1024,
};

enum hub_bk_style {
	HUB_BK_STYLE_DEFAULT = 0,
	HUB_BK_STYLE_PRIMARY,
	HUB_BK_STYLE_DANGER,
};

/* ------------------------------------------------------------ text */

/* Code points in s (invalid bytes count as one each). */
size_t		 hub_bk_strlen(const char *s);
/* Append s to out, valid UTF-8, at most `limit` code points: longer input
 * keeps limit-1 of them and adds "…".  *cut (may be NULL) says whether it
 * truncated.  Out is unchanged on error. */
int		 hub_bk_truncate(struct hub_buf *out, const char *s,
		    size_t limit, int *cut);

/* ------------------------------------------------------------ elements */

struct hub_bk_confirm {
	const char		*title;		/* plain, 100 */
	const char		*text;		/* mrkdwn, 300 */
	const char		*confirm;	/* plain, 30 */
	const char		*deny;		/* plain, 30 */
	enum hub_bk_style	 style;
};

struct hub_bk_button {
	const char			*text;		/* required, 75 */
	const char			*action_id;	/* required, 255 */
	const char			*value;		/* optional, 2000 */
	const char			*url;		/* optional, 3000 */
	enum hub_bk_style		 style;
	const struct hub_bk_confirm	*confirm;	/* optional */
	int				 truncate_value; /* cut value, no error */
};

struct hub_bk_option {
	const char	*text;		/* required, 75 */
	const char	*value;		/* required, 150, never cut */
	const char	*description;	/* optional, 75 */
	const char	*url;		/* overflow only, optional */
};

struct hub_bk_select {
	const char			*action_id;	/* required */
	const char			*placeholder;	/* optional, 150 */
	const struct hub_bk_option	*options;
	size_t				 noptions;	/* 1..100 */
	int				 initial;	/* index, -1 = none */
};

#define HUB_BK_ON_ENTER	0x1	/* dispatch_action_config triggers */
#define HUB_BK_ON_CHAR	0x2

struct hub_bk_text_input {
	const char	*action_id;	/* required */
	const char	*placeholder;	/* optional, 150 */
	const char	*initial_value;	/* optional, cut at max_length/3000 */
	int		 multiline;
	int		 min_length;	/* 0 = unset; 0..3000 */
	int		 max_length;	/* 0 = unset; 1..3000, >= min */
	unsigned	 dispatch;	/* HUB_BK_ON_* or 0 */
};

int		 hub_bk_button(const struct hub_bk_button *, json_object **out);
/* 2..5 options, else HUB_BK_INVAL (<2) or HUB_BK_FULL (>5). */
int		 hub_bk_overflow(const char *action_id,
		    const struct hub_bk_option *, size_t n, json_object **out);
/* 1..100 options, else HUB_BK_INVAL / HUB_BK_FULL. */
int		 hub_bk_static_select(const struct hub_bk_select *,
		    json_object **out);
int		 hub_bk_text_input(const struct hub_bk_text_input *,
		    json_object **out);

/* ------------------------------------------------------------ blocks */

/* block_id is optional everywhere (NULL): Slack makes one up. */
/* Section with mrkdwn text (may be NULL if fields follow; a section with
 * neither fails validation). */
int		 hub_bk_section(const char *block_id, const char *mrkdwn,
		    json_object **out);
/* Add a mrkdwn field (2000); HUB_BK_FULL at 10. */
int		 hub_bk_section_add_field(json_object *section,
		    const char *mrkdwn);
/* Set the accessory element (taken on success); replaces none: INVAL if
 * one is already set. */
int		 hub_bk_section_accessory(json_object *section,
		    json_object *element);
int		 hub_bk_header(const char *block_id, const char *text,
		    json_object **out);
int		 hub_bk_divider(const char *block_id, json_object **out);
int		 hub_bk_context(const char *block_id, json_object **out);
/* Add a mrkdwn text (3000); HUB_BK_FULL at 10 elements. */
int		 hub_bk_context_add_mrkdwn(json_object *context,
		    const char *mrkdwn);
int		 hub_bk_actions(const char *block_id, json_object **out);
/* Add an interactive element (taken on success); HUB_BK_FULL at 25,
 * HUB_BK_INVAL if its action_id is already in the block. */
int		 hub_bk_actions_add(json_object *actions, json_object *element);

struct hub_bk_input {
	const char	*block_id;
	const char	*label;		/* required, 2000 */
	const char	*hint;		/* optional, 2000 */
	int		 optional;
	int		 dispatch_action;
};
/* element (plain_text_input, static_select) taken on success. */
int		 hub_bk_input(const struct hub_bk_input *, json_object *element,
		    json_object **out);

/* ------------------------------------------------------------ lists, views */

/* The blocks of one message or view; knows its surface's maximum. */
struct hub_bk_blocks {
	json_object		*arr;
	enum hub_bk_surface	 surface;
	size_t			 max;
};

int		 hub_bk_blocks_init(struct hub_bk_blocks *, enum hub_bk_surface);
/* Append (block taken on success); HUB_BK_FULL when at the maximum,
 * HUB_BK_INVAL if its block_id is already in the list. */
int		 hub_bk_blocks_add(struct hub_bk_blocks *, json_object *block);
size_t		 hub_bk_blocks_room(const struct hub_bk_blocks *);
/* The array, now the caller's; the list is empty and reusable. */
json_object	*hub_bk_blocks_detach(struct hub_bk_blocks *);
void		 hub_bk_blocks_release(struct hub_bk_blocks *);

struct hub_bk_modal {
	const char	*callback_id;		/* optional, 255 */
	const char	*title;			/* required, 24 */
	const char	*submit;		/* optional, 24 (required if an
						   input block is present) */
	const char	*close;			/* optional, 24 */
	const char	*private_metadata;	/* optional, 3000, never cut */
	int		 notify_on_close;
};
/* blocks must be a HUB_BK_MODAL list; on success its array moves into the
 * view and the list is empty.  HUB_BK_TOOBIG past 250 KB of JSON. */
int		 hub_bk_modal(const struct hub_bk_modal *,
		    struct hub_bk_blocks *, json_object **out);
int		 hub_bk_home(const char *callback_id,
		    const char *private_metadata, struct hub_bk_blocks *,
		    json_object **out);
/* {"text": fallback (4000, cut), "blocks": […]} for a HUB_BK_MESSAGE list. */
int		 hub_bk_message(const char *text, struct hub_bk_blocks *,
		    json_object **out);

/*
 * The predicates the builder and the validator (bkvalid.h) share, so both
 * read one definition of "valid" (UTF-8 is base/utf8.h's): a URL that
 * is non-empty, without spaces or control characters, at most
 * HUB_BK_MAX_URL (HUB_BK_OK, HUB_BK_INVAL or HUB_BK_TOOLONG); a YYYY-MM-DD
 * date; the most blocks a surface takes.
 */
int		 hub_bk_url_check(const char *);
int		 hub_bk_date_valid(const char *);
size_t		 hub_bk_surface_max(enum hub_bk_surface);
const char	*hub_bk_strerror(int);

/* ------------------------------------------------------------ mrkdwn */

/* Append s with & < > as &amp; &lt; &gt; (nothing else). */
int		 hub_mrkdwn_escape(struct hub_buf *, const char *s);
/* <@U123>: id must be [A-Z0-9]+, at most 32; HUB_BK_INVAL otherwise. */
int		 hub_mrkdwn_mention(struct hub_buf *, const char *user_id);
/* <url|text> (text escaped) or <url> when text is NULL/empty.  url must be
 * http(s):// or mailto:, ≤ 3000 bytes, without | < > space or control
 * characters; HUB_BK_INVAL otherwise. */
int		 hub_mrkdwn_link(struct hub_buf *, const char *url,
		    const char *text);

#endif
