/*
 * utf8.c - the one UTF-8 decoder (see utf8.h).
 */
#include "base/utf8.h"

size_t
hub_utf8_seq(const char *str, size_t n, unsigned *cpout)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned cp;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		len = 1;
		cp = s[0];
		goto out;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
out:
	if (cpout != NULL)
		*cpout = cp;
	return len;
}

int
hub_utf8_valid(const char *s, size_t n)
{
	return hub_utf8_count(s, n) >= 0;
}

long
hub_utf8_count(const char *s, size_t n)
{
	size_t i = 0, l;
	long chars = 0;

	while (i < n) {
		if ((l = hub_utf8_seq(s + i, n - i, NULL)) == 0)
			return -1;
		i += l;
		chars++;
	}
	return chars;
}

size_t
hub_utf8_count_lax(const char *s, size_t n)
{
	size_t i = 0, l, chars = 0;

	while (i < n) {
		if ((l = hub_utf8_seq(s + i, n - i, NULL)) == 0)
			l = 1;
		i += l;
		chars++;
	}
	return chars;
}

size_t
hub_utf8_cut(const char *str, size_t n, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t k, need;

	if (n < max)
		max = n;
	/* back over the continuation bytes that end the prefix to their lead */
	for (k = max; k > 0 && max - k < HUB_UTF8_MAX_SEQ &&
	    (s[k - 1] & 0xc0) == 0x80; k--)
		;
	if (k > 0 && s[k - 1] >= 0xc0) {
		need = s[k - 1] >= 0xf0 ? 4 : s[k - 1] >= 0xe0 ? 3 : 2;
		if (k - 1 + need > max)
			return k - 1;
	}
	return max;
}
