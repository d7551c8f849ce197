/* mdclient/buf.c - the growable byte buffer (contract in internal/buf.h). */
#include "mdclient/internal/buf.h"

#include <errno.h>
#include <stdlib.h>

int mdc_buf_grow(mdc_buf *b, size_t extra)
{
	/* No object may be larger than PTRDIFF_MAX (pointer differences); +1: the NUL. */
	if (extra >= (size_t)PTRDIFF_MAX - b->len)
		return -EOVERFLOW;
	size_t want = b->len + extra + 1;
	if (b->cap >= want)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > (size_t)PTRDIFF_MAX / 2 ? want : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

void mdc_buf_free(mdc_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
