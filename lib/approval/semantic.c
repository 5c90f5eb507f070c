/*
 * semantic.c - semantic search's vectors and fusion (see semantic.h).
 */
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/inference.h"
#include "approval/semantic.h"

/* real[] in binary (array_send): the header, one dimension, an item. */
#define PACKED_FLOAT4_OID	700	/* pg_type: float4 */
#define PACKED_HEAD		12	/* dimensions, flags, element type */
#define PACKED_DIM		8	/* length, lower bound */
#define PACKED_ITEM		8	/* length 4, the float's bits */

int
hub_semantic_query_vector(const struct hub_conf *c, struct hub_httpc *http, const char *q,
    float **vec, size_t *dim, char *why, size_t whylen)
{
	struct hub_inference_status st;
	int rc;

	*vec = NULL;
	*dim = 0;
	if (c->embedding_url == NULL || http == NULL) {
		snprintf(why, whylen, "not_configured");
		return -1;
	}
	memset(&st, 0, sizeof(st));
	rc = hub_inference_embed(http, c->embedding_url, c->embedding_key, c->embedding_model_id,
	    q, HUB_SEMANTIC_TIMEOUT_MS, vec, dim, &st);
	if (rc == HUB_INFERENCE_OK)
		return 0;
	snprintf(why, whylen, "%s", st.code[0] != '\0' ? st.code : hub_inference_strerror(rc));
	return -1;
}

/* The big-endian 32-bit number at *p, *p moved past it. */
static uint32_t
be32(const unsigned char **p)
{
	const unsigned char *b = *p;

	*p += 4;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

long
hub_semantic_parse_packed(const void *data, size_t len, float *out, size_t max)
{
	const unsigned char *p = data, *end = p + len;
	uint32_t ndim, flags, type, n, bits;
	size_t i;
	float f;

	if (len < PACKED_HEAD)
		return -1;
	ndim = be32(&p);
	flags = be32(&p);
	type = be32(&p);
	if (flags != 0 || type != PACKED_FLOAT4_OID)
		return -1;
	if (ndim == 0)
		return p == end ? 0 : -1;
	if (ndim != 1 || (size_t)(end - p) < PACKED_DIM)
		return -1;
	n = be32(&p);
	(void)be32(&p);		/* lower bound */
	if (n > max || (size_t)(end - p) != (size_t)n * PACKED_ITEM)
		return -1;
	for (i = 0; i < n; i++) {
		if (be32(&p) != sizeof(bits))
			return -1;
		bits = be32(&p);
		memcpy(&f, &bits, sizeof(f));
		if (!isfinite(f))
			return -1;
		out[i] = f;
	}
	return (long)n;
}

double
hub_semantic_cosine(const float *a, const float *b, size_t n)
{
	double dot = 0, na = 0, nb = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		dot += (double)a[i] * b[i];
		na += (double)a[i] * a[i];
		nb += (double)b[i] * b[i];
	}
	if (na <= 0 || nb <= 0)
		return 0;
	return dot / (sqrt(na) * sqrt(nb));
}

static int
by_score(const void *x, const void *y)
{
	const struct hub_semantic_hit *a = x, *b = y;
	int ra, rb;

	if (a->score != b->score)
		return a->score < b->score ? 1 : -1;
	/* ties: full-text order first, then the vector order */
	ra = a->ft_rank ? a->ft_rank : 1 << 30;
	rb = b->ft_rank ? b->ft_rank : 1 << 30;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	ra = a->vec_rank ? a->vec_rank : 1 << 30;
	rb = b->vec_rank ? b->vec_rank : 1 << 30;
	return ra < rb ? -1 : ra > rb;
}

size_t
hub_semantic_top(struct hub_semantic_hit *hits, size_t n, size_t max)
{
	qsort(hits, n, sizeof(*hits), by_score);
	return n < max ? n : max;
}

size_t
hub_semantic_fuse(const char *const *ft, size_t nft, const struct hub_semantic_hit *vec,
    size_t nvec, struct hub_semantic_hit *out)
{
	size_t i, j, n = 0;

	for (i = 0; i < nft; i++) {
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].id, sizeof(out[n].id), "%s", ft[i]);
		out[n].ft_rank = (int)i + 1;
		out[n].score = 1.0 / (HUB_SEMANTIC_RRF_K + (double)(i + 1));
		n++;
	}
	for (i = 0; i < nvec; i++) {
		for (j = 0; j < n && strcmp(out[j].id, vec[i].id) != 0; j++)
			;
		if (j == n) {
			memset(&out[n], 0, sizeof(out[n]));
			snprintf(out[n].id, sizeof(out[n].id), "%s", vec[i].id);
			n++;
		}
		out[j].vec_rank = (int)i + 1;
		out[j].score += 1.0 / (HUB_SEMANTIC_RRF_K + (double)(i + 1));
	}
	qsort(out, n, sizeof(*out), by_score);
	return n;
}
