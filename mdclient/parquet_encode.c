/* mdclient/parquet_encode.c - Parquet column-chunk encoding (see the header).
 *
 * Formats (apache/parquet-format, Encodings.md):
 *  - PLAIN: BOOLEAN bit-packed LSB first; INT32/FLOAT 4 bytes and
 *    INT64/DOUBLE 8 bytes little-endian; BYTE_ARRAY a 4-byte little-endian
 *    length then the bytes; FIXED_LEN_BYTE_ARRAY the bytes.
 *  - RLE/bit-packing hybrid: a run is a ULEB128 header; (count << 1) for an
 *    RLE run followed by the value in ceil(bit_width / 8) little-endian
 *    bytes, (groups << 1) | 1 for groups of 8 values bit-packed LSB first.
 *  - Data page v1 body: definition levels as the hybrid with bit width 1
 *    behind a 4-byte little-endian length, then the values: PLAIN, or for
 *    RLE_DICTIONARY one byte of bit width and the indices as the hybrid
 *    (no length).
 *  - Dictionary page: the distinct values PLAIN, in index order.
 */
#include "mdclient/internal/parquet_encode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <snappy-c.h>
#include <zstd.h>

#define DEFAULT_PAGE_BYTES (1024 * 1024)
#define DEFAULT_DICT_MAX (1024 * 1024)
#define PAGE_MAX_VALUES (1 << 18)
#define STAT_MAX_BYTES 64
/* zstd level 2, not libzstd's default 3: on 1 MiB pages of typical columns
 * (bench/parquet's table) it is ~25 % faster and was no bigger (40.0 MB
 * against 41.3 MB at level 3; DuckDB's own writer at 3: 40.5 MB). */
#define PARQUET_ZSTD_LEVEL 2
#define DICT_PROBE_VALUES 16384 /* a first page this long decides early whether the dictionary pays */  /* longer BYTE_ARRAY min/max are truncated (marked inexact) */

enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };

static int put_u32le(mdc_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return mdc_buf_put(b, x, 4);
}

static inline uint32_t get_u32le(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
#else
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#endif
}

static inline uint64_t get_u64le(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
#else
	return (uint64_t)get_u32le(p) | (uint64_t)get_u32le(p + 4) << 32;
#endif
}

/* Append n bytes that the caller has reserved room for. */
static inline void put_reserved(mdc_buf *b, const void *p, size_t n)
{
	memcpy(b->bytes + b->len, p, n);
	b->len += n;
}

static int put_varint(mdc_buf *b, uint64_t v)
{
	uint8_t x[10];
	return mdc_buf_put(b, x, tc_varint_encode(v, x));
}

int parquet_bit_width(uint32_t max_value)
{
	int w = 0;
	while (max_value) {
		w++;
		max_value >>= 1;
	}
	return w;
}

/* Length of the run of equal values at vals[i], counting at most cap. */
static size_t run_at(const uint32_t *vals, size_t n, size_t i, size_t cap)
{
	size_t j = i + 1;
	while (j < n && j - i < cap && vals[j] == vals[i])
		j++;
	return j - i;
}

/* Bit-pack vals[0..n) (n <= 8 * groups; missing values are 0) LSB first. */
static int bitpack(mdc_buf *out, const uint32_t *vals, size_t n, size_t groups, int bw)
{
	size_t bytes = groups * (size_t)bw; /* 8 values * bw bits = bw bytes a group */
	if (mdc_buf_reserve(out, bytes))
		return -ENOMEM;
	uint8_t *p = out->bytes + out->len;
	memset(p, 0, bytes);
	uint64_t acc = 0;
	int nbits = 0;
	size_t pos = 0;
	for (size_t i = 0; i < groups * 8; i++) {
		uint64_t v = i < n ? vals[i] : 0;
		acc |= v << nbits;
		nbits += bw;
		while (nbits >= 8) {
			p[pos++] = (uint8_t)acc;
			acc >>= 8;
			nbits -= 8;
		}
	}
	out->len += bytes;
	return 0;
}

