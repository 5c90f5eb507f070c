/*
 * semantic.h - semantic search: a query's embedding (at search time, with
 * a short timeout), the vector ranking of candidates in C, and reciprocal
 * rank fusion with the full-text ranking (reqquery's hybrid list).
 *
 * Vectors are real[] (request_embeddings, 0019); pgvector is not packaged
 * for this Debian release, so the candidates are bounded: the newest
 * HUB_SEMANTIC_CANDIDATES visible requests with an embedding (an index
 * range, request_embeddings_recent / _source_recent), ranked by cosine
 * similarity here.  README "Searching" says how a pgvector HNSW index
 * would replace this at tens of millions of requests.
 *
 * Pure but for hub_semantic_query_vector (HTTP).  Never logs.
 */
#ifndef HUB_SEMANTIC_H
#define HUB_SEMANTIC_H

#include <stddef.h>
#include "base/conf.h"
#include "base/httpc.h"

#define HUB_SEMANTIC_CANDIDATES	2000	/* newest visible requests ranked by vector */
#define HUB_SEMANTIC_DEPTH	50	/* hits each ranking brings to the fusion */
#define HUB_SEMANTIC_RRF_K	60	/* reciprocal rank fusion's k */
#define HUB_SEMANTIC_MIN_SIM	0.2f	/* cosine below this is no match */
#define HUB_SEMANTIC_TIMEOUT_MS	1500	/* embedding a query, in all */

struct hub_semantic_hit {
	char	id[40];     /* request uuid */
	double	score;      /* cosine, or the fused score */
	int	ft_rank;    /* 1-based rank in the full-text list, 0: absent */
	int	vec_rank;   /* 1-based rank in the vector list, 0: absent */
};

/* The query's embedding: 0, or -1 with why ("timeout", "http_500", ...). */
int	hub_semantic_query_vector(const struct hub_conf *, struct hub_httpc *, const char *q,
	    float **vec, size_t *dim, char *why, size_t whylen);
/* Parse a real[] in PostgreSQL's binary format (array_send: dimensions,
 * no-nulls flag, element type float4, length and lower bound, then each
 * float's length and bits, all big-endian; len bytes at data) into out
 * (up to max numbers); the count, or -1 when malformed, not a float4
 * array of one dimension without NULLs, too long, or holding NaN or
 * infinity.  Binary because printing 2 000 candidates' floats as decimal
 * text and parsing them back was most of a hybrid search's time. */
long	hub_semantic_parse_packed(const void *data, size_t len, float *out, size_t max);
/* Cosine similarity of a and b (n numbers); 0 when either is all zero. */
double	hub_semantic_cosine(const float *a, const float *b, size_t n);
/* Sort hits by score, best first; how many of them to keep (at most max). */
size_t	hub_semantic_top(struct hub_semantic_hit *, size_t n, size_t max);
/*
 * Fuse the full-text ranking (ft: ids best first) and the vector ranking
 * (vec: hits best first) by reciprocal rank fusion: score = sum over the
 * rankings of 1 / (k + rank).  out (room for nft + nvec) gets the union,
 * best first (ties: the full-text order, then the vector order); returns
 * how many.
 */
size_t	hub_semantic_fuse(const char *const *ft, size_t nft, const struct hub_semantic_hit *vec,
	    size_t nvec, struct hub_semantic_hit *out);

#endif
