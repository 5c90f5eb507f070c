/*
 * fuzz_inference.c - libFuzzer target for the parsers of the inference
 * service's answers (base/inference.h): the embeddings response, the chat
 * completion, and the strict analysis JSON inside it.
 *
 * The first byte picks the parser; the rest is the answer.
 * Properties:
 * - no parser crashes, leaks or reads past the input;
 * - an accepted embedding has 1..HUB_INFERENCE_DIM_MAX finite numbers;
 * - an accepted analysis has a score of 0..10, a non-empty summary and an
 *   array of at most HUB_INFERENCE_REASONS_MAX strings;
 * - a chat answer's content, when it parses as an analysis, passes the
 *   same checks (the path the worker takes).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/inference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
analysis(const char *s, size_t n)
{
	struct hub_inference_analysis a;
	char why[HUB_INFERENCE_WHY_MAX];

	if (hub_inference_parse_analysis(s, n, &a, why, sizeof(why)) != HUB_INFERENCE_OK)
		return;
	if (a.risk_score < 0 || a.risk_score > 10 || a.summary == NULL || *a.summary == '\0' ||
	    !json_object_is_type(a.reasons, json_type_array) ||
	    json_object_array_length(a.reasons) > HUB_INFERENCE_REASONS_MAX)
		abort();
	hub_inference_analysis_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	char *content = NULL, *model = NULL;
	float *v = NULL;
	size_t n, dim = 0, i;

	if (size < 1)
		return 0;
	n = size - 1;
	switch (data[0] % 3) {
	case 0:
		if (hub_inference_parse_embedding(s, n, &v, &dim) == HUB_INFERENCE_OK) {
			if (dim < 1 || dim > HUB_INFERENCE_DIM_MAX)
				abort();
			for (i = 0; i < dim; i++)
				if (!isfinite(v[i]))
					abort();
		}
		free(v);
		break;
	case 1:
		if (hub_inference_parse_chat(s, n, &content, &model) == HUB_INFERENCE_OK) {
			if (content == NULL)
				abort();
			analysis(content, strlen(content));
		}
		free(content);
		free(model);
		break;
	default:
		analysis(s, n);
		break;
	}
	return 0;
}
