/* mdclient/csv_in.c - streaming CSV reader with dbt's (Python csv) rules.
 * See csv_in.h. One pass over the bytes: UTF-8 check, newline folding and the
 * csv state machine of CPython's _csv.c (excel dialect, strict=False). */
#include "mdclient/internal/csv_in.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define MAX_FIELDS 100000

enum state {
	START_RECORD,
	START_FIELD,
	IN_FIELD,
	IN_QUOTED_FIELD,
	QUOTE_IN_QUOTED_FIELD,
};

struct mdc_csv_reader {
	int fd;
	FILE *file;
	char delim;
	size_t max_field, max_record;

	unsigned char buf[READ_CHUNK];
	size_t pos, end;
	int eof;
	int started;          /* BOM check done */
	int prev_cr;          /* last byte seen was CR: a following LF is dropped */
	int64_t bytes;

	/* UTF-8 decoder */
	int u_need;           /* continuation bytes still expected */
	unsigned char u_lo, u_hi; /* allowed range of the next continuation byte */

	enum state st;
	int64_t line;         /* current physical line (1-based) */
	int64_t rec_line;

	char *rec;            /* fields, each followed by '\0' */
	size_t rec_len, rec_cap;
	size_t field_start;   /* offset in rec of the current field */
	size_t *offs;         /* field start offsets */
	size_t nf, offs_cap;
	mdc_csv_field *fields;
	size_t fields_cap;

	int failed;
	mdc_error saved;

	/* Bytes that need no decision of the state machine: ASCII except NUL,
	 * CR, LF and '"'; plain[0] also excludes the delimiter (outside
	 * quotes), plain[1] keeps it (inside quotes, where it is data). */
	unsigned char plain[2][256];
};

static int open_common(int fd, FILE *f, char delimiter, size_t max_field, mdc_csv_reader **out,
		       mdc_error *err)
{
	*out = NULL;
	if (delimiter == 0)
		delimiter = ',';
	if (delimiter == '"' || delimiter == '\r' || delimiter == '\n' ||
	    (unsigned char)delimiter >= 0x80)
		return mdc_error_set(err, EINVAL, "invalid CSV delimiter (must be one ASCII character, not a quote or newline)");
	mdc_csv_reader *r = calloc(1, sizeof *r);
	if (!r)
		return mdc_error_set(err, ENOMEM, "out of memory");
	r->fd = fd;
	r->file = f;
	r->delim = delimiter;
	r->max_field = max_field ? max_field : MDC_CSV_DEFAULT_MAX_FIELD;
	r->max_record = r->max_field > SIZE_MAX / 4 ? SIZE_MAX : r->max_field * 4;
	r->st = START_RECORD;
	r->line = 1;
	for (int c = 1; c < 0x80; c++) {
		int p = c != '\r' && c != '\n' && c != '"';
		r->plain[1][c] = (unsigned char)p;
		r->plain[0][c] = (unsigned char)(p && c != delimiter);
	}
	*out = r;
	return 0;
}

int mdc_csv_open_fd(int fd, char delimiter, size_t max_field, mdc_csv_reader **out,
		    mdc_error *err)
{
	return open_common(fd, NULL, delimiter, max_field, out, err);
}

int mdc_csv_open_file(FILE *f, char delimiter, size_t max_field, mdc_csv_reader **out,
		      mdc_error *err)
{
	if (!f) {
		*out = NULL;
		return mdc_error_set(err, EINVAL, "no input file");
	}
	return open_common(-1, f, delimiter, max_field, out, err);
}

void mdc_csv_close(mdc_csv_reader *r)
{
	if (!r)
		return;
	free(r->rec);
	free(r->offs);
	free(r->fields);
	free(r);
}

void mdc_csv_mid_file(mdc_csv_reader *r)
{
	if (r)
		r->started = 1;
}

