/*
 * search.c - close spellings: the words of a search with each word no
 * request is made of replaced by the closest word requests are made of
 * (search.h, migration 0026).
 */
#include <string.h>

#include <libpq-fe.h>

#include "approval/search.h"
#include "store/db.h"

enum search_stmt {
	SEARCH_CORRECT,
	SEARCH__MAX
};

static const struct hub_stmt search_stmts[SEARCH__MAX] = {
	/* $1 the words.  One row: the words, lower case, with every word
	 * search_words lacks replaced by its closest entry (word
	 * similarity, then similarity, so "halvor" becomes "halvorsen"
	 * and "lofoton" "lofoten"), and how many were.  Only plain words
	 * of letters, 3 to 40 of them, are corrected; a query using
	 * -word, quotes or OR means exactly what it says.  Each lookup is
	 * one probe of the primary key and, for an unknown word, one of
	 * the trigram index (search_words_trgm): the vocabulary, not the
	 * requests. */
	[SEARCH_CORRECT] = {
	    "SELECT string_agg(coalesce(k.word, q.w), ' ' ORDER BY q.n), count(k.word)"
	    " FROM regexp_split_to_table(lower($1::text), '[[:space:]]+') WITH ORDINALITY q(w, n)"
	    " LEFT JOIN LATERAL (SELECT v.word FROM search_words v"
	    "  WHERE " HUB_SEARCH_PLAIN("$1::text") " AND length(q.w) BETWEEN 3 AND 40"
	    "  AND q.w !~ '[[:punct:][:digit:]]'"
	    "  AND NOT EXISTS (SELECT 1 FROM search_words x WHERE x.word = q.w)"
	    "  AND q.w <% v.word"
	    "  ORDER BY word_similarity(q.w, v.word) DESC, similarity(q.w, v.word) DESC, v.word"
	    "  LIMIT 1) k ON true"
	    " WHERE q.w <> ''", 1 },
};

static const struct hub_stmt_table search_table = { "hubsearch", search_stmts,
	SEARCH__MAX };

int
hub_search_correct(struct hub_db *db, const char *words, char *out, size_t outsz)
{
	const char *params[1] = { words };
	PGresult *res = NULL;
	int64_t n = 0;
	int rc;

	if (outsz == 0)
		return HUB_DB_QUERY;
	out[0] = '\0';
	if ((rc = hub_db_exec(db, &search_table, SEARCH_CORRECT, params, &res)) != HUB_DB_OK)
		return rc;
	if (PQntuples(res) != 1 || hub_db_get_int64(res, 0, 1, &n) != HUB_DB_OK)
		rc = HUB_DB_QUERY;
	else if (n > 0 && strlen(PQgetvalue(res, 0, 0)) < outsz)
		memcpy(out, PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)) + 1);
	PQclear(res);
	return rc;
}
