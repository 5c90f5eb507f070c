/*
 * fuzz_json.c - libFuzzer target for hub_json_parse and the getters.
 *
 * Properties: an accepted document serializes, and the serialization is
 * itself accepted; getters never crash on whatever was parsed.
 * hub_json_parse_input (request bodies): it accepts exactly what
 * hub_json_parse_object accepts, less numbers beyond 64 bits and keys with
 * \u0000, which it names by a non-empty path; what it accepts serializes
 * to a body it accepts again.
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

	char where[HUB_JSON_WHERE_MAX];

	rc = hub_json_parse_input((const char *)data, size, 65536, 8, &o, where, sizeof(where));
	if (rc == HUB_JSON_BIGNUM || rc == HUB_JSON_NULKEY) {
		if (o != NULL || where[0] == '\0' ||
		    hub_json_parse_object((const char *)data, size, 65536, 8, &again) != HUB_JSON_OK)
			abort();
		json_object_put(again);
		again = NULL;
	} else if (rc == HUB_JSON_OK) {
		str = hub_json_str(o, &len);
		if (hub_json_parse_input(str, len, SIZE_MAX, 8, &again, where, sizeof(where)) !=
		    HUB_JSON_OK)
			abort();
		json_object_put(again);
		again = NULL;
	}
	json_object_put(o);
	o = NULL;
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
