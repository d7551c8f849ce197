/* mdclient/seed.h - load a CSV file into a table exactly as `dbt seed
 * --full-refresh` would (../shared/docs/dbt-seeds.md has the rules), or, with
 * o->truncate, as `dbt seed` does into an existing table.
 *
 * What a load does, on one connection, in ONE transaction:
 *   pass 1  read the whole file (streaming, bounded memory): header names
 *           (verbatim; empty → a, b, … by position; repeats → x_2, x_3),
 *           the dbt/agate type of every column, row count;
 *   check   the target is not a view (error "Cannot seed to '…', it is a view");
 *           with o->truncate, the existing table's columns (see truncate);
 *   BEGIN; [CREATE SCHEMA IF NOT EXISTS when asked]; DROP TABLE IF EXISTS …
 *           CASCADE; CREATE TABLE "db"."schema"."table" ("c1" t1, …);
 *           (truncate, table there: TRUNCATE TABLE … instead);
 *   pass 2  read the file again and insert every row, each value converted to
 *           what dbt loads (007 → 7, $5 → 5, True → true, dates as ISO text);
 *   COMMIT.
 * Round trips: a load of at most 1,000 rows (and 8 MiB; o->method AUTO, no
 * batch size given) is one batch of
 * statements - BEGIN, the view check, DROP/CREATE, one INSERT, COMMIT - in
 * ONE round trip (libpq's pipeline mode, else one multi-statement query,
 * else one at a time when the server refuses both); with o->truncate or
 * o->append one more before it (the view check and the table's columns).
 * Larger loads stream batches (COPY where the server takes it).
 * On any failure the transaction is rolled back: the previous table (if any)
 * is exactly as it was. Never a partial table.
 *
 * Differences from dbt (documented on purpose, "do better"):
 *   - a whole-number column with a value outside int32 becomes `bigint`
 *     (dbt says `integer` and the load fails); outside int64 it becomes
 *     `numeric` (exact; DuckDB: DECIMAL(38,0) when it fits, else float8).
 *     internal/seed_infer.h has the details.
 *   - the file is streamed twice instead of held in memory.
 *
 * Load methods (o->method, default AUTO):
 *   DuckDB endpoint: each batch is ONE text parameter holding the batch's
 *   values (U+001E between rows, U+001F between fields, a lone U+0015 = NULL)
 *   split server-side with string_split and cast; a batch whose data holds one
 *   of those bytes goes as a multi-row INSERT … VALUES with escaped literals.
 *   COPY FROM STDIN is used when the connection probe shows it works.
 *   PostgreSQL: COPY … FROM STDIN (FORMAT csv).
 *
 * Errors (return -errno, err->message one line fit for a user):
 *   -EINVAL  bad input: "invalid UTF-8 at line 7", "row 3 has 5 values, but the
 *            header has 3 columns", "the file is empty", a bad column name with
 *            quote_columns off, a value the server could not cast (22xxx)…
 *   -EFBIG   "field too large at line N" (a field above o->max_field)
 *   -EEXIST  the target is a view ("Cannot seed to '…', it is a view")
 *   -ENOENT  the file, database or schema does not exist
 *   -EXDEV   PostgreSQL: db is not the connection's database
 *   -ECANCELED o->cancel was set
 *   anything the server/connection gives (-EIO, -EACCES, -ETIMEDOUT, …).
 * Warnings (a column_types key not in the header) go to mdc_log(LOG_WARNING).
 *
 * Thread safety: one load per mdc_conn at a time; loads on different
 * connections may run in parallel.
 */
#ifndef MDCLIENT_SEED_H
#define MDCLIENT_SEED_H

#include <stddef.h>
#include <stdint.h>
#include "mdclient/common.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

/* dbt's column_types: column (case-sensitive, as in the header after
 * renaming) → SQL type used verbatim in the DDL; the column is read as Text. */
typedef struct mdc_seed_column_type {
	const char *column;
	const char *sql_type;
} mdc_seed_column_type;

typedef enum mdc_seed_method {
	MDC_SEED_AUTO = 0,        /* the fastest that works (see above) */
	MDC_SEED_SPLIT = 1,       /* DuckDB only: one string parameter per batch */
	MDC_SEED_VALUES = 2,      /* dbt-style INSERT … VALUES (escaped literals) */
	MDC_SEED_COPY = 3,        /* COPY … FROM STDIN (FORMAT csv) */
} mdc_seed_method;

/* Zero-initialise (memset or = {0}): every zero field means the default.
 * Fields may be added at the end later; zero will keep meaning "default". */
