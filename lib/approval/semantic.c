/*
 * semantic.c - semantic search's vectors and fusion (see semantic.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/inference.h"
#include "approval/semantic.h"

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

long
hub_semantic_parse_vector(const char *s, float *out, size_t max)
{
	const char *p = s;
	char *end;
	size_t n = 0;
	double d;

	if (*p++ != '{')
		return -1;
	if (*p == '}')
		return p[1] == '\0' ? 0 : -1;
	for (;;) {
		if (n == max)
			return -1;
		errno = 0;
		d = strtod(p, &end);
		if (end == p || errno == ERANGE || !isfinite(d))
			return -1;
		out[n++] = (float)d;
		p = end;
		if (*p == '}')
			return p[1] == '\0' ? (long)n : -1;
		if (*p++ != ',')
			return -1;
	}
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
