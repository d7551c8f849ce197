/* mdclient/parquet_pgbin.c - PostgreSQL's binary COPY format → writer rows
 * (contract in internal/parquet_int.h). The export reads COPY (SELECT ...)
 * TO STDOUT (FORMAT binary) on PostgreSQL: libpq's single-row mode costs a
 * PGresult per row and text parsing was most of the rest; the binary forms
 * of the built-in types decode to the same Parquet values (numeric via
 * numeric_out's text, so the text path's decimal rules apply), every other
 * type comes as its output function's text. Pure bytes: no libpq here. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mdclient/internal/parquet_int.h"

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

parquet_pgbin_kind parquet_pgbin_kind_of(const parquet_wcol *c, bool *as_text)
{
	char base[256];
	parquet_type_base(c->type, base, sizeof base);
	*as_text = false;
	switch (c->t.k) {
	case KIND_BOOL:
		if (strcmp(base, "BOOLEAN") == 0)
			return PGBIN_BOOL;
		break;
	case KIND_INT:
		if (c->t.is_signed && c->t.bits == 16 && strcmp(base, "SMALLINT") == 0)
			return PGBIN_I16;
		if (c->t.is_signed && c->t.bits == 32 && strcmp(base, "INTEGER") == 0)
			return PGBIN_I32;
		if (c->t.is_signed && c->t.bits == 64 && strcmp(base, "BIGINT") == 0)
			return PGBIN_I64;
		break;
	case KIND_FLOAT:
		if (strcmp(base, "REAL") == 0)
			return PGBIN_F32;
		break;
	case KIND_DOUBLE:
		if (strcmp(base, "DOUBLE PRECISION") == 0)
			return PGBIN_F64;
		break;
	case KIND_DECIMAL:
		if (strcmp(base, "NUMERIC") == 0)
			return PGBIN_NUMERIC;
		break;
	case KIND_DATE:
		if (strcmp(base, "DATE") == 0)
			return PGBIN_DATE;
		break;
	case KIND_TIME:
		if (strcmp(base, "TIME WITHOUT TIME ZONE") == 0)
			return PGBIN_TIME;
		break;
	case KIND_TS:
		if (!c->t.nanos && ((!c->t.utc && strcmp(base, "TIMESTAMP WITHOUT TIME ZONE") == 0) ||
				    (c->t.utc && strcmp(base, "TIMESTAMP WITH TIME ZONE") == 0)))
			return PGBIN_TS;
		break;
	case KIND_UUID:
		if (strcmp(base, "UUID") == 0)
			return PGBIN_UUID;
		break;
	case KIND_BLOB:
		if (strcmp(base, "BYTEA") == 0)
			return PGBIN_BYTES;
		break;
	case KIND_STRING:
		if (strcmp(base, "TEXT") == 0 || strcmp(base, "CHARACTER VARYING") == 0 ||
		    strcmp(base, "CHARACTER") == 0 || strcmp(base, "BPCHAR") == 0)
			return PGBIN_TEXT; /* textsend: the same bytes as the text output */
		break;
	case KIND_JSON:
		return PGBIN_TEXT; /* CAST(to_json(col) AS TEXT) */
	}
	*as_text = true;
	return PGBIN_TEXT;
}

