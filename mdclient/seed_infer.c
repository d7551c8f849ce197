/* mdclient/seed_infer.c - dbt/agate type inference and conversion. See seed_infer.h. */
#include "mdclient/seed_infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

const char *mdc_seed_kind_name(mdc_seed_kind k)
{
	static const char *const names[] = { "Integer", "Number", "Date", "DateTime",
					     "ISODateTime", "Boolean", "Text" };
	return (unsigned)k < MDC_SEED_KIND_COUNT ? names[k] : "?";
}

/* ---- Python str.strip() whitespace over UTF-8 ---- */

/* Length of the whitespace character starting at s[0] (n bytes left), or 0. */
static size_t ws_at(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];
	if ((b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x20))
		return 1;
	if (b == 0xC2 && n >= 2 && (s[1] == 0x85 || s[1] == 0xA0))
		return 2;
	if (n >= 3) {
		if (b == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
			return 3;
		if (b == 0xE2 && s[1] == 0x80 && (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
			return 3;
		if (b == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
			return 3;
		if (b == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
			return 3;
	}
	return 0;
}

/* Length of the whitespace character ending at s[n-1], or 0. */
static size_t ws_before(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	unsigned char b = s[n - 1];
	if (b < 0x80)
		return ws_at(s + n - 1, 1);
	if (n >= 2 && ws_at(s + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && ws_at(s + n - 3, 3) == 3)
		return 3;
	return 0;
}

static void strip_ws(const char **s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)*s;
	size_t len = *n, k;
	while (len && (k = ws_at(p, len)) > 0) {
		p += k;
		len -= k;
	}
	while (len && (k = ws_before(p, len)) > 0)
		len -= k;
	*s = (const char *)p;
	*n = len;
}

/* strip(sym) for a one-character (UTF-8) string sym. */
static void strip_str(const char **s, size_t *n, const char *sym)
{
	size_t k = strlen(sym);
	while (*n >= k && memcmp(*s, sym, k) == 0) {
		*s += k;
		*n -= k;
	}
	while (*n >= k && memcmp(*s + *n - k, sym, k) == 0)
		*n -= k;
}

static int ieq(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	if (n != k)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return 0;
	}
	return 1;
}

static int is_null_stripped(const char *s, size_t n)
{
	return n == 0 || ieq(s, n, "null");
}

static int basic_null(const char *s, size_t n)
{
	strip_ws(&s, &n);
	return is_null_stripped(s, n);
}

/* ---- Boolean ---- (delete ',', strip; 0 false, 1 true, 2 NULL, -1 no) */
static int parse_bool(const char *s, size_t n)
{
	char small[64];
	char *tmp = n <= sizeof small ? small : malloc(n);
	if (!tmp)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ',')
			tmp[m++] = s[i];
	const char *p = tmp;
	strip_ws(&p, &m);
	int rc = -1;
	if (is_null_stripped(p, m))
		rc = 2;
	else if (ieq(p, m, "true"))
		rc = 1;
	else if (ieq(p, m, "false"))
		rc = 0;
	if (tmp != small)
		free(tmp);
	return rc;
}

/* ---- Number ---- */

typedef struct num {
	int kind;            /* 0 finite, 1 NaN, 2 Infinity */
	int neg;
	char *digits;        /* significant digits, no leading/trailing zeros (malloc'd or small) */
	size_t nd;           /* 0: the value is zero */
	long long exp;       /* value = digits * 10^exp */
	char small[64];
} num;

static void num_free(num *x)
{
	if (x->digits && x->digits != x->small)
		free(x->digits);
	x->digits = NULL;
}

static const char *const currency[] = {
	"\xd8\x8b", "$", "\xc6\x92", "\xe1\x9f\x9b", "\xc2\xa5", "\xe2\x82\xa1", "\xe2\x82\xb1",
	"\xc2\xa3", "\xe2\x82\xac", "\xc2\xa2", "\xef\xb7\xbc", "\xe2\x82\xaa", "\xe2\x82\xa9",
	"\xe2\x82\xad", "\xe2\x82\xae", "\xe2\x82\xa6", "\xe0\xb8\xbf", "\xe2\x82\xa4",
	"\xe2\x82\xab", "\xe2\x82\xb9",
};

/* Python's Decimal(str) on s (commas already removed). Fills x; 0 ok, -1 no. */
static int parse_decimal(const char *s, size_t n, num *x)
{
	strip_ws(&s, &n);
	/* Copy without '_'; anything non-ASCII fails. */
	char *t = n + 1 <= sizeof x->small ? x->small : malloc(n + 1);
	if (!t)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '_')
			continue;
		if (c >= 0x80)
			goto bad;
		t[m++] = (char)c;
	}
	t[m] = '\0';
	x->digits = t;
	size_t i = 0;
	int neg = 0;
	if (i < m && (t[i] == '+' || t[i] == '-')) {
		neg = t[i] == '-';
		i++;
	}
	const char *r = t + i;
	size_t rn = m - i;
	if (ieq(r, rn, "inf") || ieq(r, rn, "infinity")) {
		x->kind = 2;
		x->neg = neg;
		x->nd = 0;
		return 0;
	}
	if (rn >= 3 && ieq(r, 3, "nan")) {
		for (size_t k = 3; k < rn; k++)
			if (r[k] < '0' || r[k] > '9')
				goto bad;
		x->kind = 1;
		x->neg = neg;
		x->nd = 0;
		return 0;
	}
	/* coefficient */
	size_t intd = 0, fracd = 0;
	size_t k = 0;
	size_t dstart = 0, ndig = 0;
	char *out = t; /* digits compacted in place at the front (we are ahead of it) */
	(void)dstart;
	while (k < rn && r[k] >= '0' && r[k] <= '9') {
		out[ndig++] = r[k++];
		intd++;
	}
	if (k < rn && r[k] == '.') {
		k++;
		while (k < rn && r[k] >= '0' && r[k] <= '9') {
			out[ndig++] = r[k++];
			fracd++;
		}
	}
	if (intd + fracd == 0)
		goto bad;
	long long e = 0;
	if (k < rn && (r[k] == 'e' || r[k] == 'E')) {
		k++;
		int eneg = 0;
		if (k < rn && (r[k] == '+' || r[k] == '-')) {
			eneg = r[k] == '-';
			k++;
		}
		if (k >= rn)
			goto bad;
		while (k < rn) {
			if (r[k] < '0' || r[k] > '9')
				goto bad;
			if (e < 1000000000000LL)
				e = e * 10 + (r[k] - '0');
			k++;
		}
		if (eneg)
			e = -e;
	}
	if (k != rn)
		goto bad;
	/* normalise: strip leading zeros, then trailing zeros into the exponent */
	e -= (long long)fracd;
	size_t lead = 0;
	while (lead < ndig && out[lead] == '0')
		lead++;
	size_t end = ndig;
	while (end > lead && out[end - 1] == '0') {
		end--;
		e++;
	}
	memmove(out, out + lead, end - lead);
	x->nd = end - lead;
	out[x->nd] = '\0';
	if (x->nd == 0)
		e = 0;
	x->exp = e;
	x->kind = 0;
	x->neg = neg;
	return 0;
bad:
	if (t != x->small)
		free(t);
	x->digits = NULL;
	return -1;
}

