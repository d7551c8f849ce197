/* mdclient/parquet.c - the Parquet writer and table export (contract in parquet.h).
 *
 * Layout of a file: "PAR1", then per row group and per column one column
 * chunk (dictionary page, then data pages v1), then the footer:
 * FileMetaData (Thrift compact), its 4-byte little-endian length, "PAR1".
 * Pages are encoded and compressed as rows arrive (parquet_encode.c); a
 * row group's chunks wait in memory until the group is full, then go to fd
 * one after the other, so the file is written strictly sequentially and
 * memory is bounded by the row group size.
 *
 * Values arrive as the server's text (libpq text format, single-row mode)
 * and are parsed per column type here; the type mapping is documented in
 * parquet.h. On PostgreSQL the export reads COPY (SELECT ...) TO STDOUT
 * (FORMAT binary) instead: libpq's single-row mode costs a PGresult (malloc,
 * column descriptors copied) per row, and text parsing (strtod, dates) was
 * most of the rest; the binary forms of the built-in types decode to the
 * same Parquet values (numeric via numeric_out's text, so parse_decimal's
 * rules apply), every other type comes as its output function's text.
 */
#include "mdclient/parquet.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "mdfs_version.h"
#include "mdclient/catalog.h"
#include "mdclient/log.h"
#include "mdclient/parquet_encode.h"
#include "mdclient/pqutil.h"
#include "mdclient/thrift_compact.h"

#define CREATED_BY "mdfs version " MDFS_VERSION " (build mdclient)"
#define ROWS_PER_SIZE_CHECK 256

#define IS_DIGIT(ch) ((unsigned)((ch) - '0') < 10u)

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* ---- the type mapping ---- */

typedef enum kind {
	K_BOOL, K_INT, K_FLOAT, K_DOUBLE, K_DECIMAL, K_DATE, K_TIME, K_TS,
	K_UUID, K_BLOB, K_STRING, K_JSON,
} kind;

typedef struct coltype {
	kind k;
	pq_physical phys;
	int type_length;
	pq_order order;
	int bits;          /* K_INT: 8/16/32/64 */
	bool is_signed;    /* K_INT */
	int precision, scale; /* K_DECIMAL */
	bool utc;          /* K_TS, K_TIME */
	bool nanos;        /* K_TS: NANOS else MICROS */
} coltype;

/* Upper-case copy of s with runs of blanks folded and ends trimmed. */
static void normalize(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	bool space = false;
	while (*s && isspace((unsigned char)*s))
		s++;
	for (; *s && n + 2 < cap; s++) {
		if (isspace((unsigned char)*s)) {
			space = true;
			continue;
		}
		if (space && n)
			out[n++] = ' ';
		space = false;
		out[n++] = (char)toupper((unsigned char)*s);
	}
	out[n] = '\0';
}

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Drop "(...)" groups (precision of timestamps, varchar lengths). */
static void strip_parens(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	int depth = 0;
	for (; *s && n + 1 < cap; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')')
			depth = depth ? depth - 1 : 0;
		else if (!depth)
			out[n++] = *s;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	/* "TIMESTAMP (3) WITH..." leaves a double blank: fold it */
	char *d = strstr(out, "  ");
	while (d) {
		memmove(d, d + 1, strlen(d));
		d = strstr(out, "  ");
	}
}

static int decimal_bytes(int precision)
{
	/* smallest n with 2^(8n-1) - 1 >= 10^precision - 1 */
	u128 p10 = 1;
	for (int i = 0; i < precision; i++)
		p10 *= 10;
	for (int n = 1; n <= 16; n++) {
		u128 max = ((u128)1 << (8 * n - 1)) - 1;
		if (max >= p10 - 1)
			return n;
	}
	return 16;
}

static void set_decimal(coltype *t, int p, int s)
{
	t->k = K_DECIMAL;
	t->precision = p;
	t->scale = s;
	t->order = PQ_ORDER_SIGNED;
	if (p <= 9) {
		t->phys = PQ_INT32;
	} else if (p <= 18) {
		t->phys = PQ_INT64;
	} else {
		t->phys = PQ_FIXED_LEN_BYTE_ARRAY;
		t->type_length = decimal_bytes(p);
	}
}

static void set_int(coltype *t, int bits, bool is_signed)
{
	t->k = K_INT;
	t->bits = bits;
	t->is_signed = is_signed;
	t->phys = bits == 64 ? PQ_INT64 : PQ_INT32;
	t->order = is_signed ? PQ_ORDER_SIGNED : PQ_ORDER_UNSIGNED;
}

static bool in_list(const char *s, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(s, *names) == 0)
			return true;
	return false;
}

static void map_type(const char *text, coltype *t)
{
	char norm[256], base[256];
	memset(t, 0, sizeof *t);
	t->k = K_STRING;
	t->phys = PQ_BYTE_ARRAY;
	t->order = PQ_ORDER_UNSIGNED;
	normalize(text ? text : "", norm, sizeof norm);
	size_t len = strlen(norm);
	if ((len && norm[len - 1] == ']') || starts(norm, "STRUCT(") || starts(norm, "MAP(") ||
	    starts(norm, "UNION(") || starts(norm, "LIST(") || starts(norm, "STRUCT (") ||
	    starts(norm, "MAP (") || starts(norm, "UNION (")) {
		t->k = K_JSON;
		return;
	}
	if (starts(norm, "DECIMAL(") || starts(norm, "NUMERIC(")) {
		int p = 0, s = 0;
		const char *a = strchr(norm, '(') + 1;
		int n = sscanf(a, "%d , %d", &p, &s);
		if (n < 2) {
			n = sscanf(a, "%d,%d", &p, &s);
			if (n == 1)
				s = 0;
		}
		if (n >= 1 && p >= 1 && p <= 38 && s >= 0 && s <= p)
			set_decimal(t, p, s);
		return; /* odd precision (PostgreSQL allows up to 1000): STRING */
	}
	strip_parens(norm, base, sizeof base);
	static const char *const b_bool[] = { "BOOLEAN", "BOOL", "LOGICAL", NULL };
	static const char *const b_i8[] = { "TINYINT", "INT1", NULL };
	static const char *const b_i16[] = { "SMALLINT", "INT2", "SHORT", NULL };
	static const char *const b_i32[] = { "INTEGER", "INT", "INT4", "SIGNED", NULL };
	static const char *const b_i64[] = { "BIGINT", "INT8", "LONG", NULL };
	static const char *const b_float[] = { "REAL", "FLOAT", "FLOAT4", NULL };
	static const char *const b_double[] = { "DOUBLE", "DOUBLE PRECISION", "FLOAT8", NULL };
	static const char *const b_time[] = { "TIME", "TIME WITHOUT TIME ZONE", NULL };
	static const char *const b_ts[] = { "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "DATETIME",
					    "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_US", NULL };
	static const char *const b_tstz[] = { "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", NULL };
	static const char *const b_blob[] = { "BLOB", "BYTEA", "BINARY", "VARBINARY", NULL };
	if (in_list(base, b_bool)) {
		t->k = K_BOOL;
		t->phys = PQ_BOOLEAN;
	} else if (in_list(base, b_i8)) {
		set_int(t, 8, true);
	} else if (in_list(base, b_i16)) {
		set_int(t, 16, true);
	} else if (in_list(base, b_i32)) {
		set_int(t, 32, true);
	} else if (in_list(base, b_i64)) {
		set_int(t, 64, true);
	} else if (strcmp(base, "UTINYINT") == 0) {
		set_int(t, 8, false);
	} else if (strcmp(base, "USMALLINT") == 0) {
		set_int(t, 16, false);
	} else if (strcmp(base, "UINTEGER") == 0) {
		set_int(t, 32, false);
	} else if (strcmp(base, "UBIGINT") == 0) {
		set_int(t, 64, false);
	} else if (strcmp(base, "HUGEINT") == 0 || strcmp(base, "INT128") == 0) {
		set_decimal(t, 38, 0);
	} else if (in_list(base, b_float)) {
		t->k = K_FLOAT;
		t->phys = PQ_FLOAT;
		t->order = PQ_ORDER_SIGNED;
	} else if (in_list(base, b_double)) {
		t->k = K_DOUBLE;
		t->phys = PQ_DOUBLE;
		t->order = PQ_ORDER_SIGNED;
	} else if (strcmp(base, "DATE") == 0) {
		t->k = K_DATE;
		t->phys = PQ_INT32;
		t->order = PQ_ORDER_SIGNED;
	} else if (in_list(base, b_time)) {
		t->k = K_TIME;
		t->phys = PQ_INT64;
		t->order = PQ_ORDER_SIGNED;
	} else if (in_list(base, b_ts) || in_list(base, b_tstz) || strcmp(base, "TIMESTAMP_NS") == 0) {
		t->k = K_TS;
		t->phys = PQ_INT64;
		t->order = PQ_ORDER_SIGNED;
		t->utc = in_list(base, b_tstz);
		t->nanos = strcmp(base, "TIMESTAMP_NS") == 0;
	} else if (strcmp(base, "UUID") == 0) {
		t->k = K_UUID;
		t->phys = PQ_FIXED_LEN_BYTE_ARRAY;
		t->type_length = 16;
	} else if (in_list(base, b_blob)) {
		t->k = K_BLOB;
	}
	/* everything else (VARCHAR, text, numeric, UHUGEINT, INTERVAL, ENUM,
	 * JSON, TIMETZ, BIT, composite types ...) stays STRING */
}

