/*
 * inference.h - the OpenAI-compatible inference service (Heroku Managed
 * Inference's wire format): POST <base>/v1/embeddings and
 * <base>/v1/chat/completions, with a bearer key, and the parsers of their
 * answers, which are untrusted bytes: bounded, checked, fuzzed
 * (t/fuzz/fuzz_inference.c).
 *
 * The analysis answer (hub_inference_parse_analysis) is the strict JSON
 * the hub asks a model for: {"summary": text, "risk_score": 0..10,
 * "risk_reasons": [text, ...]}.  Every member is checked: the summary is
 * 1..HUB_INFERENCE_SUMMARY_MAX characters of valid UTF-8, the score a whole
 * number from 0 to 10, at most HUB_INFERENCE_REASONS_MAX reasons of
 * 1..HUB_INFERENCE_REASON_MAX characters each; other members are ignored
 * (never stored).  One surrounding ``` code fence is taken off, as models
 * often add one.
 *
 * Never logs; never keeps a key or a body.  A call's outcome is a struct
 * hub_inference_status the caller turns into a verdict: transient (retry,
 * retry_after from a 429's Retry-After) or final.
 */
#ifndef HUB_INFERENCE_H
#define HUB_INFERENCE_H

#include <stddef.h>
#include <json-c/json.h>
#include "base/httpc.h"

#define HUB_INFERENCE_DIM_MAX		8192	/* embedding dimensions */
#define HUB_INFERENCE_SUMMARY_MAX	600	/* characters */
#define HUB_INFERENCE_REASONS_MAX	8
#define HUB_INFERENCE_REASON_MAX	300	/* characters */
#define HUB_INFERENCE_BODY_MAX		(4u << 20)	/* an answer, bytes */
#define HUB_INFERENCE_REQUEST_MAX	(1u << 20)	/* what we send, bytes */
#define HUB_INFERENCE_DETAIL_MAX	160	/* a status's detail */
#define HUB_INFERENCE_WHY_MAX		160	/* what an answer failed */

enum hub_inference_err {
	HUB_INFERENCE_OK = 0,
	HUB_INFERENCE_NOMEM,
	HUB_INFERENCE_TRANSPORT,  /* no answer, or an HTTP error: see the status */
	HUB_INFERENCE_MALFORMED,  /* an answer that is not what the API sends */
	HUB_INFERENCE_INVALID,    /* a well-formed answer whose content fails the checks */
	HUB_INFERENCE_TOOBIG,     /* what we would send is over the limit */
};

struct hub_inference_status {
	int	 transient;      /* worth retrying */
	int	 retry_after;    /* seconds from Retry-After, -1 none */
	long	 http_status;    /* 0: no answer */
	char	 code[32];       /* "http_500", "timeout", "malformed", ... */
	char	 detail[HUB_INFERENCE_DETAIL_MAX];  /* what failed, never a key or a body */
};

/* A checked analysis answer; the strings point into the parsed object. */
struct hub_inference_analysis {
	json_object	*root;         /* owned: hub_inference_analysis_free */
	const char	*summary;
	int		 risk_score;
	json_object	*reasons;      /* array of strings, borrowed from root */
};

/* The embedding of text (model may be NULL: the service's default).
 * *vec (malloc'd, the caller frees) gets *dim numbers. */
int	hub_inference_embed(struct hub_httpc *, const char *base_url, const char *key,
	    const char *model, const char *text, long timeout_ms, float **vec, size_t *dim,
	    struct hub_inference_status *);
/* One chat completion at temperature 0: messages is an array of
 * {role, content} (borrowed).  *content (malloc'd) is the first choice's
 * message; *model_out (malloc'd, may be NULL) the model that answered. */
int	hub_inference_chat(struct hub_httpc *, const char *base_url, const char *key,
	    const char *model, json_object *messages, long timeout_ms, char **content,
	    char **model_out, struct hub_inference_status *);

/* The parsers (pure). */
int	hub_inference_parse_embedding(const char *body, size_t len, float **vec,
	    size_t *dim);
int	hub_inference_parse_chat(const char *body, size_t len, char **content,
	    char **model);
/* why (may be NULL) gets what failed, e.g. "risk_score must be 0 to 10". */
int	hub_inference_parse_analysis(const char *content, size_t len,
	    struct hub_inference_analysis *, char *why, size_t whylen);
void	hub_inference_analysis_free(struct hub_inference_analysis *);

const char *hub_inference_strerror(int);

#endif
