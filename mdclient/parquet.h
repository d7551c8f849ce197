/* mdclient/parquet.h - export a table as an Apache Parquet file.
 *
 * mdfs writes Parquet itself (format 2.x, to apache/parquet-format): one
 * flat column per table column, every column OPTIONAL (NULL = definition
 * level 0), data pages v1 with RLE definition levels, dictionary encoding
 * (RLE_DICTIONARY, dictionary page PLAIN) with a fall-back to PLAIN once a
 * column chunk's dictionary passes 1 MiB or its first values are mostly
 * distinct (see parquet_encode.h), per-chunk and per-page statistics
 * (min_value/max_value in the column's type-defined order, null_count) and
 * ZSTD (default), SNAPPY or no compression. created_by is
 * "mdfs version X (build ...)".
 *
 * Types come from the catalog (mdc_list_columns' type text, DuckDB or
 * PostgreSQL spelling) and are logical types, not strings:
 *   BOOLEAN / boolean                      BOOLEAN
 *   TINYINT SMALLINT INTEGER / smallint integer   INT32 + INT(8|16|32, signed)
 *   BIGINT / bigint                        INT64 + INT(64, signed)
 *   UTINYINT USMALLINT UINTEGER            INT32 + INT(8|16|32, unsigned)
 *   UBIGINT                                INT64 + INT(64, unsigned)
 *   FLOAT REAL / real                      FLOAT
 *   DOUBLE / double precision              DOUBLE
 *   DECIMAL(p,s) / numeric(p,s)            DECIMAL(p,s) on INT32 (p<=9), INT64 (p<=18),
 *                                          FIXED_LEN_BYTE_ARRAY (p>18, minimal width)
 *   HUGEINT                                DECIMAL(38,0) on FIXED_LEN_BYTE_ARRAY(16)
 *                                          (values beyond 38 digits keep their bits)
 *   numeric (no precision), UHUGEINT       STRING (exact text; no fixed scale exists)
 *   DATE / date                            INT32 DATE (days; +-infinity = +-2^31-1)
 *   TIME / time                            INT64 TIME(MICROS, isAdjustedToUTC=false)
 *   TIMESTAMP[_S|_MS] / timestamp          INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false)
 *   TIMESTAMP_NS                           INT64 TIMESTAMP(NANOS, false)
 *   TIMESTAMPTZ / timestamp with time zone INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true)
 *                                          (+-infinity = +-(2^63-1), DuckDB's encoding)
 *   UUID / uuid                            FIXED_LEN_BYTE_ARRAY(16) UUID
 *   BLOB / bytea                           BYTE_ARRAY (no logical type), raw bytes
 *   VARCHAR / text, varchar(n), char(n)    BYTE_ARRAY STRING
 *   LIST, STRUCT, MAP, ARRAY, UNION /      BYTE_ARRAY STRING holding the value as JSON
 *   arrays, composite types                (the server's to_json())
 *   INTERVAL, TIME WITH TIME ZONE, ENUM,   BYTE_ARRAY STRING with the server's text
 *   JSON, BIT, anything else
 * A value that the column's type cannot hold (PostgreSQL numeric NaN in a
 * numeric(p,s) column, a timestamp outside int64 micros) fails the export
 * with -ERANGE: mdfs never writes a silently different value.
 *
 * Memory: the writer buffers ONE row group's encoded (compressed) pages plus,
 * per column, one open page (about 1 MiB of values) and its dictionary
 * (at most 1 MiB). A row group ends at row_group_rows rows or when its
 * buffered bytes reach row_group_bytes, whichever comes first, so memory is
 * about row_group_bytes + 2 MiB x columns, never the table's size.
 *
 * Thread safety: one thread uses a writer or an export at a time;
 * mdc_conn_cancel(c) from another thread ends a running export with
 * -ETIMEDOUT (SQLSTATE 57014).
 */
#ifndef MDCLIENT_PARQUET_H
#define MDCLIENT_PARQUET_H

#include <stddef.h>
#include <stdint.h>
#include "mdclient/common.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

typedef enum mdc_parquet_codec {
	MDC_PARQUET_ZSTD = 0,   /* zstd level 2 (faster than the default 3, same size on table data) */
	MDC_PARQUET_SNAPPY,
	MDC_PARQUET_NONE,
} mdc_parquet_codec;

#define MDC_PARQUET_DEFAULT_ROW_GROUP_ROWS  1000000
#define MDC_PARQUET_DEFAULT_ROW_GROUP_BYTES (64 * 1024 * 1024)

typedef struct mdc_parquet_options {
	mdc_parquet_codec codec;
	int64_t row_group_rows;   /* 0 → MDC_PARQUET_DEFAULT_ROW_GROUP_ROWS */
	int64_t row_group_bytes;  /* 0 → MDC_PARQUET_DEFAULT_ROW_GROUP_BYTES; buffered
				   * encoded bytes that close a row group */
} mdc_parquet_options;

