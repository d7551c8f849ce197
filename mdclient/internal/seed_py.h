/* mdclient/internal/seed_py.h - the Python behaviour that dbt's seed
 * inference depends on, emulated (mdclient-internal; the rules and the
 * deliberate deviations are in seed_infer.h):
 *   seed_pytext.c  str.strip()'s Unicode whitespace, agate's NULL and
 *                  Boolean rules, agate Number.cast + CPython's Decimal(str)
 *   seed_pydate.c  CPython's strptime for agate's Date/DateTime formats and
 *                  isodate 0.6's parse_datetime
 * seed_infer.c uses them for the inference and the conversion.
 */
#ifndef MDCLIENT_INTERNAL_SEED_PY_H
#define MDCLIENT_INTERNAL_SEED_PY_H

#include <stddef.h>
#include <stdint.h>

typedef struct seed_num {
	int kind;            /* 0 finite, 1 NaN, 2 Infinity */
	int neg;
	char *digits;        /* significant digits, no leading/trailing zeros (malloc'd or small) */
	size_t nd;           /* 0: the value is zero */
	long long exp;       /* value = digits * 10^exp */
	char small[64];
} seed_num;

typedef struct seed_dt {
	int64_t y;
	int mo, d, h, mi, s, us;
	int has_tz, tz_min; /* offset east of UTC in minutes */
} seed_dt;

/* ---- seed_pytext.c ---- */

/* Length of the Python whitespace character starting at s[0] (n bytes
 * left), or 0. */
size_t seed_py_ws_at(const unsigned char *s, size_t n);
/* str.strip(): move *s and shrink *n past whitespace at both ends. */
void seed_py_strip(const char **s, size_t *n);
/* agate's NULL rule: strip() then lower() is "" or "null". */
int seed_py_basic_null(const char *s, size_t n);
/* agate Boolean.cast (after deleting ',' and stripping): 0 false, 1 true,
 * 2 NULL, -1 not a boolean. */
int seed_py_bool(const char *s, size_t n);
/* agate Number.cast: 0 value in x (free with seed_num_free), 1 NULL, -1
 * not a number. */
int seed_py_number(const char *s, size_t n, seed_num *x);
void seed_num_free(seed_num *x);

/* ---- seed_pydate.c ---- (each: 0 with *out, -1 no match) */

/* strptime(s, "%Y-%m-%d") as agate's Date does. */
int seed_py_date(const char *s, size_t n, seed_dt *out);
/* strptime(s, "%Y-%m-%d %H:%M:%S") as agate's DateTime does. */
int seed_py_datetime(const char *s, size_t n, seed_dt *out);
/* isodate.parse_datetime as agate's ISODateTime does. */
int seed_py_isodatetime(const char *s, size_t n, seed_dt *out);

#endif