/* ---- text → value bytes ---- */

static void le32(uint8_t *o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *o, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		o[i] = (uint8_t)(v >> (8 * i));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int parse_uint(const char **p, const char *end, int maxdigits, int64_t *out)
{
	int64_t v = 0;
	int n = 0;
	while (*p < end && IS_DIGIT(**p) && n < maxdigits) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n;
}

/* "[-]YYYY-MM-DD" at *p; advances. Returns 0 or -EINVAL. */
static int parse_date_part(const char **p, const char *end, int64_t *y, int64_t *m, int64_t *d)
{
	bool neg = false;
	if (*p < end && **p == '-') {
		neg = true;
		(*p)++;
	}
	if (parse_uint(p, end, 9, y) < 1 || *p >= end || **p != '-')
		return -EINVAL;
	(*p)++;
	if (parse_uint(p, end, 2, m) < 1 || *p >= end || **p != '-')
		return -EINVAL;
	(*p)++;
	if (parse_uint(p, end, 2, d) < 1)
		return -EINVAL;
	if (neg)
		*y = -*y;
	if (*m < 1 || *m > 12 || *d < 1 || *d > 31)
		return -EINVAL;
	return 0;
}

/* "HH:MM:SS[.fffffffff]" → nanoseconds of the day. */
static int parse_time_part(const char **p, const char *end, int64_t *nanos)
{
	int64_t h, mi, s = 0, frac = 0;
	if (parse_uint(p, end, 2, &h) < 1 || *p >= end || **p != ':')
		return -EINVAL;
	(*p)++;
	if (parse_uint(p, end, 2, &mi) < 1)
		return -EINVAL;
	if (*p < end && **p == ':') {
		(*p)++;
		if (parse_uint(p, end, 2, &s) < 1)
			return -EINVAL;
	}
	if (*p < end && **p == '.') {
		(*p)++;
		int n = 0;
		while (*p < end && IS_DIGIT(**p)) {
			if (n < 9) {
				frac = frac * 10 + (**p - '0');
				n++;
			}
			(*p)++;
		}
		for (; n < 9; n++)
			frac *= 10;
	}
	if (h > 24 || mi > 59 || s > 60)
		return -EINVAL;
	*nanos = ((h * 60 + mi) * 60 + s) * 1000000000LL + frac;
	return 0;
}

/* Trailing " BC" (PostgreSQL) or " (BC)" (DuckDB): strip it, return true. */
static bool strip_bc(const char *s, const char **end)
{
	size_t n = (size_t)(*end - s);
	if (n >= 5 && memcmp(*end - 5, " (BC)", 5) == 0) {
		*end -= 5;
		return true;
	}
	if (n >= 3 && memcmp(*end - 3, " BC", 3) == 0) {
		*end -= 3;
		return true;
	}
	return false;
}

static bool is_word(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

/* Could s be "infinity" or "-infinity" (any case)? Cheap test before is_word. */
static inline bool maybe_infinity(const char *s, size_t len)
{
	return len >= 8 && (s[0] == 'i' || s[0] == 'I' || (s[0] == '-' && (s[1] == 'i' || s[1] == 'I')));
}

static int parse_date(const char *s, size_t len, int32_t *out)
{
	const char *p = s, *end = s + len;
	if (!maybe_infinity(s, len)) {
		/* the common case: no special word */
	} else if (is_word(s, len, "infinity")) {
		*out = INT32_MAX;
		return 0;
	}
	if (is_word(s, len, "-infinity")) {
		*out = -INT32_MAX;
		return 0;
	}
	bool bc = strip_bc(s, &end);
	int64_t y, m, d;
	if (parse_date_part(&p, end, &y, &m, &d) || p != end)
		return -EINVAL;
	if (bc)
		y = 1 - y;
	int64_t days = days_from_civil(y, (unsigned)m, (unsigned)d);
	if (days <= -INT32_MAX || days >= INT32_MAX)
		return -ERANGE;
	*out = (int32_t)days;
	return 0;
}

/* Timestamp text → micros (or nanos) since the epoch; tz: apply an offset. */
static int parse_ts(const char *s, size_t len, bool nanos, int64_t *out)
{
	if (!maybe_infinity(s, len)) {
		/* the common case: no special word */
	} else if (is_word(s, len, "infinity")) {
		*out = INT64_MAX;
		return 0;
	}
	if (is_word(s, len, "-infinity")) {
		*out = -INT64_MAX;
		return 0;
	}
	const char *p = s, *end = s + len;
	bool bc = strip_bc(s, &end);
	int64_t y, m, d, tod = 0;
	if (parse_date_part(&p, end, &y, &m, &d))
		return -EINVAL;
	if (p < end && (*p == ' ' || *p == 'T')) {
		p++;
		if (parse_time_part(&p, end, &tod))
			return -EINVAL;
	}
	int64_t off_s = 0;
	if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		p++;
		int64_t oh = 0, om = 0, os = 0;
		if (parse_uint(&p, end, 2, &oh) < 1)
			return -EINVAL;
		if (p < end && *p == ':') {
			p++;
			if (parse_uint(&p, end, 2, &om) < 1)
				return -EINVAL;
			if (p < end && *p == ':') {
				p++;
				if (parse_uint(&p, end, 2, &os) < 1)
					return -EINVAL;
			}
		}
		off_s = sign * ((oh * 60 + om) * 60 + os);
	} else if (p < end && *p == 'Z') {
		p++;
	}
	if (p != end)
		return -EINVAL;
	if (bc)
		y = 1 - y;
	if (y > 1000000 || y < -1000000)
		return -ERANGE;
	int64_t days = days_from_civil(y, (unsigned)m, (unsigned)d);
	if (!nanos && y > -200000 && y < 200000) {
		/* |days| < 7.4e7, so micros stay far inside int64: the same
		 * floor as below (tod >= 0, the rest are whole micros). */
		*out = days * 86400000000LL + tod / 1000 - off_s * 1000000;
		return 0;
	}
	/* In nanoseconds, i128 so nothing overflows before the range check. */
	i128 ns = (i128)days * 86400 * 1000000000 + tod - (i128)off_s * 1000000000;
	i128 v = nanos ? ns : (ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000));
	if (v >= INT64_MAX || v <= -INT64_MAX)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

static int parse_time(const char *s, size_t len, int64_t *out)
{
	const char *p = s, *end = s + len;
	int64_t ns;
	if (parse_time_part(&p, end, &ns) || p != end)
		return -EINVAL;
	*out = ns / 1000;
	return 0;
}

/* Decimal text "[-]digits[.digits]" → unscaled integer at scale. */
static int parse_decimal(const char *s, size_t len, int scale, i128 *out)
{
	const char *p = s, *end = s + len;
	bool neg = false;
	if (p < end && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	u128 v = 0;
	const u128 lim = ((u128)1 << 127);
	int digits = 0, frac = 0;
	bool in_frac = false;
	for (; p < end; p++) {
		if (*p == '.' && !in_frac) {
			in_frac = true;
			continue;
		}
		if (!IS_DIGIT(*p))
			return -EINVAL; /* NaN, Infinity, exponents: not a decimal */
		if (in_frac) {
			if (frac == scale) {
				if (*p != '0')
					return -ERANGE; /* more scale than the type has */
				continue;
			}
			frac++;
		}
		unsigned dg = (unsigned)(*p - '0');
		/* v * 10 + dg > lim? (lim / 10 and lim % 10 are constants) */
		if (v >= lim / 10 && (v > lim / 10 || dg > (unsigned)(lim % 10)))
			return -ERANGE;
		v = v * 10 + dg;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	for (; frac < scale; frac++) {
		if (v > lim / 10)
			return -ERANGE;
		v *= 10;
	}
	if (v > lim - (neg ? 0 : 1))
		return -ERANGE;
	*out = neg ? -(i128)(v - 1) - 1 : (i128)v;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_uuid(const char *s, size_t len, uint8_t out[16])
{
	int n = 0, hi = -1;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '-' || ch == '{' || ch == '}')
			continue;
		int v = hexval((unsigned char)ch);
		if (v < 0 || n >= 16)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == 16 && hi < 0 ? 0 : -EINVAL;
}

/* BLOB/bytea text → bytes in out. DuckDB: printable bytes as-is and \xHH
 * escapes (DuckDB escapes '\\' itself). PostgreSQL: "\x" + hex
 * (bytea_output = hex), else the escape format (\\ and \ooo). */
static int parse_blob(const char *s, size_t len, mdc_dialect d, pq_buf *out)
{
	out->len = 0;
	if (pq_buf_reserve(out, len + 1))
		return -ENOMEM;
	uint8_t *o = out->data;
	size_t n = 0;
	if (d == MDC_DIALECT_POSTGRES && len >= 2 && s[0] == '\\' && s[1] == 'x') {
		if ((len - 2) % 2)
			return -EINVAL;
		for (size_t i = 2; i < len; i += 2) {
			int a = hexval((unsigned char)s[i]), b = hexval((unsigned char)s[i + 1]);
			if (a < 0 || b < 0)
				return -EINVAL;
			o[n++] = (uint8_t)(a << 4 | b);
		}
	} else {
		for (size_t i = 0; i < len; i++) {
			if (s[i] != '\\') {
				o[n++] = (uint8_t)s[i];
				continue;
			}
			if (d == MDC_DIALECT_DUCKDB) {
				int a, b;
				if (i + 3 >= len + 0 || s[i + 1] != 'x' ||
				    (a = hexval((unsigned char)s[i + 2])) < 0 ||
				    (b = hexval((unsigned char)s[i + 3])) < 0)
					return -EINVAL;
				o[n++] = (uint8_t)(a << 4 | b);
				i += 3;
			} else if (i + 1 < len && s[i + 1] == '\\') {
				o[n++] = '\\';
				i++;
			} else if (i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
				   s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
				o[n++] = (uint8_t)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
				i += 3;
			} else {
				return -EINVAL;
			}
		}
	}
	out->len = n;
	return 0;
}

/* ---- the writer ---- */

typedef struct chunk_meta {
	int64_t num_values, unc, comp, data_off, dict_off; /* dict_off -1: none */
	bool used_dict, used_plain;
	bool has_minmax, min_exact, max_exact;
	int64_t null_count;
	uint8_t *min, *max;
	size_t min_len, max_len;
} chunk_meta;

typedef struct rg_meta {
	int64_t num_rows, total_unc, total_comp, file_offset;
	chunk_meta *chunks; /* ncols */
} rg_meta;

typedef struct wcol {
	char *name;
	char *type;
	coltype t;
	pq_column enc;
} wcol;

struct mdc_parquet_writer {
	int fd;
	uint64_t off;
	mdc_dialect dialect;
	pq_codec codec;
	int64_t rg_max_rows, rg_max_bytes;
	size_t ncols;
	wcol *cols;
	int64_t rows, rg_rows;
	rg_meta *rgs;
	size_t nrgs, rgs_cap;
	bool failed, finished;
	pq_buf val;     /* parsed value scratch */
	tc_writer th;   /* footer */
};

static int write_all(mdc_parquet_writer *w, const void *p, size_t n, mdc_error *err)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = write(w->fd, b, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			return mdc_error_set(err, e, "parquet: write: %s", strerror(e));
		}
		if (r == 0)
			return mdc_error_set(err, EIO, "parquet: write returned 0");
		b += r;
		n -= (size_t)r;
		w->off += (uint64_t)r;
	}
	return 0;
}

static pq_codec codec_of(const mdc_parquet_options *o)
{
	if (!o)
		return PQ_CODEC_ZSTD;
	switch (o->codec) {
	case MDC_PQ_SNAPPY: return PQ_CODEC_SNAPPY;
	case MDC_PQ_NONE: return PQ_CODEC_UNCOMPRESSED;
	case MDC_PQ_ZSTD: break;
	}
	return PQ_CODEC_ZSTD;
}

int mdc_parquet_writer_open(int fd, size_t ncols, const char *const *names,
			    const char *const *types, mdc_parquet_text dialect,
			    const mdc_parquet_options *o, mdc_parquet_writer **out,
			    mdc_error *err)
{
	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "parquet: no output pointer");
	*out = NULL;
	if (fd < 0 || !ncols || !names || !types)
		return mdc_error_set(err, EINVAL, "parquet: a file needs a descriptor and at least one column");
	if (ncols > INT32_MAX / 2)
		return mdc_error_set(err, EINVAL, "parquet: too many columns");
	mdc_parquet_writer *w = calloc(1, sizeof *w);
	if (!w)
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	w->fd = fd;
	w->dialect = dialect;
	w->codec = codec_of(o);
	w->rg_max_rows = o && o->row_group_rows > 0 ? o->row_group_rows : MDC_PARQUET_DEFAULT_ROW_GROUP_ROWS;
	w->rg_max_bytes = o && o->row_group_bytes > 0 ? o->row_group_bytes : MDC_PARQUET_DEFAULT_ROW_GROUP_BYTES;
	tc_init(&w->th);
	w->cols = calloc(ncols, sizeof *w->cols);
	if (!w->cols) {
		free(w);
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	}
	w->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		wcol *c = &w->cols[i];
		c->name = strdup(names[i] ? names[i] : "");
		c->type = strdup(types[i] ? types[i] : "");
		map_type(c->type, &c->t);
		pq_column_init(&c->enc, c->t.phys, c->t.type_length, c->t.order, w->codec, 0, 0);
		if (!c->name || !c->type) {
			mdc_parquet_writer_free(w);
			return mdc_error_set(err, ENOMEM, "parquet: out of memory");
		}
	}
	int rc = write_all(w, "PAR1", 4, err);
	if (rc) {
		mdc_parquet_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int mdc_parquet_writer_wants_json(const mdc_parquet_writer *w, size_t col)
{
	return w && col < w->ncols && w->cols[col].t.k == K_JSON;
}

uint64_t mdc_parquet_writer_size(const mdc_parquet_writer *w)
{
	return w ? w->off : 0;
}

int64_t mdc_parquet_writer_rows(const mdc_parquet_writer *w)
{
	return w ? w->rows : 0;
}

static void rg_meta_free(rg_meta *rg, size_t ncols)
{
	if (!rg->chunks)
		return;
	for (size_t i = 0; i < ncols; i++) {
		free(rg->chunks[i].min);
		free(rg->chunks[i].max);
	}
	free(rg->chunks);
}

void mdc_parquet_writer_free(mdc_parquet_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->ncols; i++) {
		free(w->cols[i].name);
		free(w->cols[i].type);
		pq_column_free(&w->cols[i].enc);
	}
	free(w->cols);
	for (size_t i = 0; i < w->nrgs; i++)
		rg_meta_free(&w->rgs[i], w->ncols);
	free(w->rgs);
	pq_buf_free(&w->val);
	tc_free(&w->th);
	free(w);
}