int parquet_rle_encode(mdc_buf *out, const uint32_t *vals, size_t n, int bw)
{
	size_t vbytes = ((size_t)bw + 7) / 8;
	size_t i = 0;
	while (i < n) {
		size_t r = run_at(vals, n, i, SIZE_MAX);
		if (r >= 8) {
			if (put_varint(out, (uint64_t)r << 1))
				return -ENOMEM;
			uint8_t v[4] = { (uint8_t)vals[i], (uint8_t)(vals[i] >> 8),
					 (uint8_t)(vals[i] >> 16), (uint8_t)(vals[i] >> 24) };
			if (mdc_buf_put(out, v, vbytes))
				return -ENOMEM;
			i += r;
			continue;
		}
		/* Bit-packed groups of 8 until a group would start a run of 8. */
		size_t j = i + 8;
		while (j < n && run_at(vals, n, j, 8) < 8)
			j += 8;
		size_t end = j < n ? j : n;
		size_t groups = (end - i + 7) / 8;
		if (put_varint(out, ((uint64_t)groups << 1) | 1) ||
		    bitpack(out, vals + i, end - i, groups, bw))
			return -ENOMEM;
		i = end;
	}
	return 0;
}

int parquet_compress(parquet_codec codec, const uint8_t *src, size_t n, mdc_buf *dst, void **zctx)
{
	dst->len = 0;
	switch (codec) {
	case PARQUET_CODEC_UNCOMPRESSED:
		return mdc_buf_put(dst, src, n);
	case PARQUET_CODEC_SNAPPY: {
		size_t cap = snappy_max_compressed_length(n);
		if (mdc_buf_reserve(dst, cap))
			return -ENOMEM;
		size_t outlen = cap;
		if (snappy_compress((const char *)src, n, (char *)dst->bytes, &outlen) != SNAPPY_OK)
			return -EIO;
		dst->len = outlen;
		return 0;
	}
	case PARQUET_CODEC_ZSTD: {
		if (!*zctx && !(*zctx = ZSTD_createCCtx()))
			return -ENOMEM;
		size_t cap = ZSTD_compressBound(n);
		if (mdc_buf_reserve(dst, cap))
			return -ENOMEM;
		size_t r = ZSTD_compressCCtx(*zctx, dst->bytes, cap, src, n, PARQUET_ZSTD_LEVEL);
		if (ZSTD_isError(r))
			return -EIO;
		dst->len = r;
		return 0;
	}
	}
	return -EINVAL;
}

void parquet_compress_free(void **zctx)
{
	if (*zctx)
		ZSTD_freeCCtx(*zctx);
	*zctx = NULL;
}

/* ---- comparison and statistics ---- */

