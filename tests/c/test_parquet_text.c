/* tests/c/test_parquet_text.c - unit test of the Parquet writer's text
 * parsers (mdclient/parquet_text.c), the type mapping (parquet_types.c)
 * and numeric's binary form (parquet_pgbin.c): the servers' text forms of
 * each type, their edge cases and the values that must be refused. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/parquet_int.h"
#include "testutil.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static void test_bool(void)
{
	uint8_t b = 9;
	CHECK_INT(parquet_parse_bool(S("t"), &b), 0);
	CHECK_INT(b, 1);
	CHECK_INT(parquet_parse_bool(S("FALSE"), &b), 0);
	CHECK_INT(b, 0);
	CHECK_INT(parquet_parse_bool(S("True"), &b), 0);
	CHECK_INT(b, 1);
	CHECK_INT(parquet_parse_bool(S("0"), &b), 0);
	CHECK_INT(b, 0);
	CHECK_INT(parquet_parse_bool(S("yes"), &b), -EINVAL);
	CHECK_INT(parquet_parse_bool(S(""), &b), -EINVAL);
}

static void test_int_float(void)
{
	int64_t v = 0;
	CHECK_INT(parquet_fast_int(S("-123"), &v), 1);
	CHECK_INT(v, -123);
	CHECK_INT(parquet_fast_int(S("+999999999999999999"), &v), 1);
	CHECK_INT(v, 999999999999999999LL);
	CHECK_INT(parquet_fast_int(S("1234567890123456789"), &v), 0); /* 19 digits: strtoll */
	CHECK_INT(parquet_fast_int(S("12a"), &v), 0);
	CHECK_INT(parquet_fast_int(S("-"), &v), 0);

	double d = 0;
	float f = 0;
	CHECK_INT(parquet_fast_float(S("1.5"), false, &d, &f), 1);
	CHECK(d == 1.5);
	CHECK_INT(parquet_fast_float(S("0.1"), false, &d, &f), 1);
	CHECK(d == strtod("0.1", NULL));
	CHECK_INT(parquet_fast_float(S("-2.5e-3"), false, &d, &f), 1);
	CHECK(d == strtod("-2.5e-3", NULL));
	CHECK_INT(parquet_fast_float(S("3.25"), true, &d, &f), 1);
	CHECK(f == 3.25f);
	CHECK_INT(parquet_fast_float(S("1e23"), false, &d, &f), 0);   /* no exact 10^23 */
	CHECK_INT(parquet_fast_float(S("NaN"), false, &d, &f), 0);
	CHECK_INT(parquet_fast_float(S("inf"), false, &d, &f), 0);
}

static void test_date(void)
{
	int32_t d = 1;
	CHECK_INT(parquet_parse_date(S("1970-01-01"), &d), 0);
	CHECK_INT(d, 0);
	CHECK_INT(parquet_parse_date(S("2000-03-01"), &d), 0);
	CHECK_INT(d, 10957 + 31 + 29);
	CHECK_INT(parquet_parse_date(S("1969-12-31"), &d), 0);
	CHECK_INT(d, -1);
	CHECK_INT(parquet_parse_date(S("0001-01-01 BC"), &d), 0);   /* PostgreSQL: year 0 */
	CHECK_INT(d, -719528);
	CHECK_INT(parquet_parse_date(S("0001-01-01 (BC)"), &d), 0); /* DuckDB's spelling */
	CHECK_INT(d, -719528);
	CHECK_INT(parquet_parse_date(S("infinity"), &d), 0);
	CHECK_INT(d, INT32_MAX);
	CHECK_INT(parquet_parse_date(S("-Infinity"), &d), 0);
	CHECK_INT(d, -INT32_MAX);
	CHECK_INT(parquet_parse_date(S("2020-13-01"), &d), -EINVAL);
	CHECK_INT(parquet_parse_date(S("2020-01-01x"), &d), -EINVAL);
	CHECK_INT(parquet_parse_date(S("20200101"), &d), -EINVAL);
	CHECK_INT(parquet_parse_date(S("infinityx"), &d), -EINVAL);
	CHECK_INT(parquet_parse_date(S("9999999-01-01"), &d), -ERANGE);
}

