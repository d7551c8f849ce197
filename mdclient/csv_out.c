/* mdclient/csv_out.c - the CSV output rules (documented in csv_out.h).
 *
 * Hot path: mdc_csv_put_row() is called once per streamed row, so it avoids
 * per-field allocation and per-byte function calls: one bounds check for the
 * buffer per field, a 256-entry table for the "needs quotes" scan and memcpy
 * for the bytes. Only fields that need quoting take the slower path
 * (memchr over '"' to double them).
 */
#include "mdclient/internal/csv_out.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BOOLOID_ 16 /* pg_type.h's BOOLOID; not exported by libpq-fe.h */

/* Bytes that force quoting anywhere in a field. Leading/trailing space and
 * tab are checked separately. */
static const unsigned char special_[256] = {
	['\n'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 1,
};

mdc_csv_kind mdc_csv_kind_for_oid(Oid type_oid)
{
	return type_oid == BOOLOID_ ? MDC_CSV_BOOL : MDC_CSV_TEXT;
}

static inline bool is_blank_(unsigned char ch)
{
	return ch == ' ' || ch == '\t';
}

bool mdc_csv_needs_quotes(const char *val, size_t len)
{
	const unsigned char *p = (const unsigned char *)val;
	if (len == 0)
		return true; /* the empty string is "" (NULL is the empty field) */
	if (is_blank_(p[0]) || is_blank_(p[len - 1]))
		return true;
	size_t i = 0;
	/* Eight bytes at a time: every special byte is below 0x2d, so a word
	 * without any byte below 0x2d (digits, letters, '-', '.', ':', UTF-8)
	 * is clean after three operations; other words go through the table. */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, sizeof w);
		if (((w - 0x2d2d2d2d2d2d2d2dull) & ~w & 0x8080808080808080ull) == 0)
			continue;
		if (special_[p[i]] | special_[p[i + 1]] | special_[p[i + 2]] | special_[p[i + 3]] |
		    special_[p[i + 4]] | special_[p[i + 5]] | special_[p[i + 6]] | special_[p[i + 7]])
			return true;
	}
	for (; i < len; i++) {
		if (special_[p[i]])
			return true;
	}
	return false;
}

#define SHORT_FIELD_ 32

/* Append val (len bytes, not NULL) as a field. The caller has not reserved
 * anything; this reserves what it writes. */
static inline int put_value_(mdc_buf *b, const char *val, size_t len)
{
	int rc;
	if (len <= SHORT_FIELD_) {
		/* Short fields (most of them): copy and test in one pass; the
		 * bytes are simply overwritten if the field needs quotes. */
		if (b->cap - b->len < SHORT_FIELD_ && (rc = mdc_buf_grow(b, SHORT_FIELD_)) != 0)
			return rc;
		const unsigned char *p = (const unsigned char *)val;
		unsigned char *out = (unsigned char *)b->data + b->len;
		unsigned acc = 0;
		for (size_t i = 0; i < len; i++) {
			out[i] = p[i];
			acc |= special_[p[i]];
		}
		if (!acc && len && !is_blank_(p[0]) && !is_blank_(p[len - 1])) {
			b->len += len;
			return 0;
		}
	} else if (!mdc_csv_needs_quotes(val, len)) {
		if ((rc = mdc_buf_reserve(b, len)) != 0)
			return rc;
		memcpy(b->data + b->len, val, len);
		b->len += len;
		return 0;
	}
	/* Slow path: count the quotes to double, then copy the segments. */
	size_t quotes = 0;
	const char *p = val, *end = val + len, *q;
	while ((q = memchr(p, '"', (size_t)(end - p))) != NULL) {
		quotes++;
		p = q + 1;
	}
	if (len > SIZE_MAX - 2 - quotes)
		return -EOVERFLOW;
	if ((rc = mdc_buf_reserve(b, len + quotes + 2)) != 0)
		return rc;
	char *out = b->data + b->len;
	*out++ = '"';
	p = val;
	while (quotes && (q = memchr(p, '"', (size_t)(end - p))) != NULL) {
		size_t seg = (size_t)(q - p) + 1; /* include the quote ... */
		memcpy(out, p, seg);
		out += seg;
		*out++ = '"';                      /* ... and double it */
		p = q + 1;
	}
	memcpy(out, p, (size_t)(end - p));
	out += end - p;
	*out++ = '"';
	b->len = (size_t)(out - b->data);
	return 0;
}

