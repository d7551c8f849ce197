/* mdclient/csv_out.c - the CSV output rules (documented in csv_out.h).
 *
 * Hot path: mdc_csv_put_row() is called once per streamed row, so it avoids
 * per-field allocation and per-byte function calls: one bounds check for the
 * buffer per field, a 256-entry table for the "needs quotes" scan and memcpy
 * for the bytes. Only fields that need quoting take the slower path
 * (memchr over '"' to double them).
 */
#include "mdclient/internal/csv_out.h"
#include "mdclient/internal/calendar.h"
#include "mdclient/internal/parquet_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOLOID_ 16 /* pg_type.h's BOOLOID; not exported by libpq-fe.h */
#define TIMESTAMPTZOID_ 1184

/* Bytes that force quoting anywhere in a field. Leading/trailing space and
 * tab are checked separately. */
static const unsigned char special_[256] = {
	['\n'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 1,
};

mdc_csv_kind mdc_csv_kind_for_oid(Oid type_oid)
{
	return type_oid == BOOLOID_ ? MDC_CSV_BOOL
	     : type_oid == TIMESTAMPTZOID_ ? MDC_CSV_TSTZ : MDC_CSV_TEXT;
}

mdc_csv_kind mdc_csv_kind_for_type(const char *type_text)
{
	parquet_coltype t; /* the one reading of type names (parquet_types.c) */
	parquet_map_type(type_text, &t);
	return t.k == KIND_BOOL ? MDC_CSV_BOOL
	     : t.k == KIND_TS && t.utc ? MDC_CSV_TSTZ : MDC_CSV_TEXT;
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

/* Non-zero when one of the eight bytes of w equals the byte in every byte of c. */
static inline uint64_t has_byte_(uint64_t w, uint64_t c)
{
	uint64_t x = w ^ c;
	return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

/* One of the n bytes at p forces quotes (special_). Eight at a time: a word
 * is tested for ',', '"', LF and CR at once. */
static inline bool has_special_(const unsigned char *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, sizeof w);
		if (has_byte_(w, 0x2c2c2c2c2c2c2c2cull) | has_byte_(w, 0x2222222222222222ull) |
		    has_byte_(w, 0x0a0a0a0a0a0a0a0aull) | has_byte_(w, 0x0d0d0d0d0d0d0d0dull))
			return true;
	}
	unsigned acc = 0;
	for (; i < n; i++)
		acc |= special_[p[i]];
	return acc != 0;
}

/* Append val (len bytes, not NULL) as a field. The caller has not reserved
 * anything; this reserves what it writes. */
static inline int put_value_(mdc_buf *b, const char *val, size_t len)
{
	int rc;
	if (len <= SHORT_FIELD_) {
		/* Short fields (most of them): copy, then test; the bytes
		 * are simply overwritten if the field needs quotes. */
		if (b->cap - b->len < SHORT_FIELD_ && (rc = mdc_buf_grow(b, SHORT_FIELD_)) != 0)
			return rc;
		const unsigned char *p = (const unsigned char *)val;
		memcpy(b->data + b->len, val, len);
		if (len && !is_blank_(p[0]) && !is_blank_(p[len - 1]) && !has_special_(p, len)) {
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

/* n digits (n > 0) at *p, no more than max. -1 when there are none. */
static int64_t digits_(const char **p, const char *end, int max)
{
	int64_t v = 0;
	int n = 0;
	while (*p < end && n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

/* A timestamptz in the session's time zone ("2024-01-02 08:34:05.5+05:30")
 * to the same instant in UTC ("2024-01-02 03:04:05.5+00"), written into
 * out (TSTZ_MAX bytes). Returns its length, or 0 when val is not of that
 * plain form (infinity, BC, already +00...): the caller keeps it verbatim. */
enum { TSTZ_MAX = 64 };
static size_t tstz_to_utc_(const char *val, size_t len, char *out)
{
	const char *p = val, *end = val + len;
	if (len < 22 || len >= TSTZ_MAX || (val[len - 3] == '+' && val[len - 2] == '0' && val[len - 1] == '0'))
		return 0;
	int64_t y = digits_(&p, end, 9);
	if (y < 1 || p - val < 4 || p >= end || *p++ != '-')
		return 0;
	int64_t mo = digits_(&p, end, 2);
	if (mo < 1 || mo > 12 || p >= end || *p++ != '-')
		return 0;
	int64_t d = digits_(&p, end, 2);
	if (d < 1 || d > 31 || p >= end || *p++ != ' ')
		return 0;
	int64_t hh = digits_(&p, end, 2);
	if (hh < 0 || p >= end || *p++ != ':')
		return 0;
	int64_t mi = digits_(&p, end, 2);
	if (mi < 0 || p >= end || *p++ != ':')
		return 0;
	int64_t ss = digits_(&p, end, 2);
	if (ss < 0)
		return 0;
	const char *frac = p;
	if (p < end && *p == '.') {
		p++;
		if (digits_(&p, end, 9) < 0)
			return 0;
	}
	size_t frac_len = (size_t)(p - frac);
	if (p >= end || (*p != '+' && *p != '-'))
		return 0;
	int sign = *p++ == '-' ? -1 : 1;
	int64_t oh = digits_(&p, end, 2), om = 0, os = 0;
	if (oh < 0)
		return 0;
	if (p < end && *p == ':') {
		p++;
		if ((om = digits_(&p, end, 2)) < 0)
			return 0;
		if (p < end && *p == ':') {
			p++;
			if ((os = digits_(&p, end, 2)) < 0)
				return 0;
		}
	}
	if (p != end)
		return 0; /* " BC" or anything else: leave it as the server sent it */
	int64_t secs = mdc_days_from_civil(y, (int)mo, (int)d) * 86400 + hh * 3600 + mi * 60 + ss -
		       sign * (oh * 3600 + om * 60 + os);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t tod = secs - days * 86400;
	int m, dd;
	mdc_civil_from_days(days, &y, &m, &dd);
	if (y < 1 || y > 999999999)
		return 0;
	int n = snprintf(out, TSTZ_MAX, "%04lld-%02d-%02d %02lld:%02lld:%02lld%.*s+00",
			 (long long)y, m, dd, (long long)(tod / 3600),
			 (long long)(tod / 60 % 60), (long long)(tod % 60), (int)frac_len, frac);
	return n > 0 && n < TSTZ_MAX ? (size_t)n : 0;
}

/* The text a field of this kind is written as: booleans true/false,
 * timestamptz in UTC; tmp (TSTZ_MAX bytes) may hold it. */
static inline void map_kind_(mdc_csv_kind kind, const char **val, size_t *len, char *tmp)
{
	if (kind == MDC_CSV_BOOL) {
		map_bool_(val, len);
	} else if (kind == MDC_CSV_TSTZ) {
		size_t n = tstz_to_utc_(*val, *len, tmp);
		if (n) {
			*val = tmp;
			*len = n;
		}
	}
}

int mdc_csv_put_field(mdc_buf *b, const char *val, size_t len, mdc_csv_kind kind)
{
	char tmp[TSTZ_MAX];
	if (!val)
		return 0; /* NULL: empty field */
	map_kind_(kind, &val, &len, tmp);
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

int mdc_csv_cols_init(mdc_csv_cols *cols, const PGresult *res, const mdc_csv_kind *typed,
		      int ntyped)
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
	if (typed && ntyped == n) /* another shape: the result's own OIDs */
		for (int i = 0; i < n; i++)
			if (cols->kinds[i] == MDC_CSV_TEXT)
				cols->kinds[i] = typed[i];
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
		char tmp[TSTZ_MAX];
		if (kinds[i] != MDC_CSV_TEXT)
			map_kind_(kinds[i], &val, &len, tmp);
		if ((rc = put_value_(b, val, len)) != 0)
			return rc;
	}
	return put_byte_(b, '\n');
}