static int fail(mdc_parquet_writer *w, int rc)
{
	w->failed = true;
	return rc;
}

/* "[-+]digits" with at most 18 digits (cannot overflow int64): 1 and *out,
 * else 0 (the caller falls back to strtoll and its exact error rules). */
static inline int fast_int(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (len && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len || len - i > 18)
		return 0;
	int64_t v = 0;
	for (; i < len; i++) {
		unsigned dg = (unsigned)(s[i] - '0');
		if (dg > 9)
			return 0;
		v = v * 10 + (int64_t)dg;
	}
	*out = neg ? -v : v;
	return 1;
}

static const double pow10_d[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
				  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
static const float pow10_f[] = { 1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f };

/* Clinger's fast path: "[-]digits[.digits][e[+-]dd]" whose digits form an
 * integer m exactly representable (m <= 2^53, or 2^24 for float) and whose
 * decimal exponent k has an exact power of ten (|k| <= 22, or 10): then
 * m * 10^k or m / 10^-k is one correctly rounded operation, the same value
 * strtod/strtof give. Returns 1 and the value, or 0 (use strtod). */
static int fast_float(const char *s, size_t len, bool single, double *d, float *f)
{
	size_t i = 0;
	bool neg = false;
	if (len && s[0] == '-') {
		neg = true;
		i = 1;
	}
	uint64_t m = 0;
	int digits = 0, k = 0;
	bool dot = false, any = false;
	for (; i < len; i++) {
		char ch = s[i];
		unsigned dg = (unsigned)(ch - '0');
		if (dg <= 9) {
			any = true;
			if (m == 0 && dg == 0) {
				if (dot)
					k--;
				continue; /* leading zeros are not significant */
			}
			if (++digits > 19)
				return 0;
			m = m * 10 + dg;
			if (dot)
				k--;
		} else if (ch == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (!any)
		return 0;
	if (i < len) {
		if (s[i] != 'e' && s[i] != 'E')
			return 0;
		i++;
		bool eneg = false;
		if (i < len && (s[i] == '-' || s[i] == '+')) {
			eneg = s[i] == '-';
			i++;
		}
		int e = 0, ed = 0;
		for (; i < len; i++) {
			unsigned dg = (unsigned)(s[i] - '0');
			if (dg > 9 || ++ed > 4)
				return 0;
			e = e * 10 + (int)dg;
		}
		if (!ed)
			return 0;
		k += eneg ? -e : e;
	}
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
	return 0; /* excess precision would round twice */
#endif
	if (single) {
		if (m > (1u << 24) || k < -10 || k > 10)
			return 0;
		float x = (float)m;
		x = k < 0 ? x / pow10_f[-k] : x * pow10_f[k];
		*f = neg ? -x : x;
	} else {
		if (m > (1ULL << 53) || k < -22 || k > 22)
			return 0;
		double x = (double)m;
		x = k < 0 ? x / pow10_d[-k] : x * pow10_d[k];
		*d = neg ? -x : x;
	}
	return 1;
}

/* Encode one value of column c from its text. */
static int add_value(mdc_parquet_writer *w, wcol *c, const char *s, size_t len, mdc_error *err)
{
	uint8_t b[16];
	int rc = 0;
	const void *v = b;
	size_t vlen = 0;
	char tmp[128];
	/* strtoll/strtod want a NUL-terminated copy (values are short) */
	bool short_ok = len < sizeof tmp;
	switch (c->t.k) {
	case K_BOOL:
		if (len == 1 && (s[0] == 't' || s[0] == 'f')) /* PostgreSQL's t/f */
			b[0] = s[0] == 't';
		else if (is_word(s, len, "t") || is_word(s, len, "true") || is_word(s, len, "1"))
			b[0] = 1;
		else if (is_word(s, len, "f") || is_word(s, len, "false") || is_word(s, len, "0"))
			b[0] = 0;
		else
			rc = -EINVAL;
		vlen = 1;
		break;
	case K_INT: {
		if (!short_ok || !len) {
			rc = -EINVAL;
			break;
		}
		int64_t fx;
		if (c->t.is_signed && fast_int(s, len, &fx)) {
			int64_t lo = c->t.bits == 64 ? INT64_MIN : -(INT64_C(1) << (c->t.bits - 1));
			int64_t hi = c->t.bits == 64 ? INT64_MAX : (INT64_C(1) << (c->t.bits - 1)) - 1;
			if (fx < lo || fx > hi)
				rc = -ERANGE;
			else if (c->t.bits == 64)
				le64(b, (uint64_t)fx), vlen = 8;
			else
				le32(b, (uint32_t)(int32_t)fx), vlen = 4;
			break;
		}
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		char *e;
		errno = 0;
		if (c->t.is_signed) {
			long long x = strtoll(tmp, &e, 10);
			long long lo = c->t.bits == 64 ? LLONG_MIN : -(1LL << (c->t.bits - 1));
			long long hi = c->t.bits == 64 ? LLONG_MAX : (1LL << (c->t.bits - 1)) - 1;
			if (*e || errno == ERANGE || x < lo || x > hi)
				rc = *e ? -EINVAL : -ERANGE;
			else if (c->t.bits == 64)
				le64(b, (uint64_t)x), vlen = 8;
			else
				le32(b, (uint32_t)(int32_t)x), vlen = 4;
		} else {
			unsigned long long x = strtoull(tmp, &e, 10);
			unsigned long long hi = c->t.bits == 64 ? ULLONG_MAX : (1ULL << c->t.bits) - 1;
			if (*e || errno == ERANGE || tmp[0] == '-' || x > hi)
				rc = *e ? -EINVAL : -ERANGE;
			else if (c->t.bits == 64)
				le64(b, (uint64_t)x), vlen = 8;
			else
				le32(b, (uint32_t)x), vlen = 4;
		}
		break;
	}
	case K_FLOAT:
	case K_DOUBLE: {
		if (!short_ok || !len) {
			rc = -EINVAL;
			break;
		}
		float f;
		double dd;
		bool single = c->t.k == K_FLOAT;
		if (fast_float(s, len, single, &dd, &f)) {
			if (single)
				memcpy(b, &f, 4), vlen = 4;
			else
				memcpy(b, &dd, 8), vlen = 8;
			break;
		}
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		char *e;
		if (single) {
			f = strtof(tmp, &e);
			memcpy(b, &f, 4);
			vlen = 4;
		} else {
			dd = strtod(tmp, &e);
			memcpy(b, &dd, 8);
			vlen = 8;
		}
		if (*e)
			rc = -EINVAL;
		break;
	}
	case K_DECIMAL: {
		i128 x;
		if ((rc = parse_decimal(s, len, c->t.scale, &x)) != 0)
			break;
		if (c->t.phys == PQ_INT32) {
			if (x > INT32_MAX || x < INT32_MIN) {
				rc = -ERANGE;
				break;
			}
			le32(b, (uint32_t)(int32_t)x);
			vlen = 4;
		} else if (c->t.phys == PQ_INT64) {
			if (x > INT64_MAX || x < INT64_MIN) {
				rc = -ERANGE;
				break;
			}
			le64(b, (uint64_t)(int64_t)x);
			vlen = 8;
		} else {
			int n = c->t.type_length;
			if (n < 16) {
				i128 lim = (i128)1 << (8 * n - 1);
				if (x >= lim || x < -lim) {
					rc = -ERANGE;
					break;
				}
			}
			u128 u = (u128)x;
			for (int i = n - 1; i >= 0; i--) {
				b[i] = (uint8_t)u;
				u >>= 8;
			}
			vlen = (size_t)n;
		}
		break;
	}
	case K_DATE: {
		int32_t d;
		if ((rc = parse_date(s, len, &d)) == 0)
			le32(b, (uint32_t)d), vlen = 4;
		break;
	}
	case K_TIME: {
		int64_t t;
		if ((rc = parse_time(s, len, &t)) == 0)
			le64(b, (uint64_t)t), vlen = 8;
		break;
	}
	case K_TS: {
		int64_t t;
		if ((rc = parse_ts(s, len, c->t.nanos, &t)) == 0)
			le64(b, (uint64_t)t), vlen = 8;
		break;
	}
	case K_UUID:
		rc = parse_uuid(s, len, b);
		vlen = 16;
		break;
	case K_BLOB:
		if ((rc = parse_blob(s, len, w->dialect, &w->val)) == 0) {
			v = w->val.data;
			vlen = w->val.len;
		}
		break;
	case K_STRING:
	case K_JSON:
		v = s;
		vlen = len;
		break;
	}
	if (rc == -ENOMEM)
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	if (rc) {
		int shown = len > 60 ? 60 : (int)len;
		return mdc_error_set(err, -rc, "parquet: column \"%s\" (%s): cannot store '%.*s%s'",
				     c->name, c->type, shown, s, len > 60 ? "..." : "");
	}
	if ((rc = pq_column_add(&c->enc, v, vlen)) != 0)
		return mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed (%s)",
				     c->name, strerror(-rc));
	return 0;
}

static int flush_row_group(mdc_parquet_writer *w, mdc_error *err)
{
	if (w->rg_rows == 0)
		return 0;
	if (w->nrgs == w->rgs_cap) {
		size_t cap = w->rgs_cap ? w->rgs_cap * 2 : 8;
		rg_meta *r = realloc(w->rgs, cap * sizeof *r);
		if (!r)
			return mdc_error_set(err, ENOMEM, "parquet: out of memory");
		w->rgs = r;
		w->rgs_cap = cap;
	}
	rg_meta *rg = &w->rgs[w->nrgs];
	memset(rg, 0, sizeof *rg);
	rg->chunks = calloc(w->ncols, sizeof *rg->chunks);
	if (!rg->chunks)
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	w->nrgs++;
	rg->num_rows = w->rg_rows;
	rg->file_offset = (int64_t)w->off;
	for (size_t i = 0; i < w->ncols; i++) {
		pq_column *e = &w->cols[i].enc;
		chunk_meta *m = &rg->chunks[i];
		int rc = pq_column_finish(e);
		if (rc)
			return mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed (%s)",
					     w->cols[i].name, strerror(-rc));
		m->num_values = e->num_values;
		m->unc = e->uncompressed_size;
		m->comp = (int64_t)(e->dict_page.len + e->pages.len);
		m->dict_off = e->dict_page.len ? (int64_t)w->off : -1;
		m->data_off = (int64_t)(w->off + e->dict_page.len);
		m->used_dict = e->used_dict;
		m->used_plain = e->used_plain;
		m->null_count = e->stats.null_count;
		m->has_minmax = e->stats.has_minmax;
		m->min_exact = e->stats.min_exact;
		m->max_exact = e->stats.max_exact;
		if (m->has_minmax) {
			m->min = malloc(e->stats.min.len ? e->stats.min.len : 1);
			m->max = malloc(e->stats.max.len ? e->stats.max.len : 1);
			if (!m->min || !m->max)
				return mdc_error_set(err, ENOMEM, "parquet: out of memory");
			if (e->stats.min.len) /* an empty min/max has no buffer at all */
				memcpy(m->min, e->stats.min.data, e->stats.min.len);
			if (e->stats.max.len)
				memcpy(m->max, e->stats.max.data, e->stats.max.len);
			m->min_len = e->stats.min.len;
			m->max_len = e->stats.max.len;
		}
		if ((rc = write_all(w, e->dict_page.data, e->dict_page.len, err)) != 0 ||
		    (rc = write_all(w, e->pages.data, e->pages.len, err)) != 0)
			return rc;
		rg->total_unc += m->unc;
		rg->total_comp += m->comp;
		pq_column_reset(e);
	}
	w->rg_rows = 0;
	return 0;
}

static size_t buffered(const mdc_parquet_writer *w)
{
	size_t n = 0;
	for (size_t i = 0; i < w->ncols; i++)
		n += pq_column_buffered(&w->cols[i].enc);
	return n;
}

/* After a row's values: count it, close the row group when it is full. */
static int row_done(mdc_parquet_writer *w, mdc_error *err)
{
	w->rows++;
	w->rg_rows++;
	if (w->rg_rows >= w->rg_max_rows ||
	    (w->rg_rows % ROWS_PER_SIZE_CHECK == 0 && buffered(w) >= (size_t)w->rg_max_bytes)) {
		int rc = flush_row_group(w, err);
		if (rc)
			return fail(w, rc);
	}
	return 0;
}

int mdc_parquet_writer_add_row(mdc_parquet_writer *w, const char *const *values,
			       const int *lens, mdc_error *err)
{
	mdc_error_clear(err);
	if (!w || !values)
		return mdc_error_set(err, EINVAL, "parquet: bad arguments");
	if (w->failed || w->finished)
		return mdc_error_set(err, EINVAL, "parquet: writer is finished or failed");
	for (size_t i = 0; i < w->ncols; i++) {
		wcol *c = &w->cols[i];
		int rc;
		if (!values[i]) {
			if ((rc = pq_column_add_null(&c->enc)) != 0)
				return fail(w, mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed",
							     c->name));
			continue;
		}
		size_t len = lens ? (size_t)lens[i] : strlen(values[i]);
		if ((rc = add_value(w, c, values[i], len, err)) != 0)
			return fail(w, rc);
	}
	return row_done(w, err);
}

