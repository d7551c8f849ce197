/* mdclient/internal/buf.h - the one growable byte buffer of mdclient
 * (CSV output, Parquet pages and metadata, seed batches and SQL text).
 *
 * data[0..len) are the bytes so far; cap is the allocation. A zeroed
 * mdc_buf is empty and owns no memory; mdc_buf_free releases it (and may be
 * called again). The put functions keep a NUL after the bytes (data[len] ==
 * 0), so a buffer of text is also a C string; code that writes into the
 * reserved room itself (data + len) and moves len keeps no such promise.
 * bytes is the same pointer as unsigned bytes, for binary content.
 */
#ifndef MDCLIENT_INTERNAL_BUF_H
#define MDCLIENT_INTERNAL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mdclient/common.h"

typedef struct mdc_buf {
	union {
		char *data;
		uint8_t *bytes;
	};
	size_t len, cap;
} mdc_buf;

/* Grow so that at least extra more bytes (and a NUL) fit. 0, -ENOMEM, or
 * -EOVERFLOW past PTRDIFF_MAX. Use mdc_buf_reserve. */
int mdc_buf_grow(mdc_buf *b, size_t extra) MDC_MUSTCHECK;
/* An empty buffer (the same as zeroing it). */
static inline void mdc_buf_init(mdc_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Free the memory; b is empty and reusable. NULL is fine. */
void mdc_buf_free(mdc_buf *b);

/* Make room for extra more bytes (and a NUL). 0, -ENOMEM or -EOVERFLOW. */
MDC_MUSTCHECK static inline int mdc_buf_reserve(mdc_buf *b, size_t extra)
{
	return b->cap - b->len > extra ? 0 : mdc_buf_grow(b, extra);
}

/* Append n bytes. 0 or -ENOMEM / -EOVERFLOW. */
MDC_MUSTCHECK static inline int mdc_buf_put(mdc_buf *b, const void *p, size_t n)
{
	int rc = mdc_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

MDC_MUSTCHECK static inline int mdc_buf_puts(mdc_buf *b, const char *s)
{
	return mdc_buf_put(b, s, strlen(s));
}

MDC_MUSTCHECK static inline int mdc_buf_putc(mdc_buf *b, char c)
{
	return mdc_buf_put(b, &c, 1);
}

/* The growable arrays of mdclient (of any element type): make room in the
 * array *arrp (a T **, passed as void *) of *cap elements of elem bytes for
 * at least n, doubling *cap (from first when 0). 0, or -ENOMEM with *arrp
 * and *cap unchanged (-EOVERFLOW past SIZE_MAX bytes). */
int mdc_array_reserve(void *arrp, size_t *cap, size_t n, size_t elem, size_t first) MDC_MUSTCHECK;

/* Forget the contents, keep the memory. */
static inline void mdc_buf_clear(mdc_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

#endif
