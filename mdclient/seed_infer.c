/* mdclient/seed_infer.c - dbt/agate type inference and conversion. See
 * seed_infer.h. The Python emulation it rests on is seed_pytext.c and
 * seed_pydate.c. */
#include "mdclient/internal/seed_infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/calendar.h"
#include "mdclient/internal/seed_py.h"

__extension__ typedef unsigned __int128 u128;

const char *mdc_seed_kind_name(mdc_seed_kind k)
{
	static const char *const names[] = { "Integer", "Number", "Date", "DateTime",
					     "ISODateTime", "Boolean", "Text" };
	return (unsigned)k < MDC_SEED_KIND_COUNT ? names[k] : "?";
}

/* ---- cells and columns ---- */

int mdc_seed_cell_is_null(mdc_seed_kind k, const char *s, size_t len)
{
	if (k == MDC_SEED_KIND_BOOLEAN)
		return seed_py_bool(s, len) == 2;
	if (k == MDC_SEED_KIND_INTEGER)
		return 1;
	return seed_py_basic_null(s, len);
}

/* The kinds (among alive) the cell passes. */
static unsigned cell_kinds(const char *s, size_t len, unsigned alive, seed_num *x, int *numrc)
{
	*numrc = -1;
	if (seed_py_basic_null(s, len))
		return MDC_SEED_KIND_ALL;
	unsigned k = 1u << MDC_SEED_KIND_TEXT;
	seed_dt d;
	if (alive & (1u << MDC_SEED_KIND_NUMBER)) {
		*numrc = seed_py_number(s, len, x);
		if (*numrc == 0)
			k |= 1u << MDC_SEED_KIND_NUMBER;
		else if (*numrc == 1)
			*numrc = -1;
	}
	if ((alive & (1u << MDC_SEED_KIND_DATE)) && seed_py_date(s, len, &d) == 0)
		k |= 1u << MDC_SEED_KIND_DATE;
	if ((alive & (1u << MDC_SEED_KIND_DATETIME)) && seed_py_datetime(s, len, &d) == 0)
		k |= 1u << MDC_SEED_KIND_DATETIME;
	if ((alive & (1u << MDC_SEED_KIND_ISODATETIME)) && seed_py_isodatetime(s, len, &d) == 0)
		k |= 1u << MDC_SEED_KIND_ISODATETIME;
	if ((alive & (1u << MDC_SEED_KIND_BOOLEAN)) && seed_py_bool(s, len) >= 0)
		k |= 1u << MDC_SEED_KIND_BOOLEAN;
	return k;
}

unsigned mdc_seed_cell_kinds(const char *s, size_t len)
{
	seed_num x;
	int rc;
	unsigned k = cell_kinds(s, len, MDC_SEED_KIND_ALL, &x, &rc);
	if (rc == 0)
		seed_num_free(&x);
	return k;
}

void mdc_seed_infer_init(mdc_seed_col_infer *c, int forced_text)
{
	memset(c, 0, sizeof *c);
	c->kinds = MDC_SEED_KIND_ALL;
	c->forced_text = forced_text;
}

/* 0 int32, 1 int64, 2 <= 38 digits, 3 more */
static int int_class(const seed_num *x)
{
	if (x->nd == 0)
		return 0;
	long long nint = (long long)x->nd + x->exp;
	if (nint > 38)
		return 3;
	if (nint > 19)
		return 2;
	u128 v = 0;
	for (size_t i = 0; i < x->nd; i++)
		v = v * 10 + (u128)(x->digits[i] - '0');
	for (long long i = 0; i < x->exp; i++)
		v *= 10;
	if (x->neg ? v <= (u128)2147483648u : v <= 2147483647u)
		return 0;
	if (x->neg ? v <= ((u128)1 << 63) : v <= (((u128)1 << 63) - 1))
		return 1;
	return 2;
}

static int plain_cell(const char *s, size_t len, unsigned *kinds, int *frac, int *iclass);

