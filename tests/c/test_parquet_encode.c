/* tests/c/test_parquet_encode.c - unit test of mdclient/parquet_encode.c:
 * the RLE/bit-packing hybrid against the spec's examples (Encodings.md),
 * dictionary encoding and its fall-back to PLAIN, statistics order, and
 * compression round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <snappy-c.h>
#include <zstd.h>

#include "mdclient/internal/parquet_encode.h"
#include "testutil.h"

static int buf_eq(const mdc_buf *b, const uint8_t *want, size_t n)
{
	if (b->len != n || memcmp(b->bytes, want, n) != 0) {
		fprintf(stderr, "  got:");
		for (size_t i = 0; i < b->len; i++)
			fprintf(stderr, " %02X", b->bytes[i]);
		fprintf(stderr, "\n");
		return 0;
	}
	return 1;
}
#define CHECK_BUF(b, ...) do { \
	static const uint8_t want_[] = { __VA_ARGS__ }; \
	CHECK(buf_eq((b), want_, sizeof want_)); \
} while (0)

static void test_rle(void)
{
	mdc_buf b = { 0 };
	/* Encodings.md bit-packing example: 0..7 with bit width 3 packs to
	 * 10001000 11000110 11111010; one group: header (1 << 1) | 1. */
	uint32_t seq[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	CHECK_INT(parquet_rle_encode(&b, seq, 8, 3), 0);
	CHECK_BUF(&b, 0x03, 0x88, 0xC6, 0xFA);

	/* an RLE run: 8 x 5 at width 3 → header 8 << 1, value in 1 byte */
	uint32_t run[8] = { 5, 5, 5, 5, 5, 5, 5, 5 };
	b.len = 0;
	CHECK_INT(parquet_rle_encode(&b, run, 8, 3), 0);
	CHECK_BUF(&b, 0x10, 0x05);

	/* 100 ones at width 1 (definition levels of a column without NULLs) */
	uint32_t ones[100];
	for (int i = 0; i < 100; i++)
		ones[i] = 1;
	b.len = 0;
	CHECK_INT(parquet_rle_encode(&b, ones, 100, 1), 0);
	CHECK_BUF(&b, 0xC8, 0x01, 0x01);

	/* a short tail is padded to a group: 1,2,3 at width 2 → 0x39 0x00 */
	uint32_t three[3] = { 1, 2, 3 };
	b.len = 0;
	CHECK_INT(parquet_rle_encode(&b, three, 3, 2), 0);
	CHECK_BUF(&b, 0x03, 0x39, 0x00);

	/* bit-packed group then a run: 0,1,0,1,0,1,0,1 then 10 x 1 (width 1) */
	uint32_t mix[18] = { 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	b.len = 0;
	CHECK_INT(parquet_rle_encode(&b, mix, 18, 1), 0);
	CHECK_BUF(&b, 0x03, 0xAA, 0x14, 0x01);

	/* a 2-byte RLE value at width 9 */
	uint32_t wide[8] = { 300, 300, 300, 300, 300, 300, 300, 300 };
	b.len = 0;
	CHECK_INT(parquet_rle_encode(&b, wide, 8, 9), 0);
	CHECK_BUF(&b, 0x10, 0x2C, 0x01);

	CHECK_INT(parquet_bit_width(0), 0);
	CHECK_INT(parquet_bit_width(1), 1);
	CHECK_INT(parquet_bit_width(7), 3);
	CHECK_INT(parquet_bit_width(8), 4);
	CHECK_INT(parquet_bit_width(UINT32_MAX), 32);
	mdc_buf_free(&b);
}

static void add_i64(parquet_column *c, int64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (8 * i));
	CHECK_INT(parquet_column_add(c, b, 8), 0);
}

