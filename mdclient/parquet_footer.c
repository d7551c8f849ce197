/* mdclient/parquet_footer.c - a Parquet file's tail: FileMetaData (schema,
 * row groups with their column chunks and statistics, created_by, column
 * orders) in Thrift compact, its 4-byte little-endian length, "PAR1". */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mdfs_version.h"
#include "mdclient/internal/parquet_int.h"

#define CREATED_BY "mdfs version " MDFS_VERSION " (build mdclient)"

static void put_logical_type(tc_writer *t, const parquet_coltype *ct)
{
	switch (ct->k) {
	case KIND_STRING:
	case KIND_JSON:
		tc_field_struct(t, 10);
		tc_field_struct(t, 1); /* STRING */
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case KIND_INT:
		tc_field_struct(t, 10);
		tc_field_struct(t, 10); /* INTEGER */
		tc_field_i8(t, 1, (int8_t)ct->bits);
		tc_field_bool(t, 2, ct->is_signed);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case KIND_DECIMAL:
		tc_field_struct(t, 10);
		tc_field_struct(t, 5); /* DECIMAL */
		tc_field_i32(t, 1, ct->scale);
		tc_field_i32(t, 2, ct->precision);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case KIND_DATE:
		tc_field_struct(t, 10);
		tc_field_struct(t, 6);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case KIND_TIME:
	case KIND_TS:
		tc_field_struct(t, 10);
		tc_field_struct(t, ct->k == KIND_TIME ? 7 : 8);
		tc_field_bool(t, 1, ct->utc);
		tc_field_struct(t, 2); /* TimeUnit */
		tc_field_struct(t, ct->nanos ? 3 : 2);
		tc_struct_end(t);
		tc_struct_end(t);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case KIND_UUID:
		tc_field_struct(t, 10);
		tc_field_struct(t, 14);
		tc_struct_end(t);
		tc_struct_end(t);
		break;
	case KIND_BOOL:
	case KIND_FLOAT:
	case KIND_DOUBLE:
	case KIND_BLOB:
		break;
	}
}

/* ConvertedType for old readers, or -1. */
static int converted_type(const parquet_coltype *ct)
{
	switch (ct->k) {
	case KIND_STRING:
	case KIND_JSON:
		return 0; /* UTF8 */
	case KIND_INT:
		if (ct->is_signed)
			return ct->bits == 8 ? 15 : ct->bits == 16 ? 16 : ct->bits == 32 ? 17 : 18;
		return ct->bits == 8 ? 11 : ct->bits == 16 ? 12 : ct->bits == 32 ? 13 : 14;
	case KIND_DECIMAL:
		return 5;
	case KIND_DATE:
		return 6;
	case KIND_TIME: /* the legacy types mean adjusted-to-UTC */
		return ct->utc ? 8 : -1;
	case KIND_TS:
		return ct->utc && !ct->nanos ? 10 : -1;
	default:
		return -1;
	}
}

static void put_stats(tc_writer *t, const parquet_chunk_meta *m)
{
	tc_field_struct(t, 12);
	tc_field_i64(t, 3, m->null_count);
	if (m->has_minmax) {
		tc_field_binary(t, 5, m->max, m->max_len);
		tc_field_binary(t, 6, m->min, m->min_len);
		tc_field_bool(t, 7, m->max_exact);
		tc_field_bool(t, 8, m->min_exact);
	}
	tc_struct_end(t);
}

