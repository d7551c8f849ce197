/* mdclient/parquet_writer.c - the Parquet writer (contract in parquet.h).
 *
 * Layout of a file: "PAR1", then per row group and per column one column
 * chunk (dictionary page, then data pages v1), then the footer
 * (parquet_footer.c). Pages are encoded and compressed as rows arrive
 * (parquet_encode.c); a row group's chunks wait in memory until the group
 * is full, then go to fd one after the other, so the file is written
 * strictly sequentially and memory is bounded by the row group size.
 * Values arrive as text and are parsed per column type (parquet_text.c);
 * parquet_pgbin.c feeds PostgreSQL's binary COPY values directly.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdclient/internal/parquet_int.h"

#define ROWS_PER_SIZE_CHECK 256


int parquet_write_all(mdc_parquet_writer *w, const void *p, size_t n, mdc_error *err)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = write(w->fd, b, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			return mdc_error_set(err, e, "parquet: write: %s", strerror(e));
		}
		if (r == 0)
			return mdc_error_set(err, EIO, "parquet: write returned 0");
		b += r;
		n -= (size_t)r;
		w->off += (uint64_t)r;
	}
	return 0;
}

static parquet_codec codec_of(const mdc_parquet_options *o)
{
	if (!o)
		return PARQUET_CODEC_ZSTD;
	switch (o->codec) {
	case MDC_PARQUET_SNAPPY: return PARQUET_CODEC_SNAPPY;
	case MDC_PARQUET_NONE: return PARQUET_CODEC_UNCOMPRESSED;
	case MDC_PARQUET_ZSTD: break;
	}
	return PARQUET_CODEC_ZSTD;
}

int mdc_parquet_writer_open(int fd, size_t ncols, const char *const *names,
			    const char *const *types, mdc_parquet_text dialect,
			    const mdc_parquet_options *o, mdc_parquet_writer **out,
			    mdc_error *err)
{
	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "parquet: no output pointer");
	*out = NULL;
	if (fd < 0 || !ncols || !names || !types)
		return mdc_error_set(err, EINVAL, "parquet: a file needs a descriptor and at least one column");
	if (ncols > INT32_MAX / 2)
		return mdc_error_set(err, EINVAL, "parquet: too many columns");
	mdc_parquet_writer *w = calloc(1, sizeof *w);
	if (!w)
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	w->fd = fd;
	w->text = dialect;
	w->codec = codec_of(o);
	w->rg_max_rows = o && o->row_group_rows > 0 ? o->row_group_rows : MDC_PARQUET_DEFAULT_ROW_GROUP_ROWS;
	w->rg_max_bytes = o && o->row_group_bytes > 0 ? o->row_group_bytes : MDC_PARQUET_DEFAULT_ROW_GROUP_BYTES;
	tc_init(&w->th);
	w->cols = calloc(ncols, sizeof *w->cols);
	if (!w->cols) {
		free(w);
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	}
	w->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		parquet_wcol *c = &w->cols[i];
		c->name = strdup(names[i] ? names[i] : "");
		c->type = strdup(types[i] ? types[i] : "");
		parquet_map_type(c->type, &c->t);
		parquet_column_init(&c->enc, c->t.phys, c->t.type_length, c->t.order, w->codec, 0, 0);
		if (!c->name || !c->type) {
			mdc_parquet_writer_free(w);
			return mdc_error_set(err, ENOMEM, "parquet: out of memory");
		}
	}
	int rc = parquet_write_all(w, "PAR1", 4, err);
	if (rc) {
		mdc_parquet_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int mdc_parquet_writer_wants_json(const mdc_parquet_writer *w, size_t col)
{
	return w && col < w->ncols && w->cols[col].t.k == KIND_JSON;
}

uint64_t mdc_parquet_writer_size(const mdc_parquet_writer *w)
{
	return w ? w->off : 0;
}

int64_t mdc_parquet_writer_rows(const mdc_parquet_writer *w)
{
	return w ? w->rows : 0;
}

static void rg_meta_free(parquet_rg_meta *rg, size_t ncols)
{
	if (!rg->chunks)
		return;
	for (size_t i = 0; i < ncols; i++) {
		free(rg->chunks[i].min);
		free(rg->chunks[i].max);
	}
	free(rg->chunks);
}

void mdc_parquet_writer_free(mdc_parquet_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->ncols; i++) {
		free(w->cols[i].name);
		free(w->cols[i].type);
		parquet_column_free(&w->cols[i].enc);
	}
	free(w->cols);
	for (size_t i = 0; i < w->nrgs; i++)
		rg_meta_free(&w->rgs[i], w->ncols);
	free(w->rgs);
	mdc_buf_free(&w->val);
	tc_free(&w->th);
	free(w);
}

int parquet_writer_fail(mdc_parquet_writer *w, int rc)
{
	w->failed = true;
	return rc;
}

int parquet_writer_add_text(mdc_parquet_writer *w, parquet_wcol *c, const char *s, size_t len,
			    mdc_error *err)
{
	uint8_t b[16];
	int rc = 0;
	const void *v = b;
	size_t vlen = 0;
	char tmp[128];
	/* strtoll/strtod want a NUL-terminated copy (values are short) */
	bool short_ok = len < sizeof tmp;
	switch (c->t.k) {
	case KIND_BOOL:
		rc = parquet_parse_bool(s, len, b);
		vlen = 1;
		break;
	case KIND_INT: {
		if (!short_ok || !len) {
			rc = -EINVAL;
			break;
		}
		int64_t fx;
		if (c->t.is_signed && parquet_fast_int(s, len, &fx)) {
			int64_t lo = c->t.bits == 64 ? INT64_MIN : -(INT64_C(1) << (c->t.bits - 1));
			int64_t hi = c->t.bits == 64 ? INT64_MAX : (INT64_C(1) << (c->t.bits - 1)) - 1;
			if (fx < lo || fx > hi)
				rc = -ERANGE;
			else if (c->t.bits == 64)
				parquet_le64(b, (uint64_t)fx), vlen = 8;
			else
				parquet_le32(b, (uint32_t)(int32_t)fx), vlen = 4;
			break;
		}
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		char *e;
		errno = 0;
		if (c->t.is_signed) {
			long long x = strtoll(tmp, &e, 10);
			long long lo = c->t.bits == 64 ? LLONG_MIN : -(1LL << (c->t.bits - 1));
			long long hi = c->t.bits == 64 ? LLONG_MAX : (1LL << (c->t.bits - 1)) - 1;
			if (*e || errno == ERANGE || x < lo || x > hi)
				rc = *e ? -EINVAL : -ERANGE;
			else if (c->t.bits == 64)
				parquet_le64(b, (uint64_t)x), vlen = 8;
			else
				parquet_le32(b, (uint32_t)(int32_t)x), vlen = 4;
		} else {
			unsigned long long x = strtoull(tmp, &e, 10);
			unsigned long long hi = c->t.bits == 64 ? ULLONG_MAX : (1ULL << c->t.bits) - 1;
			if (*e || errno == ERANGE || tmp[0] == '-' || x > hi)
				rc = *e ? -EINVAL : -ERANGE;
			else if (c->t.bits == 64)
				parquet_le64(b, (uint64_t)x), vlen = 8;
			else
				parquet_le32(b, (uint32_t)x), vlen = 4;
		}
		break;
	}
	case KIND_FLOAT:
	case KIND_DOUBLE: {
		if (!short_ok || !len) {
			rc = -EINVAL;
			break;
		}
		float f;
		double dd;
		bool single = c->t.k == KIND_FLOAT;
		if (parquet_fast_float(s, len, single, &dd, &f)) {
			if (single)
				memcpy(b, &f, 4), vlen = 4;
			else
				memcpy(b, &dd, 8), vlen = 8;
			break;
		}
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		char *e;
		if (single) {
			f = strtof(tmp, &e);
			memcpy(b, &f, 4);
			vlen = 4;
		} else {
			dd = strtod(tmp, &e);
			memcpy(b, &dd, 8);
			vlen = 8;
		}
		if (*e)
			rc = -EINVAL;
		break;
	}
	case KIND_DECIMAL: {
		parquet_i128 x;
		if ((rc = parquet_parse_decimal(s, len, c->t.scale, &x)) != 0)
			break;
		if (c->t.phys == PARQUET_INT32) {
			if (x > INT32_MAX || x < INT32_MIN) {
				rc = -ERANGE;
				break;
			}
			parquet_le32(b, (uint32_t)(int32_t)x);
			vlen = 4;
		} else if (c->t.phys == PARQUET_INT64) {
			if (x > INT64_MAX || x < INT64_MIN) {
				rc = -ERANGE;
				break;
			}
			parquet_le64(b, (uint64_t)(int64_t)x);
			vlen = 8;
		} else {
			int n = c->t.type_length;
			if (n < 16) {
				parquet_i128 lim = (parquet_i128)1 << (8 * n - 1);
				if (x >= lim || x < -lim) {
					rc = -ERANGE;
					break;
				}
			}
			parquet_u128 u = (parquet_u128)x;
			for (int i = n - 1; i >= 0; i--) {
				b[i] = (uint8_t)u;
				u >>= 8;
			}
			vlen = (size_t)n;
		}
		break;
	}
	case KIND_DATE: {
		int32_t d;
		if ((rc = parquet_parse_date(s, len, &d)) == 0)
			parquet_le32(b, (uint32_t)d), vlen = 4;
		break;
	}
	case KIND_TIME: {
		int64_t t;
		if ((rc = parquet_parse_time(s, len, &t)) == 0)
			parquet_le64(b, (uint64_t)t), vlen = 8;
		break;
	}
	case KIND_TS: {
		int64_t t;
		if ((rc = parquet_parse_ts(s, len, c->t.nanos, &t)) == 0)
			parquet_le64(b, (uint64_t)t), vlen = 8;
		break;
	}
	case KIND_UUID:
		rc = parquet_parse_uuid(s, len, b);
		vlen = 16;
		break;
	case KIND_BLOB:
		if ((rc = parquet_parse_blob(s, len, w->text, &w->val)) == 0) {
			v = w->val.bytes;
			vlen = w->val.len;
		}
		break;
	case KIND_STRING:
	case KIND_JSON:
		v = s;
		vlen = len;
		break;
	}
	if (rc == -ENOMEM)
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	if (rc) {
		int shown = len > 60 ? 60 : (int)len;
		return mdc_error_set(err, -rc, "parquet: column \"%s\" (%s): cannot store '%.*s%s'",
				     c->name, c->type, shown, s, len > 60 ? "..." : "");
	}
	if ((rc = parquet_column_add(&c->enc, v, vlen)) != 0)
		return mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed (%s)",
				     c->name, strerror(-rc));
	return 0;
}