static void test_dictionary(void)
{
	parquet_column c;
	/* few distinct values: dictionary all the way */
	parquet_column_init(&c, PARQUET_INT64, 0, PARQUET_ORDER_SIGNED, PARQUET_CODEC_UNCOMPRESSED, 4096, 0);
	for (int i = 0; i < 10000; i++)
		add_i64(&c, i % 7 - 3);
	CHECK_INT(parquet_column_add_null(&c), 0);
	CHECK_INT(parquet_column_finish(&c), 0);
	CHECK(c.used_dict);
	CHECK(!c.used_plain);
	CHECK_INT(c.dict_n, 7);
	CHECK(c.dict_page.len > 0);
	CHECK_INT(c.num_values, 10001);
	CHECK_INT(c.stats.null_count, 1);
	CHECK(c.stats.has_minmax);
	CHECK_INT((int8_t)c.stats.min.bytes[0], -3);
	CHECK_INT(c.stats.max.bytes[0], 3);

	/* the next chunk starts afresh; unique values: the dictionary does not
	 * pay after the first page, the rest is PLAIN */
	parquet_column_reset(&c);
	for (int i = 0; i < 10000; i++)
		add_i64(&c, (int64_t)i * 7919);
	CHECK_INT(parquet_column_finish(&c), 0);
	CHECK(c.used_dict);
	CHECK(c.used_plain);
	CHECK(c.dict_n < 10000);
	parquet_column_free(&c);

	/* with the default 1 MiB pages: mostly distinct values end the
	 * dictionary (and the first page) after 16384 values, not after the
	 * first page; statistics cover both parts */
	parquet_column_init(&c, PARQUET_INT64, 0, PARQUET_ORDER_SIGNED, PARQUET_CODEC_ZSTD, 0, 0);
	for (int i = 0; i < 40000; i++)
		add_i64(&c, (i % 2 ? i : -i) * (int64_t)3);
	CHECK(!c.dict_on);
	CHECK_INT(c.dict_n, 16384);
	CHECK_INT(c.pages_done, 1);
	CHECK_INT(parquet_column_finish(&c), 0);
	CHECK(c.used_dict && c.used_plain);
	CHECK_INT(c.num_values, 40000);
	CHECK(c.stats.has_minmax);
	int64_t mn, mx;
	memcpy(&mn, c.stats.min.bytes, 8);
	memcpy(&mx, c.stats.max.bytes, 8);
	CHECK(mn == -39998 * 3);
	CHECK(mx == 39999 * 3);
	parquet_column_free(&c);

	/* a dictionary past its byte bound falls back mid-page */
	parquet_column_init(&c, PARQUET_BYTE_ARRAY, 0, PARQUET_ORDER_UNSIGNED, PARQUET_CODEC_UNCOMPRESSED, 1 << 20, 1000);
	char s[32];
	for (int i = 0; i < 500; i++) {
		int n = snprintf(s, sizeof s, "value-%d", i % 200);
		CHECK_INT(parquet_column_add(&c, s, (size_t)n), 0);
	}
	CHECK(!c.dict_on);
	CHECK_INT(parquet_column_finish(&c), 0);
	CHECK(c.used_dict && c.used_plain);
	CHECK(c.dict.len > 1000 && c.dict.len < 1100);
	CHECK_INT(c.stats.min.len, 7);
	CHECK(memcmp(c.stats.min.bytes, "value-0", 7) == 0);
	CHECK(memcmp(c.stats.max.bytes, "value-99", 8) == 0);
	parquet_column_free(&c);

	/* BOOLEAN never uses a dictionary */
	parquet_column_init(&c, PARQUET_BOOLEAN, 0, PARQUET_ORDER_SIGNED, PARQUET_CODEC_ZSTD, 0, 0);
	uint8_t t = 1, f = 0;
	CHECK_INT(parquet_column_add(&c, &t, 1), 0);
	CHECK_INT(parquet_column_add(&c, &f, 1), 0);
	CHECK_INT(parquet_column_finish(&c), 0);
	CHECK(!c.used_dict && c.used_plain);
	parquet_column_free(&c);
}

