#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

void
hub_buf_init(struct hub_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int
grow(struct hub_buf *b, size_t add)
{
	size_t need, ncap;
	char *p;

	if (add > b->max || b->len > b->max - add)
		return HUB_BUF_TOOBIG;
	need = b->len + add + 1;
	if (need <= b->cap)
		return HUB_BUF_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return HUB_BUF_NOMEM;
	b->data = p;
	b->cap = ncap;
	return HUB_BUF_OK;
}

int
hub_buf_add(struct hub_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = grow(b, n)) != HUB_BUF_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return HUB_BUF_OK;
}

int
hub_buf_adds(struct hub_buf *b, const char *s)
{
	return hub_buf_add(b, s, strlen(s));
}

int
hub_buf_addc(struct hub_buf *b, char c)
{
	return hub_buf_add(b, &c, 1);
}

int
hub_buf_vprintf(struct hub_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, rc;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return HUB_BUF_NOMEM;
	if ((rc = grow(b, (size_t)n)) != HUB_BUF_OK)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return HUB_BUF_OK;
}

int
hub_buf_printf(struct hub_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hub_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
hub_buf_str(const struct hub_buf *b)
{
	return b->data ? b->data : "";
}

void
hub_buf_reset(struct hub_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
hub_buf_release(struct hub_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
hub_buf_detach(struct hub_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (p == NULL)
		p = strdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
