/* mdclient/internal/parquet_int.h - what the Parquet modules share
 * (mdclient-internal: fs/ never includes it; unit tests may).
 *
 * The public contract (type mapping, memory bound, errors) is parquet.h.
 * One job per file:
 *   parquet_types.c   catalog type text → Parquet column type
 *   parquet_text.c    the servers' text forms → value bytes (the parsers)
 *   parquet_writer.c  the writer: rows → pages → row groups → fd
 *   parquet_footer.c  FileMetaData (Thrift compact) and the file's tail
 *   parquet_pgbin.c   PostgreSQL's binary COPY stream → writer rows
 *   parquet_export.c  the table export over libpq (the only one that knows libpq)
 * The writer, footer, text and pgbin modules are pure: bytes in, bytes out.
 */
#ifndef MDCLIENT_INTERNAL_PARQUET_INT_H
#define MDCLIENT_INTERNAL_PARQUET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mdclient/common.h"
#include "mdclient/error.h"
#include "mdclient/parquet.h"
#include "mdclient/internal/parquet_encode.h"
#include "mdclient/internal/thrift_compact.h"

__extension__ typedef __int128 parquet_i128;
__extension__ typedef unsigned __int128 parquet_u128;

/* ---- the type mapping (parquet_types.c) ---- */

typedef enum parquet_kind {
	KIND_BOOL, KIND_INT, KIND_FLOAT, KIND_DOUBLE, KIND_DECIMAL, KIND_DATE, KIND_TIME, KIND_TS,
	KIND_UUID, KIND_BLOB, KIND_STRING, KIND_JSON,
} parquet_kind;

typedef struct parquet_coltype {
	parquet_kind k;
	parquet_physical phys;
	int type_length;
	parquet_order order;
	int bits;          /* KIND_INT: 8/16/32/64 */
	bool is_signed;    /* KIND_INT */
	int precision, scale; /* KIND_DECIMAL */
	bool utc;          /* KIND_TS, KIND_TIME */
	bool nanos;        /* KIND_TS: NANOS else MICROS */
} parquet_coltype;

/* The column type for a catalog type text (DuckDB or PostgreSQL spelling;
 * NULL or unknown: STRING). The table is in parquet.h. */
void parquet_map_type(const char *text, parquet_coltype *t);
/* The type text upper-cased, blanks folded, "(...)" groups dropped
 * ("timestamp(3) with time zone" → "TIMESTAMP WITH TIME ZONE"). */
void parquet_type_base(const char *text, char *base, size_t cap);

/* ---- text → value bytes (parquet_text.c) ----
 * Each parser takes len bytes at s (not NUL-terminated) and returns 0,
 * -EINVAL (not that type's text) or -ERANGE (the type cannot hold it). */

static inline void parquet_le32(uint8_t *o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)(v >> (8 * i));
}

static inline void parquet_le64(uint8_t *o, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		o[i] = (uint8_t)(v >> (8 * i));
}

/* s is exactly the word w, in any case. */
bool parquet_is_word(const char *s, size_t len, const char *w);
/* Boolean text: t/f (PostgreSQL), true/false (DuckDB), 1/0, any case → *out 1/0. */
int parquet_parse_bool(const char *s, size_t len, uint8_t *out);
/* "[-+]digits" with at most 18 digits: 1 and *out, else 0 (then use strtoll
 * and its exact error rules). */
int parquet_fast_int(const char *s, size_t len, int64_t *out);
/* Clinger's fast path for "[-]digits[.digits][e[+-]dd]": 1 and the same
 * value strtod/strtof give (in *d, or *f when single), or 0 (use strtod). */
int parquet_fast_float(const char *s, size_t len, bool single, double *d, float *f);
/* Date text ("[-]Y-MM-DD", " BC"/" (BC)", ±infinity) → days since 1970-01-01
 * (±infinity: ±INT32_MAX). */
int parquet_parse_date(const char *s, size_t len, int32_t *out);
/* Timestamp text (date, then " " or "T" and a time, then an optional UTC
 * offset or Z) → micros (nanos) since the epoch in UTC (±infinity: ±INT64_MAX). */
int parquet_parse_ts(const char *s, size_t len, bool nanos, int64_t *out);
/* "HH:MM[:SS[.f...]]" → micros of the day. */
int parquet_parse_time(const char *s, size_t len, int64_t *out);
/* "[-+]digits[.digits]" → unscaled integer at scale (extra scale digits must
 * be zeros; NaN/Infinity/exponents are -EINVAL). */
int parquet_parse_decimal(const char *s, size_t len, int scale, parquet_i128 *out);
/* 32 hex digits, '-', '{', '}' ignored → 16 bytes. */
int parquet_parse_uuid(const char *s, size_t len, uint8_t out[16]);
/* BLOB/bytea text → bytes in out (replacing its content); d says whose text
 * form (DuckDB's \xHH escapes, PostgreSQL's \x-hex or escape format).
 * -ENOMEM too. */
