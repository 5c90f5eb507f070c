/*
 * utf8.h - the one UTF-8 decoder: validate, count characters, cut at a
 * character boundary.
 *
 * "Valid" is RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF),
 * nothing past U+10FFFF, no sequence cut short.  Every function takes an
 * explicit length (a NUL byte is an ordinary character), never allocates,
 * never logs, never blocks.
 */
#ifndef HUB_UTF8_H
#define HUB_UTF8_H

#include <stddef.h>

/* Longest UTF-8 sequence, in bytes. */
#define HUB_UTF8_MAX_SEQ 4

/*
 * Bytes of the valid sequence starting at s (n > 0 bytes left), 0 when the
 * byte at s does not start one.  *cp (may be NULL) gets the code point.
 */
size_t	 hub_utf8_seq(const char *s, size_t n, unsigned *cp);
/* 1 when s[0..n) is valid UTF-8, else 0. */
int	 hub_utf8_valid(const char *s, size_t n);
/* Characters in s[0..n), or -1 when it is not valid UTF-8. */
long	 hub_utf8_count(const char *s, size_t n);
/* Characters in s[0..n), each byte of an invalid sequence counted as one
 * (what a lenient reader such as Slack shows as one replacement each). */
size_t	 hub_utf8_count_lax(const char *s, size_t n);
/*
 * The longest prefix of s[0..n) of at most max bytes that does not end
 * inside a multi-byte sequence: a character cut by max, or one already cut
 * short at the end of s (say by snprintf), is left out whole.
 */
size_t	 hub_utf8_cut(const char *s, size_t n, size_t max);

#endif