static int flush_row_group(mdc_parquet_writer *w, mdc_error *err)
{
	if (w->rg_rows == 0)
		return 0;
	if (w->nrgs == w->rgs_cap) {
		size_t cap = w->rgs_cap ? w->rgs_cap * 2 : 8;
		parquet_rg_meta *r = realloc(w->rgs, cap * sizeof *r);
		if (!r)
			return mdc_error_set(err, ENOMEM, "parquet: out of memory");
		w->rgs = r;
		w->rgs_cap = cap;
	}
	parquet_rg_meta *rg = &w->rgs[w->nrgs];
	memset(rg, 0, sizeof *rg);
	rg->chunks = calloc(w->ncols, sizeof *rg->chunks);
	if (!rg->chunks)
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	w->nrgs++;
	rg->num_rows = w->rg_rows;
	rg->file_offset = (int64_t)w->off;
	for (size_t i = 0; i < w->ncols; i++) {
		parquet_column *e = &w->cols[i].enc;
		parquet_chunk_meta *m = &rg->chunks[i];
		int rc = parquet_column_finish(e);
		if (rc)
			return mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed (%s)",
					     w->cols[i].name, strerror(-rc));
		m->num_values = e->num_values;
		m->unc = e->uncompressed_size;
		m->comp = (int64_t)(e->dict_page.len + e->pages.len);
		m->dict_off = e->dict_page.len ? (int64_t)w->off : -1;
		m->data_off = (int64_t)(w->off + e->dict_page.len);
		m->used_dict = e->used_dict;
		m->used_plain = e->used_plain;
		m->null_count = e->stats.null_count;
		m->has_minmax = e->stats.has_minmax;
		m->min_exact = e->stats.min_exact;
		m->max_exact = e->stats.max_exact;
		if (m->has_minmax) {
			m->min = malloc(e->stats.min.len ? e->stats.min.len : 1);
			m->max = malloc(e->stats.max.len ? e->stats.max.len : 1);
			if (!m->min || !m->max)
				return mdc_error_set(err, ENOMEM, "parquet: out of memory");
			if (e->stats.min.len) /* an empty min/max has no buffer at all */
				memcpy(m->min, e->stats.min.bytes, e->stats.min.len);
			if (e->stats.max.len)
				memcpy(m->max, e->stats.max.bytes, e->stats.max.len);
			m->min_len = e->stats.min.len;
			m->max_len = e->stats.max.len;
		}
		if ((rc = parquet_write_all(w, e->dict_page.bytes, e->dict_page.len, err)) != 0 ||
		    (rc = parquet_write_all(w, e->pages.bytes, e->pages.len, err)) != 0)
			return rc;
		rg->total_unc += m->unc;
		rg->total_comp += m->comp;
		parquet_column_reset(e);
	}
	w->rg_rows = 0;
	return 0;
}

