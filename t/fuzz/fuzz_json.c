/*
 * fuzz_json.c - libFuzzer target for hub_json_parse and the getters.
 *
 * Properties: an accepted document serializes, and the serialization is
 * itself accepted; getters never crash on whatever was parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL, *again = NULL, *sub;
	const char *str;
	int64_t n;
	size_t len;
	int rc, b;

	rc = hub_json_parse((const char *)data, size, 65536, 8, &o);
	if (rc != HUB_JSON_OK) {
		if (o != NULL)
			abort();
		return 0;
	}
	str = hub_json_str(o, &len);
	if (str == NULL || strlen(str) != len)
		abort();
	if (hub_json_parse(str, len, SIZE_MAX, 8, &again) != HUB_JSON_OK)
		abort();
	json_object_put(again);
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)val;
			(void)hub_json_get_string(o, key, 100, &str);
			(void)hub_json_get_int64(o, key, -5, 5, &n);
			(void)hub_json_get_bool(o, key, &b);
			(void)hub_json_get_object(o, key, &sub);
			(void)hub_json_get_array(o, key, &sub);
		}
	}
	(void)hub_json_get_string(o, "text", 100, &str);
	json_object_put(o);
	return 0;
}
