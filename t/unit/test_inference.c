/* test_inference.c - the parsers of the inference service's answers
 * (base/inference.h), the vector helpers and fusion of semantic search
 * (approval/semantic.h) and the working-hours form (store/settings.h). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/inference.h"
#include "approval/semantic.h"
#include "base/check.h"
#include "store/settings.h"

/* ------------------------------------------------------------ embeddings */

static const struct {
	const char	*name, *body;
	int		 rc;
	size_t		 dim;
	float		 first;
} emb_cases[] = {
	{ "openai shape", "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
	    "\"embedding\":[0.5,-1,2e-3]}],\"model\":\"m\"}", HUB_INFERENCE_OK, 3, 0.5f },
	{ "integers", "{\"data\":[{\"embedding\":[1,0]}]}", HUB_INFERENCE_OK, 2, 1.0f },
	{ "no data", "{\"object\":\"list\"}", HUB_INFERENCE_MALFORMED, 0, 0 },
	{ "empty data", "{\"data\":[]}", HUB_INFERENCE_MALFORMED, 0, 0 },
	{ "empty vector", "{\"data\":[{\"embedding\":[]}]}", HUB_INFERENCE_MALFORMED, 0, 0 },
	{ "a string in it", "{\"data\":[{\"embedding\":[1,\"2\"]}]}", HUB_INFERENCE_MALFORMED, 0, 0 },
	{ "huge number", "{\"data\":[{\"embedding\":[1e300]}]}", HUB_INFERENCE_MALFORMED, 0, 0 },
	{ "not an object", "[1,2]", HUB_INFERENCE_MALFORMED, 0, 0 },
	{ "truncated", "{\"data\":[{\"embedding\":[1,2", HUB_INFERENCE_MALFORMED, 0, 0 },
	{ "error body", "{\"error\":{\"message\":\"x\"}}", HUB_INFERENCE_MALFORMED, 0, 0 },
};

Test(inference, embedding_answers)
{
	float *v;
	size_t i, dim;
	int rc;

	for (i = 0; i < HUB_NELEM(emb_cases); i++) {
		rc = hub_inference_parse_embedding(emb_cases[i].body, strlen(emb_cases[i].body),
		    &v, &dim);
		cr_expect_eq(rc, emb_cases[i].rc, "%s: rc %d", emb_cases[i].name, rc);
		cr_expect_eq(dim, emb_cases[i].dim, "%s: dim %zu", emb_cases[i].name, dim);
		if (rc == HUB_INFERENCE_OK)
			cr_expect_float_eq(v[0], emb_cases[i].first, 1e-6, "%s", emb_cases[i].name);
		else
			cr_expect_null(v, "%s", emb_cases[i].name);
		free(v);
	}
}

Test(inference, embedding_dimension_limit)
{
	char *body = malloc(HUB_INFERENCE_DIM_MAX * 2 + 64);
	size_t i, n = 0;
	float *v;
	size_t dim;

	cr_assert_not_null(body);
	n += (size_t)snprintf(body, 64, "{\"data\":[{\"embedding\":[");
	for (i = 0; i <= HUB_INFERENCE_DIM_MAX; i++)
		n += (size_t)snprintf(body + n, 4, i ? ",1" : "1");
	n += (size_t)snprintf(body + n, 8, "]}]}");
	cr_expect_eq(hub_inference_parse_embedding(body, n, &v, &dim), HUB_INFERENCE_MALFORMED);
	free(body);
}

/* ------------------------------------------------------------ chat */

