/*
 * buf.h - bounded, growable byte buffers.
 *
 * Every buffer has a maximum size fixed at init; an append that would pass
 * it fails with HUB_BUF_TOOBIG and leaves the buffer as it was.  The data is
 * always NUL-terminated (the NUL is not counted in len).  The buffer owns
 * its memory: hub_buf_release() frees it, hub_buf_detach() hands it to the
 * caller, who then frees it with free().  Never blocks, never logs.
 */
#ifndef HUB_BUF_H
#define HUB_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "base/common.h"

enum hub_buf_err {
	HUB_BUF_OK = 0,
	HUB_BUF_NOMEM,   /* malloc failed */
	HUB_BUF_TOOBIG,  /* would exceed the maximum set at init */
};

struct hub_buf {
	char   *data;  /* NULL until the first append */
	size_t  len;
	size_t  cap;
	size_t  max;   /* bytes of content allowed, NUL excluded */
};

#define HUB_BUF_INIT(max) { NULL, 0, 0, (max) }

void		 hub_buf_init(struct hub_buf *, size_t max);
int		 hub_buf_add(struct hub_buf *, const void *, size_t);
int		 hub_buf_adds(struct hub_buf *, const char *);
int		 hub_buf_addc(struct hub_buf *, char);
int		 hub_buf_printf(struct hub_buf *, const char *, ...) HUB_PRINTF(2, 3);
int		 hub_buf_vprintf(struct hub_buf *, const char *, va_list) HUB_PRINTF(2, 0);
/* Always a valid C string, "" when empty. */
const char	*hub_buf_str(const struct hub_buf *);
/* Forget the content, keep the allocation. */
void		 hub_buf_reset(struct hub_buf *);
/* Free the content; the buffer may be reused with the same maximum. */
void		 hub_buf_release(struct hub_buf *);
/* Give the content to the caller (free() it); NULL-safe: returns "" copy. */
char		*hub_buf_detach(struct hub_buf *, size_t *len);

#endif
