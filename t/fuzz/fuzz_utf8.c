/*
 * fuzz_utf8.c - libFuzzer target for the UTF-8 decoder.
 *
 * Properties: validity and counting agree sequence by sequence; a lenient
 * count never undercounts; a cut is never longer than asked, and a cut of
 * valid text is valid and ends on a character.
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t i, l, lax, cut, max;
	long chars;
	unsigned cp;
	int valid = 1;

	for (i = 0; i < size; i += l ? l : 1) {
		l = hub_utf8_seq(s + i, size - i, &cp);
		if (l > 4 || i + l > size)
			abort();
		if (l != 0 && (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
			abort();
		if (l == 0)
			valid = 0;
	}
	chars = hub_utf8_count(s, size);
	lax = hub_utf8_count_lax(s, size);
	if (hub_utf8_valid(s, size) != valid || (chars >= 0) != valid)
		abort();
	if (valid && (size_t)chars != lax)
		abort();
	if (lax > size || (size > 0 && lax == 0))
		abort();
	max = size > 0 ? data[0] % (size + 1) : 0;
	cut = hub_utf8_cut(s, size, max);
	if (cut > max)
		abort();
	if (valid && (!hub_utf8_valid(s, cut) || max - cut >= 4))
		abort();
	return 0;
}
