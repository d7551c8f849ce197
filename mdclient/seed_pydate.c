/* mdclient/seed_pydate.c - CPython's strptime (agate Date "%Y-%m-%d",
 * DateTime "%Y-%m-%d %H:%M:%S") and isodate 0.6's parse_datetime (agate
 * ISODateTime), on the one calendar helper. Contract in internal/seed_py.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/calendar.h"
#include "mdclient/internal/seed_py.h"

__extension__ typedef unsigned __int128 u128;

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
		while (p < n && ne < 256 && (k = seed_py_ws_at((const unsigned char *)s + p, n - p)) > 0) {
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

int seed_py_date(const char *s, size_t n, seed_dt *out)
{
	static const item items[] = { { A_Y, 0 }, { NULL, '-' }, { A_m, 0 }, { NULL, '-' }, { A_d, 0 } };
	seed_py_strip(&s, &n);
	long e = match_items(items, 5, s, n, 0);
	if (e < 0 || (size_t)e != n)
		return -1;
	int v[3];
	if (strptime_fields(s, n, v, 3) != 3)
		return -1;
	if (v[0] < 1 || v[2] < 1 || v[2] > mdc_days_in_month(v[0], v[1]))
		return -1;
	memset(out, 0, sizeof *out);
	out->y = v[0];
	out->mo = v[1];
	out->d = v[2];
	return 0;
}

int seed_py_datetime(const char *s, size_t n, seed_dt *out)
{
	static const item items[] = { { A_Y, 0 }, { NULL, '-' }, { A_m, 0 }, { NULL, '-' }, { A_d, 0 },
				      { NULL, 0 }, { A_H, 0 }, { NULL, ':' }, { A_M, 0 }, { NULL, ':' },
				      { A_S, 0 } };
	seed_py_strip(&s, &n);
	long e = match_items(items, 11, s, n, 0);
	if (e < 0 || (size_t)e != n)
		return -1;
	int v[6];
	if (strptime_fields(s, n, v, 6) != 6)
		return -1;
	if (v[0] < 1 || v[2] < 1 || v[2] > mdc_days_in_month(v[0], v[1]) || v[5] > 59)
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

static int set_ymd(seed_dt *o, long long days)
{
	int64_t y;
	int m, d;
	mdc_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return -1;
	o->y = y;
	o->mo = m;
	o->d = d;
	return 0;
}

static int iso_date(const char *s, size_t n, seed_dt *o)
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
		if (M > 12 || D < 1 || D > mdc_days_in_month(Y, M))
			return -1;
		o->y = Y;
		o->mo = M;
		o->d = D;
		return 0;
	}
	long long jan1 = mdc_days_from_civil(Y, 1, 1);
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

static int iso_time(const char *s, size_t n, seed_dt *o)
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

int seed_py_isodatetime(const char *s, size_t n, seed_dt *out)
{
	seed_py_strip(&s, &n);
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
