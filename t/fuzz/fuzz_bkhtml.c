/*
 * fuzz_bkhtml.c - libFuzzer target for the Block Kit preview (slack/bkhtml).
 *
 * Properties: the output is only the tags bkhtml.h lists, balanced, with
 * only its attributes, each value quoted and free of raw quotes and angle
 * brackets; a link's href is http(s) or mailto; no '>' outside a tag; and a
 * failed render leaves the buffer exactly as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack/bkhtml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STACK_MAX 64

static const char *const tags[] = {
	"div", "span", "b", "i", "s", "code", "pre", "a", "button", "br", "hr", NULL,
};
static const char *const attrs[] = {
	"class", "href", "rel", "type", "disabled", "aria-label", NULL,
};

static int
one_of(const char *s, size_t n, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && memcmp(s, list[i], n) == 0)
			return 1;
	return 0;
}

static size_t
name_len(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || s[k] == '-'))
		k++;
	return k;
}

/* The attributes of a tag from p to its '>'; the index after it. */
static size_t
check_attrs(const char *s, size_t i, size_t n)
{
	size_t k, v;

	for (;;) {
		if (i >= n)
			abort();
		if (s[i] == '>')
			return i + 1;
		if (s[i] != ' ')
			abort();
		i++;
		k = name_len(s + i, n - i);
		if (k == 0 || !one_of(s + i, k, attrs))
			abort();
		v = i + k;
		if (v < n && s[v] == '=') {
			if (v + 1 >= n || s[v + 1] != '"')
				abort();
			if (k == 4 && memcmp(s + i, "href", 4) == 0 &&
			    strncmp(s + v + 2, "http://", 7) != 0 &&
			    strncmp(s + v + 2, "https://", 8) != 0 &&
			    strncmp(s + v + 2, "mailto:", 7) != 0)
				abort();
			for (v += 2; v < n && s[v] != '"'; v++)
				if (s[v] == '<' || s[v] == '>' || s[v] == '\'')
					abort();
			if (v >= n)
				abort();
			v++;
		}
		i = v;
	}
}

static void
check(const char *s, size_t n)
{
	const char *stack[STACK_MAX];
	size_t depth = 0, lens[STACK_MAX], i = 0, k;
	int closing;

	while (i < n) {
		if (s[i] == '>' || s[i] == '"' || s[i] == '\'')
			abort();
		if (s[i] != '<') {
			i++;
			continue;
		}
		closing = i + 1 < n && s[i + 1] == '/';
		i += closing ? 2 : 1;
		k = name_len(s + i, n - i);
		if (k == 0 || !one_of(s + i, k, tags))
			abort();
		if (closing) {
			if (depth == 0 || lens[depth - 1] != k ||
			    memcmp(stack[depth - 1], s + i, k) != 0 || i + k >= n || s[i + k] != '>')
				abort();
			depth--;
			i += k + 1;
			continue;
		}
		if (!(k == 2 && (memcmp(s + i, "br", 2) == 0 || memcmp(s + i, "hr", 2) == 0))) {
			if (depth == STACK_MAX)
				abort();
			stack[depth] = s + i;
			lens[depth++] = k;
		}
		i = check_attrs(s, i + k, n);
	}
	if (depth != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_buf out = HUB_BUF_INIT(1u << 22);
	struct hub_buf small = HUB_BUF_INIT(64);
	int rc;

	if (hub_buf_adds(&small, "kept") != HUB_BUF_OK)
		abort();
	rc = hub_bkhtml_render((const char *)data, size, &out);
	if (rc == HUB_BKHTML_OK)
		check(out.data, out.len);
	else if (out.len != 0)
		abort();
	/* Too small a buffer: refused, and left as it was. */
	rc = hub_bkhtml_render((const char *)data, size, &small);
	if (rc != HUB_BKHTML_OK && strcmp(hub_buf_str(&small), "kept") != 0)
		abort();
	if (rc == HUB_BKHTML_OK)
		check(small.data + 4, small.len - 4);
	hub_buf_release(&out);
	hub_buf_release(&small);
	return 0;
}
