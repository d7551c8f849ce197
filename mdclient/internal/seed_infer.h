/* mdclient/internal/seed_infer.h - dbt/agate type inference and value conversion for
 * seeds (../shared/docs/dbt-seeds.md). Pure functions, no server.
 *
 * Emulated exactly (dbt-common agate_helper + agate 1.9 + isodate 0.6 +
 * CPython's Decimal and strptime):
 *   candidates Integer, Number, Date, DateTime, ISODateTime, Boolean, Text in
 *   that order; a candidate is dropped when a cell fails it; NULL cells pass.
 *   NULL: strip() (Python's Unicode whitespace) then lower() is "" or "null";
 *   the Boolean candidate first deletes every ',' (so "," is a NULL boolean).
 *   Number: strip; NULL check; strip '%' at both ends; one leading '-' is a
 *   sign; strip currency symbols at both ends (agate's list, in its order:
 *   ؋ $ ƒ ៛ ¥ ₡ ₱ £ € ¢ ﷼ ₪ ₩ ₭ ₮ ₦ ฿ ₤ ₫, plus ₹ which dbt-seeds.md names);
 *   delete every ','; then Python's Decimal(): surrounding whitespace, '_'
 *   anywhere, [+-], digits with one '.', exponent, Inf/Infinity/NaN[digits]
 *   (any case); sNaN fails (Decimal * sign traps it).
 *   Date: strptime "%Y-%m-%d" (month 1|0[1-9]|1[0-2], day incl. " 5"), the
 *   date must exist, year >= 1. DateTime: "%Y-%m-%d %H:%M:%S" with \s+
 *   between, seconds 0-59. ISODateTime: exactly one uppercase 'T', date and
 *   time parsed by isodate 0.6 (prefix matches, as isodate does: "2020-01-05x"
 *   is 2020-01-05; week and ordinal dates; times hh[:mm[:ss]] with ,/.
 *   fractions; Z / ±hh[:mm] zones; hour 24 fails).
 *   Boolean: "true"/"false" in any case after deleting ',' and stripping.
 * Deviations, on purpose:
 *   - digits are ASCII only (Python also accepts other Unicode digits);
 *   - numbers are exact (Python rounds to 28 significant digits);
 *   - "do better" SQL types for Number columns without decimal places: values
 *     all within int32 → integer (as dbt); else within int64 → bigint; else up
 *     to 38 digits → numeric(38,0); beyond → float8. A column with NaN or
 *     Infinity is float8 (dbt would say integer and fail to load). dbt gives
 *     `integer` in all these cases and the load fails.
 *   - ISO date-times with a zone are converted to UTC (dbt converts them to the
 *     session time zone of the server).
 */
#ifndef MDCLIENT_SEED_INFER_H
#define MDCLIENT_SEED_INFER_H

#include <stddef.h>
#include <stdint.h>

typedef enum mdc_seed_kind {
	MDC_SEED_KIND_INTEGER = 0,
	MDC_SEED_KIND_NUMBER,
	MDC_SEED_KIND_DATE,
	MDC_SEED_KIND_DATETIME,
	MDC_SEED_KIND_ISODATETIME,
	MDC_SEED_KIND_BOOLEAN,
	MDC_SEED_KIND_TEXT,
	MDC_SEED_KIND_COUNT
} mdc_seed_kind;

#define MDC_SEED_KIND_ALL ((1u << MDC_SEED_KIND_COUNT) - 1)

/* Name of a kind ("Integer", "Number", ...). */
const char *mdc_seed_kind_name(mdc_seed_kind k);

/* One column's inference state. */
typedef struct mdc_seed_col_infer {
	unsigned kinds;       /* candidates still alive (bit per mdc_seed_kind) */
	int forced_text;      /* column_types override: always Text */
	int has_fraction;     /* a Number value with decimal places */
	int has_nonfinite;    /* a Number value NaN / ±Infinity */
	int int_class;        /* widest integral Number: 0 int32, 1 int64, 2 <=38 digits, 3 more */
	int64_t non_null;     /* non-NULL cells seen (Text rule) */
} mdc_seed_col_infer;

void mdc_seed_infer_init(mdc_seed_col_infer *c, int forced_text);
/* Feed one cell (a missing cell of a short row or blank line: don't call). */
void mdc_seed_infer_add(mdc_seed_col_infer *c, const char *s, size_t len);
/* Fold into c what o learnt from other cells of the same column (o
 * initialised like c): the result is as if c had seen o's cells too, in any
 * order, as far as mdc_seed_infer_kind and mdc_seed_infer_sql_type tell. */
void mdc_seed_infer_merge(mdc_seed_col_infer *c, const mdc_seed_col_infer *o);
/* The winning kind. */
mdc_seed_kind mdc_seed_infer_kind(const mdc_seed_col_infer *c);
/* The SQL type for the column (static string): integer, bigint,
 * numeric(38,0), float8, boolean, date, timestamp without time zone, text.
 * Forced columns return "text" here (the caller uses the override). */
const char *mdc_seed_infer_sql_type(const mdc_seed_col_infer *c);

/* Bit mask of the kinds one cell passes (NULL cells pass all). */
unsigned mdc_seed_cell_kinds(const char *s, size_t len);
/* True when the cell is NULL under the given kind's rule. */
int mdc_seed_cell_is_null(mdc_seed_kind k, const char *s, size_t len);

/* The value dbt loads for a cell of a column of kind k whose SQL type is
 * sql_type (from mdc_seed_infer_sql_type; any other string: the cell is text).
 * Returns 0 for NULL; 1 with *out and *outlen set: either s itself (Text, or
 * a cell already in the form below) or buf,
 * which must hold at least len + 64 bytes; the result is NUL-terminated when
 * it is in buf. -1 when the cell does not parse as k (cannot happen for a
 * cell that took part in the inference). Values: integers as plain digits,
 * float8 as decimal text / NaN / Infinity / -Infinity, booleans true/false,
 * dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS[.ffffff]. */
int mdc_seed_convert(mdc_seed_kind k, const char *sql_type, const char *s, size_t len,
		     char *buf, const char **out, size_t *outlen);

#endif
