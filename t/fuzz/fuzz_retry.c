/*
 * fuzz_retry.c - libFuzzer target for Retry-After (base/httpc.c), the
 * value Slack's 429s and every callback receiver's 429/503 set: either
 * delay-seconds or an HTTP-date (RFC 9110 10.2.3).  The Slack client
 * (slack/slackapi.c) waits what this returns.
 *
 * Input: 8 bytes of "now", then the header value.
 *
 * Properties: the result is -1 (neither form) or 0..one week; a plain
 * number of at most a week comes back as itself, a larger one as the
 * week; a date in the past is 0; the same value read twice reads the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/httpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WEEK	(7 * 86400)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char v[256];
	uint64_t raw = 0;
	time_t now;
	size_t n, i;
	int r;
	long long want = 0;
	int digits = 1;

	if (size < 8)
		return 0;
	memcpy(&raw, data, 8);
	/* a clock between 1970 and 2100 */
	now = (time_t)(raw % 4102444800ULL);
	n = size - 8 < sizeof(v) - 1 ? size - 8 : sizeof(v) - 1;
	memcpy(v, data + 8, n);
	v[n] = '\0';
	r = httpc_parse_retry_after(v, now);
	if (r < -1 || r > WEEK)
		abort();
	if (httpc_parse_retry_after(v, now) != r)
		abort();
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9') {
			digits = 0;
			break;
		}
		if (want <= WEEK)
			want = want * 10 + (v[i] - '0');
	}
	if (digits && v[0] != '\0' && r != (want > WEEK ? WEEK : (int)want))
		abort();
	return 0;
}