static void test_ts_time(void)
{
	int64_t t = 1;
	CHECK_INT(parquet_parse_ts(S("1970-01-01 00:00:01.5"), false, &t), 0);
	CHECK_INT(t, 1500000);
	CHECK_INT(parquet_parse_ts(S("1970-01-01"), false, &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(parquet_parse_ts(S("1970-01-01T00:00:00+01:00"), false, &t), 0);
	CHECK_INT(t, -3600000000LL);
	CHECK_INT(parquet_parse_ts(S("1970-01-01 00:00:00-05"), false, &t), 0); /* PostgreSQL's offset */
	CHECK_INT(t, 5 * 3600000000LL);
	CHECK_INT(parquet_parse_ts(S("1970-01-01 00:00:00Z"), false, &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(parquet_parse_ts(S("1970-01-01 00:00:00.000000001"), true, &t), 0);
	CHECK_INT(t, 1);
	/* micros round toward -infinity, like the servers' truncation of the day */
	CHECK_INT(parquet_parse_ts(S("1969-12-31 23:59:59.9999995"), false, &t), 0);
	CHECK_INT(t, -1);
	CHECK_INT(parquet_parse_ts(S("2024-02-29 12:00:00"), false, &t), 0);
	CHECK_INT(t, (19782LL * 86400 + 12 * 3600) * 1000000);
	CHECK_INT(parquet_parse_ts(S("infinity"), false, &t), 0);
	CHECK_INT(t, INT64_MAX);
	CHECK_INT(parquet_parse_ts(S("-infinity"), false, &t), 0);
	CHECK_INT(t, -INT64_MAX);
	CHECK_INT(parquet_parse_ts(S("1000001-01-01 00:00:00"), false, &t), -ERANGE);
	CHECK_INT(parquet_parse_ts(S("2300-01-01 00:00:00"), true, &t), -ERANGE); /* beyond int64 nanos */
	CHECK_INT(parquet_parse_ts(S("2020-01-01 00:00:00 junk"), false, &t), -EINVAL);
	CHECK_INT(parquet_parse_ts(S("2020-01-01 25:00:00"), false, &t), -EINVAL);

	CHECK_INT(parquet_parse_time(S("12:34:56.789"), &t), 0);
	CHECK_INT(t, 45296789000LL);
	CHECK_INT(parquet_parse_time(S("00:00"), &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(parquet_parse_time(S("24:00:00"), &t), 0);
	CHECK_INT(t, 86400000000LL);
	CHECK_INT(parquet_parse_time(S("12:60:00"), &t), -EINVAL);
	CHECK_INT(parquet_parse_time(S("12:00:00+02"), &t), -EINVAL);
}

static void test_decimal(void)
{
	parquet_i128 v = 1;
	CHECK_INT(parquet_parse_decimal(S("-12.5"), 2, &v), 0);
	CHECK(v == -1250);
	CHECK_INT(parquet_parse_decimal(S("+7"), 0, &v), 0);
	CHECK(v == 7);
	CHECK_INT(parquet_parse_decimal(S("1.230"), 2, &v), 0);   /* extra zeros are fine */
	CHECK(v == 123);
	CHECK_INT(parquet_parse_decimal(S("1.234"), 2, &v), -ERANGE);
	CHECK_INT(parquet_parse_decimal(S(".5"), 1, &v), 0);
	CHECK(v == 5);
	CHECK_INT(parquet_parse_decimal(S("NaN"), 2, &v), -EINVAL);
	CHECK_INT(parquet_parse_decimal(S("1e5"), 0, &v), -EINVAL);
	CHECK_INT(parquet_parse_decimal(S(""), 0, &v), -EINVAL);
	CHECK_INT(parquet_parse_decimal(S("-"), 0, &v), -EINVAL);
	parquet_i128 max = (parquet_i128)(((parquet_u128)1 << 127) - 1);
	CHECK_INT(parquet_parse_decimal(S("170141183460469231731687303715884105727"), 0, &v), 0);
	CHECK(v == max);
	CHECK_INT(parquet_parse_decimal(S("170141183460469231731687303715884105728"), 0, &v), -ERANGE);
	CHECK_INT(parquet_parse_decimal(S("-170141183460469231731687303715884105728"), 0, &v), 0);
	CHECK(v == -max - 1);
	CHECK_INT(parquet_parse_decimal(S("17014118346046923173168730371588410573"), 1, &v), -ERANGE);
}

static void test_uuid_blob(void)
{
	uint8_t u[16];
	static const uint8_t want[16] = { 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78,
					  0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78 };
	CHECK_INT(parquet_parse_uuid(S("{12345678-1234-5678-9abc-DEF012345678}"), u), 0);
	CHECK(memcmp(u, want, 16) == 0);
	CHECK_INT(parquet_parse_uuid(S("12345678123456789abcdef012345678"), u), 0);
	CHECK(memcmp(u, want, 16) == 0);
	CHECK_INT(parquet_parse_uuid(S("12345678-1234-5678-9abc-def01234567"), u), -EINVAL);
	CHECK_INT(parquet_parse_uuid(S("12345678-1234-5678-9abc-def0123456789"), u), -EINVAL);
	CHECK_INT(parquet_parse_uuid(S("g2345678-1234-5678-9abc-def012345678"), u), -EINVAL);

	mdc_buf b = { 0 };
	CHECK_INT(parquet_parse_blob(S("a\\x00b\\xFF"), MDC_PARQUET_TEXT_DUCKDB, &b), 0);
	CHECK(b.len == 4 && memcmp(b.bytes, "a\0b\xff", 4) == 0);
	CHECK_INT(parquet_parse_blob(S("a\\q"), MDC_PARQUET_TEXT_DUCKDB, &b), -EINVAL);
	CHECK_INT(parquet_parse_blob(S("\\x6162"), MDC_PARQUET_TEXT_POSTGRES, &b), 0);
	CHECK(b.len == 2 && memcmp(b.bytes, "ab", 2) == 0);
	CHECK_INT(parquet_parse_blob(S("\\x616"), MDC_PARQUET_TEXT_POSTGRES, &b), -EINVAL);
	CHECK_INT(parquet_parse_blob(S("a\\\\b\\001"), MDC_PARQUET_TEXT_POSTGRES, &b), 0); /* escape format */
	CHECK(b.len == 4 && memcmp(b.bytes, "a\\b\001", 4) == 0);
	CHECK_INT(parquet_parse_blob(S(""), MDC_PARQUET_TEXT_POSTGRES, &b), 0);
	CHECK_INT(b.len, 0);
	mdc_buf_free(&b);
}

static void test_numeric_binary(void)
{
	char out[64];
	size_t n = 0;
	/* 1234.5678: ndigits 2, weight 0, sign +, dscale 4, digits 1234 5678 */
	static const uint8_t a[] = { 0, 2, 0, 0, 0, 0, 0, 4, 0x04, 0xD2, 0x16, 0x2E };
	CHECK_INT(parquet_pg_numeric_text(a, sizeof a, out, sizeof out, &n), 0);
	CHECK(n == 9 && memcmp(out, "1234.5678", 9) == 0);
	/* -0.05: ndigits 1, weight -1, sign -, dscale 2, digit 500 */
	static const uint8_t b[] = { 0, 1, 0xFF, 0xFF, 0x40, 0, 0, 2, 0x01, 0xF4 };
	CHECK_INT(parquet_pg_numeric_text(b, sizeof b, out, sizeof out, &n), 0);
	CHECK(n == 5 && memcmp(out, "-0.05", 5) == 0);
	/* 10000 (weight 1, one digit 1, trailing zero group implied) */
	static const uint8_t c[] = { 0, 1, 0, 1, 0, 0, 0, 0, 0, 1 };
	CHECK_INT(parquet_pg_numeric_text(c, sizeof c, out, sizeof out, &n), 0);
	CHECK(n == 5 && memcmp(out, "10000", 5) == 0);
	static const uint8_t nan[] = { 0, 0, 0, 0, 0xC0, 0, 0, 0 };
	CHECK_INT(parquet_pg_numeric_text(nan, sizeof nan, out, sizeof out, &n), 0);
	CHECK(n == 3 && memcmp(out, "NaN", 3) == 0);
	static const uint8_t bad[] = { 0, 2, 0, 0, 0, 0, 0, 0, 0, 1 }; /* 2 digits, 1 present */
	CHECK_INT(parquet_pg_numeric_text(bad, sizeof bad, out, sizeof out, &n), -EIO);
	static const uint8_t big[] = { 0, 1, 0, 100, 0, 0, 0, 0, 0, 1 }; /* 10^400 */
	CHECK_INT(parquet_pg_numeric_text(big, sizeof big, out, sizeof out, &n), -ERANGE);
}

static void test_types(void)
{
	parquet_coltype t;
	parquet_map_type("DECIMAL(10,2)", &t);
	CHECK_INT(t.k, KIND_DECIMAL);
	CHECK_INT(t.phys, PARQUET_INT64);
	CHECK_INT(t.precision, 10);
	CHECK_INT(t.scale, 2);
	parquet_map_type("numeric(20, 0)", &t);
	CHECK_INT(t.phys, PARQUET_FIXED_LEN_BYTE_ARRAY);
	CHECK_INT(t.type_length, 9);
	parquet_map_type("numeric", &t);
	CHECK_INT(t.k, KIND_STRING);
	parquet_map_type("HUGEINT", &t);
	CHECK_INT(t.k, KIND_DECIMAL);
	CHECK_INT(t.type_length, 16);
	parquet_map_type("timestamp(3) with time zone", &t);
	CHECK_INT(t.k, KIND_TS);
	CHECK(t.utc && !t.nanos);
	parquet_map_type("TIMESTAMP_NS", &t);
	CHECK(t.k == KIND_TS && t.nanos && !t.utc);
	parquet_map_type("INTEGER[]", &t);
	CHECK_INT(t.k, KIND_JSON);
	parquet_map_type("STRUCT(a INTEGER)", &t);
	CHECK_INT(t.k, KIND_JSON);
	parquet_map_type("USMALLINT", &t);
	CHECK(t.k == KIND_INT && t.bits == 16 && !t.is_signed && t.order == PARQUET_ORDER_UNSIGNED);
	parquet_map_type("character varying(20)", &t);
	CHECK_INT(t.k, KIND_STRING);
	parquet_map_type(NULL, &t);
	CHECK_INT(t.k, KIND_STRING);
	char base[64];
	parquet_type_base("  timestamp(3)   with time zone ", base, sizeof base);
	CHECK_STR(base, "TIMESTAMP WITH TIME ZONE");
}

int main(void)
{
	test_bool();
	test_int_float();
	test_date();
	test_ts_time();
	test_decimal();
	test_uuid_blob();
	test_numeric_binary();
	test_types();
	return testutil_finish("test_parquet_text");
}
