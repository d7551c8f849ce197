/* mdclient/internal/seed_int.h - what the seed loader's modules share
 * (mdclient-internal). The contract of a load is seed.h. One job per file:
 *   seed_plan.c   pass 1: header names, inference, row count (no server)
 *   seed_batch.c  pass 2's encoders: rows → COPY csv, split parameter or
 *                 VALUES literals, and sending a full batch
 *   seed.c        the load: view check, one transaction, the method, commit
 */
#ifndef MDCLIENT_INTERNAL_SEED_INT_H
#define MDCLIENT_INTERNAL_SEED_INT_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "mdclient/common.h"
#include "mdclient/error.h"
#include "mdclient/seed.h"
#include "mdclient/internal/seed_infer.h"
#include "mdclient/internal/buf.h"

#define SEED_PROGRESS_STEP ((int64_t)4 << 20)

typedef struct seed_column {
	char *name;
	const char *sql_type;      /* static (inferred) or the override's string */
	mdc_seed_kind kind;
	mdc_seed_col_infer inf;
	int overridden;
} seed_column;

typedef struct seed_plan {
	seed_column *cols;
	size_t n;
	int64_t rows;
	int64_t size;
	size_t max_record;     /* bytes of the longest record's fields */
} seed_plan;


typedef struct seed_loader {
	PGconn *pg;
	mdc_conn *conn;
	const seed_plan *p;
	const mdc_seed_options *o;
	mdc_error *err;
	char *rel;             /* quoted "db"."schema"."table" */
	char **qcols;          /* quoted (or plain) column names */
	char **types;          /* truncate: the existing table's column types, in
	                        * the file's order (NULL: a new table, the plan's) */
	mdc_seed_method method;
	size_t batch_rows, batch_bytes;
	mdc_buf sql_split;        /* INSERT … SELECT … string_split($1) */
	mdc_buf b;                /* current batch */
	size_t batch_n;
	int batch_values;      /* the current batch is VALUES (DuckDB split fallback) */
	int in_copy;
	int64_t rows_sent;
	/* per-row scratch */
	const char **vals;
	size_t *lens;
	char **cbuf;           /* per-column conversion buffers */
	size_t *ccap;
} seed_loader;

/* ---- seed_plan.c ---- */

/* Pass 1 over the file at path: *p filled (free with seed_plan_clear), or
 * -errno with err and *p empty. */
int seed_plan_read(const char *path, const mdc_seed_options *o, seed_plan *p,
		   mdc_error *err) MDC_MUSTCHECK;
void seed_plan_clear(seed_plan *p);
/* open(2) a regular file for reading: the fd and *size, or -errno with err. */
int seed_open_input(const char *path, int64_t *size, mdc_error *err) MDC_MUSTCHECK;
/* o's progress callback, if any. */
void seed_report(const mdc_seed_options *o, int64_t done, int64_t total, int64_t rows);
/* o's cancel flag is set. */
int seed_cancelled(const mdc_seed_options *o);
/* A name that needs no quoting in SQL ([A-Za-z_][A-Za-z0-9_$]*). */
int seed_plain_identifier(const char *s);

/* ---- seed_batch.c ---- */

/* A command without rows on L's connection. 0 or -errno with L->err. */
int seed_exec(seed_loader *L, const char *sql) MDC_MUSTCHECK;
/* Encode the converted row in L->vals/lens into the current batch. 0, -1
 * out of memory, -2 a batch sent first failed (L->err says why). */
int seed_batch_add_row(seed_loader *L) MDC_MUSTCHECK;
/* The current batch has reached its size. */
int seed_batch_full(const seed_loader *L);
/* Send the current batch (if any). 0 or -errno with L->err. */
int seed_batch_flush(seed_loader *L) MDC_MUSTCHECK;
/* Append " (c1, c2, …)": the file's columns, quoted, in its order (every
 * INSERT and COPY names them: a truncated table may order them otherwise).
 * 0 or -1 (memory). */
int seed_column_list(const seed_loader *L, mdc_buf *b) MDC_MUSTCHECK;
/* Build the split method's INSERT … SELECT … string_split($1). 0 or -1 (memory). */
int seed_batch_split_sql(seed_loader *L) MDC_MUSTCHECK;
/* Try COPY FROM STDIN: 1 started, 0 refused (the transaction must be
 * redone), <0 broken. */
int seed_copy_start(seed_loader *L) MDC_MUSTCHECK;
/* End a COPY (failure: abort it with that reason). 0 or -errno with L->err. */
int seed_copy_end(seed_loader *L, const char *failure);

#endif
