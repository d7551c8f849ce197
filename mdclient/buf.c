/* mdclient/buf.c - the growable byte buffer (contract in internal/buf.h). */
#include "mdclient/internal/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int mdc_array_reserve(void *arrp, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n <= *cap)
		return 0;
	size_t nc = *cap ? *cap : (first ? first : 1);
	while (nc < n)
		nc = nc > SIZE_MAX / 2 ? n : nc * 2;
	if (elem && nc > SIZE_MAX / elem)
		return -EOVERFLOW;
	void *old;
	memcpy(&old, arrp, sizeof old);     /* *arrp is a T *: any object pointer */
	void *p = realloc(old, nc * elem);
	if (!p)
		return -ENOMEM;
	memcpy(arrp, &p, sizeof p);
	*cap = nc;
	return 0;
}