Test(inference, chat_answers)
{
	static const struct { const char *body; int rc; const char *content, *model; } c[] = {
		{ "{\"model\":\"m1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
		    "\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}", HUB_INFERENCE_OK, "hi", "m1" },
		{ "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}", HUB_INFERENCE_OK, "x", NULL },
		{ "{\"choices\":[]}", HUB_INFERENCE_MALFORMED, NULL, NULL },
		{ "{\"choices\":[{\"message\":{\"content\":null}}]}", HUB_INFERENCE_MALFORMED, NULL, NULL },
		{ "{\"choices\":[{\"message\":{\"content\":\"a\\u0000b\"}}]}", HUB_INFERENCE_MALFORMED,
		    NULL, NULL },
		{ "{\"choices\":[{\"text\":\"legacy\"}]}", HUB_INFERENCE_MALFORMED, NULL, NULL },
		{ "not json", HUB_INFERENCE_MALFORMED, NULL, NULL },
	};
	char *content, *model;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(c); i++) {
		rc = hub_inference_parse_chat(c[i].body, strlen(c[i].body), &content, &model);
		cr_expect_eq(rc, c[i].rc, "case %zu: rc %d", i, rc);
		if (c[i].content != NULL)
			cr_expect_str_eq(content, c[i].content, "case %zu", i);
		else
			cr_expect_null(content, "case %zu", i);
		if (c[i].model != NULL)
			cr_expect_str_eq(model, c[i].model, "case %zu", i);
		else
			cr_expect_null(model, "case %zu", i);
		free(content);
		free(model);
	}
}

/* ------------------------------------------------------------ analysis */

static const struct {
	const char	*content;
	int		 rc;
	int		 score;
	const char	*why;     /* part of the reason on failure */
} an_cases[] = {
	{ "{\"summary\":\"Trip\",\"risk_score\":3,\"risk_reasons\":[\"a\",\"b\"]}",
	    HUB_INFERENCE_OK, 3, NULL },
	{ "{\"summary\":\"Trip\",\"risk_score\":10.0,\"risk_reasons\":[]}", HUB_INFERENCE_OK, 10,
	    NULL },
	{ "```json\n{\"summary\":\"Trip\",\"risk_score\":0,\"risk_reasons\":[]}\n```\n",
	    HUB_INFERENCE_OK, 0, NULL },
	{ "{\"summary\":\"S\",\"risk_score\":2,\"risk_reasons\":[],\"approve\":true}",
	    HUB_INFERENCE_OK, 2, NULL },
	{ "{\"summary\":\"S\",\"risk_score\":11,\"risk_reasons\":[]}", HUB_INFERENCE_INVALID, 0,
	    "0 to 10" },
	{ "{\"summary\":\"S\",\"risk_score\":-1,\"risk_reasons\":[]}", HUB_INFERENCE_INVALID, 0,
	    "0 to 10" },
	{ "{\"summary\":\"S\",\"risk_score\":7.5,\"risk_reasons\":[]}", HUB_INFERENCE_INVALID, 0,
	    "whole number" },
	{ "{\"summary\":\"S\",\"risk_score\":\"7\",\"risk_reasons\":[]}", HUB_INFERENCE_INVALID, 0,
	    "whole number" },
	{ "{\"summary\":\"\",\"risk_score\":1,\"risk_reasons\":[]}", HUB_INFERENCE_INVALID, 0,
	    "summary" },
	{ "{\"summary\":\"   \",\"risk_score\":1,\"risk_reasons\":[]}", HUB_INFERENCE_INVALID, 0,
	    "summary" },
	{ "{\"summary\":\"a\\u0007b\",\"risk_score\":1,\"risk_reasons\":[]}", HUB_INFERENCE_INVALID,
	    0, "summary" },
	{ "{\"summary\":\"S\",\"risk_score\":1}", HUB_INFERENCE_INVALID, 0, "risk_reasons" },
	{ "{\"summary\":\"S\",\"risk_score\":1,\"risk_reasons\":[1]}", HUB_INFERENCE_INVALID, 0,
	    "risk_reasons" },
	{ "{\"summary\":\"S\",\"risk_score\":1,\"risk_reasons\":[\"\"]}", HUB_INFERENCE_INVALID, 0,
	    "risk_reasons" },
	{ "{\"summary\":\"S\",\"risk_score\":1,\"risk_reasons\":[\"a\",\"a\",\"a\",\"a\",\"a\","
	    "\"a\",\"a\",\"a\",\"a\"]}", HUB_INFERENCE_INVALID, 0, "too many" },
	{ "Sure! Here is the JSON: {\"summary\":\"S\"}", HUB_INFERENCE_INVALID, 0, "JSON object" },
	{ "[]", HUB_INFERENCE_INVALID, 0, "JSON object" },
	{ "", HUB_INFERENCE_INVALID, 0, "JSON object" },
};

