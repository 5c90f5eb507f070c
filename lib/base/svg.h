/*
 * svg.h - charts drawn as SVG from numbers: stacked columns (a value per
 * label per series, e.g. requests per day by source) and horizontal bars
 * (a value per label, e.g. the median time to decision by source).
 *
 * The picture needs no script and no style sheet: colours and fonts are
 * presentation attributes.  The root <svg> is role="img" and labelled by
 * its <title> and <desc> (screen readers read those); every column or
 * bar carries a <title> of its own ("Workday · 2026-12-03: 4 requests"),
 * which is also the tooltip a pointer shows.  Every text (title, desc,
 * labels, series names, unit) is escaped for XML, control characters
 * become spaces and invalid UTF-8 bytes U+FFFD, so any name a source
 * system chose makes a well-formed document.  Long labels are cut (…).
 *
 * Pure drawing: appends to a hub_buf (its maximum bounds the picture) and
 * returns its enum hub_buf_err; on failure the buffer is left as it was.
 * Never reads a database, never logs.
 */
#ifndef HUB_SVG_H
#define HUB_SVG_H

#include <stddef.h>

#include "base/buf.h"

enum hub_svg_kind {
	HUB_SVG_COLUMNS,	/* labels along x, series stacked, a legend */
	HUB_SVG_BARS,		/* one bar per label, the first series only */
};

struct hub_svg_series {
	const char	*name;
	const double	*values;	/* nlabels values, each >= 0 */
};

struct hub_svg_chart {
	enum hub_svg_kind		 kind;
	const char			*id;	 /* [a-z0-9-]{1,32}: the ids of title and desc */
	const char			*title;
	const char			*desc;	 /* the data in words, for screen readers */
	const char *const		*labels;
	size_t				 nlabels;
	const struct hub_svg_series	*series;
	size_t				 nseries;
	const char			*unit;	 /* after each value: " requests", "%", " h" */
	int				 decimals; /* digits after the point, 0..3 */
	size_t				 label_every; /* COLUMNS: name every nth label (0: 1) */
};

/* At most this many labels and series are drawn. */
#define HUB_SVG_LABELS_MAX	400
#define HUB_SVG_SERIES_MAX	12

int	hub_svg_chart(struct hub_buf *, const struct hub_svg_chart *);

#endif