/* ---- PostgreSQL's binary COPY format (export only) ---- */

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* How a column's value arrives in COPY BINARY: the type's own send format
 * (decoded here), or text bytes (text/varchar/char as they are; every other
 * type through format('%s'), i.e. its output function; nested types as
 * to_json()::text), fed to add_value like the text path's values. */
typedef enum bin_kind {
	BIN_TEXT, BIN_BOOL, BIN_I16, BIN_I32, BIN_I64, BIN_F32, BIN_F64, BIN_NUMERIC,
	BIN_DATE, BIN_TIME, BIN_TS, BIN_UUID, BIN_BYTES,
} bin_kind;

/* The binary kind of a column from PostgreSQL's own spelling of its type
 * (format_type). Only built-in types are decoded; *as_text says whether a
 * BIN_TEXT column needs the format('%s') conversion. */
static bin_kind pg_bin_kind(const wcol *c, bool *as_text)
{
	char norm[256], base[256];
	normalize(c->type, norm, sizeof norm);
	strip_parens(norm, base, sizeof base);
	*as_text = false;
	switch (c->t.k) {
	case K_BOOL:
		if (strcmp(base, "BOOLEAN") == 0)
			return BIN_BOOL;
		break;
	case K_INT:
		if (c->t.is_signed && c->t.bits == 16 && strcmp(base, "SMALLINT") == 0)
			return BIN_I16;
		if (c->t.is_signed && c->t.bits == 32 && strcmp(base, "INTEGER") == 0)
			return BIN_I32;
		if (c->t.is_signed && c->t.bits == 64 && strcmp(base, "BIGINT") == 0)
			return BIN_I64;
		break;
	case K_FLOAT:
		if (strcmp(base, "REAL") == 0)
			return BIN_F32;
		break;
	case K_DOUBLE:
		if (strcmp(base, "DOUBLE PRECISION") == 0)
			return BIN_F64;
		break;
	case K_DECIMAL:
		if (strcmp(base, "NUMERIC") == 0)
			return BIN_NUMERIC;
		break;
	case K_DATE:
		if (strcmp(base, "DATE") == 0)
			return BIN_DATE;
		break;
	case K_TIME:
		if (strcmp(base, "TIME WITHOUT TIME ZONE") == 0)
			return BIN_TIME;
		break;
	case K_TS:
		if (!c->t.nanos && ((!c->t.utc && strcmp(base, "TIMESTAMP WITHOUT TIME ZONE") == 0) ||
				    (c->t.utc && strcmp(base, "TIMESTAMP WITH TIME ZONE") == 0)))
			return BIN_TS;
		break;
	case K_UUID:
		if (strcmp(base, "UUID") == 0)
			return BIN_UUID;
		break;
	case K_BLOB:
		if (strcmp(base, "BYTEA") == 0)
			return BIN_BYTES;
		break;
	case K_STRING:
		if (strcmp(base, "TEXT") == 0 || strcmp(base, "CHARACTER VARYING") == 0 ||
		    strcmp(base, "CHARACTER") == 0 || strcmp(base, "BPCHAR") == 0)
			return BIN_TEXT; /* textsend: the same bytes as the text output */
		break;
	case K_JSON:
		return BIN_TEXT; /* CAST(to_json(col) AS TEXT) */
	}
	*as_text = true;
	return BIN_TEXT;
}