Test(inference, analysis_answers)
{
	struct hub_inference_analysis a;
	char why[HUB_INFERENCE_WHY_MAX];
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(an_cases); i++) {
		why[0] = '\0';
		rc = hub_inference_parse_analysis(an_cases[i].content, strlen(an_cases[i].content),
		    &a, why, sizeof(why));
		cr_expect_eq(rc, an_cases[i].rc, "case %zu: rc %d (%s)", i, rc, why);
		if (rc == HUB_INFERENCE_OK) {
			cr_expect_eq(a.risk_score, an_cases[i].score, "case %zu", i);
			cr_expect_not_null(a.summary);
			cr_expect(json_object_is_type(a.reasons, json_type_array));
		} else {
			cr_expect_null(a.root, "case %zu", i);
			cr_expect_not_null(strstr(why, an_cases[i].why), "case %zu: %s", i, why);
		}
		hub_inference_analysis_free(&a);
	}
}

Test(inference, analysis_summary_length_in_characters)
{
	char content[HUB_INFERENCE_SUMMARY_MAX * 3 + 100];
	struct hub_inference_analysis a;
	size_t n = 0;
	int i;

	/* 600 two-byte characters pass; one more does not */
	n += (size_t)snprintf(content, sizeof(content), "{\"summary\":\"");
	for (i = 0; i < HUB_INFERENCE_SUMMARY_MAX; i++)
		n += (size_t)snprintf(content + n, sizeof(content) - n, "\xc3\xa9");
	snprintf(content + n, sizeof(content) - n, "\",\"risk_score\":1,\"risk_reasons\":[]}");
	cr_expect_eq(hub_inference_parse_analysis(content, strlen(content), &a, NULL, 0),
	    HUB_INFERENCE_OK);
	hub_inference_analysis_free(&a);
	snprintf(content + n, sizeof(content) - n,
	    "\xc3\xa9\",\"risk_score\":1,\"risk_reasons\":[]}");
	cr_expect_eq(hub_inference_parse_analysis(content, strlen(content), &a, NULL, 0),
	    HUB_INFERENCE_INVALID);
}

/* ------------------------------------------------------------ semantic */

/* hex (as bytea prints array_send's bytes) to what a binary result
 * holds; the parsed count. */
static long
packed(const char *hex, float *v, size_t max)
{
	unsigned char b[256];
	size_t n = 0;
	int hi, lo;

	while (hex[0] != '\0' && hex[1] != '\0' && n < sizeof(b)) {
		cr_assert((hi = hub_hexval((unsigned char)hex[0])) >= 0);
		cr_assert((lo = hub_hexval((unsigned char)hex[1])) >= 0);
		b[n++] = (unsigned char)(hi << 4 | lo);
		hex += 2;
	}
	return hub_semantic_parse_packed(b, n, v, max);
}

/* PostgreSQL 15: SELECT array_send('{0.5,-1,2e-05}'::real[]), the bytes
 * a binary result carries for that real[]. */
