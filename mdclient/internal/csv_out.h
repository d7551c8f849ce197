/* mdclient/internal/csv_out.h - format values and rows as CSV (the CSV output rules).
 *
 * This is the one place the CSV rules of mdfs live (stream.h refers here):
 *   - a header row of column names, then one line per row;
 *   - ',' between fields, '\n' after every row (also the last one);
 *   - a field is quoted ("...") when it contains ',', '"', CR or LF, when it
 *     begins or ends with a space or a tab, or when it is the empty string;
 *     inside quotes a '"' is doubled. Column names follow the same rule;
 *   - SQL NULL is an empty field (nothing between the commas), so NULL and
 *     the empty string ("") stay distinguishable;
 *   - booleans are true/false: a column whose type OID is 16 (bool) turns the
 *     PostgreSQL text "t"/"f" into "true"/"false" (DuckDB endpoints already
 *     send true/false, which pass through unchanged); where the endpoint's
 *     OIDs say nothing (every column text or unknown), the column's type
 *     name from the catalog or a DESCRIBE decides instead (mdc_csv_cols_init);
 *   - timestamps with time zone (type OID 1184, or the type name as above) are written in UTC, ISO with
 *     a space and "+00": "2024-01-02 03:04:05.123456+00", whatever time zone
 *     the server's session is in (an endpoint may refuse SET TimeZone); the
 *     fraction is kept as sent; values not of that plain form (infinity, BC)
 *     pass through verbatim;
 *   - every other value is the server's text verbatim (timestamps are ISO
 *     with a space because the connection sets DateStyle ISO; bytea/blob,
 *     lists, structs, intervals as the engine prints them). Bytes are not
 *     re-encoded: UTF-8 passes through as is.
 *
 * Output goes into a growable byte buffer (mdc_buf). Appending never
 * mallocs per field: the buffer grows geometrically and is reused. The
 * quoting test is a 256-entry table scan.
 *
 * Errors: the only failure is running out of memory (-ENOMEM, or -EOVERFLOW
 * when a size would overflow size_t); on failure the buffer keeps its old
 * contents up to an unspecified point of the failed row (the caller drops it).
 *
 * Thread safety: none needed; a buffer and a column layout belong to one
 * caller. The functions keep no global mutable state.
 */
#ifndef MDCLIENT_CSV_OUT_H
#define MDCLIENT_CSV_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>
#include "mdclient/common.h"
#include "mdclient/internal/buf.h"

/* How a column's text is turned into a CSV field. */
typedef enum mdc_csv_kind {
	MDC_CSV_TEXT = 0,   /* verbatim (quoted when needed) */
	MDC_CSV_BOOL = 1,   /* "t" → true, "f" → false, anything else verbatim */
	MDC_CSV_TSTZ = 2,   /* timestamptz: to UTC ("...+00"), else verbatim */
} mdc_csv_kind;

/* The kind for a type OID (16 → MDC_CSV_BOOL, 1184 → MDC_CSV_TSTZ,
 * everything else text; unknown OIDs are text). */
mdc_csv_kind mdc_csv_kind_for_oid(Oid type_oid);

/* The kind for an engine's type name (DuckDB or PostgreSQL spelling, as
 * the catalog or a DESCRIBE gives it: "BOOLEAN", "timestamp(3) with time
 * zone" ...), for endpoints whose result OIDs say nothing (every column
 * text or unknown): the same reading of type names as the Parquet export. */
mdc_csv_kind mdc_csv_kind_for_type(const char *type_text);

/* True when a (non-NULL) value of len bytes must be quoted. */
bool mdc_csv_needs_quotes(const char *val, size_t len);

/* Append one field, without separator or newline. val NULL means SQL NULL
 * (an empty field); otherwise val has len bytes (it may hold NUL bytes). */
int mdc_csv_put_field(mdc_buf *b, const char *val, size_t len, mdc_csv_kind kind) MDC_MUSTCHECK;

/* Append a whole row: n fields separated by ',' and a '\n'. vals[i] NULL is
 * SQL NULL; lens[i] is the byte length of vals[i]; kinds may be NULL (all
 * text). For callers that do not hold a PGresult (and for tests). */
int mdc_csv_put_values(mdc_buf *b, int n, const char *const *vals, const size_t *lens,
		       const mdc_csv_kind *kinds) MDC_MUSTCHECK;

/* The column layout of a result: its field count and each column's kind,
 * computed once per result shape (the PGresults of one single-row-mode query
 * all share it). Free with mdc_csv_cols_free (also fine on a zeroed one). */
typedef struct mdc_csv_cols {
	int n;
	mdc_csv_kind *kinds;
} mdc_csv_cols;

/* typed (may be NULL): ntyped kinds known another way (the engine's type
 * names, mdc_csv_kind_for_type), used for the columns whose OID gives
 * MDC_CSV_TEXT, and only when ntyped is the result's column count. */
int mdc_csv_cols_init(mdc_csv_cols *cols, const PGresult *res, const mdc_csv_kind *typed,
		      int ntyped) MDC_MUSTCHECK;
void mdc_csv_cols_free(mdc_csv_cols *cols);

/* Append the header line (column names of res, by PQfname) and '\n'. */
int mdc_csv_put_header(mdc_buf *b, const PGresult *res) MDC_MUSTCHECK;

/* Append row `row` of res as one CSV line. cols must come from
 * mdc_csv_cols_init on a result of the same shape (same columns). */
int mdc_csv_put_row(mdc_buf *b, const PGresult *res, int row,
		    const mdc_csv_cols *cols) MDC_MUSTCHECK;

#endif