void mdc_seed_infer_add(mdc_seed_col_infer *c, const char *s, size_t len)
{
	if (c->forced_text) {
		if (!seed_py_basic_null(s, len))
			c->non_null++;
		return;
	}
	/* Fast path: once only Text survives, nothing to learn. */
	if (c->kinds == (1u << MDC_SEED_KIND_TEXT))
		return;
	/* Fast path: the most common plain forms, without the parsers. */
	unsigned pk;
	int frac, pclass;
	if (plain_cell(s, len, &pk, &frac, &pclass)) {
		int num = (c->kinds & pk & (1u << MDC_SEED_KIND_NUMBER)) != 0;
		c->non_null++;
		c->kinds &= pk;
		if (num) {
			if (frac)
				c->has_fraction = 1;
			else if (pclass > c->int_class)
				c->int_class = pclass;
		}
		return;
	}
	seed_num x;
	int nrc;
	unsigned k = cell_kinds(s, len, c->kinds, &x, &nrc);
	if (k != MDC_SEED_KIND_ALL)
		c->non_null++;
	c->kinds &= k;
	if (nrc == 0) {
		if (x.kind != 0)
			c->has_nonfinite = 1;
		else {
			if (x.nd && x.exp < 0)
				c->has_fraction = 1;
			else {
				int ic = int_class(&x);
				if (ic > c->int_class)
					c->int_class = ic;
			}
		}
		seed_num_free(&x);
	}
}

void mdc_seed_infer_merge(mdc_seed_col_infer *c, const mdc_seed_col_infer *o)
{
	/* Candidates only ever drop out, and the Number facts are complete in
	 * each part while Number is alive in it (the Text-only shortcut in
	 * mdc_seed_infer_add skips them only once Number is gone for good). */
	c->kinds &= o->kinds;
	c->has_fraction |= o->has_fraction;
	c->has_nonfinite |= o->has_nonfinite;
	if (o->int_class > c->int_class)
		c->int_class = o->int_class;
	c->non_null += o->non_null;
}

mdc_seed_kind mdc_seed_infer_kind(const mdc_seed_col_infer *c)
{
	if (c->forced_text)
		return MDC_SEED_KIND_TEXT;
	for (int k = 0; k < MDC_SEED_KIND_COUNT; k++)
		if (c->kinds & (1u << k))
			return (mdc_seed_kind)k;
	return MDC_SEED_KIND_TEXT;
}

const char *mdc_seed_infer_sql_type(const mdc_seed_col_infer *c)
{
	switch (mdc_seed_infer_kind(c)) {
	case MDC_SEED_KIND_INTEGER:
		return "integer";
	case MDC_SEED_KIND_NUMBER:
		if (c->has_fraction || c->has_nonfinite || c->int_class >= 3)
			return "float8";
		return c->int_class == 0 ? "integer" : c->int_class == 1 ? "bigint" : "numeric(38,0)";
	case MDC_SEED_KIND_DATE:
		return "date";
	case MDC_SEED_KIND_DATETIME:
	case MDC_SEED_KIND_ISODATETIME:
		return "timestamp without time zone";
	case MDC_SEED_KIND_BOOLEAN:
		return "boolean";
	default:
		return "text";
	}
}

/* ---- conversion ---- */

static size_t fmt_number(const seed_num *x, int integral, char *buf)
{
	char *p = buf;
	if (x->kind == 1)
		return (size_t)sprintf(buf, "NaN");
	if (x->kind == 2)
		return (size_t)sprintf(buf, "%sInfinity", x->neg ? "-" : "");
	if (x->nd == 0)
		return (size_t)sprintf(buf, "0");
	if (x->neg)
		*p++ = '-';
	if (integral && x->exp >= 0 && x->exp <= 64) {
		memcpy(p, x->digits, x->nd);
		p += x->nd;
		for (long long i = 0; i < x->exp; i++)
			*p++ = '0';
	} else if (x->exp >= 0 && x->exp <= 20) {
		memcpy(p, x->digits, x->nd);
		p += x->nd;
		for (long long i = 0; i < x->exp; i++)
			*p++ = '0';
	} else if (x->exp < 0 && (long long)x->nd > -x->exp) {
		size_t ip = (size_t)((long long)x->nd + x->exp);
		memcpy(p, x->digits, ip);
		p += ip;
		*p++ = '.';
		memcpy(p, x->digits + ip, x->nd - ip);
		p += x->nd - ip;
	} else if (x->exp < 0 && -x->exp <= 20) {
		*p++ = '0';
		*p++ = '.';
		for (long long i = 0; i < -x->exp - (long long)x->nd; i++)
			*p++ = '0';
		memcpy(p, x->digits, x->nd);
		p += x->nd;
	} else {
		memcpy(p, x->digits, x->nd);
		p += x->nd;
		p += sprintf(p, "e%lld", x->exp);
	}
	*p = '\0';
	return (size_t)(p - buf);
}

