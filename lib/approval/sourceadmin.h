/*
 * sourceadmin.h - source systems as the admin API shows and changes them:
 * list, one source, create from a JSON body, patch from a JSON body, and
 * rotate its API key.  Creating the row and its keys is admin.h's; this
 * module owns the settable fields, their validation and the one UPDATE
 * that applies them.
 *
 * Settable fields (JSON null clears a field where the column allows it):
 * description, connection (a Slack connection's name, stored as its id),
 * channel, delivery_mode, rule, deadline, reminder_every (intake
 * durations), callback_url, callback_secret (sealed with the keyring of
 * SECRET_KEY before storing; shown only as "set"), allow_self_approval,
 * reason_required, editable_fields, disabled, callback_allow_networks
 * (CIDRs this source's callbacks may reach although internal; null: the
 * global setting callbacks.allow_networks), templates (the source's message
 * wording, render.h "Source wording": {kind: {"title"?, "intro"?,
 * "subject"?}}, kinds of hub_srcadm_wording_kinds, parts 1 to 500
 * characters; {} is the hub's own wording).  A callback_url that resolves
 * to a refused address under the allowlist the source will have is
 * refused (netpolicy.h).  Absent fields keep their value.  The first
 * field with a problem is reported, by name.
 *
 * A source object is a row of sources with its connection's name, its
 * callback_secret as "set" or null, and active_keys.  Objects handed out
 * are the caller's; a new API key appears once, in "api_key", and is
 * never logged.  Problems go into struct hub_problem (check.h); its field
 * may borrow a key of the caller's `in`.  Never logs.
 */
#ifndef HUB_SOURCEADMIN_H
#define HUB_SOURCEADMIN_H

#include <json-c/json.h>

#include "base/check.h"
#include "base/conf.h"
#include "approval/engine.h"
#include "store/db.h"

enum hub_srcadm_err {
	HUB_SRCADM_OK = 0,
	HUB_SRCADM_INVALID,   /* p->field, p->message */
	HUB_SRCADM_EXISTS,    /* the name is taken: p->field, p->message */
	HUB_SRCADM_NOTFOUND,  /* no source with this id (or not a uuid) */
	HUB_SRCADM_DB,        /* p->db: the hub_db code */
	HUB_SRCADM_NOMEM,
};

/* The message kinds a source may word (render.h's kind names and its
 * approver-facing variants), NULL-terminated. */
extern const char *const hub_srcadm_wording_kinds[];

/* {"sources": [...], "count"} by name. */
int	hub_srcadm_list(struct hub_db *, json_object **out, struct hub_problem *);
int	hub_srcadm_get(struct hub_db *, const char *id, json_object **out, struct hub_problem *);
/*
 * Every change is audited (audit.h) in its own transaction, by actor:
 * source.created and source.updated with the fields given and their new
 * values (a callback secret only as "set"), source.key_rotated (never the
 * key).  Call these outside a transaction.
 */
/* in: {"name", settable fields…}.  The source, its settings, its first
 * key and the audit row in one transaction; *out is the source with
 * "api_key". */
int	hub_srcadm_create(struct hub_db *, const struct hub_conf *, json_object *in,
	    const struct hub_actor *, json_object **out, struct hub_problem *);
/* in: settable fields only.  *out is the source as it now is. */
int	hub_srcadm_patch(struct hub_db *, const struct hub_conf *, const char *id,
	    json_object *in, const struct hub_actor *, json_object **out,
	    struct hub_problem *);
/* Revoke every live key of the source and issue one:
 * {"id", "api_key", "message"}. */
int	hub_srcadm_rotate(struct hub_db *, const char *id, const struct hub_actor *,
	    json_object **out, struct hub_problem *);

#endif