/* Export "db"."schema"."rel" as a Parquet file written sequentially to fd
 * (a spool file; the FUSE side then serves it with its exact size). Column
 * types come from the catalog (mdc_list_columns), not guessed; rows stream
 * (PostgreSQL: COPY (SELECT ...) TO STDOUT (FORMAT binary), built-in types
 * decoded from their binary form, other types as their text output; DuckDB
 * and MotherDuck, or a PostgreSQL look-alike that refuses that statement:
 * SELECT in single-row mode, text values); either way the same file. Memory
 * is bounded by the row group size, never by the table. o may be NULL (all defaults). db may be NULL/"" on PostgreSQL.
 * Returns 0, or -errno with err set: the errors of mdc_list_columns and of
 * the query (-ENOENT no such relation, -EIO connection lost, -ETIMEDOUT
 * cancel or statement timeout), -ERANGE / -EINVAL for a value that does not
 * parse as its column's type, the errno of write(2) (-ENOSPC ...),
 * -EBUSY when c runs another query. On failure the fd content is garbage and
 * the caller discards it (it must never reach a reader); the connection has
 * been drained (reusable) unless it broke (mdc_conn_is_ok says so). */
int mdc_parquet_export(mdc_conn *c, const char *db, const char *schema, const char *rel,
		       int fd, const mdc_parquet_options *o, mdc_error *err) MDC_MUSTCHECK;

/* A query file's result (query.h) as a Parquet file on fd, typed by the
 * engine's description of its columns: sql is checked and described, then
 * run as written (one statement, extended protocol) in the dialect's
 * read-only transaction, in single-row mode. Nested values (lists,
 * structs, ...) are JSON where the dialect can run the query as a
 * subquery source (DuckDB's query()), else the server's text. name is for
 * messages. Returns as mdc_parquet_export (-EINVAL: not a query). */
int mdc_parquet_export_query(mdc_conn *c, const char *sql, const char *name, int fd,
			     const mdc_parquet_options *o, mdc_error *err) MDC_MUSTCHECK;

/* ---- Lower-level writer: columns described by name + catalog type text,
 * rows fed as the server's text values. Used by mdc_parquet_export; public
 * for tests and other producers. ---- */

typedef struct mdc_parquet_writer mdc_parquet_writer;

/* Which engine's text forms the values use (booleans t/f vs true/false,
 * bytea \x-hex vs DuckDB's BLOB \xHH escapes, ...); the export takes it
 * from the connection's dialect. */
typedef enum mdc_parquet_text {
	MDC_PARQUET_TEXT_DUCKDB = 1,    /* BLOB: printable bytes and \xHH escapes */
	MDC_PARQUET_TEXT_POSTGRES = 2,  /* bytea: \x + hex, or the escape format */
} mdc_parquet_text;

/* Start a file on fd (writes the leading "PAR1"). names/types: ncols
 * strings each (copied). Returns 0 and *out, or -errno (-EINVAL for no
 * columns, -ENOMEM, write errors). */
int mdc_parquet_writer_open(int fd, size_t ncols, const char *const *names,
			    const char *const *types, mdc_parquet_text dialect,
			    const mdc_parquet_options *o, mdc_parquet_writer **out,
			    mdc_error *err) MDC_MUSTCHECK;

/* Does column i (of the writer) need the server to send it as JSON (nested
 * types: LIST, STRUCT, MAP, arrays, composite)? The export then selects
 * to_json(col)::text for it; other producers must feed JSON text too. */
int mdc_parquet_writer_wants_json(const mdc_parquet_writer *w, size_t col);

/* Add one row: values[i] is column i's text (NUL-terminated unless lens is
 * given; lens[i] its length) or NULL for SQL NULL. Returns 0 or -errno
 * (-ERANGE/-EINVAL for a value that does not parse, write errors); after an
 * error the writer only accepts mdc_parquet_writer_free. */
int mdc_parquet_writer_add_row(mdc_parquet_writer *w, const char *const *values,
			       const int *lens, mdc_error *err) MDC_MUSTCHECK;

/* Flush the last row group and write the footer (FileMetaData, its length,
 * "PAR1"). Returns 0 or -errno. Call once, then free. */
int mdc_parquet_writer_finish(mdc_parquet_writer *w, mdc_error *err) MDC_MUSTCHECK;

/* Bytes written to fd so far (the file's size after a successful finish). */
uint64_t mdc_parquet_writer_size(const mdc_parquet_writer *w);
/* Rows added so far. */
int64_t mdc_parquet_writer_rows(const mdc_parquet_writer *w);

/* Free the writer (does not close fd). NULL is fine. */
void mdc_parquet_writer_free(mdc_parquet_writer *w);

#endif
