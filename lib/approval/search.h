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
 * OR), queried in both configurations (HUB_SEARCH_WORDS).  Close
 * spellings (HUB_SEARCH_TYPO): pg_trgm word similarity of the words to
 * search_text, for plain words only (a query using -word, quotes or OR
 * means exactly what it says), at pg_trgm.word_similarity_threshold 0.5
 * (store/db.c sets it for every connection).
 *
 * Where: the REST API and the dashboard (reqquery) search the words
 * first and fall back to close spellings only when no request matches
 * them, since over a whole hub a trigram match is both slow and noisy,
 * and then only among the newest HUB_SEARCH_TYPO_SCAN requests; the
 * Home tab and /approvals, which search one person's requests, take both
 * at once (HUB_SEARCH_MATCH).
 *
 * Ranking: ts_rank_cd, length-normalised (HUB_SEARCH_RANK), or the
 * trigram similarity for close spellings (HUB_SEARCH_TYPO_RANK), as a real
 * so a keyset cursor finds the same row again; callers break ties by
 * recency (created_at DESC, id DESC).  The REST API and the dashboard
 * rank only the newest HUB_SEARCH_NEWEST matches of a list (reqquery): a
 * common word would otherwise rank every request it is in before the
 * first page (0.5 s and more at a million requests).
 *
 * Usage: HUB_SEARCH_WORDS("r", "$4") in a WHERE clause, where r is the
 * alias of requests and $4 a text parameter holding the words (not
 * empty).  Indexes: requests_search (GIN over search) and
 * requests_search_trgm (GIN trigram over search_text).
 */
#ifndef HUB_SEARCH_H
#define HUB_SEARCH_H

#define HUB_SEARCH_MAX	200	/* longest words accepted, bytes */
/* Matches a list ranks, the newest (SQL text: a LIMIT). */
#define HUB_SEARCH_NEWEST	"1000"
/* Requests a list's close-spelling fallback looks through, the newest the
 * filters leave (an approver's: their newest) (SQL text: a LIMIT). */
#define HUB_SEARCH_TYPO_SCAN	"10000"

#define HUB_SEARCH_TSQ(q) \
	"(websearch_to_tsquery('english', " q ") || websearch_to_tsquery('simple', " q "))"
#define HUB_SEARCH_WORDS(r, q) "(" r ".search @@ " HUB_SEARCH_TSQ(q) ")"
/* Plain words: no -word, no quotes, no OR. */
#define HUB_SEARCH_PLAIN(q) \
	"(" q " !~* '(^|[[:space:]])-|\"|[[:space:]]or[[:space:]]')"
#define HUB_SEARCH_TYPO(r, q) \
	"(" HUB_SEARCH_PLAIN(q) " AND lower(" q ") <% " r ".search_text)"
#define HUB_SEARCH_MATCH(r, q) \
	"(" HUB_SEARCH_WORDS(r, q) " OR " HUB_SEARCH_TYPO(r, q) ")"
#define HUB_SEARCH_RANK(r, q) \
	"ts_rank_cd(" r ".search, " HUB_SEARCH_TSQ(q) ", 1)::real"
#define HUB_SEARCH_TYPO_RANK(r, q) \
	"word_similarity(lower(" q "), " r ".search_text)::real"

#endif