Test(semantic, parse_packed)
{
	float v[4];

	cr_expect_eq(packed("0000000100000000000002bc0000000300000001"
	    "000000043f00000000000004bf8000000000000437a7c5ac", v, 4), 3);
	cr_expect_float_eq(v[0], 0.5f, 1e-9);
	cr_expect_float_eq(v[1], -1.0f, 1e-9);
	cr_expect_float_eq(v[2], 2e-5f, 1e-9);
	/* empty */
	cr_expect_eq(packed("0000000000000000000002bc", v, 4), 0);
	/* longer than max */
	cr_expect_eq(packed("0000000100000000000002bc0000000500000001"
	    "000000043f8000000000000440000000000000044040000000000004408000000000000440a00000",
	    v, 4), -1);
	/* NaN */
	cr_expect_eq(packed("0000000100000000000002bc0000000100000001000000047fc00000", v, 4), -1);
	/* float8, not float4 */
	cr_expect_eq(packed("0000000100000000000002bd0000000100000001000000043f800000", v, 4), -1);
	/* with NULLs */
	cr_expect_eq(packed("0000000100000001000002bc0000000100000001000000043f800000", v, 4), -1);
	/* two dimensions */
	cr_expect_eq(packed("0000000200000000000002bc0000000100000001000000043f800000", v, 4), -1);
	/* an item of another length, cut short, trailing bytes, no header */
	cr_expect_eq(packed("0000000100000000000002bc0000000100000001000000083f800000", v, 4), -1);
	cr_expect_eq(packed("0000000100000000000002bc0000000100000001000000043f80", v, 4), -1);
	cr_expect_eq(packed("0000000100000000000002bc0000000100000001000000043f80000000", v, 4),
	    -1);
	cr_expect_eq(packed("00000001000000", v, 4), -1);
	cr_expect_eq(hub_semantic_parse_packed("", 0, v, 4), -1);
}

Test(semantic, cosine)
{
	static const float a[] = { 1, 0, 0 }, b[] = { 2, 0, 0 }, c[] = { 0, 3, 0 },
	    z[] = { 0, 0, 0 };

	cr_expect_float_eq(hub_semantic_cosine(a, b, 3), 1.0, 1e-9);
	cr_expect_float_eq(hub_semantic_cosine(a, c, 3), 0.0, 1e-9);
	cr_expect_float_eq(hub_semantic_cosine(a, z, 3), 0.0, 1e-9);
}

Test(semantic, reciprocal_rank_fusion)
{
	const char *ft[] = { "A", "B", "C" };
	struct hub_semantic_hit vec[2], out[5];
	size_t n;

	memset(vec, 0, sizeof(vec));
	snprintf(vec[0].id, sizeof(vec[0].id), "C");
	snprintf(vec[1].id, sizeof(vec[1].id), "D");
	n = hub_semantic_fuse(ft, 3, vec, 2, out);
	cr_assert_eq(n, 4);
	/* C: 1/63 + 1/61 beats A's 1/61 */
	cr_expect_str_eq(out[0].id, "C");
	cr_expect_float_eq(out[0].score, 1.0 / 63 + 1.0 / 61, 1e-12);
	cr_expect_eq(out[0].ft_rank, 3);
	cr_expect_eq(out[0].vec_rank, 1);
	/* A (1/61) before D (1/62) before B (1/62: ties go to the full-text order) */
	cr_expect_str_eq(out[1].id, "A");
	cr_expect_str_eq(out[2].id, "B");
	cr_expect_str_eq(out[3].id, "D");
	cr_expect_eq(hub_semantic_fuse(NULL, 0, NULL, 0, out), 0);
}

/* ------------------------------------------------------------ settings */

Test(settings, working_hours_form)
{
	static const struct { const char *v; int ok; const char *zone; } c[] = {
		{ "08:00-18:00 Mon-Fri", 1, "" },
		{ "08:00-18:00 mon-fri Europe/Oslo", 1, "Europe/Oslo" },
		{ "22:00-06:00 Sun-Thu UTC", 1, "UTC" },
		{ "8:00-18:00 Mon-Fri", 0, NULL },
		{ "08:00-24:00 Mon-Fri", 0, NULL },
		{ "08:60-18:00 Mon-Fri", 0, NULL },
		{ "08:00-18:00 Mon-Fry", 0, NULL },
		{ "08:00-18:00 Mon-Fri ", 0, NULL },
		{ "08:00-18:00 Mon-Fri Europe/Oslo x", 0, NULL },
		{ "08:00-18:00", 0, NULL },
		{ "", 0, NULL },
	};
	const char *zone;
	size_t i;

	for (i = 0; i < HUB_NELEM(c); i++) {
		zone = NULL;
		cr_expect_eq(settings_hours_form(c[i].v, &zone), c[i].ok, "%s", c[i].v);
		if (c[i].ok)
			cr_expect_str_eq(zone, c[i].zone, "%s", c[i].v);
	}
}
