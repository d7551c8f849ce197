/* tests/c/test_thrift.c - unit test of mdclient/thrift_compact.c against
 * byte sequences worked out from the Thrift compact protocol spec. */
#include <stdint.h>
#include <string.h>

#include "mdclient/internal/thrift_compact.h"
#include "testutil.h"

static int bytes_eq(const tc_writer *w, const uint8_t *want, size_t n)
{
	if (w->buf.len != n || memcmp(w->buf.bytes, want, n) != 0) {
		fprintf(stderr, "  got:");
		for (size_t i = 0; i < w->buf.len; i++)
			fprintf(stderr, " %02X", w->buf.bytes[i]);
		fprintf(stderr, "\n");
		return 0;
	}
	return 1;
}
#define CHECK_BYTES(w, ...) do { \
	static const uint8_t want_[] = { __VA_ARGS__ }; \
	CHECK(bytes_eq((w), want_, sizeof want_)); \
} while (0)

static void test_varint(void)
{
	struct { uint64_t v; uint8_t b[10]; size_t n; } vec[] = {
		{ 0, { 0x00 }, 1 },
		{ 1, { 0x01 }, 1 },
		{ 127, { 0x7F }, 1 },
		{ 128, { 0x80, 0x01 }, 2 },
		{ 300, { 0xAC, 0x02 }, 2 },
		{ 16384, { 0x80, 0x80, 0x01 }, 3 },
		{ UINT64_MAX, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, 10 },
	};
	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		uint8_t out[10];
		size_t n = tc_varint_encode(vec[i].v, out);
		CHECK_INT(n, vec[i].n);
		CHECK(memcmp(out, vec[i].b, vec[i].n) == 0);
	}
}

static void test_zigzag(void)
{
	CHECK_INT(tc_zigzag64(0), 0);
	CHECK_INT(tc_zigzag64(-1), 1);
	CHECK_INT(tc_zigzag64(1), 2);
	CHECK_INT(tc_zigzag64(-2), 3);
	CHECK_INT(tc_zigzag64(2147483647), 4294967294LL);
	CHECK_INT(tc_zigzag64(-2147483648LL), 4294967295LL);
	CHECK(tc_zigzag64(INT64_MAX) == UINT64_MAX - 1);
	CHECK(tc_zigzag64(INT64_MIN) == UINT64_MAX);
}

static void test_fields(void)
{
	tc_writer w;
	tc_init(&w);
	/* short-form headers: delta 1 i32, delta 2 i64, bools in the type nibble */
	tc_struct_begin(&w);
	tc_field_i32(&w, 1, 5);          /* 0x15, zigzag(5)=10 */
	tc_field_i64(&w, 3, -1);         /* delta 2: 0x26, 0x01 */
	tc_field_bool(&w, 4, true);      /* 0x11 */
	tc_field_bool(&w, 5, false);     /* 0x12 */
	tc_field_i32(&w, 25, 1);         /* delta 20: long form 0x05, zigzag(25)=50, value 0x02 */
	tc_field_i16(&w, 2, 300);        /* going back: long form 0x04, 0x04, zigzag(300)=600=D8 04 */
	tc_struct_end(&w);
	CHECK(!tc_failed(&w));
	CHECK_BYTES(&w, 0x15, 0x0A, 0x26, 0x01, 0x11, 0x12, 0x05, 0x32, 0x02, 0x04, 0x04, 0xD8, 0x04, 0x00);

	/* binary, i8, nested struct (field ids restart inside), then the outer delta */
	tc_reset(&w);
	tc_struct_begin(&w);
	tc_field_string(&w, 1, "ab");    /* 0x18 0x02 'a' 'b' */
	tc_field_struct(&w, 2);          /* 0x1C */
	tc_field_i8(&w, 1, -2);          /* 0x13 0xFE */
	tc_struct_end(&w);               /* 0x00 */
	tc_field_i32(&w, 3, 0);          /* delta 1 from 2: 0x15 0x00 */
	tc_struct_end(&w);
	CHECK_BYTES(&w, 0x18, 0x02, 'a', 'b', 0x1C, 0x13, 0xFE, 0x00, 0x15, 0x00, 0x00);

	/* lists: short header (size < 15), long header, struct elements */
	tc_reset(&w);
	tc_struct_begin(&w);
	tc_field_list(&w, 1, TC_I32, 3); /* 0x19 0x35 */
	tc_elem_i32(&w, 1);
	tc_elem_i32(&w, -1);
	tc_elem_i32(&w, 64);             /* 02 01 80 01 */
	tc_field_list(&w, 2, TC_BINARY, 15); /* 0x19 0xF8 0x0F */
	for (int i = 0; i < 15; i++)
		tc_elem_string(&w, "");
	tc_field_list(&w, 3, TC_STRUCT, 1); /* 0x19 0x1C */
	tc_struct_begin(&w);
	tc_field_i32(&w, 1, 1);          /* 0x15 0x02 */
	tc_struct_end(&w);
	tc_struct_end(&w);
	CHECK_BYTES(&w, 0x19, 0x35, 0x02, 0x01, 0x80, 0x01,
		    0x19, 0xF8, 0x0F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0x19, 0x1C, 0x15, 0x02, 0x00, 0x00);

	/* misuse is sticky, never a crash */
	tc_reset(&w);
	tc_struct_end(&w);
	CHECK(tc_failed(&w));
	tc_free(&w);
}

int main(void)
{
	test_varint();
	test_zigzag();
	test_fields();
	return testutil_finish("test_thrift");
}
