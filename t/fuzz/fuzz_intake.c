/*
 * fuzz_intake.c - libFuzzer target for hub_intake_validate and
 * hub_metadisplay_fields on whatever hub_json_parse accepts.
 *
 * Properties: OK gives an object whose steps (1..20) each have 1..500
 * approvers with a kind and a value, an error-free empty field, and
 * display rows for its metadata; INVALID names a field and a message and
 * gives no object.  The first input byte picks whether an Idempotency-Key
 * is passed, so that path is reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "approval/intake.h"
#include "approval/metadisplay.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_ok(json_object *out)
{
	json_object *steps, *step, *apps, *app, *v, *meta, *rows, *preset;
	size_t i, j, n, m, total = 0;

	if (out == NULL || !json_object_is_type(out, json_type_object))
		abort();
	if (!json_object_object_get_ex(out, "steps", &steps) ||
	    !json_object_is_type(steps, json_type_array))
		abort();
	n = json_object_array_length(steps);
	if (n < 1 || n > 20)
		abort();
	for (i = 0; i < n; i++) {
		step = json_object_array_get_idx(steps, i);
		if (!json_object_object_get_ex(step, "approvers", &apps) ||
		    !json_object_is_type(apps, json_type_array))
			abort();
		m = json_object_array_length(apps);
		if (m < 1)
			abort();
		total += m;
		for (j = 0; j < m; j++) {
			app = json_object_array_get_idx(apps, j);
			if (!json_object_object_get_ex(app, "kind", &v) ||
			    !json_object_is_type(v, json_type_string) ||
			    !json_object_object_get_ex(app, "value", &v) ||
			    !json_object_is_type(v, json_type_string) ||
			    json_object_get_string_len(v) == 0)
				abort();
		}
	}
	if (total > 500)
		abort();
	if (!json_object_object_get_ex(out, "requester_name", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(out, "title", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(out, "metadata", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		abort();
	json_object_object_get_ex(out, "preset", &preset);
	if (hub_metadisplay_fields(preset ? json_object_get_string(preset) : NULL,
	    meta, &rows) != HUB_INTAKE_OK || rows == NULL)
		abort();
	json_object_put(rows);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_intake_error err;
	json_object *in = NULL, *out = NULL, *rows = NULL;
	const char *key = NULL;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		key = (data[0] & 2) ? "key-1" : "";
	if (hub_json_parse((const char *)data + 1, size - 1, 65536, 32, &in) != HUB_JSON_OK)
		return 0;
	rc = hub_intake_validate(in, key, &out, &err);
	if (rc == HUB_INTAKE_OK) {
		check_ok(out);
	} else {
		if (rc != HUB_INTAKE_INVALID && rc != HUB_INTAKE_NOMEM)
			abort();
		if (out != NULL)
			abort();
		if (rc == HUB_INTAKE_INVALID &&
		    (err.field[0] == '\0' || err.message[0] == '\0'))
			abort();
		if (memchr(err.field, '\0', sizeof(err.field)) == NULL ||
		    memchr(err.message, '\0', sizeof(err.message)) == NULL)
			abort();
	}
	/* Renderers also see metadata that never went through validation. */
	if (in != NULL && json_object_is_type(in, json_type_object)) {
		json_object *meta = NULL;

		if (json_object_object_get_ex(in, "metadata", &meta) &&
		    hub_metadisplay_fields("concur_expense", meta, &rows) == HUB_INTAKE_OK)
			json_object_put(rows);
	}
	(void)hub_intake_duration(in);
	json_object_put(out);
	json_object_put(in);
	return 0;
}
