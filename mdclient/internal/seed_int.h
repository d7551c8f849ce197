/* mdclient/internal/seed_int.h - what the seed loader's modules share
 * (mdclient-internal). The contract of a load is seed.h. One job per file:
 *   seed_plan.c   pass 1: header names, inference, row count (no server)
 *   seed_batch.c  pass 2's encoders: rows → COPY csv, split parameter or
 *                 VALUES literals, and sending a full batch
 *   seed.c        the load: view check, one transaction, the method, commit
 */
#ifndef MDCLIENT_INTERNAL_SEED_INT_H
#define MDCLIENT_INTERNAL_SEED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "mdclient/common.h"
#include "mdclient/error.h"
#include "mdclient/seed.h"
#include "mdclient/internal/seed_infer.h"
#include "mdclient/internal/buf.h"
#include "mdclient/catalog.h"

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
	int has_header;        /* the first record is a header (not a row); always
	                        * with the file's own names, else only when it
	                        * equals the given names (an append) */
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
	int copy_plain;        /* the dialect's copy_in_plain_fields */
	int guessed;           /* p is a guess (seed_plan_guess): pass 2 also
	                        * infers the whole file's plan into whole */
	seed_plan whole;       /* with guessed: p's names, fresh inference states */
	int64_t rows_read;
	int append;            /* rows go into the existing table as they are */
	int hold;              /* keep the batch in b (a script sends it), never send it */
	int64_t rows_sent;
	/* per-row scratch */
	const char **vals;
	size_t *lens;
	char **cbuf;           /* per-column conversion buffers */
	size_t *ccap;
} seed_loader;

/* ---- seed_plan.c ---- */

/* Pass 1 over the file at path: *p filled (free with seed_plan_clear), or
 * -errno with err and *p empty. names NULL: the header names the columns.
 * names given (an append to a table with these columns, in its order): they
 * are the columns; a first line equal to them is a header and skipped,
 * anything else is the first row. */
int seed_plan_read(const char *path, const mdc_seed_options *o, const mdc_column_list *names,
		   seed_plan *p, mdc_error *err) MDC_MUSTCHECK;
void seed_plan_clear(seed_plan *p);
/* A guess of pass 1 from the records in about the first limit bytes (a new
 * table's: names from the header): the same as seed_plan_read, but rows and
 * max_record count only those records, and the types may be narrower than
 * the whole file's. */
int seed_plan_guess(const char *path, const mdc_seed_options *o, int64_t limit, seed_plan *p,
		    mdc_error *err) MDC_MUSTCHECK;
/* Two plans load the same way: the same names, kinds, SQL types, header. */
bool seed_plan_same(const seed_plan *a, const seed_plan *b);
/* Each column's kind and SQL type from its inference state (the end of
 * pass 1; overridden columns keep their type). */
void seed_plan_decide(seed_plan *p);
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

/* ---- seed_script.c: statements in one round trip ----
 * A script is a few statements sent at once: in libpq's pipeline mode (one
 * Sync), or where the server refuses that, as one multi-statement simple
 * query (parameters inlined as quoted literals); where both are refused,
 * one by one. What a server refused is remembered for the process, per
 * dialect. */
#define SEED_SCRIPT_MAX 8
typedef struct seed_script {
	size_t n;
	struct {
		const char *sql;
		int nparams;
		const char *params[3];
		ExecStatusType expect;
		PGresult *res;         /* the answer when expect is PGRES_TUPLES_OK */
	} st[SEED_SCRIPT_MAX];
	size_t failed;             /* the statement that failed (when run fails) */
} seed_script;

/* Add a statement (sql borrowed until the script is cleared). */
void seed_script_add(seed_script *s, const char *sql, int nparams, const char *const *params,
		     ExecStatusType expect);
/* Run it on pg: 0 when every statement did as expected; else -errno with
 * err (prefixed by what) and s->failed, the transaction (if the script
 * opened one) left for the caller to roll back. A server that refuses the
 * batching (pipeline, then multi-statement) is tried the next way, after
 * rolling back what the refused attempt began; the last way is one
 * statement per round trip. Every wait has the answer deadline. */
int seed_script_run(PGconn *pg, mdc_dialect dialect, seed_script *s, const char *what,
		    mdc_error *err) MDC_MUSTCHECK;
void seed_script_clear(seed_script *s);
/* The ways of batching this process found refused for the dialect
 * (SEED_BATCH_* bits), for tests and logs. */
#define SEED_BATCH_NO_PIPELINE 1
#define SEED_BATCH_NO_MULTI 2
int seed_script_refused(mdc_dialect dialect);

#endif
