/* mdclient/parquet_text.c - the servers' text forms → Parquet value bytes
 * (contract in internal/parquet_int.h). Pure functions, unit-tested in
 * tests/c/test_parquet_text.c. */
#include <errno.h>
#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mdclient/internal/calendar.h"
#include "mdclient/internal/parquet_int.h"

#define IS_DIGIT(ch) ((unsigned)((ch) - '0') < 10u)

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

bool parquet_is_word(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

int parquet_parse_bool(const char *s, size_t len, uint8_t *out)
{
	if (len == 1 && (s[0] == 't' || s[0] == 'f')) /* PostgreSQL's t/f */
		*out = s[0] == 't';
	else if (parquet_is_word(s, len, "t") || parquet_is_word(s, len, "true") ||
		 parquet_is_word(s, len, "1"))
		*out = 1;
	else if (parquet_is_word(s, len, "f") || parquet_is_word(s, len, "false") ||
		 parquet_is_word(s, len, "0"))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

/* Could s be "infinity" or "-infinity" (any case)? Cheap test before is_word. */
static inline bool maybe_infinity(const char *s, size_t len)
{
	return len >= 8 && (s[0] == 'i' || s[0] == 'I' || (s[0] == '-' && (s[1] == 'i' || s[1] == 'I')));
}

int parquet_parse_date(const char *s, size_t len, int32_t *out)
{
	const char *p = s, *end = s + len;
	if (!maybe_infinity(s, len)) {
		/* the common case: no special word */
	} else if (parquet_is_word(s, len, "infinity")) {
		*out = INT32_MAX;
		return 0;
	}
	if (parquet_is_word(s, len, "-infinity")) {
		*out = -INT32_MAX;
		return 0;
	}
	bool bc = strip_bc(s, &end);
	int64_t y, m, d;
	if (parse_date_part(&p, end, &y, &m, &d) || p != end)
		return -EINVAL;
	if (bc)
		y = 1 - y;
	int64_t days = mdc_days_from_civil(y, (int)m, (int)d);
	if (days <= -INT32_MAX || days >= INT32_MAX)
		return -ERANGE;
	*out = (int32_t)days;
	return 0;
}

/* Timestamp text → micros (or nanos) since the epoch; tz: apply an offset. */
int parquet_parse_ts(const char *s, size_t len, bool nanos, int64_t *out)
{
	if (!maybe_infinity(s, len)) {
		/* the common case: no special word */
	} else if (parquet_is_word(s, len, "infinity")) {
		*out = INT64_MAX;
		return 0;
	}
	if (parquet_is_word(s, len, "-infinity")) {
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
	int64_t days = mdc_days_from_civil(y, (int)m, (int)d);
	if (!nanos && y > -200000 && y < 200000) {
		/* |days| < 7.4e7, so micros stay far inside int64: the same
		 * floor as below (tod >= 0, the rest are whole micros). */
		*out = days * 86400000000LL + tod / 1000 - off_s * 1000000;
		return 0;
	}
	/* In nanoseconds, parquet_i128 so nothing overflows before the range check. */
	parquet_i128 ns = (parquet_i128)days * 86400 * 1000000000 + tod - (parquet_i128)off_s * 1000000000;
	parquet_i128 v = nanos ? ns : (ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000));
	if (v >= INT64_MAX || v <= -INT64_MAX)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

int parquet_parse_time(const char *s, size_t len, int64_t *out)
{
	const char *p = s, *end = s + len;
	int64_t ns;
	if (parse_time_part(&p, end, &ns) || p != end)
		return -EINVAL;
	*out = ns / 1000;
	return 0;
}

/* Decimal text "[-]digits[.digits]" → unscaled integer at scale. */
int parquet_parse_decimal(const char *s, size_t len, int scale, parquet_i128 *out)
{
	const char *p = s, *end = s + len;
	bool neg = false;
	if (p < end && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	parquet_u128 v = 0;
	const parquet_u128 lim = ((parquet_u128)1 << 127);
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
	*out = neg ? -(parquet_i128)(v - 1) - 1 : (parquet_i128)v;
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

int parquet_parse_uuid(const char *s, size_t len, uint8_t out[16])
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
int parquet_parse_blob(const char *s, size_t len, mdc_parquet_text d, mdc_buf *out)
{
	out->len = 0;
	if (mdc_buf_reserve(out, len + 1))
		return -ENOMEM;
	uint8_t *o = out->bytes;
	size_t n = 0;
	if (d == MDC_PARQUET_TEXT_POSTGRES && len >= 2 && s[0] == '\\' && s[1] == 'x') {
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
			if (d == MDC_PARQUET_TEXT_DUCKDB) {
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

/* "[-+]digits" with at most 18 digits (cannot overflow int64): 1 and *out,
 * else 0 (the caller falls back to strtoll and its exact error rules). */
int parquet_fast_int(const char *s, size_t len, int64_t *out)
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
int parquet_fast_float(const char *s, size_t len, bool single, double *d, float *f)
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
