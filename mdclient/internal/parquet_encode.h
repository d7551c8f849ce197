/* mdclient/internal/parquet_encode.h - Parquet column-chunk encoding (internal to mdclient).
 *
 * parquet_rle_encode: the RLE / bit-packing
 * hybrid (definition levels, dictionary indices). parquet_column: one column
 * chunk being built - values go in one at a time, pages are cut at about
 * page_bytes of plain-encoded values, dictionary-encoded (RLE_DICTIONARY,
 * dictionary page PLAIN) until the dictionary passes dict_max bytes or does
 * not pay (more than half of the values were new after the first page, or
 * already after the first 16384 values, which then end the first page),
 * then PLAIN for the rest of the chunk; every page is compressed with the
 * chunk's codec as soon as it is cut, so a chunk holds only compressed pages
 * plus one open page. Statistics: min/max in the column's sort order,
 * null_count.
 */
#ifndef MDCLIENT_PARQUET_ENCODE_H
#define MDCLIENT_PARQUET_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mdclient/common.h"
#include "mdclient/internal/buf.h"
#include "mdclient/internal/thrift_compact.h"

/* Parquet's physical types (parquet.thrift Type). */
typedef enum parquet_physical {
	PARQUET_BOOLEAN = 0,
	PARQUET_INT32 = 1,
	PARQUET_INT64 = 2,
	PARQUET_FLOAT = 4,
	PARQUET_DOUBLE = 5,
	PARQUET_BYTE_ARRAY = 6,
	PARQUET_FIXED_LEN_BYTE_ARRAY = 7,
} parquet_physical;

/* parquet.thrift CompressionCodec values. */
typedef enum parquet_codec {
	PARQUET_CODEC_UNCOMPRESSED = 0,
	PARQUET_CODEC_SNAPPY = 1,
	PARQUET_CODEC_ZSTD = 6,
} parquet_codec;

/* parquet.thrift Encoding values used here. */
enum { PARQUET_ENC_PLAIN = 0, PARQUET_ENC_RLE = 3, PARQUET_ENC_RLE_DICTIONARY = 8 };

/* How min/max compare (the logical type's type-defined order). */
typedef enum parquet_order {
	PARQUET_ORDER_SIGNED,    /* ints, decimals (FLBA big-endian two's complement), floats */
	PARQUET_ORDER_UNSIGNED,  /* unsigned ints, strings, binary, UUID: unsigned bytes */
	PARQUET_ORDER_NONE,      /* no statistics besides null_count (e.g. INTERVAL) */
} parquet_order;

/* Append the RLE/bit-packed hybrid encoding of vals[0..n) (each < 2^bit_width,
 * bit_width 0..32) to out, without a length prefix. Runs of 8 or more equal
 * values become RLE runs, the rest bit-packed groups of 8 (the last group
 * padded with zeros). 0 or -ENOMEM. */
int parquet_rle_encode(mdc_buf *out, const uint32_t *vals, size_t n, int bit_width) MDC_MUSTCHECK;
/* Bits needed for values up to max_value (0 for 0). */
int parquet_bit_width(uint32_t max_value);

/* Compress src into dst (replacing its content). 0, -ENOMEM or -EIO. */
int parquet_compress(parquet_codec codec, const uint8_t *src, size_t n, mdc_buf *dst, void **zctx) MDC_MUSTCHECK;
/* Free the zstd context parquet_compress may have created in *zctx. */
void parquet_compress_free(void **zctx);

typedef struct parquet_stats {
	bool has_minmax;
	bool min_exact, max_exact;
	int64_t null_count;
	mdc_buf min, max;    /* plain value bytes (BYTE_ARRAY without the length) */
} parquet_stats;

typedef struct parquet_column {
	/* configuration */
	parquet_physical phys;
	int type_length;            /* FLBA width */
	parquet_order order;
	parquet_codec codec;
	size_t page_bytes, dict_max;
	/* the chunk so far */
	mdc_buf dict_page;           /* header + compressed dictionary page (at the end) */
	mdc_buf pages;               /* header + compressed data pages */
	int64_t num_values;         /* values incl. NULLs */
	int64_t uncompressed_size;  /* of pages incl. headers */
	bool used_dict, used_plain;
	parquet_stats stats;
	/* dictionary */
	bool dict_on;
	mdc_buf dict;                /* plain-encoded dictionary values */
	uint32_t dict_n;
	uint32_t *dict_off;         /* entry → offset of its plain bytes in dict */
	uint32_t dict_off_cap;
	uint32_t *slots;            /* hash table: entry + 1, 0 = empty */
	uint32_t nslots;
	int64_t chunk_nonnull, pages_done;
	/* the open page */
	mdc_buf defs;                /* one byte per value: 0 NULL, 1 present */
	mdc_buf idx;                 /* uint32 dictionary indices (dict mode) */
	mdc_buf plain;               /* plain-encoded values (plain mode; BOOLEAN: 1 byte each) */
	size_t page_plain_bytes;    /* plain size of the page's values (cut criterion) */
	int32_t page_values;
	int32_t page_nulls;
	/* scratch */
	mdc_buf scratch, scratch2;
	tc_writer th;               /* page headers */
	void *zctx;
} parquet_column;

/* Set up an empty chunk. page_bytes 0 → 1 MiB, dict_max 0 → 1 MiB. */
void parquet_column_init(parquet_column *c, parquet_physical phys, int type_length, parquet_order order,
		    parquet_codec codec, size_t page_bytes, size_t dict_max);
void parquet_column_free(parquet_column *c);

/* Add a NULL, or a value: v/len are the value's bytes (BOOLEAN: 1 byte 0/1;
 * INT32/FLOAT: 4 little-endian bytes; INT64/DOUBLE: 8; FLBA: type_length
 * bytes; BYTE_ARRAY: the payload). 0 or -ENOMEM/-EIO. */
int parquet_column_add_null(parquet_column *c) MDC_MUSTCHECK;
int parquet_column_add(parquet_column *c, const void *v, size_t len) MDC_MUSTCHECK;

/* Cut the open page and the dictionary page: after this, dict_page + pages
 * are the chunk's bytes, in that order. 0 or -errno. */
int parquet_column_finish(parquet_column *c) MDC_MUSTCHECK;
/* Bytes the chunk holds in memory now (compressed pages + open page + dictionary). */
size_t parquet_column_buffered(const parquet_column *c);
/* Start the next chunk (keeps configuration and buffers' memory). */
void parquet_column_reset(parquet_column *c);

/* Compare two plain values in order (memcmp-like result). */
int parquet_compare(parquet_physical phys, parquet_order order, const uint8_t *a, size_t alen,
	       const uint8_t *b, size_t blen);

#endif
