/*
 * metadisplay.h - a request's metadata as people read it, for the Slack
 * message, the e-mail and the decision page.  Pure: no I/O; the caller
 * owns what it gets back.  Codes are intake.h's HUB_INTAKE_*.
 */
#ifndef HUB_METADISPLAY_H
#define HUB_METADISPLAY_H

#include <stddef.h>
#include <json-c/json.h>

/*
 * Metadata for display: *fields_out (the caller puts it) is an array of
 * {"label", "value"[, "url"]}, the preset's fields first in a fixed order
 * with their labels, then every other key in the order sent with a
 * humanized label ("trip_dates" -> "Trip dates").  Money is "1,234.50 USD"
 * (currency folded in), percentages "15%", other numbers at most two
 * decimals, date ranges as given or "start to end", booleans Yes/No,
 * arrays of scalars joined with ", ", other objects as compact JSON; a
 * string value that is an http(s) URL also goes into "url".  A value
 * without its field's type is shown as is.  preset may be NULL or unknown;
 * metadata NULL gives [].  HUB_INTAKE_INVALID if metadata is not an object.
 */
int	hub_metadisplay_fields(const char *preset, json_object *metadata,
	    json_object **fields_out);

#ifdef HUB_UNITTEST
/* HUB_STATIC in metadisplay.c: reachable from the tests through t/libhub_ut.a. */
void	 metadisplay_format_number(double, int, char *, size_t);
#endif

#endif