/* numeric's binary form (ndigits, weight, sign, dscale, base-10000 digits)
 * → numeric_out's text, so that parse_decimal applies the text path's rules. */
static int numeric_text(const uint8_t *p, size_t len, char *out, size_t cap, size_t *outlen)
{
	if (len < 8)
		return -EIO;
	int ndigits = (int16_t)be16(p), weight = (int16_t)be16(p + 2);
	uint16_t sign = be16(p + 4);
	int dscale = (int16_t)be16(p + 6);
	if (ndigits < 0 || dscale < 0 || len != 8 + 2 * (size_t)ndigits)
		return -EIO;
	const char *special = sign == 0xC000 ? "NaN" : sign == 0xD000 ? "Infinity" :
			      sign == 0xF000 ? "-Infinity" : NULL;
	if (special) {
		*outlen = strlen(special);
		memcpy(out, special, *outlen);
		return 0;
	}
	if (sign != 0 && sign != 0x4000)
		return -EIO;
	size_t need = 2 + 4 * (size_t)(weight >= 0 ? weight + 1 : 1) + 1 + (size_t)dscale;
	if (need > cap)
		return -ERANGE; /* more digits than any DECIMAL holds */
	size_t n = 0;
	if (sign == 0x4000)
		out[n++] = '-';
	if (weight < 0) {
		out[n++] = '0';
	} else {
		for (int i = 0; i <= weight; i++) {
			unsigned d = i < ndigits ? be16(p + 8 + 2 * i) : 0;
			if (d > 9999)
				return -EIO;
			char g[4] = { (char)('0' + d / 1000), (char)('0' + d / 100 % 10),
				      (char)('0' + d / 10 % 10), (char)('0' + d % 10) };
			int skip = 0;
			if (i == 0)
				while (skip < 3 && g[skip] == '0')
					skip++;
			memcpy(out + n, g + skip, (size_t)(4 - skip));
			n += (size_t)(4 - skip);
		}
	}
	if (dscale > 0) {
		out[n++] = '.';
		int left = dscale;
		for (int i = weight + 1; left > 0; i++) {
			unsigned d = i >= 0 && i < ndigits ? be16(p + 8 + 2 * i) : 0;
			if (d > 9999)
				return -EIO;
			char g[4] = { (char)('0' + d / 1000), (char)('0' + d / 100 % 10),
				      (char)('0' + d / 10 % 10), (char)('0' + d % 10) };
			int k = left < 4 ? left : 4;
			memcpy(out + n, g, (size_t)k);
			n += (size_t)k;
			left -= k;
		}
	}
	*outlen = n;
	return 0;
}

#define PG_EPOCH_DAYS 10957                 /* 1970-01-01 → 2000-01-01 */
#define PG_EPOCH_MICROS INT64_C(946684800000000)