static void test_stats(void)
{
	parquet_column c;
	/* unsigned order for UINT32 vs signed for INT32 */
	uint8_t big[4] = { 0xFF, 0xFF, 0xFF, 0xFF }, one[4] = { 1, 0, 0, 0 };
	CHECK(parquet_compare(PARQUET_INT32, PARQUET_ORDER_SIGNED, big, 4, one, 4) < 0);
	CHECK(parquet_compare(PARQUET_INT32, PARQUET_ORDER_UNSIGNED, big, 4, one, 4) > 0);
	/* big-endian two's complement decimals: -1 < 1; unsigned bytes for UUID */
	uint8_t m1[2] = { 0xFF, 0xFF }, p1[2] = { 0x00, 0x01 };
	CHECK(parquet_compare(PARQUET_FIXED_LEN_BYTE_ARRAY, PARQUET_ORDER_SIGNED, m1, 2, p1, 2) < 0);
	CHECK(parquet_compare(PARQUET_FIXED_LEN_BYTE_ARRAY, PARQUET_ORDER_UNSIGNED, m1, 2, p1, 2) > 0);
	/* strings: unsigned bytes, a prefix first */
	CHECK(parquet_compare(PARQUET_BYTE_ARRAY, PARQUET_ORDER_UNSIGNED, (const uint8_t *)"ab", 2, (const uint8_t *)"abc", 3) < 0);
	CHECK(parquet_compare(PARQUET_BYTE_ARRAY, PARQUET_ORDER_UNSIGNED, (const uint8_t *)"\xc3\xa9", 2, (const uint8_t *)"z", 1) > 0);

	/* doubles: NaN ignored, zero min written -0.0, zero max +0.0 */
	parquet_column_init(&c, PARQUET_DOUBLE, 0, PARQUET_ORDER_SIGNED, PARQUET_CODEC_SNAPPY, 0, 0);
	double vals[] = { 0.0, __builtin_nan(""), -0.0 };
	for (int i = 0; i < 3; i++)
		CHECK_INT(parquet_column_add(&c, &vals[i], 8), 0);
	CHECK_INT(parquet_column_finish(&c), 0);
	double mn, mx;
	memcpy(&mn, c.stats.min.bytes, 8);
	memcpy(&mx, c.stats.max.bytes, 8);
	CHECK(mn == 0.0 && __builtin_signbit(mn));
	CHECK(mx == 0.0 && !__builtin_signbit(mx));
	parquet_column_free(&c);

	/* long strings: truncated bounds, marked inexact, still bounds */
	parquet_column_init(&c, PARQUET_BYTE_ARRAY, 0, PARQUET_ORDER_UNSIGNED, PARQUET_CODEC_UNCOMPRESSED, 0, 0);
	char a[200], z[200];
	memset(a, 'a', sizeof a);
	memset(z, 'z', sizeof z);
	CHECK_INT(parquet_column_add(&c, a, sizeof a), 0);
	CHECK_INT(parquet_column_add(&c, z, sizeof z), 0);
	CHECK_INT(parquet_column_finish(&c), 0);
	CHECK_INT(c.stats.min.len, 64);
	CHECK(!c.stats.min_exact && !c.stats.max_exact);
	CHECK(c.stats.max.len == 64 && c.stats.max.bytes[63] == 'z' + 1);
	parquet_column_free(&c);
}

static void test_compress(void)
{
	uint8_t src[5000];
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (uint8_t)(i % 17);
	mdc_buf out = { 0 };
	void *z = NULL;
	uint8_t back[5000];

	CHECK_INT(parquet_compress(PARQUET_CODEC_ZSTD, src, sizeof src, &out, &z), 0);
	CHECK(out.len < sizeof src / 4);
	CHECK_INT(ZSTD_decompress(back, sizeof back, out.bytes, out.len), sizeof src);
	CHECK(memcmp(back, src, sizeof src) == 0);

	CHECK_INT(parquet_compress(PARQUET_CODEC_SNAPPY, src, sizeof src, &out, &z), 0);
	size_t n = sizeof back;
	CHECK(snappy_uncompress((const char *)out.bytes, out.len, (char *)back, &n) == SNAPPY_OK);
	CHECK_INT(n, sizeof src);
	CHECK(memcmp(back, src, sizeof src) == 0);

	CHECK_INT(parquet_compress(PARQUET_CODEC_UNCOMPRESSED, src, sizeof src, &out, &z), 0);
	CHECK(out.len == sizeof src && memcmp(out.bytes, src, sizeof src) == 0);
	parquet_compress_free(&z);
	mdc_buf_free(&out);
}

int main(void)
{
	test_rle();
	test_dictionary();
	test_stats();
	test_compress();
	return testutil_finish("test_parquet_encode");
}
