/*
 * search.h - the one search of the hub: the REST API's list (reqquery),
 * the dashboard, the Home tab's search box and `/approvals <words>` all
 * match and rank with these fragments, each inside its own scoping (what
 * the caller may see), so the same words find the same requests
 * everywhere.
 *
 * The document (migration 0013): requests.search, a weighted tsvector of
 * the title (A), requester, approvers, source and external id (B),
 * justification (C) and metadata values, strings and numbers (D), each
 * in the `english` configuration (stemmed: "flights" finds "flight") and
 * the `simple` one (as written: names, ids, stop words); and
 * requests.search_text, a short lower-case line of the identifying
 * fields for pg_trgm (typos and partial names: "Lofoton" finds
 * "Lofoten").
 *
 * The words: websearch_to_tsquery's syntax ("quoted phrase", -word,
 * OR), queried in both configurations (HUB_SEARCH_WORDS).
 *
 * Close spellings (hub_search_correct, search.c): the words with each
 * word no request is made of replaced by the closest word requests are
 * made of ("Lofoton" -> "lofoten", "Solbreg" -> "solberg", "halvor" ->
 * "halvorsen").  The hub keeps those words in search_words (migration
 * 0026: the words of the title, requester, email, external id, approvers
 * and justification, letters only, 3 to 40 of them) with a trigram
 * index, so a correction costs a few probes of that table whatever the
 * number of requests.  Only plain words are corrected: a query using
 * -word, quotes or OR means exactly what it says.  Similarity: pg_trgm's
 * word similarity at pg_trgm.word_similarity_threshold 0.5 (store/db.c
 * sets it for every connection).
 *
 * Where: the REST API and the dashboard (reqquery) search the words
 * first and correct them only when no request matches, then search the
 * corrected words; the Home tab and /approvals, which search one
 * person's requests, take both at once (HUB_SEARCH_MATCH over the words
 * and their correction).
 *
 * Ranking: ts_rank_cd, length-normalised (HUB_SEARCH_RANK), as a real so
 * a keyset cursor finds the same row again; callers break ties by
 * recency (created_at DESC, id DESC).  The REST API and the dashboard
 * rank only the newest HUB_SEARCH_NEWEST matches of a list (reqquery): a
 * common word would otherwise rank every request it is in before the
 * first page (0.5 s and more at a million requests).
 *
 * Usage: HUB_SEARCH_WORDS("r", "$4") in a WHERE clause, where r is the
 * alias of requests and $4 a text parameter holding the words (not
 * empty).  Index: requests_search (GIN over search).
 */
#ifndef HUB_SEARCH_H
#define HUB_SEARCH_H

#include <stddef.h>

#define HUB_SEARCH_MAX	200	/* longest words accepted, bytes */
/* Matches a list ranks, the newest (SQL text: a LIMIT). */
#define HUB_SEARCH_NEWEST	"1000"
/* Longest corrected words: at most 50 words of 3 or more letters in
 * HUB_SEARCH_MAX bytes, each corrected to at most 40, and their spaces. */
#define HUB_SEARCH_FIXED_MAX	(50 * 41 + 1)

#define HUB_SEARCH_TSQ(q) \
	"(websearch_to_tsquery('english', " q ") || websearch_to_tsquery('simple', " q "))"
#define HUB_SEARCH_WORDS(r, q) "(" r ".search @@ " HUB_SEARCH_TSQ(q) ")"
/* Plain words: no -word, no quotes, no OR. */
#define HUB_SEARCH_PLAIN(q) \
	"(" q " !~* '(^|[[:space:]])-|\"|[[:space:]]or[[:space:]]')"
/* The words q or their correction qc (the same words when none). */
#define HUB_SEARCH_MATCH(r, q, qc) \
	"(" HUB_SEARCH_WORDS(r, q) " OR " HUB_SEARCH_WORDS(r, qc) ")"
#define HUB_SEARCH_RANK(r, q) \
	"ts_rank_cd(" r ".search, " HUB_SEARCH_TSQ(q) ", 1)::real"

struct hub_db;

/* Close spellings of words (at most HUB_SEARCH_MAX bytes): into out (at
 * least HUB_SEARCH_FIXED_MAX bytes) the words, lower case, with each
 * unknown one replaced by the closest known word, or "" when no word was
 * replaced (or nothing may be: -word, quotes, OR).  HUB_DB_OK or the
 * HUB_DB_* error. */
int	hub_search_correct(struct hub_db *, const char *words, char *out, size_t outsz);

#endif