/* Add one row from COPY BINARY fields (vals[i] NULL for SQL NULL). */
static int add_row_binary(mdc_parquet_writer *w, const bin_kind *kinds, const uint8_t *const *vals,
			  const uint32_t *lens, mdc_error *err)
{
	for (size_t i = 0; i < w->ncols; i++) {
		wcol *c = &w->cols[i];
		const uint8_t *p = vals[i];
		size_t len = lens[i];
		uint8_t b[16];
		size_t vlen = 0;
		const void *v = b;
		int rc = 0;
		if (!p) {
			if ((rc = pq_column_add_null(&c->enc)) != 0)
				return fail(w, mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed",
							     c->name));
			continue;
		}
		switch (kinds[i]) {
		case BIN_TEXT:
			if ((rc = add_value(w, c, (const char *)p, len, err)) != 0)
				return fail(w, rc);
			continue;
		case BIN_BOOL:
			if (len != 1)
				goto bad;
			b[0] = p[0] != 0;
			vlen = 1;
			break;
		case BIN_I16:
			if (len != 2)
				goto bad;
			le32(b, (uint32_t)(int32_t)(int16_t)be16(p));
			vlen = 4;
			break;
		case BIN_I32:
		case BIN_F32:
			if (len != 4)
				goto bad;
			le32(b, be32(p));
			vlen = 4;
			break;
		case BIN_I64:
		case BIN_F64:
		case BIN_TIME:
			if (len != 8)
				goto bad;
			le64(b, be64(p));
			vlen = 8;
			break;
		case BIN_DATE: {
			if (len != 4)
				goto bad;
			int32_t d = (int32_t)be32(p);
			int64_t days = (int64_t)d + PG_EPOCH_DAYS;
			if (d == INT32_MAX)
				days = INT32_MAX;     /* infinity */
			else if (d == INT32_MIN)
				days = -INT32_MAX;    /* -infinity */
			else if (days <= -INT32_MAX || days >= INT32_MAX)
				rc = -ERANGE;
			le32(b, (uint32_t)(int32_t)days);
			vlen = 4;
			break;
		}
		case BIN_TS: {
			if (len != 8)
				goto bad;
			int64_t t = (int64_t)be64(p), u;
			if (t == INT64_MAX)
				u = INT64_MAX;        /* infinity */
			else if (t == INT64_MIN)
				u = -INT64_MAX;       /* -infinity */
			else if (__builtin_add_overflow(t, PG_EPOCH_MICROS, &u) || u == INT64_MAX ||
				 u <= -INT64_MAX)
				rc = -ERANGE;
			le64(b, (uint64_t)u);
			vlen = 8;
			break;
		}
		case BIN_UUID:
			if (len != 16)
				goto bad;
			v = p;
			vlen = 16;
			break;
		case BIN_BYTES:
			v = p;
			vlen = len;
			break;
		case BIN_NUMERIC: {
			char txt[200];
			size_t tlen = 0;
			if ((rc = numeric_text(p, len, txt, sizeof txt, &tlen)) == -EIO)
				goto bad;
			if (rc == 0) {
				if ((rc = add_value(w, c, txt, tlen, err)) != 0)
					return fail(w, rc);
				continue;
			}
			break;
		}
		}
		if (rc)
			return fail(w, mdc_error_set(err, -rc, "parquet: column \"%s\" (%s): cannot store a value",
						     c->name, c->type));
		if ((rc = pq_column_add(&c->enc, v, vlen)) != 0)
			return fail(w, mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed (%s)",
						     c->name, strerror(-rc)));
		continue;
bad:
		return fail(w, mdc_error_set(err, EIO, "parquet: column \"%s\" (%s): unexpected binary value "
					     "of %zu bytes", c->name, c->type, len));
	}
	return row_done(w, err);
}

/* ---- the footer ---- */

static void put_logical_type(tc_writer *t, const coltype *ct)
{
	switch (ct->k) {
	case K_STRING:
	case K_JSON:
		tc_field_struct(t, 10);
		tc_field_struct(t, 1); /* STRING */
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case K_INT:
		tc_field_struct(t, 10);
		tc_field_struct(t, 10); /* INTEGER */
		tc_field_i8(t, 1, (int8_t)ct->bits);
		tc_field_bool(t, 2, ct->is_signed);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case K_DECIMAL:
		tc_field_struct(t, 10);
		tc_field_struct(t, 5); /* DECIMAL */
		tc_field_i32(t, 1, ct->scale);
		tc_field_i32(t, 2, ct->precision);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case K_DATE:
		tc_field_struct(t, 10);
		tc_field_struct(t, 6);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case K_TIME:
	case K_TS:
		tc_field_struct(t, 10);
		tc_field_struct(t, ct->k == K_TIME ? 7 : 8);
		tc_field_bool(t, 1, ct->utc);
		tc_field_struct(t, 2); /* TimeUnit */
		tc_field_struct(t, ct->nanos ? 3 : 2);
		tc_struct_end(t);
		tc_struct_end(t);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case K_UUID:
		tc_field_struct(t, 10);
		tc_field_struct(t, 14);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case K_BOOL:
	case K_FLOAT:
	case K_DOUBLE:
	case K_BLOB:
		break;
	}
}

/* ConvertedType for old readers, or -1. */
static int converted_type(const coltype *ct)
{
	switch (ct->k) {
	case K_STRING:
	case K_JSON:
		return 0; /* UTF8 */
	case K_INT:
		if (ct->is_signed)
			return ct->bits == 8 ? 15 : ct->bits == 16 ? 16 : ct->bits == 32 ? 17 : 18;
		return ct->bits == 8 ? 11 : ct->bits == 16 ? 12 : ct->bits == 32 ? 13 : 14;
	case K_DECIMAL:
		return 5;
	case K_DATE:
		return 6;
	case K_TIME: /* the legacy types mean adjusted-to-UTC */
		return ct->utc ? 8 : -1;
	case K_TS:
		return ct->utc && !ct->nanos ? 10 : -1;
	default:
		return -1;
	}
}

static void put_stats(tc_writer *t, const chunk_meta *m)
{
	tc_field_struct(t, 12);
	tc_field_i64(t, 3, m->null_count);
	if (m->has_minmax) {
		tc_field_binary(t, 5, m->max, m->max_len);
		tc_field_binary(t, 6, m->min, m->min_len);
		tc_field_bool(t, 7, m->max_exact);
		tc_field_bool(t, 8, m->min_exact);
	}
	tc_struct_end(t);
}

static int write_footer(mdc_parquet_writer *w, mdc_error *err)
{
	tc_writer *t = &w->th;
	tc_reset(t);
	tc_struct_begin(t);
	tc_field_i32(t, 1, 2); /* version */
	tc_field_list(t, 2, TC_STRUCT, (uint32_t)w->ncols + 1);
	tc_struct_begin(t); /* the root */
	tc_field_string(t, 4, "schema");
	tc_field_i32(t, 5, (int32_t)w->ncols);
	tc_struct_end(t);
	for (size_t i = 0; i < w->ncols; i++) {
		const wcol *c = &w->cols[i];
		tc_struct_begin(t);
		tc_field_i32(t, 1, c->t.phys);
		if (c->t.phys == PQ_FIXED_LEN_BYTE_ARRAY)
			tc_field_i32(t, 2, c->t.type_length);
		tc_field_i32(t, 3, 1); /* OPTIONAL */
		tc_field_string(t, 4, c->name);
		int ct = converted_type(&c->t);
		if (ct >= 0)
			tc_field_i32(t, 6, ct);
		if (c->t.k == K_DECIMAL) {
			tc_field_i32(t, 7, c->t.scale);
			tc_field_i32(t, 8, c->t.precision);
		}
		put_logical_type(t, &c->t);
		tc_struct_end(t);
	}
	tc_field_i64(t, 3, w->rows);
	tc_field_list(t, 4, TC_STRUCT, (uint32_t)w->nrgs);
	for (size_t r = 0; r < w->nrgs; r++) {
		const rg_meta *rg = &w->rgs[r];
		tc_struct_begin(t);
		tc_field_list(t, 1, TC_STRUCT, (uint32_t)w->ncols);
		for (size_t i = 0; i < w->ncols; i++) {
			const chunk_meta *m = &rg->chunks[i];
			tc_struct_begin(t);
			tc_field_i64(t, 2, m->dict_off >= 0 ? m->dict_off : m->data_off);
			tc_field_struct(t, 3);
			tc_field_i32(t, 1, w->cols[i].t.phys);
			uint32_t nenc = 1 + (m->used_plain || m->used_dict) + m->used_dict;
			tc_field_list(t, 2, TC_I32, nenc);
			tc_elem_i32(t, PQ_ENC_RLE);
			if (m->used_plain || m->used_dict)
				tc_elem_i32(t, PQ_ENC_PLAIN);
			if (m->used_dict)
				tc_elem_i32(t, PQ_ENC_RLE_DICTIONARY);
			tc_field_list(t, 3, TC_BINARY, 1);
			tc_elem_string(t, w->cols[i].name);
			tc_field_i32(t, 4, w->codec);
			tc_field_i64(t, 5, m->num_values);
			tc_field_i64(t, 6, m->unc);
			tc_field_i64(t, 7, m->comp);
			tc_field_i64(t, 9, m->data_off);
			if (m->dict_off >= 0)
				tc_field_i64(t, 11, m->dict_off);
			put_stats(t, m);
			tc_struct_end(t); /* ColumnMetaData */
			tc_struct_end(t); /* ColumnChunk */
		}
		tc_field_i64(t, 2, rg->total_unc);
		tc_field_i64(t, 3, rg->num_rows);
		tc_field_i64(t, 5, rg->file_offset);
		tc_field_i64(t, 6, rg->total_comp);
		if (r <= INT16_MAX)
			tc_field_i16(t, 7, (int16_t)r);
		tc_struct_end(t);
	}
	tc_field_string(t, 6, CREATED_BY);
	tc_field_list(t, 7, TC_STRUCT, (uint32_t)w->ncols);
	for (size_t i = 0; i < w->ncols; i++) {
		tc_struct_begin(t);
		tc_field_struct(t, 1); /* TYPE_ORDER */
		tc_struct_end(t);
		tc_struct_end(t);
	}
	tc_struct_end(t);
	if (tc_failed(t) || t->len > UINT32_MAX)
		return mdc_error_set(err, ENOMEM, "parquet: footer: out of memory");
	uint8_t tail[8];
	le32(tail, (uint32_t)t->len);
	memcpy(tail + 4, "PAR1", 4);
	int rc = write_all(w, t->data, t->len, err);
	return rc ? rc : write_all(w, tail, 8, err);
}