/* agate Number.cast: 0 value in x, 1 NULL, -1 not a number. */
static int parse_number(const char *s, size_t n, num *x)
{
	memset(x, 0, sizeof *x);
	strip_ws(&s, &n);
	if (is_null_stripped(s, n))
		return 1;
	strip_str(&s, &n, "%");
	int neg = 0;
	if (n > 0 && s[0] == '-') {
		s++;
		n--;
		neg = 1;
	}
	/* Every symbol starts with '$' or a non-ASCII byte and ends in '$' or a
	 * continuation byte: when neither end can hold one, skip the loop. */
	if (n && (s[0] == '$' || (unsigned char)s[0] >= 0x80 || s[n - 1] == '$' ||
		  (unsigned char)s[n - 1] >= 0x80))
		for (size_t i = 0; i < sizeof currency / sizeof currency[0]; i++)
			strip_str(&s, &n, currency[i]);
	char small[128];
	char *t = n <= sizeof small ? small : malloc(n);
	if (!t)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ',')
			t[m++] = s[i];
	int rc = parse_decimal(t, m, x);
	if (t != small)
		free(t);
	if (rc < 0)
		return -1;
	if (neg)
		x->neg = !x->neg;
	return 0;
}

/* ---- dates ---- */

static int is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(long y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* days since 1970-01-01 (proleptic Gregorian) */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long yy = yoe + era * 400;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

typedef struct dt {
	long long y;
	int mo, d, h, mi, s, us;
	int has_tz, tz_min; /* offset east of UTC in minutes */
} dt;

/* A tiny matcher for strptime's regexes: each item is a list of alternatives;
 * an alternative is a string of [lo,hi] byte-range pairs; the item "W" is
 * \s+ and "-"/":" are literals. Returns the end of the first match or -1. */
typedef struct item {
	const char *const *alts; /* NULL-terminated; NULL alts: special */
	char lit;                /* literal char when alts NULL and lit != 0; 0: \s+ */
} item;

static long match_items(const item *it, size_t nit, const char *s, size_t n, size_t pos)
{
	if (nit == 0)
		return (long)pos;
	if (!it->alts) {
		if (it->lit) {
			if (pos < n && s[pos] == it->lit)
				return match_items(it + 1, nit - 1, s, n, pos + 1);
			return -1;
		}
		/* \s+ : greedy, backtracking */
		size_t ends[256];
		size_t ne = 0, p = pos, k;
		while (p < n && ne < 256 && (k = ws_at((const unsigned char *)s + p, n - p)) > 0) {
			p += k;
			ends[ne++] = p;
		}
		while (ne > 0) {
			long r = match_items(it + 1, nit - 1, s, n, ends[--ne]);
			if (r >= 0)
				return r;
		}
		return -1;
	}
	for (const char *const *a = it->alts; *a; a++) {
		size_t L = strlen(*a) / 2, j;
		if (pos + L > n)
			continue;
		for (j = 0; j < L; j++) {
			char c = s[pos + j];
			if (c < (*a)[2 * j] || c > (*a)[2 * j + 1])
				break;
		}
		if (j < L)
			continue;
		long r = match_items(it + 1, nit - 1, s, n, pos + L);
		if (r >= 0)
			return r;
	}
	return -1;
}

static const char *const A_Y[] = { "09090909", NULL };
static const char *const A_m[] = { "1102", "0019", "19", NULL };
static const char *const A_d[] = { "3301", "1209", "0019", "19", "  19", NULL };
static const char *const A_H[] = { "2203", "0109", "09", NULL };
static const char *const A_M[] = { "0509", "09", NULL };
static const char *const A_S[] = { "6601", "0509", "09", NULL };

static int atoi_span(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (s[i] - '0');
	return v;
}

/* Parse the numbers back out of a strptime match (fields are separated by
 * '-', ':' and whitespace, so split on non-digits; " 5" days are fine). */
static int strptime_fields(const char *s, size_t n, int *v, int nv)
{
	int k = 0;
	size_t i = 0;
	while (i < n && k < nv) {
		while (i < n && !(s[i] >= '0' && s[i] <= '9'))
			i++;
		size_t st = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i > st)
			v[k++] = atoi_span(s + st, i - st);
	}
	return k;
}