/* numeric_out's text, so that parquet_parse_decimal applies the text path's rules. */
int parquet_pg_numeric_text(const uint8_t *p, size_t len, char *out, size_t cap, size_t *outlen)
{
	if (len < 8)
		return -EIO;
	int ndigits = (int16_t)be16(p), weight = (int16_t)be16(p + 2);
	uint16_t sign = be16(p + 4);
	int dscale = (int16_t)be16(p + 6);
	if (ndigits < 0 || dscale < 0 || len != 8 + 2 * (size_t)ndigits)
		return -EIO;
	const char *special = sign == 0xC000 ? "NaN" : sign == 0xD000 ? "Infinity" :
			      sign == 0xF000 ? "-Infinity" : NULL;
	if (special) {
		*outlen = strlen(special);
		memcpy(out, special, *outlen);
		return 0;
	}
	if (sign != 0 && sign != 0x4000)
		return -EIO;
	size_t need = 2 + 4 * (size_t)(weight >= 0 ? weight + 1 : 1) + 1 + (size_t)dscale;
	if (need > cap)
		return -ERANGE; /* more digits than any DECIMAL holds */
	size_t n = 0;
	if (sign == 0x4000)
		out[n++] = '-';
	if (weight < 0) {
		out[n++] = '0';
	} else {
		for (int i = 0; i <= weight; i++) {
			unsigned d = i < ndigits ? be16(p + 8 + 2 * i) : 0;
			if (d > 9999)
				return -EIO;
			char g[4] = { (char)('0' + d / 1000), (char)('0' + d / 100 % 10),
				      (char)('0' + d / 10 % 10), (char)('0' + d % 10) };
			int skip = 0;
			if (i == 0)
				while (skip < 3 && g[skip] == '0')
					skip++;
			memcpy(out + n, g + skip, (size_t)(4 - skip));
			n += (size_t)(4 - skip);
		}
	}
	if (dscale > 0) {
		out[n++] = '.';
		int left = dscale;
		for (int i = weight + 1; left > 0; i++) {
			unsigned d = i >= 0 && i < ndigits ? be16(p + 8 + 2 * i) : 0;
			if (d > 9999)
				return -EIO;
			char g[4] = { (char)('0' + d / 1000), (char)('0' + d / 100 % 10),
				      (char)('0' + d / 10 % 10), (char)('0' + d % 10) };
			int k = left < 4 ? left : 4;
			memcpy(out + n, g, (size_t)k);
			n += (size_t)k;
			left -= k;
		}
	}
	*outlen = n;
	return 0;
}

#define PG_EPOCH_DAYS 10957                 /* 1970-01-01 → 2000-01-01 */
#define PG_EPOCH_MICROS INT64_C(946684800000000)

/* Add one row from COPY BINARY fields (vals[i] NULL for SQL NULL). */
static int add_row_binary(mdc_parquet_writer *w, const parquet_pgbin_kind *kinds,
			  const uint8_t *const *vals,
			  const uint32_t *lens, mdc_error *err)
{
	for (size_t i = 0; i < w->ncols; i++) {
		parquet_wcol *c = &w->cols[i];
		const uint8_t *p = vals[i];
		size_t len = lens[i];
		uint8_t b[16];
		size_t vlen = 0;
		const void *v = b;
		int rc = 0;
		if (!p) {
			if ((rc = parquet_column_add_null(&c->enc)) != 0)
				return parquet_writer_fail(w, mdc_error_set(err, -rc, "parquet: column \"%s\": encoding failed",
							     c->name));
			continue;
		}
		switch (kinds[i]) {
		case PGBIN_TEXT:
			if ((rc = parquet_writer_add_text(w, c, (const char *)p, len, err)) != 0)
				return parquet_writer_fail(w, rc);
			continue;
		case PGBIN_BOOL:
			if (len != 1)
				goto bad;
			b[0] = p[0] != 0;
			vlen = 1;
			break;
		case PGBIN_I16:
			if (len != 2)
				goto bad;
			parquet_le32(b, (uint32_t)(int32_t)(int16_t)be16(p));
			vlen = 4;
			break;
		case PGBIN_I32:
		case PGBIN_F32:
			if (len != 4)
				goto bad;
			parquet_le32(b, be32(p));
			vlen = 4;
			break;
		case PGBIN_I64:
		case PGBIN_F64:
		case PGBIN_TIME:
			if (len != 8)
				goto bad;
			parquet_le64(b, be64(p));
			vlen = 8;
			break;
		case PGBIN_DATE: {
			if (len != 4)
				goto bad;
			int32_t d = (int32_t)be32(p);
			int64_t days = (int64_t)d + PG_EPOCH_DAYS;
			if (d == INT32_MAX)
				days = INT32_MAX;     /* infinity */
			else if (d == INT32_MIN)
				days = -INT32_MAX;    /* -infinity */
			else if (days <= -INT32_MAX || days >= INT32_MAX)
				rc = -ERANGE;
			parquet_le32(b, (uint32_t)(int32_t)days);
			vlen = 4;
			break;
		}
		case PGBIN_TS: {
			if (len != 8)
				goto bad;
			int64_t t = (int64_t)be64(p), u;
			if (t == INT64_MAX)
				u = INT64_MAX;        /* infinity */
			else if (t == INT64_MIN)
				u = -INT64_MAX;       /* -infinity */
			else if (__builtin_add_overflow(t, PG_EPOCH_MICROS, &u) || u == INT64_MAX ||
				 u <= -INT64_MAX)
				rc = -ERANGE;
			parquet_le64(b, (uint64_t)u);
			vlen = 8;
			break;
		}
		case PGBIN_UUID:
			if (len != 16)
				goto bad;
			v = p;
			vlen = 16;
			break;
		case PGBIN_BYTES:
			v = p;
			vlen = len;
			break;
		case PGBIN_NUMERIC: {
			char txt[200];
			size_t tlen = 0;
			if ((rc = parquet_pg_numeric_text(p, len, txt, sizeof txt, &tlen)) == -EIO)
				goto bad;
			if (rc == 0) {
				if ((rc = parquet_writer_add_text(w, c, txt, tlen, err)) != 0)
					return parquet_writer_fail(w, rc);
				continue;
			}
			break;
		}
		}
		if (rc)
			return parquet_writer_fail(w, mdc_error_set(err, -rc,
					"parquet: column \"%s\" (%s): cannot store a value", c->name, c->type));
		if ((rc = parquet_column_add(&c->enc, v, vlen)) != 0)
			return parquet_writer_fail(w, mdc_error_set(err, -rc,
					"parquet: column \"%s\": encoding failed (%s)", c->name, strerror(-rc)));
		continue;
bad:
		return parquet_writer_fail(w, mdc_error_set(err, EIO,
				"parquet: column \"%s\" (%s): unexpected binary value of %zu bytes",
				c->name, c->type, len));
	}
	return parquet_writer_row_done(w, err);
}

