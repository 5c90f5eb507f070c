/*
 * svg.c - stacked columns and horizontal bars as SVG.  See svg.h.
 */
#include <math.h>
#include <string.h>

#include "base/esc.h"
#include "base/svg.h"
#include "base/utf8.h"

#define W		720.0	/* the picture's width */
#define COL_H		300.0	/* COLUMNS: height */
#define COL_LEFT	48.0	/* room for the value axis */
#define COL_RIGHT	12.0
#define COL_TOP		12.0
#define COL_BOTTOM	40.0	/* room for the labels below */
#define LEGEND_ROW	20.0	/* one legend line under the labels */
#define LEGEND_ITEM	160.0
#define BAR_ROW		28.0	/* BARS: one row per label */
#define BAR_LEFT	180.0	/* room for the labels */
#define BAR_VALUE	110.0	/* room for the value after the longest bar */
#define BAR_PAD		12.0
#define LABEL_BYTES	72	/* a label longer than this is cut */
#define LEGEND_BYTES	22	/* a legend entry longer than this is cut */
#define REPLACEMENT	"\xef\xbf\xbd"

/* Okabe-Ito: told apart by people with any common colour blindness. */
static const char *const palette[] = {
	"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#555555",
};

struct pen {
	struct hub_buf	*b;
	int		 rc;
};

static void
put(struct pen *p, const char *s)
{
	if (p->rc == HUB_BUF_OK)
		p->rc = hub_buf_adds(p->b, s);
}

static void
num(struct pen *p, double v)
{
	if (p->rc == HUB_BUF_OK)
		p->rc = hub_buf_printf(p->b, "%.1f", v);
}

/* Text for XML: escaped; control characters as spaces; invalid bytes as
 * U+FFFD; at most max bytes of the input, "…" when cut. */
static void
text(struct pen *p, const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0, i = 0, k, cut = n;

	if (n > max)
		cut = hub_utf8_cut(s, n, max);
	while (p->rc == HUB_BUF_OK && i < cut) {
		k = hub_utf8_seq(s + i, cut - i, NULL);
		if (k == 0) {
			put(p, REPLACEMENT);
			i++;
		} else if (k == 1 && (unsigned char)s[i] < 0x20) {
			put(p, " ");
			i++;
		} else {
			p->rc = hub_esc_html(p->b, s + i, k);
			i += k;
		}
	}
	if (cut < n)
		put(p, "\xe2\x80\xa6");
}

static void
value_text(struct pen *p, const struct hub_svg_chart *c, double v)
{
	int d = c->decimals < 0 ? 0 : c->decimals > 3 ? 3 : c->decimals;

	if (p->rc == HUB_BUF_OK)
		p->rc = hub_buf_printf(p->b, "%.*f", d, v);
	text(p, c->unit, 64);
}

static int
id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	return n >= 1 && n <= 32 && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static double
value(const struct hub_svg_chart *c, size_t s, size_t l)
{
	double v = c->series[s].values != NULL ? c->series[s].values[l] : 0.0;

	return isfinite(v) && v > 0.0 ? v : 0.0;
}

/* A round number at or above v (1, 2, 5 times a power of ten). */
static double
nice_max(double v)
{
	double step = 1.0;

	if (!(v > 0.0))
		return 1.0;
	/* Bounded either way: a double is below 1e308. */
	while (step * 10.0 < v && step < 1e300)
		step *= 10.0;
	while (step > v && step > 1e-6)
		step /= 10.0;
	if (v <= step)
		return step;
	if (v <= 2.0 * step)
		return 2.0 * step;
	if (v <= 5.0 * step)
		return 5.0 * step;
	return 10.0 * step;
}

