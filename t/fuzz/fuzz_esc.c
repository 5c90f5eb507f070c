/*
 * fuzz_esc.c - libFuzzer target for the escaping writers.
 *
 * Properties: no markup character survives; the budgeted writer never goes
 * past its budget, writes a prefix of the full escape that ends between
 * units, and says it cut exactly when it wrote less than the whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/esc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one(enum hub_esc_lang lang, const char *s, size_t size, size_t room)
{
	struct hub_buf full = HUB_BUF_INIT(size * 6 + 1);
	struct hub_buf part = HUB_BUF_INIT(size * 6 + 1);
	const char *bad = lang == HUB_ESC_HTML ? "<>\"'" : "<>";
	size_t left = room, i;
	int cut;

	if (hub_esc(&full, lang, s, size) != HUB_BUF_OK)
		abort();
	for (i = 0; i < full.len; i++)
		if (strchr(bad, full.data[i]) != NULL && full.data[i] != '\0')
			abort();
	if (hub_esc_budget(&part, lang, s, size, &left, &cut) != HUB_BUF_OK)
		abort();
	if (left > room || part.len > full.len ||
	    (part.len > 0 && memcmp(part.data, full.data, part.len) != 0))
		abort();
	if (cut != (part.len < full.len))
		abort();
	/* never ends inside an entity */
	if (part.len < full.len && memchr(part.data != NULL ? part.data : "",
	    '&', part.len) != NULL) {
		const char *amp = part.data + part.len;

		while (*--amp != '&')
			;
		if (memchr(amp, ';', (size_t)(part.data + part.len - amp)) == NULL)
			abort();
	}
	hub_buf_release(&full);
	hub_buf_release(&part);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t room;

	if (size == 0)
		return 0;
	room = data[0];
	one(HUB_ESC_HTML, (const char *)data + 1, size - 1, room);
	one(HUB_ESC_MRKDWN, (const char *)data + 1, size - 1, room);
	return 0;
}