int mdc_parquet_writer_finish(mdc_parquet_writer *w, mdc_error *err)
{
	mdc_error_clear(err);
	if (!w)
		return mdc_error_set(err, EINVAL, "parquet: no writer");
	if (w->failed || w->finished)
		return mdc_error_set(err, EINVAL, "parquet: writer is finished or failed");
	int rc = flush_row_group(w, err);
	if (!rc)
		rc = write_footer(w, err);
	if (rc)
		return fail(w, rc);
	w->finished = true;
	return 0;
}

/* ---- the export ---- */

/* The next COPY OUT message: 1 with *buf (PQfreemem it) and *len, 0 at the
 * end of the COPY data (the final status follows from PQgetResult), or
 * -errno with err. Reads what the kernel has before polling, like
 * mdc_pq_wait_ready. */
static int copy_next(PGconn *pg, char **buf, int *len, int64_t deadline, const char *what,
		     mdc_error *err)
{
	bool consumed = false;
	int tls_spins = 0;
	for (;;) {
		int n = PQgetCopyData(pg, buf, 1);
		if (n > 0) {
			*len = n;
			return 1;
		}
		if (n == -1)
			return 0;
		if (n != 0)
			return mdc_pq_fail(err, pg, NULL, what);
		if (!consumed) {
			if (!PQconsumeInput(pg))
				return mdc_pq_fail(err, pg, NULL, what);
			consumed = true;
			continue;
		}
		consumed = false;
		int rc = mdc_pq_wait_input(pg, deadline, &tls_spins, what, err);
		if (rc < 0)
			return rc;
	}
}

/* After a failure: cancel what still runs and read the rest (COPY data
 * included), for at most 5 s, so the connection can be reused. */
static void end_query(mdc_conn *c, PGconn *pg, bool final_seen, const char *what)
{
	if (PQstatus(pg) != CONNECTION_OK)
		return;
	if (!final_seen)
		mdc_conn_cancel(c);
	int64_t deadline = mdc_now_ms() + 5000;
	for (;;) {
		mdc_error e;
		mdc_error_clear(&e);
		if (mdc_pq_wait_ready(pg, deadline, what, &e) != 0) {
			mdc_log(LOG_WARNING, "%s: could not end the query (%s)", what, e.message);
			return;
		}
		PGresult *res = PQgetResult(pg);
		if (!res)
			return;
		bool copy = PQresultStatus(res) == PGRES_COPY_OUT;
		PQclear(res);
		int n = 1;
		while (copy && n == 1) {
			char *buf = NULL;
			int len;
			if ((n = copy_next(pg, &buf, &len, deadline, what, &e)) == 1)
				PQfreemem(buf);
		}
		if (n < 0) {
			mdc_log(LOG_WARNING, "%s: could not end the query (%s)", what, e.message);
			return;
		}
	}
}

/* "SELECT col, to_json(col)::text, ... FROM qname" */
static char *build_select(PGconn *pg, mdc_parquet_writer *w, const char *qname, mdc_error *err)
{
	pq_buf sql = { 0 };
	static const char sel[] = "SELECT ";
	int rc = pq_buf_put(&sql, sel, sizeof sel - 1);
	for (size_t i = 0; !rc && i < w->ncols; i++) {
		char *id = PQescapeIdentifier(pg, w->cols[i].name, strlen(w->cols[i].name));
		if (!id) {
			pq_buf_free(&sql);
			mdc_error_set(err, EINVAL, "parquet: cannot quote column name: %s", PQerrorMessage(pg));
			return NULL;
		}
		if (i)
			rc = pq_buf_put(&sql, ", ", 2);
		if (!rc && mdc_parquet_writer_wants_json(w, i))
			rc = pq_buf_put(&sql, "CAST(to_json(", 13);
		if (!rc)
			rc = pq_buf_put(&sql, id, strlen(id));
		if (!rc && mdc_parquet_writer_wants_json(w, i))
			rc = pq_buf_put(&sql, ") AS TEXT)", 10);
		PQfreemem(id);
	}
	if (!rc)
		rc = pq_buf_put(&sql, " FROM ", 6);
	if (!rc)
		rc = pq_buf_put(&sql, qname, strlen(qname) + 1);
	if (rc) {
		pq_buf_free(&sql);
		mdc_error_set(err, ENOMEM, "parquet: out of memory");
		return NULL;
	}
	return (char *)sql.data;
}

/* "COPY (SELECT col, CASE WHEN num_nulls(col) = 0 THEN format('%s', col) END,
 * CAST(to_json(col) AS TEXT), ... FROM qname) TO STDOUT (FORMAT binary)";
 * kinds[i] says how column i arrives. */
static char *build_copy(PGconn *pg, mdc_parquet_writer *w, const char *qname, bin_kind *kinds,
			mdc_error *err)
{
	pq_buf sql = { 0 };
	static const char head[] = "COPY (SELECT ";
	static const char tail[] = ") TO STDOUT (FORMAT binary)";
	int rc = pq_buf_put(&sql, head, sizeof head - 1);
	for (size_t i = 0; !rc && i < w->ncols; i++) {
		char *id = PQescapeIdentifier(pg, w->cols[i].name, strlen(w->cols[i].name));
		if (!id) {
			pq_buf_free(&sql);
			mdc_error_set(err, EINVAL, "parquet: cannot quote column name: %s", PQerrorMessage(pg));
			return NULL;
		}
		bool as_text;
		kinds[i] = pg_bin_kind(&w->cols[i], &as_text);
		const char *pre = "", *mid = NULL, *post = "";
		if (w->cols[i].t.k == K_JSON) {
			pre = "CAST(to_json(";
			post = ") AS TEXT)";
		} else if (as_text) {
			/* the type's output function, as the text protocol sends it
			 * (num_nulls: "x IS NULL" is true for a composite of NULLs) */
			pre = "CASE WHEN num_nulls(";
			mid = ") = 0 THEN format('%s', ";
			post = ") END";
		}
		if (i)
			rc = pq_buf_put(&sql, ", ", 2);
		if (!rc)
			rc = pq_buf_put(&sql, pre, strlen(pre));
		if (!rc)
			rc = pq_buf_put(&sql, id, strlen(id));
		if (!rc && mid)
			rc = pq_buf_put(&sql, mid, strlen(mid));
		if (!rc && mid)
			rc = pq_buf_put(&sql, id, strlen(id));
		if (!rc)
			rc = pq_buf_put(&sql, post, strlen(post));
		PQfreemem(id);
	}
	if (!rc)
		rc = pq_buf_put(&sql, " FROM ", 6);
	if (!rc)
		rc = pq_buf_put(&sql, qname, strlen(qname));
	if (!rc)
		rc = pq_buf_put(&sql, tail, sizeof tail); /* with the NUL */
	if (rc) {
		pq_buf_free(&sql);
		mdc_error_set(err, ENOMEM, "parquet: out of memory");
		return NULL;
	}
	return (char *)sql.data;
}

/* Reads the COPY BINARY stream (header, tuples, trailer) across messages. */
typedef struct copy_rd {
	pq_buf pend;            /* bytes of an incomplete tuple (or header) */
	bool header, trailer;
	const bin_kind *kinds;
	const uint8_t **vals;
	uint32_t *lens;
} copy_rd;

static const uint8_t copy_sig[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0 };

static int copy_feed(copy_rd *rd, mdc_parquet_writer *w, const uint8_t *data, size_t n,
		     const char *what, mdc_error *err)
{
	const uint8_t *p = data;
	size_t len = n, off = 0;
	if (rd->pend.len) {
		if (pq_buf_put(&rd->pend, data, n))
			return mdc_error_set(err, ENOMEM, "parquet: out of memory");
		p = rd->pend.data;
		len = rd->pend.len;
	}
	int rc = 0;
	while (!rd->trailer) {
		if (!rd->header) {
			if (len - off < 19)
				break;
			if (memcmp(p + off, copy_sig, 11) != 0 || (be32(p + off + 11) & (1u << 16)))
				return mdc_error_set(err, EIO, "%s: not a binary COPY stream", what);
			size_t ext = be32(p + off + 15);
			if (len - off - 19 < ext)
				break;
			off += 19 + ext;
			rd->header = true;
			continue;
		}
		if (len - off < 2)
			break;
		int nf = (int16_t)be16(p + off);
		if (nf == -1) {
			rd->trailer = true;
			off += 2;
			break;
		}
		if (nf < 0 || (size_t)nf != w->ncols)
			return mdc_error_set(err, EIO, "%s: the table changed (columns) during the export", what);
		size_t q = off + 2;
		bool whole = true;
		for (size_t i = 0; i < w->ncols; i++) {
			if (len - q < 4) {
				whole = false;
				break;
			}
			uint32_t fl = be32(p + q);
			q += 4;
			if (fl == UINT32_MAX) {
				rd->vals[i] = NULL;
				continue;
			}
			if (fl > INT32_MAX)
				return mdc_error_set(err, EIO, "%s: bad field length in the COPY stream", what);
			if (len - q < fl) {
				whole = false;
				break;
			}
			rd->vals[i] = p + q;
			rd->lens[i] = fl;
			q += fl;
		}
		if (!whole)
			break;
		if ((rc = add_row_binary(w, rd->kinds, rd->vals, rd->lens, err)) != 0)
			return rc;
		off = q;
	}
	if (rd->trailer)
		off = len; /* nothing follows the trailer */
	if (rd->pend.len) {
		memmove(rd->pend.data, rd->pend.data + off, len - off);
		rd->pend.len = len - off;
	} else if (off < len && pq_buf_put(&rd->pend, p + off, len - off)) {
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	}
	return 0;
}