int64_t mdc_csv_consumed(const mdc_csv_reader *r, int *pending_cr)
{
	*pending_cr = r ? r->prev_cr : 0;
	return r ? r->bytes - (int64_t)(r->end - r->pos) : 0;
}

int64_t mdc_csv_record_line(const mdc_csv_reader *r)
{
	return r ? r->rec_line : 0;
}

int64_t mdc_csv_bytes_read(const mdc_csv_reader *r)
{
	return r ? r->bytes : 0;
}

static int fail(mdc_csv_reader *r, mdc_error *err, int errnum, const char *fmt, ...)
	MDC_PRINTF(4, 5);
static int fail(mdc_csv_reader *r, mdc_error *err, int errnum, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->failed = 1;
	mdc_error_set(&r->saved, errnum, "%s", msg);
	if (err)
		*err = r->saved;
	return -errnum;
}

/* Refill buf (keeping the unread tail). Returns bytes now available, 0 at EOF, -1 error. */
static ssize_t fill(mdc_csv_reader *r)
{
	if (r->pos < r->end)
		return (ssize_t)(r->end - r->pos);
	r->pos = r->end = 0;
	if (r->eof)
		return 0;
	ssize_t n;
	if (r->file) {
		size_t k = fread(r->buf, 1, sizeof r->buf, r->file);
		if (k == 0) {
			if (ferror(r->file))
				return -1;
			r->eof = 1;
			return 0;
		}
		n = (ssize_t)k;
	} else {
		do
			n = read(r->fd, r->buf, sizeof r->buf);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
	}
	r->end = (size_t)n;
	r->bytes += n;
	return n;
}

static int grow_rec(mdc_csv_reader *r, size_t need)
{
	if (need <= r->rec_cap)
		return 0;
	size_t cap = r->rec_cap ? r->rec_cap : 4096;
	while (cap < need)
		cap *= 2;
	char *p = realloc(r->rec, cap);
	if (!p)
		return -1;
	r->rec = p;
	r->rec_cap = cap;
	return 0;
}

/* Append one byte to the current field. */
static inline int add_char(mdc_csv_reader *r, char c, mdc_error *err)
{
	if (r->rec_len - r->field_start >= r->max_field)
		return fail(r, err, EFBIG, "field too large at line %lld", (long long)r->line);
	if (r->rec_len + 2 > r->rec_cap) {
		if (r->rec_len + 2 > r->max_record)
			return fail(r, err, EFBIG, "record too large at line %lld", (long long)r->rec_line);
		if (grow_rec(r, r->rec_len + 2) < 0)
			return fail(r, err, ENOMEM, "out of memory at line %lld", (long long)r->line);
	}
	r->rec[r->rec_len++] = c;
	return 0;
}

static int save_field(mdc_csv_reader *r, mdc_error *err)
{
	if (r->nf >= MAX_FIELDS)
		return fail(r, err, EFBIG, "record too large at line %lld (too many fields)", (long long)r->rec_line);
	if (grow_rec(r, r->rec_len + 1) < 0)
		return fail(r, err, ENOMEM, "out of memory at line %lld", (long long)r->line);
	if (r->nf == r->offs_cap) {
		size_t cap = r->offs_cap ? r->offs_cap * 2 : 64;
		size_t *p = realloc(r->offs, cap * sizeof *p);
		if (!p)
			return fail(r, err, ENOMEM, "out of memory at line %lld", (long long)r->line);
		r->offs = p;
		r->offs_cap = cap;
	}
	r->offs[r->nf++] = r->field_start;
	r->rec[r->rec_len++] = '\0';
	r->field_start = r->rec_len;
	return 0;
}