int parquet_parse_blob(const char *s, size_t len, mdc_parquet_text d, mdc_buf *out) MDC_MUSTCHECK;

/* ---- the writer (parquet_writer.c), shared with the footer and pgbin ---- */

typedef struct parquet_chunk_meta {
	int64_t num_values, unc, comp, data_off, dict_off; /* dict_off -1: none */
	bool used_dict, used_plain;
	bool has_minmax, min_exact, max_exact;
	int64_t null_count;
	uint8_t *min, *max;
	size_t min_len, max_len;
} parquet_chunk_meta;

typedef struct parquet_rg_meta {
	int64_t num_rows, total_unc, total_comp, file_offset;
	parquet_chunk_meta *chunks; /* ncols */
} parquet_rg_meta;

typedef struct parquet_wcol {
	char *name;
	char *type;
	parquet_coltype t;
	parquet_column enc;
} parquet_wcol;

struct mdc_parquet_writer {
	int fd;
	uint64_t off;
	mdc_parquet_text text;    /* the values' text forms */
	parquet_codec codec;
	int64_t rg_max_rows, rg_max_bytes;
	size_t ncols;
	parquet_wcol *cols;
	int64_t rows, rg_rows;
	parquet_rg_meta *rgs;
	size_t nrgs, rgs_cap;
	bool failed, finished;
	mdc_buf val;     /* parsed value scratch */
	tc_writer th;   /* footer */
};

/* write(2) all n bytes to w->fd, counting them in w->off. 0 or -errno with err. */
int parquet_write_all(mdc_parquet_writer *w, const void *p, size_t n, mdc_error *err) MDC_MUSTCHECK;
/* Mark w failed (it then only accepts free) and return rc. */
int parquet_writer_fail(mdc_parquet_writer *w, int rc);
/* Encode one non-NULL value of column c from its text. 0 or -errno with err
 * (the caller marks the writer failed). */
int parquet_writer_add_text(mdc_parquet_writer *w, parquet_wcol *c, const char *s, size_t len,
			    mdc_error *err) MDC_MUSTCHECK;
/* After a row's values: count it, close the row group when it is full. */
int parquet_writer_row_done(mdc_parquet_writer *w, mdc_error *err) MDC_MUSTCHECK;

/* ---- the footer (parquet_footer.c) ---- */

/* FileMetaData, its length and "PAR1" after the last row group. */
int parquet_write_footer(mdc_parquet_writer *w, mdc_error *err) MDC_MUSTCHECK;

/* ---- PostgreSQL's binary COPY (parquet_pgbin.c) ---- */

/* How a column's value arrives in COPY BINARY: the type's own send format
 * (decoded), or text bytes (text/varchar/char as they are; every other
 * type through format('%s'), i.e. its output function; nested types as
 * to_json()::text), fed to parquet_writer_add_text like the text path's values. */
typedef enum parquet_pgbin_kind {
	PGBIN_TEXT, PGBIN_BOOL, PGBIN_I16, PGBIN_I32, PGBIN_I64, PGBIN_F32, PGBIN_F64, PGBIN_NUMERIC,
	PGBIN_DATE, PGBIN_TIME, PGBIN_TS, PGBIN_UUID, PGBIN_BYTES,
} parquet_pgbin_kind;

/* The binary kind of a column from PostgreSQL's own spelling of its type
 * (format_type). Only built-in types are decoded; *as_text says whether a
 * PGBIN_TEXT column needs the format('%s') conversion. */
parquet_pgbin_kind parquet_pgbin_kind_of(const parquet_wcol *c, bool *as_text);

/* numeric's binary form (ndigits, weight, sign, dscale, base-10000 digits)
 * → numeric_out's text in out[0..*outlen) (not NUL-terminated). 0, -EIO
 * (malformed), -ERANGE (longer than cap). */
int parquet_pg_numeric_text(const uint8_t *p, size_t len, char *out, size_t cap, size_t *outlen);

/* Reads the COPY BINARY stream (header, tuples, trailer) across messages.
 * Zero it, set kinds (ncols, from parquet_pgbin_kind_of) and vals/lens
 * (ncols each, scratch); free pend.bytes and those when done. */
typedef struct parquet_copy_rd {
	mdc_buf pend;            /* bytes of an incomplete tuple (or header) */
	bool header, trailer;   /* seen */
	const parquet_pgbin_kind *kinds;
	const uint8_t **vals;
	uint32_t *lens;
} parquet_copy_rd;

/* Feed n more bytes of the stream; whole tuples become rows of w. 0 or
 * -errno with err (-EIO for a malformed stream, named by what). */
int parquet_copy_feed(parquet_copy_rd *rd, mdc_parquet_writer *w, const uint8_t *data, size_t n,
		      const char *what, mdc_error *err) MDC_MUSTCHECK;

#endif
