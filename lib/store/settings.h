/*
 * settings.h - the hub's global settings (the `settings` table), with one
 * table of every key the hub reads: its type, allowed values, default and
 * meaning.  Unknown keys and ill-typed values are refused, so an admin's
 * typo cannot silently change nothing.  Reads fall back to the default
 * when a key is unset.  Values are stored as JSON (jsonb).
 */
#ifndef HUB_SETTINGS_H
#define HUB_SETTINGS_H

#include <stddef.h>
#include "base/buf.h"
#include "store/db.h"

enum hub_settings_err {
	HUB_SETTINGS_OK = 0,
	HUB_SETTINGS_UNKNOWN,   /* no such key */
	HUB_SETTINGS_INVALID,   /* value of the wrong type or out of range */
	HUB_SETTINGS_DB,
};

enum hub_setting_type {
	HUB_SETTING_TEXT,
	HUB_SETTING_INT,
	HUB_SETTING_CHOICE,
	HUB_SETTING_NETWORKS,   /* comma-separated CIDRs (netguard.h); max: length */
	HUB_SETTING_HOURS,      /* working hours, HUB_SETTINGS_WORKING_HOURS */
};

struct hub_setting {
	const char		*key;
	enum hub_setting_type	 type;
	const char		*choices;   /* CHOICE: "a|b|c" */
	long			 min, max;  /* INT bounds; TEXT: max length */
	const char		*def;       /* default as text; NULL = unset */
	const char		*help;
};

/* Working hours (risk flag off_hours, approval/engine.h):
 * "HH:MM-HH:MM Ddd-Ddd [Time/Zone]", UTC without a zone. */
#define HUB_SETTINGS_WORKING_HOURS		"risk.working_hours"
#define HUB_SETTINGS_WORKING_HOURS_DEFAULT	"08:00-18:00 Mon-Fri"

/* The table, ending with a NULL key. */
extern const struct hub_setting hub_settings[];

const struct hub_setting *hub_settings_find(const char *key);
/* Validate text for key (INT parsed, CHOICE checked). */
int	hub_settings_check(const struct hub_setting *, const char *value, char *err, size_t errlen);
/* Current value as text (the default when unset) appended to out. */
int	hub_settings_get(struct hub_db *, const char *key, struct hub_buf *out);
/* Several settings read in one round trip (hub_db_exec_each), at most
 * HUB_DB_EACH_MAX: each value (or default) appended to outs[i], errs[i]
 * its outcome as hub_settings_get's; returns the first error. */
int	hub_settings_get_each(struct hub_db *, const char *const *keys, struct hub_buf *outs,
	    int *errs, size_t n);
long	hub_settings_get_int(struct hub_db *, const char *key);
int	hub_settings_set(struct hub_db *, const char *key, const char *value, const char *by,
	    char *err, size_t errlen);
/* Remove the stored value (back to the default). */
int	hub_settings_unset(struct hub_db *, const char *key);
const char *hub_settings_strerror(int);

#ifdef HUB_UNITTEST
/* HUB_STATIC in settings.c: reachable from the tests through t/libhub_ut.a. */
int	settings_hours_form(const char *, const char **zone);
#endif

#endif
