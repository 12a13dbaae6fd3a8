/*
 * buf.h - a bounded, growable byte buffer.
 *
 * Every buffer has a hard cap given at init; an append that would pass it
 * fails with BUF_ETOOBIG and leaves the buffer unchanged, so a hostile
 * upstream or caller can never make us allocate without limit.
 * The data is always NUL-terminated (the NUL is not counted in len).
 * Caller owns the buffer and releases it with buf_free().
 */
#ifndef ZA_BUF_H
#define ZA_BUF_H

#include <stddef.h>

enum buf_err {
	BUF_OK = 0,
	BUF_ENOMEM,	/* malloc failed */
	BUF_ETOOBIG,	/* the cap would be passed */
	BUF__MAX
};

struct buf {
	char	*data;	/* NUL-terminated; NULL until the first append */
	size_t	 len;	/* bytes used, without the NUL */
	size_t	 size;	/* bytes allocated */
	size_t	 cap;	/* most bytes len may ever reach */
};

void		 buf_init(struct buf *b, size_t cap);
enum buf_err	 buf_add(struct buf *b, const void *data, size_t len);
enum buf_err	 buf_addstr(struct buf *b, const char *s);
enum buf_err	 buf_printf(struct buf *b, const char *fmt, ...)
			__attribute__((format(printf, 2, 3)));
void		 buf_reset(struct buf *b);	/* len = 0, memory kept */
void		 buf_free(struct buf *b);	/* no-op on a zeroed buffer */
void		 buf_wipe(struct buf *b);	/* zero the bytes, then free */
const char	*buf_strerror(enum buf_err e);

#endif