/* PostgreSQL: the rows as COPY ... TO STDOUT (FORMAT binary): no PGresult
 * per row and no text to parse for the built-in types. *fallback is set
 * (and nothing was written) when the server refuses the statement itself
 * (SQLSTATE class 42 or 0A: a PostgreSQL look-alike without binary COPY,
 * format or num_nulls); the caller then uses the SELECT path. */
static int export_copy(mdc_conn *c, PGconn *pg, mdc_parquet_writer *w, const char *qname,
		       const char *what, bool *fallback, mdc_error *err)
{
	*fallback = false;
	copy_rd rd = { 0 };
	bin_kind *kinds = calloc(w->ncols, sizeof *kinds);
	rd.vals = calloc(w->ncols, sizeof *rd.vals);
	rd.lens = calloc(w->ncols, sizeof *rd.lens);
	rd.kinds = kinds;
	char *sql = NULL;
	bool sent = false, final_seen = false;
	int rc = 0;
	if (!kinds || !rd.vals || !rd.lens) {
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	if (!(sql = build_copy(pg, w, qname, kinds, err))) {
		rc = -err->errnum;
		goto out;
	}
	mdc_log(LOG_DEBUG, "SQL: %s", sql);
	if (!PQsendQuery(pg, sql)) {
		rc = mdc_pq_fail(err, pg, NULL, what);
		goto out;
	}
	sent = true;
	if ((rc = mdc_pq_wait_ready(pg, 0, what, err)) != 0)
		goto out;
	PGresult *res = PQgetResult(pg);
	if (!res) {
		sent = false;
		rc = mdc_error_set(err, EIO, "%s: no result", what);
		goto out;
	}
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		final_seen = true;
		if (state && (strncmp(state, "42", 2) == 0 || strncmp(state, "0A", 2) == 0)) {
			*fallback = true;
			rc = mdc_error_set(err, EIO, "%s: binary COPY refused (%s): %s", what, state,
					   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
					   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "?");
		} else {
			rc = mdc_pq_fail(err, pg, res, what);
		}
		PQclear(res);
		goto out;
	}
	PQclear(res);
	for (;;) {
		char *buf = NULL;
		int len = 0;
		int n = copy_next(pg, &buf, &len, 0, what, err);
		if (n < 0) {
			rc = n;
			goto out;
		}
		if (n == 0)
			break;
		rc = copy_feed(&rd, w, (const uint8_t *)buf, (size_t)len, what, err);
		PQfreemem(buf);
		if (rc)
			goto out;
	}
	for (;;) {
		if ((rc = mdc_pq_wait_ready(pg, 0, what, err)) != 0)
			goto out;
		res = PQgetResult(pg);
		if (!res) {
			sent = false;
			break;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK) {
			rc = mdc_pq_fail(err, pg, res, what);
			PQclear(res);
			final_seen = true;
			goto out;
		}
		final_seen = true;
		PQclear(res);
	}
	if (!final_seen || !rd.trailer)
		rc = mdc_error_set(err, EIO, "%s: the COPY data ended early", what);
out:
	if (sent)
		end_query(c, pg, final_seen, what);
	pq_buf_free(&rd.pend);
	free(kinds);
	free(rd.vals);
	free(rd.lens);
	free(sql);
	return rc;
}

int mdc_parquet_export(mdc_conn *c, const char *db, const char *schema, const char *rel,
		       int fd, const mdc_parquet_options *o, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	mdc_error_clear(err);
	if (!c || !schema || !rel || fd < 0)
		return mdc_error_set(err, EINVAL, "parquet export: missing connection, name or file");
	PGconn *pg = mdc_conn_pg(c);
	if (!pg || PQstatus(pg) != CONNECTION_OK)
		return mdc_error_set(err, EIO, "parquet export: connection is not usable");
	if (PQtransactionStatus(pg) == PQTRANS_ACTIVE)
		return mdc_error_set(err, EBUSY, "parquet export: connection is busy with another query");

	mdc_column_list cols = { 0 };
	int rc = mdc_list_columns(c, db, schema, rel, &cols, err);
	if (rc)
		return rc;
	if (cols.n == 0) {
		mdc_column_list_free(&cols);
		return mdc_error_set(err, ENOTSUP, "parquet export: %s.%s has no columns", schema, rel);
	}
	const char **names = calloc(cols.n, sizeof *names);
	const char **types = calloc(cols.n, sizeof *types);
	const char **vals = calloc(cols.n, sizeof *vals);
	int *lens = calloc(cols.n, sizeof *lens);
	mdc_parquet_writer *w = NULL;
	char *qname = NULL, *sql = NULL, *what = NULL;
	bool sent = false, final_seen = false;
	if (!names || !types || !vals || !lens) {
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	for (size_t i = 0; i < cols.n; i++) {
		names[i] = cols.cols[i].name;
		types[i] = cols.cols[i].type;
	}
	if ((rc = mdc_parquet_writer_open(fd, cols.n, names, types, mdc_conn_dialect(c), o, &w, err)) != 0)
		goto out;
	if (!(qname = mdc_pq_qualified(pg, db, schema, rel, err))) {
		rc = err->errnum ? -err->errnum : -EINVAL;
		goto out;
	}
	if (asprintf(&what, "parquet export of %s", qname) < 0) {
		what = NULL;
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	if (mdc_conn_dialect(c) == MDC_DIALECT_POSTGRES) {
		bool fallback = false;
		rc = export_copy(c, pg, w, qname, what, &fallback, err);
		if (!fallback)
			goto done;
		mdc_log(LOG_INFO, "%s; using SELECT instead", err->message);
		mdc_error_clear(err);
		rc = 0;
	}
	if (!(sql = build_select(pg, w, qname, err))) {
		rc = -err->errnum;
		goto out;
	}
	mdc_log(LOG_DEBUG, "SQL: %s", sql);
	if (!PQsendQuery(pg, sql)) {
		rc = mdc_pq_fail(err, pg, NULL, what);
		goto out;
	}
	sent = true;
	if (!PQsetSingleRowMode(pg)) {
		rc = mdc_error_set(err, EIO, "%s: single-row mode refused", what);
		goto out;
	}
	for (;;) {
		if ((rc = mdc_pq_wait_ready(pg, 0, what, err)) != 0)
			goto out;
		PGresult *res = PQgetResult(pg);
		if (!res) {
			sent = false;
			if (!final_seen) {
				rc = mdc_error_set(err, EIO, "%s: results ended without a final status", what);
				goto out;
			}
			break;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE && !final_seen) {
			if ((size_t)PQnfields(res) != cols.n) {
				PQclear(res);
				rc = mdc_error_set(err, EIO, "%s: the table changed (columns) during the export", what);
				goto out;
			}
			for (size_t i = 0; i < cols.n; i++) {
				if (PQgetisnull(res, 0, (int)i)) {
					vals[i] = NULL;
				} else {
					vals[i] = PQgetvalue(res, 0, (int)i);
					lens[i] = PQgetlength(res, 0, (int)i);
				}
			}
			rc = mdc_parquet_writer_add_row(w, vals, lens, err);
			PQclear(res);
			if (rc)
				goto out;
		} else if (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) {
			final_seen = true;
			PQclear(res);
		} else {
			rc = mdc_pq_fail(err, pg, res, what);
			PQclear(res);
			final_seen = true;
			goto out;
		}
	}
done:
	if (!rc)
		rc = mdc_parquet_writer_finish(w, err);
	if (!rc)
		mdc_log(LOG_DEBUG, "%s: %lld rows, %llu bytes", what,
			(long long)mdc_parquet_writer_rows(w), (unsigned long long)mdc_parquet_writer_size(w));
out:
	if (sent)
		end_query(c, pg, final_seen, what ? what : "parquet export");
	mdc_parquet_writer_free(w);
	free(what);
	free(sql);
	free(qname);
	free(names);
	free(types);
	free(vals);
	free(lens);
	mdc_column_list_free(&cols);
	return rc;
}