typedef struct mdc_seed_options {
	char delimiter;                            /* 0 → ',' */
	const mdc_seed_column_type *column_types;  /* may be NULL */
	size_t n_column_types;
	int no_quote_columns;      /* 1 = dbt quote_columns: false (names must be
	                            * plain identifiers [A-Za-z_][A-Za-z0-9_$]*,
	                            * anything else fails with -EINVAL) */
	int create_schema;         /* 1 = CREATE SCHEMA IF NOT EXISTS first */
	mdc_seed_method method;    /* MDC_SEED_AUTO */
	size_t batch_rows;         /* 0 → 50,000 (VALUES: 10,000) */
	size_t batch_bytes;        /* 0 → 8 MiB */
	size_t max_field;          /* 0 → 64 MiB; longer field → -EFBIG */
	/* Called now and then from both passes (pass 1 counts as the first half of
	 * bytes_total: bytes_done goes 0 → 2 * file size). rows = rows so far in
	 * the current pass. May be NULL. */
	void (*progress)(void *ud, int64_t bytes_done, int64_t bytes_total, int64_t rows);
	void *progress_ud;
	/* When non-NULL and *cancel becomes non-zero (any thread, a signal
	 * handler), the load stops at the next batch and rolls back: -ECANCELED. */
	const volatile int *cancel;
	/* 1 = dbt's default (no --full-refresh): when the table exists and its
	 * column names equal the file's (in any order), it is emptied (TRUNCATE)
	 * and refilled in the same one transaction, keeping its column types:
	 * each value is converted as dbt reads it, then cast by the server to
	 * the column's type (a value that does not fit fails the load, the table
	 * as it was). Other names: -EINVAL with dbt's hint to use --full-refresh.
	 * No table: created as with 0. 0 = full refresh (DROP + CREATE). */
	int truncate;
	/* 1 = append (the mount's `>>`): when the table exists, the file's rows
	 * are added to it in one transaction; its columns, in the table's
	 * order, are the file's; a first line equal to the table's column names
	 * is a header and skipped, any other first line is a row; each value is
	 * converted as dbt reads it and cast by the server to the column's type
	 * (a value that does not fit fails the load, the table as it was). An
	 * empty file, or a header alone, appends nothing. No table: a new seed
	 * (the file's first line is its header). */
	int append;
} mdc_seed_options;

typedef struct mdc_seed_result {
	int64_t rows;
	int columns;
	double seconds;            /* wall time of the whole load */
	const char *method;        /* "split", "values", "copy" (static string) */
	char *summary;             /* malloc'd, e.g. "main.raw_orders: 99 rows, 4
	                            * columns, 0.12 s"; free with mdc_seed_result_free */
} mdc_seed_result;

/* dbt seed settings given as text: the one parser for a `.seed` sidecar's
 * lines and `mdfs seed`'s flags. Keys:
 *   delimiter=X               one character, or \t for a tab
 *   quote_columns=true|false
 *   column_type.NAME=TYPE     column NAME is read as text, created as TYPE
 *   full_refresh=true|false   false: truncate an existing table (truncate above)
 * Zero-initialise; s owns its strings; mdc_seed_settings_apply lends them to
 * options (keep s alive while they are used). */
typedef struct mdc_seed_settings {
	char delimiter;
	int no_quote_columns;
	mdc_seed_column_type *column_types;   /* owned, strings too */
	size_t n_column_types;
	int truncate;                         /* full_refresh=false */
} mdc_seed_settings;

/* Set key to val. 0, -EINVAL (unknown key or a value the key does not
 * take; err says which) or -ENOMEM. */
int mdc_seed_setting_set(mdc_seed_settings *s, const char *key, const char *val,
			 mdc_error *err) MDC_MUSTCHECK;
/* One "key=value" text (split at the first '='). The same returns; -EINVAL
 * without '='. */
int mdc_seed_setting_parse(mdc_seed_settings *s, const char *kv, mdc_error *err) MDC_MUSTCHECK;
/* column_type.col=type with the column name and the type apart (col may
 * then hold '='). 0, -EINVAL (empty), -ENOMEM. */
int mdc_seed_setting_column_type(mdc_seed_settings *s, const char *col, const char *type,
				 mdc_error *err) MDC_MUSTCHECK;
/* Copy the settings into o (delimiter, no_quote_columns, column_types,
 * truncate). */
void mdc_seed_settings_apply(const mdc_seed_settings *s, mdc_seed_options *o);
void mdc_seed_settings_free(mdc_seed_settings *s);

/* Load the CSV at path (a regular file, read twice) into db.schema.table
 * (db NULL or "": the connection's database). o may be NULL (all defaults);
 * res may be NULL. On success 0 and *res filled; on failure -errno, err set,
 * *res zeroed. The caller frees res with mdc_seed_result_free. */
int mdc_seed_load(mdc_conn *c, const char *db, const char *schema, const char *table,
		  const char *path, const mdc_seed_options *o, mdc_seed_result *res,
		  mdc_error *err) MDC_MUSTCHECK;
void mdc_seed_result_free(mdc_seed_result *res);

/* The table name dbt gives a file: its base name minus the last extension
 * ("seed.with.dots.csv" → "seed.with.dots", "x" → "x", ".csv" → ".csv").
 * malloc'd (caller frees); NULL on out-of-memory. */
char *mdc_seed_table_name(const char *filename);

/* Pass 1 alone, no server: what a load would create. Useful to reject a bad
 * file early (e.g. at close() in the mount) and for tests. */
typedef struct mdc_seed_plan {
	size_t n;                  /* columns */
	char **names;              /* final column names (renamed as dbt does) */
	char **sql_types;          /* "integer", "bigint", "float8", "text", … */
	int64_t rows;
} mdc_seed_plan;
int mdc_seed_plan_file(const char *path, const mdc_seed_options *o, mdc_seed_plan *out,
		       mdc_error *err) MDC_MUSTCHECK;
void mdc_seed_plan_free(mdc_seed_plan *p);   /* accepts a zeroed plan */

#endif
