/* mdclient/parquet_types.c - catalog type text → Parquet column type
 * (the table is in parquet.h; contract in internal/parquet_int.h). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mdclient/internal/parquet_int.h"

/* Upper-case copy of s with runs of blanks folded and ends trimmed. */
static void normalize(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	bool space = false;
	while (*s && isspace((unsigned char)*s))
		s++;
	for (; *s && n + 2 < cap; s++) {
		if (isspace((unsigned char)*s)) {
			space = true;
			continue;
		}
		if (space && n)
			out[n++] = ' ';
		space = false;
		out[n++] = (char)toupper((unsigned char)*s);
	}
	out[n] = '\0';
}

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Drop "(...)" groups (precision of timestamps, varchar lengths). */
static void strip_parens(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	int depth = 0;
	for (; *s && n + 1 < cap; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')')
			depth = depth ? depth - 1 : 0;
		else if (!depth)
			out[n++] = *s;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	/* "TIMESTAMP (3) WITH..." leaves a double blank: fold it */
	char *d = strstr(out, "  ");
	while (d) {
		memmove(d, d + 1, strlen(d));
		d = strstr(out, "  ");
	}
}

static int decimal_bytes(int precision)
{
	/* smallest n with 2^(8n-1) - 1 >= 10^precision - 1 */
	parquet_u128 p10 = 1;
	for (int i = 0; i < precision; i++)
		p10 *= 10;
	for (int n = 1; n <= 16; n++) {
		parquet_u128 max = ((parquet_u128)1 << (8 * n - 1)) - 1;
		if (max >= p10 - 1)
			return n;
	}
	return 16;
}

static void set_decimal(parquet_coltype *t, int p, int s)
{
	t->k = KIND_DECIMAL;
	t->precision = p;
	t->scale = s;
	t->order = PARQUET_ORDER_SIGNED;
	if (p <= 9) {
		t->phys = PARQUET_INT32;
	} else if (p <= 18) {
		t->phys = PARQUET_INT64;
	} else {
		t->phys = PARQUET_FIXED_LEN_BYTE_ARRAY;
		t->type_length = decimal_bytes(p);
	}
}

static void set_int(parquet_coltype *t, int bits, bool is_signed)
{
	t->k = KIND_INT;
	t->bits = bits;
	t->is_signed = is_signed;
	t->phys = bits == 64 ? PARQUET_INT64 : PARQUET_INT32;
	t->order = is_signed ? PARQUET_ORDER_SIGNED : PARQUET_ORDER_UNSIGNED;
}

static bool in_list(const char *s, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(s, *names) == 0)
			return true;
	return false;
}