static inline int64_t get_i64le(const uint8_t *p)
{
	return (int64_t)get_u64le(p);
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

static int memcmp_len(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int r = m ? memcmp(a, b, m) : 0;
	return r ? (r < 0 ? -1 : 1) : CMP(alen, blen);
}

static inline int compare_values(parquet_physical phys, parquet_order order, const uint8_t *a, size_t alen,
				 const uint8_t *b, size_t blen)
{
	switch (phys) {
	case PARQUET_BOOLEAN:
		return CMP(a[0], b[0]);
	case PARQUET_INT32:
		if (order == PARQUET_ORDER_UNSIGNED)
			return CMP(get_u32le(a), get_u32le(b));
		return CMP((int32_t)get_u32le(a), (int32_t)get_u32le(b));
	case PARQUET_INT64:
		if (order == PARQUET_ORDER_UNSIGNED)
			return CMP(get_u64le(a), get_u64le(b));
		return CMP(get_i64le(a), get_i64le(b));
	case PARQUET_FLOAT: {
		float x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return CMP(x, y);
	}
	case PARQUET_DOUBLE: {
		double x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return CMP(x, y);
	}
	case PARQUET_FIXED_LEN_BYTE_ARRAY:
		if (order == PARQUET_ORDER_SIGNED && alen && blen && alen == blen) {
			int r = CMP((int8_t)a[0], (int8_t)b[0]);
			return r ? r : memcmp_len(a + 1, alen - 1, b + 1, blen - 1);
		}
		return memcmp_len(a, alen, b, blen);
	case PARQUET_BYTE_ARRAY:
		return memcmp_len(a, alen, b, blen);
	}
	return 0;
}

int parquet_compare(parquet_physical phys, parquet_order order, const uint8_t *a, size_t alen,
	       const uint8_t *b, size_t blen)
{
	return compare_values(phys, order, a, alen, b, blen);
}

static bool is_nan(parquet_physical phys, const uint8_t *v)
{
	if (phys == PARQUET_FLOAT) {
		float f;
		memcpy(&f, v, 4);
		return f != f;
	}
	if (phys == PARQUET_DOUBLE) {
		double d;
		memcpy(&d, v, 8);
		return d != d;
	}
	return false;
}

/* Replace a bound's bytes (no realloc once the buffer is big enough). */
static inline int stats_set(mdc_buf *b, const uint8_t *v, size_t len)
{
	if (b->cap < len) {
		b->len = 0;
		return mdc_buf_put(b, v, len);
	}
	if (len)
		memcpy(b->bytes, v, len);
	b->len = len;
	return 0;
}

static inline int stats_update(parquet_column *c, const uint8_t *v, size_t len)
{
	parquet_stats *s = &c->stats;
	if (c->order == PARQUET_ORDER_NONE || is_nan(c->phys, v))
		return 0;
	if (!s->has_minmax) {
		if (stats_set(&s->min, v, len) || stats_set(&s->max, v, len))
			return -ENOMEM;
		s->has_minmax = true;
		return 0;
	}
	int lo, hi;
	if (c->phys == PARQUET_INT64 && c->order == PARQUET_ORDER_SIGNED) {
		/* the common case, without the general comparison */
		int64_t x = get_i64le(v);
		lo = x < get_i64le(s->min.bytes);
		hi = !lo && x > get_i64le(s->max.bytes);
	} else {
		lo = compare_values(c->phys, c->order, v, len, s->min.bytes, s->min.len) < 0;
		/* below the minimum, so not above the maximum */
		hi = !lo && compare_values(c->phys, c->order, v, len, s->max.bytes, s->max.len) > 0;
	}
	if (lo)
		return stats_set(&s->min, v, len);
	if (hi)
		return stats_set(&s->max, v, len);
	return 0;
}

/* At the end of a chunk: the spec's float rules (a zero min is written
 * -0.0, a zero max +0.0) and truncation of long BYTE_ARRAY bounds. */
static void stats_finish(parquet_column *c)
{
	parquet_stats *s = &c->stats;
	s->min_exact = s->max_exact = true;
	if (!s->has_minmax)
		return;
	if (c->phys == PARQUET_FLOAT) {
		float f;
		memcpy(&f, s->min.bytes, 4);
		if (f == 0.0f) {
			f = -0.0f;
			memcpy(s->min.bytes, &f, 4);
		}
		memcpy(&f, s->max.bytes, 4);
		if (f == 0.0f) {
			f = 0.0f;
			memcpy(s->max.bytes, &f, 4);
		}
	} else if (c->phys == PARQUET_DOUBLE) {
		double d;
		memcpy(&d, s->min.bytes, 8);
		if (d == 0.0) {
			d = -0.0;
			memcpy(s->min.bytes, &d, 8);
		}
		memcpy(&d, s->max.bytes, 8);
		if (d == 0.0) {
			d = 0.0;
			memcpy(s->max.bytes, &d, 8);
		}
	} else if (c->phys == PARQUET_BYTE_ARRAY) {
		if (s->min.len > STAT_MAX_BYTES) {
			s->min.len = STAT_MAX_BYTES; /* a prefix sorts before the value */
			s->min_exact = false;
		}
		if (s->max.len > STAT_MAX_BYTES) {
			/* The prefix with its last non-0xFF byte incremented sorts after. */
			size_t n = STAT_MAX_BYTES;
			while (n > 0 && s->max.bytes[n - 1] == 0xFF)
				n--;
			if (n > 0) {
				s->max.bytes[n - 1]++;
				s->max.len = n;
				s->max_exact = false;
			}
		}
	}
}

/* ---- the column chunk ---- */

void parquet_column_init(parquet_column *c, parquet_physical phys, int type_length, parquet_order order,
		    parquet_codec codec, size_t page_bytes, size_t dict_max)
{
	memset(c, 0, sizeof *c);
	c->phys = phys;
	c->type_length = type_length;
	c->order = order;
	c->codec = codec;
	c->page_bytes = page_bytes ? page_bytes : DEFAULT_PAGE_BYTES;
	c->dict_max = dict_max ? dict_max : DEFAULT_DICT_MAX;
	tc_init(&c->th);
	parquet_column_reset(c);
}

void parquet_column_free(parquet_column *c)
{
	mdc_buf_free(&c->dict_page);
	mdc_buf_free(&c->pages);
	mdc_buf_free(&c->stats.min);
	mdc_buf_free(&c->stats.max);
	mdc_buf_free(&c->dict);
	free(c->dict_off);
	free(c->slots);
	mdc_buf_free(&c->defs);
	mdc_buf_free(&c->idx);
	mdc_buf_free(&c->plain);
	mdc_buf_free(&c->scratch);
	mdc_buf_free(&c->scratch2);
	tc_free(&c->th);
	parquet_compress_free(&c->zctx);
	memset(c, 0, sizeof *c);
}

void parquet_column_reset(parquet_column *c)
{
	c->dict_page.len = 0;
	c->pages.len = 0;
	c->num_values = 0;
	c->uncompressed_size = 0;
	c->used_dict = c->used_plain = false;
	c->stats.has_minmax = false;
	c->stats.null_count = 0;
	c->stats.min.len = c->stats.max.len = 0;
	c->dict_on = c->phys != PARQUET_BOOLEAN;
	c->dict.len = 0;
	c->dict_n = 0;
	if (c->slots)
		memset(c->slots, 0, (size_t)c->nslots * sizeof *c->slots);
	c->chunk_nonnull = 0;
	c->pages_done = 0;
	c->defs.len = c->idx.len = c->plain.len = 0;
	c->page_plain_bytes = 0;
	c->page_values = 0;
	c->page_nulls = 0;
}

size_t parquet_column_buffered(const parquet_column *c)
{
	return c->dict_page.len + c->pages.len + c->dict.len + c->plain.len + c->idx.len +
	       c->defs.len + (size_t)c->nslots * sizeof *c->slots;
}

/* Append a page (header + compressed body in c->scratch2) to dst. */
static int emit_page(parquet_column *c, mdc_buf *dst, int page_type, int32_t num_values,
		     int encoding, size_t uncompressed)
{
	int rc = parquet_compress(c->codec, c->scratch.bytes, c->scratch.len, &c->scratch2, &c->zctx);
	if (rc)
		return rc;
	if (uncompressed > INT32_MAX || c->scratch2.len > INT32_MAX)
		return -EFBIG;
	tc_writer *t = &c->th;
	tc_reset(t);
	tc_struct_begin(t);
	tc_field_i32(t, 1, page_type);
	tc_field_i32(t, 2, (int32_t)uncompressed);
	tc_field_i32(t, 3, (int32_t)c->scratch2.len);
	if (page_type == PAGE_DATA) {
		tc_field_struct(t, 5);
		tc_field_i32(t, 1, num_values);
		tc_field_i32(t, 2, encoding);
		tc_field_i32(t, 3, PARQUET_ENC_RLE);
		tc_field_i32(t, 4, PARQUET_ENC_RLE);
		tc_struct_end(t);
	} else {
		tc_field_struct(t, 7);
		tc_field_i32(t, 1, num_values);
		tc_field_i32(t, 2, PARQUET_ENC_PLAIN);
		tc_struct_end(t);
	}
	tc_struct_end(t);
	if (tc_failed(t))
		return -ENOMEM;
	if (mdc_buf_put(dst, t->buf.bytes, t->buf.len) || mdc_buf_put(dst, c->scratch2.bytes, c->scratch2.len))
		return -ENOMEM;
	c->uncompressed_size += (int64_t)(t->buf.len + uncompressed);
	return 0;
}

static int cut_page(parquet_column *c)
{
	if (c->page_values == 0)
		return 0;
	mdc_buf *body = &c->scratch, *tmp = &c->scratch2;
	body->len = tmp->len = 0;
	/* definition levels: bit width 1, behind a 4-byte length */
	if (put_u32le(body, 0))
		return -ENOMEM;
	if (c->page_nulls == 0 && c->defs.len >= 8) {
		/* no NULLs: one RLE run of 1s, as parquet_rle_encode writes it */
		uint8_t one = 1;
		if (put_varint(body, (uint64_t)c->defs.len << 1) || mdc_buf_put(body, &one, 1))
			return -ENOMEM;
	} else {
		if (mdc_buf_reserve(tmp, c->defs.len * 4))
			return -ENOMEM;
		/* reuse tmp as a uint32 array of levels */
		uint32_t *lv = (uint32_t *)(void *)tmp->bytes;
		for (size_t i = 0; i < c->defs.len; i++)
			lv[i] = c->defs.bytes[i];
		if (parquet_rle_encode(body, lv, c->defs.len, 1))
			return -ENOMEM;
	}
	uint32_t dl = (uint32_t)(body->len - 4);
	body->bytes[0] = (uint8_t)dl;
	body->bytes[1] = (uint8_t)(dl >> 8);
	body->bytes[2] = (uint8_t)(dl >> 16);
	body->bytes[3] = (uint8_t)(dl >> 24);

	size_t nidx = c->idx.len / 4;
	int encoding;
	if (c->dict_on && nidx > 0) {
		int bw = parquet_bit_width(c->dict_n - 1);
		if (bw < 1)
			bw = 1;
		uint8_t b = (uint8_t)bw;
		if (mdc_buf_put(body, &b, 1) ||
		    parquet_rle_encode(body, (const uint32_t *)(void *)c->idx.bytes, nidx, bw))
			return -ENOMEM;
		encoding = PARQUET_ENC_RLE_DICTIONARY;
		c->used_dict = true;
	} else if (c->phys == PARQUET_BOOLEAN) {
		size_t n = c->plain.len;
		size_t bytes = (n + 7) / 8;
		if (mdc_buf_reserve(body, bytes))
			return -ENOMEM;
		uint8_t *p = body->bytes + body->len;
		memset(p, 0, bytes);
		for (size_t i = 0; i < n; i++)
			if (c->plain.bytes[i])
				p[i / 8] |= (uint8_t)(1u << (i % 8));
		body->len += bytes;
		encoding = PARQUET_ENC_PLAIN;
		c->used_plain = true;
	} else {
		if (mdc_buf_put(body, c->plain.bytes, c->plain.len))
			return -ENOMEM;
		encoding = PARQUET_ENC_PLAIN;
		c->used_plain = true;
	}
	int rc = emit_page(c, &c->pages, PAGE_DATA, c->page_values, encoding, body->len);
	if (rc)
		return rc;
	/* A dictionary that does not pay (after the first page, more than half
	 * of the values were distinct) is dropped for the rest of the chunk. */
	if (c->dict_on && c->pages_done == 0 && (int64_t)c->dict_n * 2 > c->chunk_nonnull &&
	    c->chunk_nonnull >= 64)
		c->dict_on = false;
	c->pages_done++;
	c->defs.len = c->idx.len = c->plain.len = 0;
	c->page_plain_bytes = 0;
	c->page_values = 0;
	c->page_nulls = 0;
	return 0;
}

/* A word at a time (the dictionary hashes every value it sees). */
static inline uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9E3779B97F4A7C15ULL;
	uint64_t h = (uint64_t)n * k;
	while (n >= 8) {
		h = (h ^ get_u64le(p)) * k;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n >= 4) {
		uint64_t t = (uint64_t)get_u32le(p) << 32 | get_u32le(p + n - 4);
		h = (h ^ t) * k;
	} else if (n > 0) {
		uint64_t t = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
		h = (h ^ t) * k;
	}
	h ^= h >> 32;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

/* The value bytes of dictionary entry e. */
static const uint8_t *dict_value(const parquet_column *c, uint32_t e, size_t *len)
{
	const uint8_t *p = c->dict.bytes + c->dict_off[e];
	if (c->phys == PARQUET_BYTE_ARRAY) {
		*len = get_u32le(p);
		return p + 4;
	}
	*len = c->phys == PARQUET_FIXED_LEN_BYTE_ARRAY ? (size_t)c->type_length :
	       (c->phys == PARQUET_INT32 || c->phys == PARQUET_FLOAT) ? 4 : 8;
	return p;
}

static int dict_grow(parquet_column *c)
{
	uint32_t n = c->nslots ? c->nslots * 2 : 1024;
	uint32_t *s = calloc(n, sizeof *s);
	if (!s)
		return -ENOMEM;
	for (uint32_t e = 0; e < c->dict_n; e++) {
		size_t len;
		const uint8_t *v = dict_value(c, e, &len);
		uint32_t k = (uint32_t)hash_bytes(v, len) & (n - 1);
		while (s[k])
			k = (k + 1) & (n - 1);
		s[k] = e + 1;
	}
	free(c->slots);
	c->slots = s;
	c->nslots = n;
	return 0;
}

/* Index of v in the dictionary, adding it. -ENOMEM on failure. */
static int64_t dict_lookup(parquet_column *c, const uint8_t *v, size_t len)
{
	if ((uint64_t)(c->dict_n + 1) * 2 > c->nslots && dict_grow(c))
		return -ENOMEM;
	uint32_t mask = c->nslots - 1;
	uint32_t k = (uint32_t)hash_bytes(v, len) & mask;
	while (c->slots[k]) {
		uint32_t e = c->slots[k] - 1;
		size_t elen;
		const uint8_t *ev = dict_value(c, e, &elen);
		if (elen == len && memcmp(ev, v, len) == 0)
			return e;
		k = (k + 1) & mask;
	}
	if (c->dict_n == c->dict_off_cap) {
		uint32_t cap = c->dict_off_cap ? c->dict_off_cap * 2 : 1024;
		uint32_t *o = realloc(c->dict_off, (size_t)cap * sizeof *o);
		if (!o)
			return -ENOMEM;
		c->dict_off = o;
		c->dict_off_cap = cap;
	}
	if (c->dict.len > UINT32_MAX - len - 4)
		return -ENOMEM;
	c->dict_off[c->dict_n] = (uint32_t)c->dict.len;
	if ((c->phys == PARQUET_BYTE_ARRAY && put_u32le(&c->dict, (uint32_t)len)) ||
	    mdc_buf_put(&c->dict, v, len))
		return -ENOMEM;
	c->slots[k] = c->dict_n + 1;
	return c->dict_n++;
}

static int after_add(parquet_column *c)
{
	c->page_values++;
	c->num_values++;
	if (c->page_plain_bytes >= c->page_bytes || c->page_values >= PAGE_MAX_VALUES)
		return cut_page(c);
	return 0;
}

int parquet_column_add_null(parquet_column *c)
{
	if (c->defs.len == c->defs.cap && mdc_buf_reserve(&c->defs, 1))
		return -ENOMEM;
	c->defs.bytes[c->defs.len++] = 0;
	c->page_nulls++;
	c->stats.null_count++;
	return after_add(c);
}

int parquet_column_add(parquet_column *c, const void *v, size_t len)
{
	const uint8_t *p = v;
	int rc;
	if (c->phys == PARQUET_BYTE_ARRAY && len > UINT32_MAX)
		return -EFBIG;
	if (c->defs.len == c->defs.cap && mdc_buf_reserve(&c->defs, 1))
		return -ENOMEM;
	c->defs.bytes[c->defs.len++] = 1;
	c->chunk_nonnull++;
	size_t plain_len = len + (c->phys == PARQUET_BYTE_ARRAY ? 4 : 0);
	c->page_plain_bytes += plain_len;
	if (c->dict_on) {
		uint32_t known = c->dict_n;
		int64_t e = dict_lookup(c, p, len);
		if (e < 0)
			return (int)e;
		/* A value already in the chunk's dictionary cannot move min/max. */
		if ((uint32_t)e >= known && (rc = stats_update(c, p, len)) != 0)
			return rc;
		uint32_t u = (uint32_t)e;
		if (c->idx.cap - c->idx.len < 4 && mdc_buf_reserve(&c->idx, 4))
			return -ENOMEM;
		put_reserved(&c->idx, &u, 4);
		if (c->dict.len > c->dict_max ||
		    (c->pages_done == 0 && c->chunk_nonnull == DICT_PROBE_VALUES &&
		     (int64_t)c->dict_n * 2 > c->chunk_nonnull)) {
			/* Past the bound, or mostly distinct values so far: this
			 * page keeps the dictionary, the rest of the chunk is PLAIN
			 * (no hashing of values that would not repeat). */
			c->page_values++;
			c->num_values++;
			if ((rc = cut_page(c)) != 0)
				return rc;
			c->dict_on = false;
			return 0;
		}
	} else {
		if ((rc = stats_update(c, p, len)) != 0)
			return rc;
		if (c->plain.cap - c->plain.len < plain_len && mdc_buf_reserve(&c->plain, plain_len))
			return -ENOMEM;
		if (c->phys == PARQUET_BYTE_ARRAY) {
			uint8_t n4[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
					  (uint8_t)(len >> 24) };
			put_reserved(&c->plain, n4, 4);
		}
		if (len)
			put_reserved(&c->plain, p, len);
	}
	return after_add(c);
}

int parquet_column_finish(parquet_column *c)
{
	int rc = cut_page(c);
	if (rc)
		return rc;
	c->dict_page.len = 0;
	if (c->used_dict) {
		c->scratch.len = 0;
		if (mdc_buf_put(&c->scratch, c->dict.bytes, c->dict.len))
			return -ENOMEM;
		if ((rc = emit_page(c, &c->dict_page, PAGE_DICTIONARY, (int32_t)c->dict_n,
				    PARQUET_ENC_PLAIN, c->scratch.len)) != 0)
			return rc;
	}
	stats_finish(c);
	return 0;
}