static char *put_num(char *p, long long v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < 24);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static size_t fmt_dt(const seed_dt *d, int with_time, char *buf)
{
	seed_dt u = *d;
	if (with_time && u.has_tz && u.tz_min) {
		long long t = mdc_days_from_civil(u.y, u.mo, u.d) * 1440 + u.h * 60 + u.mi - u.tz_min;
		long long days = t >= 0 ? t / 1440 : -((-t + 1439) / 1440);
		long long mins = t - days * 1440;
		mdc_civil_from_days(days, &u.y, &u.mo, &u.d);
		u.h = (int)(mins / 60);
		u.mi = (int)(mins % 60);
	}
	char *p = buf;
	p = put_num(p, u.y, 4);
	*p++ = '-';
	p = put_num(p, u.mo, 2);
	*p++ = '-';
	p = put_num(p, u.d, 2);
	if (with_time) {
		*p++ = ' ';
		p = put_num(p, u.h, 2);
		*p++ = ':';
		p = put_num(p, u.mi, 2);
		*p++ = ':';
		p = put_num(p, u.s, 2);
		if (u.us) {
			*p++ = '.';
			p = put_num(p, u.us, 6);
		}
	}
	*p = '\0';
	return (size_t)(p - buf);
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A number fmt_number writes back byte for byte: -?(0|[1-9]\d*)(\.\d*[1-9])?
 * with at most 19 digits before the point and 20 after, not zero but "0". */
static bool plain_number(const char *s, size_t len)
{
	size_t i = 0, ip, fp = 0;
	if (len && s[0] == '-')
		i++;
	size_t start = i;
	while (i < len && is_digit(s[i]))
		i++;
	ip = i - start;
	if (ip == 0 || ip > 19 || (ip > 1 && s[start] == '0'))
		return false;
	bool zero = ip == 1 && s[start] == '0';
	if (i < len) {
		if (s[i++] != '.')
			return false;
		size_t fs = i;
		while (i < len && is_digit(s[i]))
			i++;
		fp = i - fs;
		if (i != len || fp == 0 || fp > 20 || s[len - 1] == '0')
			return false;
		zero = false; /* a non-zero digit ends the fraction */
	}
	return !zero || (len == 1);
}

/* "YYYY-MM-DD" (10) or "YYYY-MM-DD HH:MM:SS" (19): fmt_dt writes a valid
 * one back byte for byte. */
static bool plain_datetime(const char *s, size_t len, size_t want)
{
	static const char pat[] = "dddd-dd-dd dd:dd:dd";
	if (len != want)
		return false;
	for (size_t i = 0; i < len; i++)
		if (pat[i] == 'd' ? !is_digit(s[i]) : s[i] != pat[i])
			return false;
	return true;
}

/* A plain date (10) or date-time (19, plain_datetime) is a valid one, as
 * strptime's "%Y-%m-%d[ %H:%M:%S]" and the checks after it take it. */
static bool valid_plain_dt(const char *s, size_t len)
{
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int mo = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdc_days_in_month(y, mo))
		return false;
	if (len == 10)
		return true;
	int h = (s[11] - '0') * 10 + (s[12] - '0'), mi = (s[14] - '0') * 10 + (s[15] - '0'),
	    sec = (s[17] - '0') * 10 + (s[18] - '0');
	return h <= 23 && mi <= 59 && sec <= 59;
}

/* The kinds a cell of one of the common plain forms passes (what
 * cell_kinds finds for it), without the parsers: a plain number (NUMBER,
 * with *frac, or *iclass as int_class gives it), YYYY-MM-DD (DATE when
 * valid), YYYY-MM-DD HH:MM:SS (DATETIME when valid), true/false (BOOLEAN);
 * always TEXT, never NULL. 0 when the cell is of none of them. */