static const uint8_t copy_sig[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0 };

int parquet_copy_feed(parquet_copy_rd *rd, mdc_parquet_writer *w, const uint8_t *data, size_t n,
		     const char *what, mdc_error *err)
{
	const uint8_t *p = data;
	size_t len = n, off = 0;
	if (rd->pend.len) {
		if (mdc_buf_put(&rd->pend, data, n))
			return mdc_error_set(err, ENOMEM, "parquet: out of memory");
		p = rd->pend.bytes;
		len = rd->pend.len;
	}
	int rc = 0;
	while (!rd->trailer) {
		if (!rd->header) {
			if (len - off < 19)
				break;
			if (memcmp(p + off, copy_sig, 11) != 0 || (be32(p + off + 11) & (1u << 16)))
				return mdc_error_set(err, EIO, "%s: not a binary COPY stream", what);
			size_t ext = be32(p + off + 15);
			if (len - off - 19 < ext)
				break;
			off += 19 + ext;
			rd->header = true;
			continue;
		}
		if (len - off < 2)
			break;
		int nf = (int16_t)be16(p + off);
		if (nf == -1) {
			rd->trailer = true;
			off += 2;
			break;
		}
		if (nf < 0 || (size_t)nf != w->ncols)
			return mdc_error_set(err, EIO, "%s: the table changed (columns) during the export", what);
		size_t q = off + 2;
		bool whole = true;
		for (size_t i = 0; i < w->ncols; i++) {
			if (len - q < 4) {
				whole = false;
				break;
			}
			uint32_t fl = be32(p + q);
			q += 4;
			if (fl == UINT32_MAX) {
				rd->vals[i] = NULL;
				continue;
			}
			if (fl > INT32_MAX)
				return mdc_error_set(err, EIO, "%s: bad field length in the COPY stream", what);
			if (len - q < fl) {
				whole = false;
				break;
			}
			rd->vals[i] = p + q;
			rd->lens[i] = fl;
			q += fl;
		}
		if (!whole)
			break;
		if ((rc = add_row_binary(w, rd->kinds, rd->vals, rd->lens, err)) != 0)
			return rc;
		off = q;
	}
	if (rd->trailer)
		off = len; /* nothing follows the trailer */
	if (rd->pend.len) {
		memmove(rd->pend.bytes, rd->pend.bytes + off, len - off);
		rd->pend.len = len - off;
	} else if (off < len && mdc_buf_put(&rd->pend, p + off, len - off)) {
		return mdc_error_set(err, ENOMEM, "parquet: out of memory");
	}
	return 0;
}

