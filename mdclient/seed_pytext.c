/* mdclient/seed_pytext.c - Python's text rules as dbt's seed inference
 * meets them: str.strip() over UTF-8, agate's NULL and Boolean rules,
 * agate Number.cast with CPython's Decimal(str). Contract in
 * internal/seed_py.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/seed_py.h"

/* ---- Python str.strip() whitespace over UTF-8 ---- */

/* Length of the whitespace character starting at s[0] (n bytes left), or 0. */
size_t seed_py_ws_at(const unsigned char *s, size_t n)
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
		return seed_py_ws_at(s + n - 1, 1);
	if (n >= 2 && seed_py_ws_at(s + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && seed_py_ws_at(s + n - 3, 3) == 3)
		return 3;
	return 0;
}

void seed_py_strip(const char **s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)*s;
	size_t len = *n, k;
	while (len && (k = seed_py_ws_at(p, len)) > 0) {
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

int seed_py_basic_null(const char *s, size_t n)
{
	seed_py_strip(&s, &n);
	return is_null_stripped(s, n);
}

/* ---- Boolean ---- (delete ',', strip; 0 false, 1 true, 2 NULL, -1 no) */
int seed_py_bool(const char *s, size_t n)
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
	seed_py_strip(&p, &m);
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

void seed_num_free(seed_num *x)
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
static int parse_decimal(const char *s, size_t n, seed_num *x)
{
	seed_py_strip(&s, &n);
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
int seed_py_number(const char *s, size_t n, seed_num *x)
{
	memset(x, 0, sizeof *x);
	seed_py_strip(&s, &n);
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