static size_t buffered(const mdc_parquet_writer *w)
{
	size_t n = 0;
	for (size_t i = 0; i < w->ncols; i++)
		n += parquet_column_buffered(&w->cols[i].enc);
	return n;
}

int parquet_writer_row_done(mdc_parquet_writer *w, mdc_error *err)
{
	w->rows++;
	w->rg_rows++;
	if (w->rg_rows >= w->rg_max_rows ||
	    (w->rg_rows % ROWS_PER_SIZE_CHECK == 0 && buffered(w) >= (size_t)w->rg_max_bytes)) {
		int rc = flush_row_group(w, err);
		if (rc)
			return parquet_writer_fail(w, rc);
	}
	return 0;
}

int mdc_parquet_writer_add_row(mdc_parquet_writer *w, const char *const *values,
			       const int *lens, mdc_error *err)
{
	mdc_error_clear(err);
	if (!w || !values)
		return mdc_error_set(err, EINVAL, "parquet: bad arguments");
	if (w->failed || w->finished)
		return mdc_error_set(err, EINVAL, "parquet: writer is finished or failed");
	for (size_t i = 0; i < w->ncols; i++) {
		parquet_wcol *c = &w->cols[i];
		int rc;
		if (!values[i]) {
			if ((rc = parquet_column_add_null(&c->enc)) != 0)
				return parquet_writer_fail(w, mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed",
							     c->name));
			continue;
		}
		size_t len = lens ? (size_t)lens[i] : strlen(values[i]);
		if ((rc = parquet_writer_add_text(w, c, values[i], len, err)) != 0)
			return parquet_writer_fail(w, rc);
	}
	return parquet_writer_row_done(w, err);
}

int mdc_parquet_writer_finish(mdc_parquet_writer *w, mdc_error *err)
{
	mdc_error_clear(err);
	if (!w)
		return mdc_error_set(err, EINVAL, "parquet: no writer");
	if (w->failed || w->finished)
		return mdc_error_set(err, EINVAL, "parquet: writer is finished or failed");
	int rc = flush_row_group(w, err);
	if (!rc)
		rc = parquet_write_footer(w, err);
	if (rc)
		return parquet_writer_fail(w, rc);
	w->finished = true;
	return 0;
}