void parquet_map_type(const char *text, parquet_coltype *t)
{
	char norm[256], base[256];
	memset(t, 0, sizeof *t);
	t->k = KIND_STRING;
	t->phys = PARQUET_BYTE_ARRAY;
	t->order = PARQUET_ORDER_UNSIGNED;
	normalize(text ? text : "", norm, sizeof norm);
	size_t len = strlen(norm);
	if ((len && norm[len - 1] == ']') || starts(norm, "STRUCT(") || starts(norm, "MAP(") ||
	    starts(norm, "UNION(") || starts(norm, "LIST(") || starts(norm, "STRUCT (") ||
	    starts(norm, "MAP (") || starts(norm, "UNION (")) {
		t->k = KIND_JSON;
		return;
	}
	if (starts(norm, "DECIMAL(") || starts(norm, "NUMERIC(")) {
		int p = 0, s = 0;
		const char *a = strchr(norm, '(') + 1;
		int n = sscanf(a, "%d , %d", &p, &s);
		if (n < 2) {
			n = sscanf(a, "%d,%d", &p, &s);
			if (n == 1)
				s = 0;
		}
		if (n >= 1 && p >= 1 && p <= 38 && s >= 0 && s <= p)
			set_decimal(t, p, s);
		return; /* odd precision (PostgreSQL allows up to 1000): STRING */
	}
	strip_parens(norm, base, sizeof base);
	static const char *const b_bool[] = { "BOOLEAN", "BOOL", "LOGICAL", NULL };
	static const char *const b_i8[] = { "TINYINT", "INT1", NULL };
	static const char *const b_i16[] = { "SMALLINT", "INT2", "SHORT", NULL };
	static const char *const b_i32[] = { "INTEGER", "INT", "INT4", "SIGNED", NULL };
	static const char *const b_i64[] = { "BIGINT", "INT8", "LONG", NULL };
	static const char *const b_float[] = { "REAL", "FLOAT", "FLOAT4", NULL };
	static const char *const b_double[] = { "DOUBLE", "DOUBLE PRECISION", "FLOAT8", NULL };
	static const char *const b_time[] = { "TIME", "TIME WITHOUT TIME ZONE", NULL };
	static const char *const b_ts[] = { "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "DATETIME",
					    "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_US", NULL };
	static const char *const b_tstz[] = { "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", NULL };
	static const char *const b_blob[] = { "BLOB", "BYTEA", "BINARY", "VARBINARY", NULL };
	if (in_list(base, b_bool)) {
		t->k = KIND_BOOL;
		t->phys = PARQUET_BOOLEAN;
	} else if (in_list(base, b_i8)) {
		set_int(t, 8, true);
	} else if (in_list(base, b_i16)) {
		set_int(t, 16, true);
	} else if (in_list(base, b_i32)) {
		set_int(t, 32, true);
	} else if (in_list(base, b_i64)) {
		set_int(t, 64, true);
	} else if (strcmp(base, "UTINYINT") == 0) {
		set_int(t, 8, false);
	} else if (strcmp(base, "USMALLINT") == 0) {
		set_int(t, 16, false);
	} else if (strcmp(base, "UINTEGER") == 0) {
		set_int(t, 32, false);
	} else if (strcmp(base, "UBIGINT") == 0) {
		set_int(t, 64, false);
	} else if (strcmp(base, "HUGEINT") == 0 || strcmp(base, "INT128") == 0) {
		set_decimal(t, 38, 0);
	} else if (in_list(base, b_float)) {
		t->k = KIND_FLOAT;
		t->phys = PARQUET_FLOAT;
		t->order = PARQUET_ORDER_SIGNED;
	} else if (in_list(base, b_double)) {
		t->k = KIND_DOUBLE;
		t->phys = PARQUET_DOUBLE;
		t->order = PARQUET_ORDER_SIGNED;
	} else if (strcmp(base, "DATE") == 0) {
		t->k = KIND_DATE;
		t->phys = PARQUET_INT32;
		t->order = PARQUET_ORDER_SIGNED;
	} else if (in_list(base, b_time)) {
		t->k = KIND_TIME;
		t->phys = PARQUET_INT64;
		t->order = PARQUET_ORDER_SIGNED;
	} else if (in_list(base, b_ts) || in_list(base, b_tstz) || strcmp(base, "TIMESTAMP_NS") == 0) {
		t->k = KIND_TS;
		t->phys = PARQUET_INT64;
		t->order = PARQUET_ORDER_SIGNED;
		t->utc = in_list(base, b_tstz);
		t->nanos = strcmp(base, "TIMESTAMP_NS") == 0;
	} else if (strcmp(base, "UUID") == 0) {
		t->k = KIND_UUID;
		t->phys = PARQUET_FIXED_LEN_BYTE_ARRAY;
		t->type_length = 16;
	} else if (in_list(base, b_blob)) {
		t->k = KIND_BLOB;
	}
	/* everything else (VARCHAR, text, numeric, UHUGEINT, INTERVAL, ENUM,
	 * JSON, TIMETZ, BIT, composite types ...) stays STRING */
}

void parquet_type_base(const char *text, char *base, size_t cap)
{
	char norm[256];
	normalize(text ? text : "", norm, sizeof norm);
	strip_parens(norm, base, cap);
}