static int finish_record(mdc_csv_reader *r, const mdc_csv_field **fields, size_t *n,
			 mdc_error *err)
{
	if (r->nf > r->fields_cap) {
		mdc_csv_field *p = realloc(r->fields, r->nf * sizeof *p);
		if (!p)
			return fail(r, err, ENOMEM, "out of memory at line %lld", (long long)r->line);
		r->fields = p;
		r->fields_cap = r->nf;
	}
	for (size_t i = 0; i < r->nf; i++) {
		size_t s = r->offs[i];
		size_t e = i + 1 < r->nf ? r->offs[i + 1] - 1 : r->rec_len - 1;
		r->fields[i].ptr = r->rec + s;
		r->fields[i].len = e - s;
	}
	*fields = r->fields;
	*n = r->nf;
	return 1;
}

/* Feed one (folded, validated) character to the csv state machine. Returns 1
 * when a record is complete, 0 to go on, <0 on error. */
static inline int process(mdc_csv_reader *r, char c, mdc_error *err)
{
	int rc;
	switch (r->st) {
	case START_RECORD:
		r->rec_line = r->line;
		if (c == '\n')
			return 1; /* blank line: no fields */
		r->st = START_FIELD;
		/* fall through */
	case START_FIELD:
		if (c == '\n') {
			if ((rc = save_field(r, err)) < 0)
				return rc;
			r->st = START_RECORD;
			return 1;
		}
		if (c == '"') {
			r->st = IN_QUOTED_FIELD;
			return 0;
		}
		if (c == r->delim)
			return save_field(r, err);
		r->st = IN_FIELD;
		return add_char(r, c, err);
	case IN_FIELD:
		if (c == '\n') {
			if ((rc = save_field(r, err)) < 0)
				return rc;
			r->st = START_RECORD;
			return 1;
		}
		if (c == r->delim) {
			r->st = START_FIELD;
			return save_field(r, err);
		}
		return add_char(r, c, err);
	case IN_QUOTED_FIELD:
		if (c == '"') {
			r->st = QUOTE_IN_QUOTED_FIELD;
			return 0;
		}
		return add_char(r, c, err);
	case QUOTE_IN_QUOTED_FIELD:
		if (c == '"') {
			r->st = IN_QUOTED_FIELD;
			return add_char(r, c, err);
		}
		if (c == r->delim) {
			r->st = START_FIELD;
			return save_field(r, err);
		}
		if (c == '\n') {
			if ((rc = save_field(r, err)) < 0)
				return rc;
			r->st = START_RECORD;
			return 1;
		}
		r->st = IN_FIELD;
		return add_char(r, c, err);
	}
	return 0;
}

