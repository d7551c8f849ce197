/* mdclient/internal/csv_in.h - a streaming CSV reader with dbt's reading rules.
 *
 * The rules (../shared/docs/dbt-seeds.md "Reading the file", i.e. Python's
 * csv module in its default "excel" dialect on a file opened as UTF-8 text
 * with universal newlines):
 *   - strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF);
 *     invalid bytes fail with "invalid UTF-8 at line N"; a NUL byte fails too
 *     ("NUL byte at line N": no database text can hold it);
 *   - one leading byte-order mark (EF BB BF) is dropped;
 *   - CRLF and lone CR become LF everywhere, also inside quoted fields;
 *   - one-byte delimiter (default ','), '"' quotes, '""' inside quotes is a
 *     quote; nothing is trimmed, no sniffing; like Python (non-strict), a quote
 *     inside an unquoted field is kept as is, text after a closing quote is
 *     appended to the field, and a quoted field still open at end of file ends
 *     there;
 *   - an empty line is a record with no fields (`blank` set): dbt makes it a
 *     row of NULLs.
 * Memory is bounded: one read buffer (64 KiB) plus the current record; a field
 * longer than max_field bytes fails with "field too large at line N" (-EFBIG),
 * a record longer than 4 * max_field or with more than 100,000 fields fails
 * likewise ("record too large at line N").
 *
 * Line numbers are 1-based physical lines of the file (after newline
 * folding); a record's line is the line where it starts.
 */
#ifndef MDCLIENT_CSV_IN_H
#define MDCLIENT_CSV_IN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mdclient/common.h"
#include "mdclient/error.h"

typedef struct mdc_csv_field {
	const char *ptr;   /* not NUL-terminated... but ptr[len] is '\0' */
	size_t len;
} mdc_csv_field;

typedef struct mdc_csv_reader mdc_csv_reader;

#define MDC_CSV_DEFAULT_MAX_FIELD ((size_t)64 << 20)

/* Read from fd (not closed by the reader; read with read(2)) or from a FILE*
 * (not closed; read with fread). delimiter 0 → ','; it must not be '"', CR or
 * LF (-EINVAL). max_field 0 → MDC_CSV_DEFAULT_MAX_FIELD. */
int mdc_csv_open_fd(int fd, char delimiter, size_t max_field, mdc_csv_reader **out,
		    mdc_error *err) MDC_MUSTCHECK;
int mdc_csv_open_file(FILE *f, char delimiter, size_t max_field, mdc_csv_reader **out,
		      mdc_error *err) MDC_MUSTCHECK;
void mdc_csv_close(mdc_csv_reader *r);  /* NULL is fine */

/* The next record: returns 1 with *fields and *n (valid until the next call or
 * close; *n is 0 and *blank 1 for an empty line), 0 at end of input, or
 * -errno (-EINVAL bad UTF-8/NUL, -EFBIG too large, -EIO read error) with err
 * set; after an error every call returns the same error. blank may be NULL. */
int mdc_csv_next(mdc_csv_reader *r, const mdc_csv_field **fields, size_t *n, int *blank,
		 mdc_error *err) MDC_MUSTCHECK;

/* For a reader started in the middle of a file (after a '\n'): no
 * byte-order mark is dropped there. Call before the first mdc_csv_next. */
void mdc_csv_mid_file(mdc_csv_reader *r);
/* Bytes of input consumed by the records returned so far (what was read
 * ahead into the buffer does not count). *pending_cr: the last record ended
 * with a CR whose following byte has not been looked at yet (a CRLF's LF
 * would still be dropped). */
int64_t mdc_csv_consumed(const mdc_csv_reader *r, int *pending_cr);

/* Line where the last returned record started. */
int64_t mdc_csv_record_line(const mdc_csv_reader *r);
/* Bytes consumed from the input so far (for progress). */
int64_t mdc_csv_bytes_read(const mdc_csv_reader *r);

#endif
