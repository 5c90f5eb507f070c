/*
 * fuzz_decidelink - the /decide/<token> parser: whatever arrives in the
 * URL, it must answer one of its codes, never crash, and accept a token
 * only when the MAC over its exact bytes is right.  A valid token made from
 * the input must parse back to the same assignment, request and expiry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "approval/decidelink.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
	char *s, rid[64], rid2[64];
	struct hub_buf tok = HUB_BUF_INIT(512);
	int64_t aid = 0, aid2 = 0;
	time_t exp = 0, exp2 = 0;
	int rc;

	if (size > 1024)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = hub_decidelink_parse(key, s, 1700000000, &aid, rid, &exp);
	if (rc == HUB_DECIDELINK_OK && (aid <= 0 || exp < 1700000000))
		abort();

	/* Round trip: an assignment id and expiry taken from the input. */
	if (size >= 8) {
		int64_t a = (int64_t)(((uint64_t)data[0] << 24 | (uint64_t)data[1] << 16 |
		    (uint64_t)data[2] << 8 | data[3]) & 0x7fffffff) + 1;
		time_t e = 1700000001 + (time_t)(data[4] | data[5] << 8 | data[6] << 16);

		if (hub_decidelink_make(key, a, "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", e, &tok) ==
		    HUB_DECIDELINK_OK) {
			if (hub_decidelink_parse(key, hub_buf_str(&tok), 1700000000, &aid2, rid2,
			    &exp2) != HUB_DECIDELINK_OK || aid2 != a || exp2 != e ||
			    strcmp(rid2, "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9") != 0)
				abort();
		}
	}
	hub_buf_release(&tok);
	free(s);
	return 0;
}