int mdc_csv_next(mdc_csv_reader *r, const mdc_csv_field **fields, size_t *n, int *blank,
		 mdc_error *err)
{
	int blank_local;
	if (!blank)
		blank = &blank_local;
	*fields = NULL;
	*n = 0;
	*blank = 0;
	if (!r)
		return mdc_error_set(err, EINVAL, "no CSV reader");
	if (r->failed) {
		if (err)
			*err = r->saved;
		return -r->saved.errnum;
	}
	r->rec_len = 0;
	r->field_start = 0;
	r->nf = 0;

	if (!r->started) {
		/* Drop one leading BOM: make sure 3 bytes are there (or EOF). */
		while (!r->eof && r->end < 3) {
			ssize_t k;
			if (r->file)
				k = (ssize_t)fread(r->buf + r->end, 1, 3 - r->end, r->file);
			else
				k = read(r->fd, r->buf + r->end, 3 - r->end);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 || (k == 0 && r->file && ferror(r->file)))
				return fail(r, err, EIO, "read error at line %lld", (long long)r->line);
			if (k == 0)
				r->eof = 1;
			r->end += (size_t)k;
			r->bytes += k;
		}
		if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
			r->pos = 3;
		r->started = 1;
	}

	for (;;) {
		if (r->pos >= r->end) {
			ssize_t k = fill(r);
			if (k < 0)
				return fail(r, err, EIO, "read error at line %lld", (long long)r->line);
			if (k == 0) {
				/* End of input. */
				if (r->u_need)
					return fail(r, err, EINVAL, "invalid UTF-8 at line %lld (truncated sequence at end of file)", (long long)r->line);
				if (r->st == START_RECORD)
					return 0;
				if (r->st == IN_QUOTED_FIELD || r->st == IN_FIELD ||
				    r->st == START_FIELD || r->st == QUOTE_IN_QUOTED_FIELD) {
					int rc = save_field(r, err);
					if (rc < 0)
						return rc;
				}
				r->st = START_RECORD;
				return finish_record(r, fields, n, err);
			}
		}
		/* Fast path: a run of plain bytes inside a field goes into the
		 * record with one memcpy; the state machine would only append
		 * them one by one. Near a size limit, the slow path below
		 * reports the exact error. */
		if (!r->u_need && (r->st == IN_FIELD || r->st == START_FIELD || r->st == IN_QUOTED_FIELD)) {
			const unsigned char *pl = r->plain[r->st == IN_QUOTED_FIELD];
			size_t i = r->pos;
			while (i < r->end && pl[r->buf[i]])
				i++;
			size_t k = i - r->pos;
			if (k && r->rec_len - r->field_start + k <= r->max_field &&
			    r->rec_len + k + 2 <= r->max_record) {
				if (r->rec_len + k + 2 > r->rec_cap && grow_rec(r, r->rec_len + k + 2) < 0)
					return fail(r, err, ENOMEM, "out of memory at line %lld", (long long)r->line);
				if (r->st == START_FIELD)
					r->st = IN_FIELD;
				memcpy(r->rec + r->rec_len, r->buf + r->pos, k);
				r->rec_len += k;
				r->pos = i;
				r->prev_cr = 0;
				if (r->pos >= r->end)
					continue;
			}
		}
		unsigned char b = r->buf[r->pos++];
		char c;
		if (r->u_need) {
			if (b < r->u_lo || b > r->u_hi)
				return fail(r, err, EINVAL, "invalid UTF-8 at line %lld", (long long)r->line);
			r->u_need--;
			r->u_lo = 0x80;
			r->u_hi = 0xBF;
			c = (char)b;
		} else if (b < 0x80) {
			if (b == '\r') {
				r->prev_cr = 1;
				c = '\n';
				goto feed;
			}
			if (b == '\n' && r->prev_cr) {
				r->prev_cr = 0;
				continue; /* the LF of a CRLF */
			}
			if (b == 0)
				return fail(r, err, EINVAL, "NUL byte at line %lld (not a text file?)", (long long)r->line);
			c = (char)b;
		} else {
			/* Lead byte: ranges from RFC 3629's table. */
			if (b >= 0xC2 && b <= 0xDF) {
				r->u_need = 1; r->u_lo = 0x80; r->u_hi = 0xBF;
			} else if (b == 0xE0) {
				r->u_need = 2; r->u_lo = 0xA0; r->u_hi = 0xBF;
			} else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
				r->u_need = 2; r->u_lo = 0x80; r->u_hi = 0xBF;
			} else if (b == 0xED) {
				r->u_need = 2; r->u_lo = 0x80; r->u_hi = 0x9F;
			} else if (b == 0xF0) {
				r->u_need = 3; r->u_lo = 0x90; r->u_hi = 0xBF;
			} else if (b >= 0xF1 && b <= 0xF3) {
				r->u_need = 3; r->u_lo = 0x80; r->u_hi = 0xBF;
			} else if (b == 0xF4) {
				r->u_need = 3; r->u_lo = 0x80; r->u_hi = 0x8F;
			} else {
				return fail(r, err, EINVAL, "invalid UTF-8 at line %lld", (long long)r->line);
			}
			c = (char)b;
		}
		r->prev_cr = 0;
feed:;
		int rc = process(r, c, err);
		if (c == '\n')
			r->line++;
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (r->nf == 0) {
				*blank = 1;
				return 1;
			}
			return finish_record(r, fields, n, err);
		}
	}
}