static void
open_svg(struct pen *p, const struct hub_svg_chart *c, double h)
{
	const char *id = id_ok(c->id) ? c->id : "chart";

	put(p, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
	num(p, W);
	put(p, " ");
	num(p, h);
	put(p, "\" width=\"");
	num(p, W);
	put(p, "\" height=\"");
	num(p, h);
	put(p, "\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\" aria-labelledby=\"");
	put(p, id);
	put(p, "-title ");
	put(p, id);
	put(p, "-desc\"><title id=\"");
	put(p, id);
	put(p, "-title\">");
	text(p, c->title, 200);
	put(p, "</title><desc id=\"");
	put(p, id);
	put(p, "-desc\">");
	text(p, c->desc, 4000);
	put(p, "</desc><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
}

/* An empty chart says so instead of drawing an empty frame. */
static void
no_data(struct pen *p, double h)
{
	put(p, "<text x=\"");
	num(p, W / 2);
	put(p, "\" y=\"");
	num(p, h / 2);
	put(p, "\" text-anchor=\"middle\" fill=\"#555555\">No data in this period.</text>");
}

/* <rect ...><title>[series · ]label: value</title></rect> */
static void
rect(struct pen *p, const struct hub_svg_chart *c, double x, double y, double w, double h,
    const char *fill, size_t s, size_t l)
{
	put(p, "<rect x=\"");
	num(p, x);
	put(p, "\" y=\"");
	num(p, y);
	put(p, "\" width=\"");
	num(p, w);
	put(p, "\" height=\"");
	num(p, h);
	put(p, "\" fill=\"");
	put(p, fill);
	put(p, "\"><title>");
	if (c->kind == HUB_SVG_COLUMNS && c->nseries > 0) {
		text(p, c->series[s].name, LABEL_BYTES);
		put(p, " \xc2\xb7 ");
	}
	text(p, c->labels[l], LABEL_BYTES);
	put(p, ": ");
	value_text(p, c, value(c, s, l));
	put(p, "</title></rect>");
}

static void
label_cut(struct pen *p, double x, double y, const char *anchor, const char *s, size_t max)
{
	put(p, "<text x=\"");
	num(p, x);
	put(p, "\" y=\"");
	num(p, y);
	put(p, "\" text-anchor=\"");
	put(p, anchor);
	put(p, "\" fill=\"#333333\">");
	text(p, s, max);
	put(p, "</text>");
}

static void
label_at(struct pen *p, double x, double y, const char *anchor, const char *s)
{
	label_cut(p, x, y, anchor, s, LABEL_BYTES);
}

/* Gridlines at 0, half and the top of the value axis, with their values. */
static void
value_axis(struct pen *p, double top, double bottom, double max)
{
	struct hub_buf t = HUB_BUF_INIT(64);
	double y;
	int i;

	for (i = 0; i <= 2 && p->rc == HUB_BUF_OK; i++) {
		y = bottom - (bottom - top) * i / 2.0;
		put(p, "<line x1=\"");
		num(p, COL_LEFT);
		put(p, "\" x2=\"");
		num(p, W - COL_RIGHT);
		put(p, "\" y1=\"");
		num(p, y);
		put(p, "\" y2=\"");
		num(p, y);
		put(p, "\" stroke=\"#dddddd\"/>");
		hub_buf_reset(&t);
		hub_buf_printf(&t, "%g", max * i / 2.0);
		label_at(p, COL_LEFT - 6, y + 4, "end", hub_buf_str(&t));
	}
	hub_buf_release(&t);
}

static void
legend(struct pen *p, const struct hub_svg_chart *c, size_t ns, double y)
{
	size_t s;
	double x;

	for (s = 0; s < ns; s++) {
		x = COL_LEFT + (double)(s % 4) * LEGEND_ITEM;
		put(p, "<rect x=\"");
		num(p, x);
		put(p, "\" y=\"");
		num(p, y + (double)(s / 4) * LEGEND_ROW - 10);
		put(p, "\" width=\"12\" height=\"12\" fill=\"");
		put(p, palette[s % HUB_NELEM(palette)]);
		put(p, "\"/>");
		label_cut(p, x + 16, y + (double)(s / 4) * LEGEND_ROW, "start", c->series[s].name,
		    LEGEND_BYTES);
	}
}

/* Stacked columns: one column per label, a segment per series. */
static void
columns(struct pen *p, const struct hub_svg_chart *c, size_t nl, size_t ns)
{
	double max = 0.0, sum, y, hgt, slot, x, plot_h;
	double bottom = COL_H - COL_BOTTOM, h;
	size_t l, s, every = c->label_every > 0 ? c->label_every : 1;

	h = COL_H + LEGEND_ROW * (double)((ns + 3) / 4);
	open_svg(p, c, h);
	for (l = 0; l < nl; l++) {
		for (sum = 0.0, s = 0; s < ns; s++)
			sum += value(c, s, l);
		max = sum > max ? sum : max;
	}
	if (nl == 0 || ns == 0 || max <= 0.0) {
		no_data(p, h);
		put(p, "</svg>");
		return;
	}
	max = nice_max(max);
	plot_h = bottom - COL_TOP;
	value_axis(p, COL_TOP, bottom, max);
	slot = (W - COL_LEFT - COL_RIGHT) / (double)nl;
	for (l = 0; l < nl; l++) {
		x = COL_LEFT + slot * (double)l;
		for (y = bottom, s = 0; s < ns; s++) {
			if ((hgt = value(c, s, l) / max * plot_h) <= 0.0)
				continue;
			y -= hgt;
			rect(p, c, x + slot * 0.1, y, slot * 0.8, hgt,
			    palette[s % HUB_NELEM(palette)], s, l);
		}
		if (l % every == 0)
			label_at(p, x + slot / 2, bottom + 16, "middle", c->labels[l]);
	}
	legend(p, c, ns, COL_H - 4);
	put(p, "</svg>");
}

/* Horizontal bars: a row per label, the value after the bar. */
static void
bars(struct pen *p, const struct hub_svg_chart *c, size_t nl, size_t ns)
{
	double max = 0.0, len, y, h = BAR_PAD * 2 + BAR_ROW * (double)(nl > 0 ? nl : 2);
	struct hub_buf t = HUB_BUF_INIT(128);
	struct pen vp = { &t, HUB_BUF_OK };
	size_t l;

	open_svg(p, c, h);
	for (l = 0; ns > 0 && l < nl; l++)
		max = value(c, 0, l) > max ? value(c, 0, l) : max;
	if (nl == 0 || ns == 0) {
		no_data(p, h);
		put(p, "</svg>");
		return;
	}
	for (l = 0; l < nl && p->rc == HUB_BUF_OK; l++) {
		y = BAR_PAD + BAR_ROW * (double)l;
		len = max > 0.0 ? value(c, 0, l) / max * (W - BAR_LEFT - BAR_VALUE) : 0.0;
		label_at(p, BAR_LEFT - 8, y + BAR_ROW / 2 + 4, "end", c->labels[l]);
		rect(p, c, BAR_LEFT, y + 4, len > 1.0 ? len : 1.0, BAR_ROW - 8,
		    palette[l % HUB_NELEM(palette)], 0, l);
		hub_buf_reset(&t);
		value_text(&vp, c, value(c, 0, l));
		label_at(p, BAR_LEFT + (len > 1.0 ? len : 1.0) + 6, y + BAR_ROW / 2 + 4, "start",
		    hub_buf_str(&t));
	}
	hub_buf_release(&t);
	put(p, "</svg>");
}

int
hub_svg_chart(struct hub_buf *b, const struct hub_svg_chart *c)
{
	struct pen p = { b, HUB_BUF_OK };
	size_t start = b->len;
	size_t nl = c->labels != NULL ? c->nlabels : 0, ns = c->series != NULL ? c->nseries : 0;

	nl = nl > HUB_SVG_LABELS_MAX ? HUB_SVG_LABELS_MAX : nl;
	ns = ns > HUB_SVG_SERIES_MAX ? HUB_SVG_SERIES_MAX : ns;
	if (c->kind == HUB_SVG_BARS)
		bars(&p, c, nl, ns);
	else
		columns(&p, c, nl, ns);
	if (p.rc != HUB_BUF_OK) {
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
	}
	return p.rc;
}