static int plain_cell(const char *s, size_t len, unsigned *kinds, int *frac, int *iclass)
{
	unsigned text = 1u << MDC_SEED_KIND_TEXT;
	*frac = *iclass = 0;
	if (plain_number(s, len)) {
		*kinds = text | 1u << MDC_SEED_KIND_NUMBER;
		const char *dot = memchr(s, '.', len);
		if (dot) {
			*frac = 1;
			return 1;
		}
		int neg = s[0] == '-';
		unsigned long long v = 0;
		for (size_t i = (size_t)neg; i < len; i++)
			v = v * 10 + (unsigned long long)(s[i] - '0'); /* at most 19 digits */
		*iclass = (neg ? v <= 2147483648ull : v <= 2147483647ull) ? 0
			: (neg ? v <= 9223372036854775808ull : v <= 9223372036854775807ull) ? 1 : 2;
		return 1;
	}
	if (plain_datetime(s, len, 10)) {
		*kinds = text | (valid_plain_dt(s, len) ? 1u << MDC_SEED_KIND_DATE : 0);
		return 1;
	}
	if (plain_datetime(s, len, 19)) {
		*kinds = text | (valid_plain_dt(s, len) ? 1u << MDC_SEED_KIND_DATETIME : 0);
		return 1;
	}
	if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0)) {
		*kinds = text | 1u << MDC_SEED_KIND_BOOLEAN;
		return 1;
	}
	return 0;
}

/* The cell is already the text mdc_seed_convert would make of it (when it
 * is a valid value of kind k at all). */
static bool already_plain(mdc_seed_kind k, const char *s, size_t len)
{
	switch (k) {
	case MDC_SEED_KIND_NUMBER:
		return plain_number(s, len);
	case MDC_SEED_KIND_DATE:
		return plain_datetime(s, len, 10);
	case MDC_SEED_KIND_DATETIME:
		return plain_datetime(s, len, 19);
	case MDC_SEED_KIND_BOOLEAN:
		return (len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0);
	default:
		return false;
	}
}

int mdc_seed_convert(mdc_seed_kind k, const char *sql_type, const char *s, size_t len,
		     char *buf, const char **out, size_t *outlen)
{
	seed_dt d;
	int rc;
	*out = NULL;
	*outlen = 0;
	if (already_plain(k, s, len)) {
		*out = s;
		*outlen = len;
		return 1;
	}
	switch (k) {
	case MDC_SEED_KIND_INTEGER:
		return 0;
	case MDC_SEED_KIND_NUMBER: {
		seed_num x;
		rc = seed_py_number(s, len, &x);
		if (rc == 1)
			return 0;
		if (rc < 0)
			return -1;
		int integral = sql_type && strcmp(sql_type, "float8") != 0;
		*outlen = fmt_number(&x, integral, buf);
		*out = buf;
		seed_num_free(&x);
		return 1;
	}
	case MDC_SEED_KIND_DATE:
		if (seed_py_basic_null(s, len))
			return 0;
		if (seed_py_date(s, len, &d) < 0)
			return -1;
		*outlen = fmt_dt(&d, 0, buf);
		*out = buf;
		return 1;
	case MDC_SEED_KIND_DATETIME:
		if (seed_py_basic_null(s, len))
			return 0;
		if (seed_py_datetime(s, len, &d) < 0)
			return -1;
		*outlen = fmt_dt(&d, 1, buf);
		*out = buf;
		return 1;
	case MDC_SEED_KIND_ISODATETIME:
		if (seed_py_basic_null(s, len))
			return 0;
		if (seed_py_isodatetime(s, len, &d) < 0)
			return -1;
		*outlen = fmt_dt(&d, 1, buf);
		*out = buf;
		return 1;
	case MDC_SEED_KIND_BOOLEAN:
		rc = seed_py_bool(s, len);
		if (rc == 2)
			return 0;
		if (rc < 0)
			return -1;
		*outlen = (size_t)sprintf(buf, rc ? "true" : "false");
		*out = buf;
		return 1;
	default:
		if (seed_py_basic_null(s, len))
			return 0;
		*out = s;
		*outlen = len;
		return 1;
	}
}