static int parse_date_fmt(const char *s, size_t n, dt *out)
{
	static const item items[] = { { A_Y, 0 }, { NULL, '-' }, { A_m, 0 }, { NULL, '-' }, { A_d, 0 } };
	strip_ws(&s, &n);
	long e = match_items(items, 5, s, n, 0);
	if (e < 0 || (size_t)e != n)
		return -1;
	int v[3];
	if (strptime_fields(s, n, v, 3) != 3)
		return -1;
	if (v[0] < 1 || v[2] < 1 || v[2] > mdays(v[0], v[1]))
		return -1;
	memset(out, 0, sizeof *out);
	out->y = v[0];
	out->mo = v[1];
	out->d = v[2];
	return 0;
}

static int parse_datetime_fmt(const char *s, size_t n, dt *out)
{
	static const item items[] = { { A_Y, 0 }, { NULL, '-' }, { A_m, 0 }, { NULL, '-' }, { A_d, 0 },
				      { NULL, 0 }, { A_H, 0 }, { NULL, ':' }, { A_M, 0 }, { NULL, ':' },
				      { A_S, 0 } };
	strip_ws(&s, &n);
	long e = match_items(items, 11, s, n, 0);
	if (e < 0 || (size_t)e != n)
		return -1;
	int v[6];
	if (strptime_fields(s, n, v, 6) != 6)
		return -1;
	if (v[0] < 1 || v[2] < 1 || v[2] > mdays(v[0], v[1]) || v[5] > 59)
		return -1;
	memset(out, 0, sizeof *out);
	out->y = v[0];
	out->mo = v[1];
	out->d = v[2];
	out->h = v[3];
	out->mi = v[4];
	out->s = v[5];
	return 0;
}

