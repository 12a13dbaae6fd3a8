/* buf.c - bounded growable buffer; see buf.h for the contract. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	b->cap = cap;
}

/* Make room for len more bytes plus the NUL; doubles to keep appends O(1). */
static enum buf_err
buf_reserve(struct buf *b, size_t len)
{
	size_t	 need, nsize;
	char	*p;

	if (len > b->cap || b->len > b->cap - len)
		return BUF_ETOOBIG;
	need = b->len + len + 1;
	if (need <= b->size)
		return BUF_OK;
	nsize = b->size ? b->size : 256;
	while (nsize < need)
		nsize *= 2;
	if (nsize > b->cap + 1)
		nsize = b->cap + 1;
	/*
	 * Not realloc: it may leave the old block's bytes (a bearer token,
	 * participants' names) in freed memory. Buffers are reused across
	 * requests, so this copy happens only while they first grow.
	 */
	if ((p = malloc(nsize)) == NULL)
		return BUF_ENOMEM;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len + 1);
		secure_zero(b->data, b->size);
		free(b->data);
	}
	b->data = p;
	b->size = nsize;
	return BUF_OK;
}

enum buf_err
buf_add(struct buf *b, const void *data, size_t len)
{
	enum buf_err rc;

	if ((rc = buf_reserve(b, len)) != BUF_OK)
		return rc;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return BUF_OK;
}

enum buf_err
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum buf_err
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list		 ap;
	char		 small[256];
	int		 n;
	enum buf_err	 rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return BUF_ENOMEM;
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	if ((rc = buf_reserve(b, (size_t)n)) != BUF_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return BUF_OK;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		secure_zero(b->data, b->size);
	buf_free(b);
}

const char *
buf_strerror(enum buf_err e)
{
	static const char *const msgs[BUF__MAX] = {
		"ok",			/* BUF_OK */
		"out of memory",	/* BUF_ENOMEM */
		"size limit reached",	/* BUF_ETOOBIG */
	};

	return (e >= 0 && e < BUF__MAX) ? msgs[e] : "unknown error";
}