/* Map a boolean's text; anything unexpected is passed through verbatim. */
static inline void map_bool_(const char **val, size_t *len)
{
	if (*len == 1) {
		if ((*val)[0] == 't') {
			*val = "true";
			*len = 4;
		} else if ((*val)[0] == 'f') {
			*val = "false";
			*len = 5;
		}
	}
}

int mdc_csv_put_field(mdc_buf *b, const char *val, size_t len, mdc_csv_kind kind)
{
	if (!val)
		return 0; /* NULL: empty field */
	if (kind == MDC_CSV_BOOL)
		map_bool_(&val, &len);
	return put_value_(b, val, len);
}

static inline int put_byte_(mdc_buf *b, char ch)
{
	int rc = mdc_buf_reserve(b, 1);
	if (rc)
		return rc;
	b->data[b->len++] = ch;
	return 0;
}

int mdc_csv_put_values(mdc_buf *b, int n, const char *const *vals, const size_t *lens,
		       const mdc_csv_kind *kinds)
{
	int rc;
	for (int i = 0; i < n; i++) {
		if (i && (rc = put_byte_(b, ',')) != 0)
			return rc;
		if ((rc = mdc_csv_put_field(b, vals[i], vals[i] ? lens[i] : 0,
					    kinds ? kinds[i] : MDC_CSV_TEXT)) != 0)
			return rc;
	}
	return put_byte_(b, '\n');
}

int mdc_csv_cols_init(mdc_csv_cols *cols, const PGresult *res)
{
	cols->n = 0;
	cols->kinds = NULL;
	int n = PQnfields(res);
	if (n <= 0)
		return 0;
	cols->kinds = malloc((size_t)n * sizeof *cols->kinds);
	if (!cols->kinds)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		cols->kinds[i] = mdc_csv_kind_for_oid(PQftype(res, i));
	cols->n = n;
	return 0;
}

void mdc_csv_cols_free(mdc_csv_cols *cols)
{
	if (!cols)
		return;
	free(cols->kinds);
	cols->kinds = NULL;
	cols->n = 0;
}

int mdc_csv_put_header(mdc_buf *b, const PGresult *res)
{
	int rc, n = PQnfields(res);
	for (int i = 0; i < n; i++) {
		if (i && (rc = put_byte_(b, ',')) != 0)
			return rc;
		const char *name = PQfname(res, i);
		if (!name)
			name = "";
		if ((rc = put_value_(b, name, strlen(name))) != 0)
			return rc;
	}
	return put_byte_(b, '\n');
}

int mdc_csv_put_row(mdc_buf *b, const PGresult *res, int row, const mdc_csv_cols *cols)
{
	int rc, n = cols->n;
	const mdc_csv_kind *kinds = cols->kinds;
	for (int i = 0; i < n; i++) {
		/* One room check per field covers the ',' and a short value. */
		if ((rc = mdc_buf_reserve(b, SHORT_FIELD_ + 1)) != 0)
			return rc;
		if (i)
			b->data[b->len++] = ',';
		/* NULL and '' both have length 0: ask PQgetisnull only then. */
		size_t len = (size_t)PQgetlength(res, row, i);
		if (len == 0 && PQgetisnull(res, row, i))
			continue;
		const char *val = PQgetvalue(res, row, i);
		if (kinds[i] == MDC_CSV_BOOL)
			map_bool_(&val, &len);
		if ((rc = put_value_(b, val, len)) != 0)
			return rc;
	}
	return put_byte_(b, '\n');
}