/* isodate 0.6 ---------------------------------------------------------- */

static int digits_at(const char *s, size_t n, size_t pos, size_t k)
{
	if (pos + k > n)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (s[pos + i] < '0' || s[pos + i] > '9')
			return 0;
	return 1;
}

static int set_ymd(dt *o, long long days)
{
	long long y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return -1;
	o->y = y;
	o->mo = m;
	o->d = d;
	return 0;
}

static int iso_date(const char *s, size_t n, dt *o)
{
	int Y = -1, M = -1, D = -1, W = -1, DDD = -1, wd = -1;
	/* patterns, in isodate's order; prefix matches */
	if (digits_at(s, n, 0, 4) && n >= 10 && s[4] == '-' && digits_at(s, n, 5, 2) && s[7] == '-' && digits_at(s, n, 8, 2)) {
		Y = atoi_span(s, 4); M = atoi_span(s + 5, 2); D = atoi_span(s + 8, 2);
	} else if (digits_at(s, n, 0, 8)) {
		Y = atoi_span(s, 4); M = atoi_span(s + 4, 2); D = atoi_span(s + 6, 2);
	} else if (digits_at(s, n, 0, 4) && n >= 10 && s[4] == '-' && s[5] == 'W' && digits_at(s, n, 6, 2) && s[8] == '-' && digits_at(s, n, 9, 1)) {
		Y = atoi_span(s, 4); W = atoi_span(s + 6, 2); wd = atoi_span(s + 9, 1);
	} else if (digits_at(s, n, 0, 4) && n >= 8 && s[4] == 'W' && digits_at(s, n, 5, 2) && digits_at(s, n, 7, 1)) {
		Y = atoi_span(s, 4); W = atoi_span(s + 5, 2); wd = atoi_span(s + 7, 1);
	} else if (digits_at(s, n, 0, 4) && n >= 8 && s[4] == '-' && digits_at(s, n, 5, 3)) {
		Y = atoi_span(s, 4); DDD = atoi_span(s + 5, 3);
	} else if (digits_at(s, n, 0, 7)) {
		Y = atoi_span(s, 4); DDD = atoi_span(s + 4, 3);
	} else if (digits_at(s, n, 0, 4) && n >= 8 && s[4] == '-' && s[5] == 'W' && digits_at(s, n, 6, 2)) {
		Y = atoi_span(s, 4); W = atoi_span(s + 6, 2); wd = 1;
	} else if (digits_at(s, n, 0, 4) && n >= 7 && s[4] == 'W' && digits_at(s, n, 5, 2)) {
		Y = atoi_span(s, 4); W = atoi_span(s + 5, 2); wd = 1;
	} else if (digits_at(s, n, 0, 4) && n >= 7 && s[4] == '-' && digits_at(s, n, 5, 2)) {
		Y = atoi_span(s, 4); M = atoi_span(s + 5, 2); D = 1;
	} else if (digits_at(s, n, 0, 6)) {
		Y = atoi_span(s, 4); M = atoi_span(s + 4, 2); D = 1;
	} else if (digits_at(s, n, 0, 4)) {
		Y = atoi_span(s, 4); M = 1; D = 1;
	} else if (digits_at(s, n, 0, 2)) {
		Y = atoi_span(s, 2) * 100 + 1; M = 1; D = 1;
	} else {
		return -1;
	}
	if (Y < 1)
		return -1;
	if (M >= 0) {
		if (M == 0)
			M = 1; /* int(month) or defaultmonth */
		if (M > 12 || D < 1 || D > mdays(Y, M))
			return -1;
		o->y = Y;
		o->mo = M;
		o->d = D;
		return 0;
	}
	long long jan1 = days_from_civil(Y, 1, 1);
	if (DDD >= 0)
		return set_ymd(o, jan1 + DDD - 1);
	/* week date: isocalendar of Jan 1 */
	int iso_wd = (int)(((jan1 % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday (4) */
	int iso_week1 = iso_wd <= 4; /* Jan 1 in ISO week 1 */
	long long days = jan1 + 7LL * (W - (iso_week1 ? 1 : 0)) + (-iso_wd + wd);
	return set_ymd(o, days);
}

/* Fraction digits f (k of them) of a unit; 10^k scale. */
static u128 pow10u(int k)
{
	u128 p = 1;
	while (k-- > 0)
		p *= 10;
	return p;
}

/* round-half-even of a / b */
static u128 rhe_div(u128 a, u128 b)
{
	u128 q = a / b, r = a % b;
	if (2 * r > b || (2 * r == b && (q & 1)))
		q++;
	return q;
}

static int iso_time(const char *s, size_t n, dt *o)
{
	size_t p = 0;
	int unit; /* 0 hour, 1 minute, 2 second: the one with the fraction */
	int h = 0, mi = 0, sec = 0;
	if (digits_at(s, n, 0, 2) && n >= 8 && s[2] == ':' && digits_at(s, n, 3, 2) && s[5] == ':' && digits_at(s, n, 6, 2)) {
		h = atoi_span(s, 2); mi = atoi_span(s + 3, 2); sec = atoi_span(s + 6, 2); p = 8; unit = 2;
	} else if (digits_at(s, n, 0, 6)) {
		h = atoi_span(s, 2); mi = atoi_span(s + 2, 2); sec = atoi_span(s + 4, 2); p = 6; unit = 2;
	} else if (digits_at(s, n, 0, 2) && n >= 5 && s[2] == ':' && digits_at(s, n, 3, 2)) {
		h = atoi_span(s, 2); mi = atoi_span(s + 3, 2); p = 5; unit = 1;
	} else if (digits_at(s, n, 0, 4)) {
		h = atoi_span(s, 2); mi = atoi_span(s + 2, 2); p = 4; unit = 1;
	} else if (digits_at(s, n, 0, 2)) {
		h = atoi_span(s, 2); p = 2; unit = 0;
	} else {
		return -1;
	}
	/* fraction */
	u128 F = 0;
	int k = 0;
	if (p + 1 < n + 1 && p < n && (s[p] == ',' || s[p] == '.') && p + 1 < n && s[p + 1] >= '0' && s[p + 1] <= '9') {
		p++;
		while (p < n && s[p] >= '0' && s[p] <= '9') {
			if (k < 18) {
				F = F * 10 + (u128)(s[p] - '0');
				k++;
			}
			p++;
		}
	}
	/* zone */
	o->has_tz = 0;
	o->tz_min = 0;
	if (p < n && s[p] == 'Z') {
		o->has_tz = 1;
	} else if (p < n && (s[p] == '+' || s[p] == '-') && digits_at(s, n, p + 1, 2)) {
		int sg = s[p] == '-' ? -1 : 1;
		int th = atoi_span(s + p + 1, 2), tm = 0;
		size_t q = p + 3;
		if (q < n && s[q] == ':' && digits_at(s, n, q + 1, 2))
			tm = atoi_span(s + q + 1, 2);
		else if (digits_at(s, n, q, 2))
			tm = atoi_span(s + q, 2);
		o->has_tz = 1;
		o->tz_min = sg * (th * 60 + tm);
	}
	u128 scale = pow10u(k);
	long long us = 0;
	if (unit == 2) {
		/* quantize to microseconds, half-even */
		u128 micro = k ? rhe_div(F * 1000000, scale) : 0;
		sec += (int)(micro / 1000000);
		us = (long long)(micro % 1000000);
	} else if (unit == 1) {
		u128 t = F * 60;
		sec = (int)(t / scale);
		u128 rem = t % scale;
		us = (long long)rhe_div(rem * 1000000, scale);
	} else {
		u128 t = F * 60;
		mi = (int)(t / scale);
		u128 rem = t % scale;
		u128 t2 = rem * 60;
		sec = (int)(t2 / scale);
		u128 rem2 = t2 % scale;
		us = (long long)rhe_div(rem2 * 1000000, scale);
	}
	if (h > 23 || mi > 59 || sec > 59 || us > 999999)
		return -1;
	o->h = h;
	o->mi = mi;
	o->s = sec;
	o->us = (int)us;
	return 0;
}

static int parse_isodatetime(const char *s, size_t n, dt *out)
{
	strip_ws(&s, &n);
	const char *t = memchr(s, 'T', n);
	if (!t || memchr(t + 1, 'T', n - (size_t)(t - s) - 1))
		return -1;
	memset(out, 0, sizeof *out);
	if (iso_date(s, (size_t)(t - s), out) < 0)
		return -1;
	if (iso_time(t + 1, n - (size_t)(t - s) - 1, out) < 0)
		return -1;
	return 0;
}

/* ---- cells and columns ---- */

int mdc_seed_cell_is_null(mdc_seed_kind k, const char *s, size_t len)
{
	if (k == MDC_SEED_KIND_BOOLEAN)
		return parse_bool(s, len) == 2;
	if (k == MDC_SEED_KIND_INTEGER)
		return 1;
	return basic_null(s, len);
}

/* The kinds (among alive) the cell passes. */
static unsigned cell_kinds(const char *s, size_t len, unsigned alive, num *x, int *numrc)
{
	*numrc = -1;
	if (basic_null(s, len))
		return MDC_SEED_KIND_ALL;
	unsigned k = 1u << MDC_SEED_KIND_TEXT;
	dt d;
	if (alive & (1u << MDC_SEED_KIND_NUMBER)) {
		*numrc = parse_number(s, len, x);
		if (*numrc == 0)
			k |= 1u << MDC_SEED_KIND_NUMBER;
		else if (*numrc == 1)
			*numrc = -1;
	}
	if ((alive & (1u << MDC_SEED_KIND_DATE)) && parse_date_fmt(s, len, &d) == 0)
		k |= 1u << MDC_SEED_KIND_DATE;
	if ((alive & (1u << MDC_SEED_KIND_DATETIME)) && parse_datetime_fmt(s, len, &d) == 0)
		k |= 1u << MDC_SEED_KIND_DATETIME;
	if ((alive & (1u << MDC_SEED_KIND_ISODATETIME)) && parse_isodatetime(s, len, &d) == 0)
		k |= 1u << MDC_SEED_KIND_ISODATETIME;
	if ((alive & (1u << MDC_SEED_KIND_BOOLEAN)) && parse_bool(s, len) >= 0)
		k |= 1u << MDC_SEED_KIND_BOOLEAN;
	return k;
}

unsigned mdc_seed_cell_kinds(const char *s, size_t len)
{
	num x;
	int rc;
	unsigned k = cell_kinds(s, len, MDC_SEED_KIND_ALL, &x, &rc);
	if (rc == 0)
		num_free(&x);
	return k;
}

void mdc_seed_infer_init(mdc_seed_col_infer *c, int forced_text)
{
	memset(c, 0, sizeof *c);
	c->kinds = MDC_SEED_KIND_ALL;
	c->forced_text = forced_text;
}

/* 0 int32, 1 int64, 2 <= 38 digits, 3 more */
static int int_class(const num *x)
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

void mdc_seed_infer_add(mdc_seed_col_infer *c, const char *s, size_t len)
{
	if (c->forced_text) {
		if (!basic_null(s, len))
			c->non_null++;
		return;
	}
	/* Fast path: once only Text survives, nothing to learn. */
	if (c->kinds == (1u << MDC_SEED_KIND_TEXT))
		return;
	num x;
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
		num_free(&x);
	}
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

static size_t fmt_number(const num *x, int integral, char *buf)
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

static size_t fmt_dt(const dt *d, int with_time, char *buf)
{
	dt u = *d;
	if (with_time && u.has_tz && u.tz_min) {
		long long t = days_from_civil(u.y, u.mo, u.d) * 1440 + u.h * 60 + u.mi - u.tz_min;
		long long days = t >= 0 ? t / 1440 : -((-t + 1439) / 1440);
		long long mins = t - days * 1440;
		civil_from_days(days, &u.y, &u.mo, &u.d);
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

int mdc_seed_convert(mdc_seed_kind k, const char *sql_type, const char *s, size_t len,
		     char *buf, const char **out, size_t *outlen)
{
	dt d;
	int rc;
	*out = NULL;
	*outlen = 0;
	switch (k) {
	case MDC_SEED_KIND_INTEGER:
		return 0;
	case MDC_SEED_KIND_NUMBER: {
		num x;
		rc = parse_number(s, len, &x);
		if (rc == 1)
			return 0;
		if (rc < 0)
			return -1;
		int integral = sql_type && strcmp(sql_type, "float8") != 0;
		*outlen = fmt_number(&x, integral, buf);
		*out = buf;
		num_free(&x);
		return 1;
	}
	case MDC_SEED_KIND_DATE:
		if (basic_null(s, len))
			return 0;
		if (parse_date_fmt(s, len, &d) < 0)
			return -1;
		*outlen = fmt_dt(&d, 0, buf);
		*out = buf;
		return 1;
	case MDC_SEED_KIND_DATETIME:
		if (basic_null(s, len))
			return 0;
		if (parse_datetime_fmt(s, len, &d) < 0)
			return -1;
		*outlen = fmt_dt(&d, 1, buf);
		*out = buf;
		return 1;
	case MDC_SEED_KIND_ISODATETIME:
		if (basic_null(s, len))
			return 0;
		if (parse_isodatetime(s, len, &d) < 0)
			return -1;
		*outlen = fmt_dt(&d, 1, buf);
		*out = buf;
		return 1;
	case MDC_SEED_KIND_BOOLEAN:
		rc = parse_bool(s, len);
		if (rc == 2)
			return 0;
		if (rc < 0)
			return -1;
		*outlen = (size_t)sprintf(buf, rc ? "true" : "false");
		*out = buf;
		return 1;
	default:
		if (basic_null(s, len))
			return 0;
		*out = s;
		*outlen = len;
		return 1;
	}
}