int parquet_write_footer(mdc_parquet_writer *w, mdc_error *err)
{
	tc_writer *t = &w->th;
	tc_reset(t);
	tc_struct_begin(t);
	tc_field_i32(t, 1, 2); /* version */
	tc_field_list(t, 2, TC_STRUCT, (uint32_t)w->ncols + 1);
	tc_struct_begin(t); /* the root */
	tc_field_string(t, 4, "schema");
	tc_field_i32(t, 5, (int32_t)w->ncols);
	tc_struct_end(t);
	for (size_t i = 0; i < w->ncols; i++) {
		const parquet_wcol *c = &w->cols[i];
		tc_struct_begin(t);
		tc_field_i32(t, 1, c->t.phys);
		if (c->t.phys == PARQUET_FIXED_LEN_BYTE_ARRAY)
			tc_field_i32(t, 2, c->t.type_length);
		tc_field_i32(t, 3, 1); /* OPTIONAL */
		tc_field_string(t, 4, c->name);
		int ct = converted_type(&c->t);
		if (ct >= 0)
			tc_field_i32(t, 6, ct);
		if (c->t.k == KIND_DECIMAL) {
			tc_field_i32(t, 7, c->t.scale);
			tc_field_i32(t, 8, c->t.precision);
		}
		put_logical_type(t, &c->t);
		tc_struct_end(t);
	}
	tc_field_i64(t, 3, w->rows);
	tc_field_list(t, 4, TC_STRUCT, (uint32_t)w->nrgs);
	for (size_t r = 0; r < w->nrgs; r++) {
		const parquet_rg_meta *rg = &w->rgs[r];
		tc_struct_begin(t);
		tc_field_list(t, 1, TC_STRUCT, (uint32_t)w->ncols);
		for (size_t i = 0; i < w->ncols; i++) {
			const parquet_chunk_meta *m = &rg->chunks[i];
			tc_struct_begin(t);
			tc_field_i64(t, 2, m->dict_off >= 0 ? m->dict_off : m->data_off);
			tc_field_struct(t, 3);
			tc_field_i32(t, 1, w->cols[i].t.phys);
			uint32_t nenc = 1 + (m->used_plain || m->used_dict) + m->used_dict;
			tc_field_list(t, 2, TC_I32, nenc);
			tc_elem_i32(t, PARQUET_ENC_RLE);
			if (m->used_plain || m->used_dict)
				tc_elem_i32(t, PARQUET_ENC_PLAIN);
			if (m->used_dict)
				tc_elem_i32(t, PARQUET_ENC_RLE_DICTIONARY);
			tc_field_list(t, 3, TC_BINARY, 1);
			tc_elem_string(t, w->cols[i].name);
			tc_field_i32(t, 4, w->codec);
			tc_field_i64(t, 5, m->num_values);
			tc_field_i64(t, 6, m->unc);
			tc_field_i64(t, 7, m->comp);
			tc_field_i64(t, 9, m->data_off);
			if (m->dict_off >= 0)
				tc_field_i64(t, 11, m->dict_off);
			put_stats(t, m);
			tc_struct_end(t); /* ColumnMetaData */
			tc_struct_end(t); /* ColumnChunk */
		}
		tc_field_i64(t, 2, rg->total_unc);
		tc_field_i64(t, 3, rg->num_rows);
		tc_field_i64(t, 5, rg->file_offset);
		tc_field_i64(t, 6, rg->total_comp);
		if (r <= INT16_MAX)
			tc_field_i16(t, 7, (int16_t)r);
		tc_struct_end(t);
	}
	tc_field_string(t, 6, CREATED_BY);
	tc_field_list(t, 7, TC_STRUCT, (uint32_t)w->ncols);
	for (size_t i = 0; i < w->ncols; i++) {
		tc_struct_begin(t);
		tc_field_struct(t, 1); /* TYPE_ORDER */
		tc_struct_end(t);
		tc_struct_end(t);
	}
	tc_struct_end(t);
	if (tc_failed(t) || t->buf.len > UINT32_MAX)
		return mdc_error_set(err, ENOMEM, "parquet: footer: out of memory");
	uint8_t tail[8];
	parquet_le32(tail, (uint32_t)t->buf.len);
	memcpy(tail + 4, "PAR1", 4);
	int rc = parquet_write_all(w, t->buf.bytes, t->buf.len, err);
	return rc ? rc : parquet_write_all(w, tail, 8, err);
}
