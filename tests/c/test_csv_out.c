/* tests/c/test_csv_out.c - unit tests of the CSV output rules (csv_out.c).
 * No server: PGresults are built in memory with PQmakeEmptyPGresult. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "mdclient/internal/csv_out.h"
#include "testutil.h"

/* One field formatted alone, as a NUL-terminated static string. */
static const char *field(const char *val, size_t len, mdc_csv_kind kind)
{
	static char out[256];
	mdc_buf b;
	mdc_buf_init(&b);
	int rc = mdc_csv_put_field(&b, val, len, kind);
	CHECK_INT(rc, 0);
	if (rc || b.len >= sizeof out) {
		mdc_buf_free(&b);
		return "(error)";
	}
	if (b.len)
		memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	mdc_buf_free(&b);
	return out;
}

static const char *tfield(const char *val)
{
	return field(val, val ? strlen(val) : 0, MDC_CSV_TEXT);
}

static void test_quoting(void)
{
	/* plain values pass verbatim */
	CHECK_STR(tfield("abc"), "abc");
	CHECK_STR(tfield("12345.678"), "12345.678");
	CHECK_STR(tfield("-1"), "-1");
	CHECK_STR(tfield("2024-01-02 03:04:05.123456+00"), "2024-01-02 03:04:05.123456+00");
	CHECK_STR(tfield("a b"), "a b");          /* inner space: no quotes */
	CHECK_STR(tfield("a\tb"), "a\tb");        /* inner tab: no quotes */
	CHECK_STR(tfield("[1, 2, NULL]"), "\"[1, 2, NULL]\"");
	CHECK_STR(tfield("{'a': 1, 'b': x y}"), "\"{'a': 1, 'b': x y}\"");
	CHECK_STR(tfield("{k=1}"), "{k=1}");
	CHECK_STR(tfield("\\xAA\\x00z"), "\\xAA\\x00z");
	CHECK_STR(tfield("1 year 2 days 03:00:00"), "1 year 2 days 03:00:00");
	CHECK_STR(tfield("'single'"), "'single'");
	CHECK_STR(tfield(";|\\"), ";|\\");

	/* every quoting trigger */
	CHECK_STR(tfield("a,b"), "\"a,b\"");
	CHECK_STR(tfield(","), "\",\"");
	CHECK_STR(tfield("a\"b"), "\"a\"\"b\"");
	CHECK_STR(tfield("\""), "\"\"\"\"");
	CHECK_STR(tfield("\"\""), "\"\"\"\"\"\"");
	CHECK_STR(tfield("say \"hi\", ok"), "\"say \"\"hi\"\", ok\"");
	CHECK_STR(tfield("line1\nline2"), "\"line1\nline2\"");
	CHECK_STR(tfield("crlf\r\n"), "\"crlf\r\n\"");
	CHECK_STR(tfield("\r"), "\"\r\"");
	CHECK_STR(tfield("\n"), "\"\n\"");
	CHECK_STR(tfield(" lead"), "\" lead\"");
	CHECK_STR(tfield("trail "), "\"trail \"");
	CHECK_STR(tfield("\tlead"), "\"\tlead\"");
	CHECK_STR(tfield("trail\t"), "\"trail\t\"");
	CHECK_STR(tfield(" "), "\" \"");
	/* specials in each position of the unrolled scan (and the tail) */
	for (size_t n = 1; n <= 11; n++) {
		for (size_t pos = 0; pos < n; pos++) {
			char in[16], want[24];
			memset(in, 'x', n);
			in[n] = '\0';
			in[pos] = ',';
			snprintf(want, sizeof want, "\"%s\"", in);
			CHECK_STR(tfield(in), want);
		}
	}

	/* around the short-field fast path (32 bytes) and the 8-byte scan of
	 * longer fields: every special and blank at every position */
	{
		static const char specials[] = {',', '"', '\r', '\n', ' ', '\t'};
		int bad = 0;
		for (size_t n = 1; n <= 72 && !bad; n++) {
			char in[80];
			memset(in, '7', n);
			in[n] = '\0';
			if (strcmp(tfield(in), in) != 0)
				bad = 1;
			for (size_t k = 0; k < sizeof specials; k++) {
				for (size_t pos = 0; pos < n; pos++) {
					char sp = specials[k];
					memset(in, pos % 2 ? 'a' : 0x2d, n); /* 0x2d: just above the SWAR bound */
					in[pos] = sp;
					bool quoted = sp != ' ' && sp != '\t' ? true : (pos == 0 || pos == n - 1);
					if (mdc_csv_needs_quotes(in, n) != quoted)
						bad = 2;
					const char *got = field(in, n, MDC_CSV_TEXT);
					size_t gl = strlen(got);
					size_t want_len = quoted ? n + 2 + (sp == '"') : n;
					if (gl != want_len || (quoted && (got[0] != '"' || got[gl - 1] != '"')))
						bad = 3;
				}
			}
		}
		CHECK_INT(bad, 0);
		/* bytes below 0x2d that are not special (e.g. '+', '!', '#') */
		CHECK_STR(tfield("2024-01-02 03:04:05+00!#$%&'()*"), "2024-01-02 03:04:05+00!#$%&'()*");
		CHECK_STR(tfield("2024-01-02 03:04:05+00!#$%&'()*+2024-01-02 03:04:05+00"),
			  "2024-01-02 03:04:05+00!#$%&'()*+2024-01-02 03:04:05+00");
		CHECK_STR(tfield("\x01\x02\x1f\x7f\xff"), "\x01\x02\x1f\x7f\xff");
	}

	/* NULL vs empty string */
	CHECK_STR(field(NULL, 0, MDC_CSV_TEXT), "");
	CHECK_STR(field(NULL, 0, MDC_CSV_BOOL), "");
	CHECK_STR(field("", 0, MDC_CSV_TEXT), "\"\"");

	/* embedded NUL (only length counts) */
	{
		mdc_buf b = {0};
		CHECK_INT(mdc_csv_put_field(&b, "a\0b", 3, MDC_CSV_TEXT), 0);
		CHECK_INT(b.len, 3);
		CHECK(b.len == 3 && memcmp(b.data, "a\0b", 3) == 0);
		mdc_buf_free(&b);
	}

	/* unicode passes through unchanged; multibyte bytes never need quotes */
	CHECK_STR(tfield("Grüße, 世界"), "\"Grüße, 世界\"");
	CHECK_STR(tfield("😀"), "😀");
	CHECK_STR(tfield("naïve"), "naïve");
	CHECK_STR(tfield("\xc2\xa0nbsp"), "\xc2\xa0nbsp"); /* U+00A0 is not a space for CSV */

	CHECK(mdc_csv_needs_quotes("", 0));
	CHECK(!mdc_csv_needs_quotes("x", 1));
	CHECK(mdc_csv_needs_quotes("x,", 2));
}

static void test_bool(void)
{
	CHECK_INT(mdc_csv_kind_for_oid(16), MDC_CSV_BOOL);
	CHECK_INT(mdc_csv_kind_for_oid(25), MDC_CSV_TEXT);
	CHECK_INT(mdc_csv_kind_for_oid(23), MDC_CSV_TEXT);
	CHECK_INT(mdc_csv_kind_for_oid(0), MDC_CSV_TEXT);
	CHECK_INT(mdc_csv_kind_for_oid(999999), MDC_CSV_TEXT);
	/* type names, both engines' spellings */
	CHECK_INT(mdc_csv_kind_for_type("BOOLEAN"), MDC_CSV_BOOL);
	CHECK_INT(mdc_csv_kind_for_type("boolean"), MDC_CSV_BOOL);
	CHECK_INT(mdc_csv_kind_for_type("TIMESTAMP WITH TIME ZONE"), MDC_CSV_TSTZ);
	CHECK_INT(mdc_csv_kind_for_type("timestamp(3) with time zone"), MDC_CSV_TSTZ);
	CHECK_INT(mdc_csv_kind_for_type("TIMESTAMP"), MDC_CSV_TEXT);
	CHECK_INT(mdc_csv_kind_for_type("BOOLEAN[]"), MDC_CSV_TEXT);
	CHECK_INT(mdc_csv_kind_for_type("VARCHAR"), MDC_CSV_TEXT);
	CHECK_INT(mdc_csv_kind_for_type(NULL), MDC_CSV_TEXT);
	CHECK_STR(field("t", 1, MDC_CSV_BOOL), "true");
	CHECK_STR(field("f", 1, MDC_CSV_BOOL), "false");
	/* timestamptz: one form (UTC, +00) whatever the session's time zone */
	CHECK_INT(mdc_csv_kind_for_oid(1184), MDC_CSV_TSTZ);
	CHECK_STR(field("2024-01-02 03:04:05.123456+00", 29, MDC_CSV_TSTZ), "2024-01-02 03:04:05.123456+00");
	CHECK_STR(field("2024-01-02 08:34:05.123456+05:30", 32, MDC_CSV_TSTZ), "2024-01-02 03:04:05.123456+00");
	CHECK_STR(field("2024-01-01 00:30:00+05:30", 25, MDC_CSV_TSTZ), "2023-12-31 19:00:00+00");
	CHECK_STR(field("2024-02-28 22:00:00-03", 22, MDC_CSV_TSTZ), "2024-02-29 01:00:00+00");
	CHECK_STR(field("1999-12-31 23:59:59.5-00:00:36", 30, MDC_CSV_TSTZ), "2000-01-01 00:00:35.5+00");
	CHECK_STR(field("0001-01-01 03:00:00+05:30", 25, MDC_CSV_TSTZ), "0001-01-01 03:00:00+05:30"); /* year 0: kept */
	CHECK_STR(field("infinity", 8, MDC_CSV_TSTZ), "infinity");
	CHECK_STR(field("0044-03-15 12:00:00+00:53:28 BC", 31, MDC_CSV_TSTZ), "0044-03-15 12:00:00+00:53:28 BC");
	CHECK_STR(field("2024-01-02T03:04:05+01", 22, MDC_CSV_TSTZ), "2024-01-02T03:04:05+01");
	CHECK_STR(field("true", 4, MDC_CSV_BOOL), "true");   /* DuckDB text */
	CHECK_STR(field("false", 5, MDC_CSV_BOOL), "false");
	CHECK_STR(field("x", 1, MDC_CSV_BOOL), "x");
	/* only bool columns are mapped */
	CHECK_STR(field("t", 1, MDC_CSV_TEXT), "t");
	CHECK_STR(field("f", 1, MDC_CSV_TEXT), "f");
}

static void test_values_row(void)
{
	mdc_buf b;
	mdc_buf_init(&b);
	const char *vals[] = {"1", NULL, "", "a,b", "t", " x"};
	size_t lens[] = {1, 0, 0, 3, 1, 2};
	mdc_csv_kind kinds[] = {MDC_CSV_TEXT, MDC_CSV_TEXT, MDC_CSV_TEXT, MDC_CSV_TEXT,
				MDC_CSV_BOOL, MDC_CSV_TEXT};
	CHECK_INT(mdc_csv_put_values(&b, 6, vals, lens, kinds), 0);
	CHECK_INT(mdc_csv_put_values(&b, 6, vals, lens, NULL), 0);
	const char *want = "1,,\"\",\"a,b\",true,\" x\"\n1,,\"\",\"a,b\",t,\" x\"\n";
	CHECK_INT(b.len, strlen(want));
	CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);

	/* a single NULL column gives an empty line, a single "" gives "" */
	mdc_buf_clear(&b);
	const char *nv[] = {NULL};
	size_t nl[] = {0};
	CHECK_INT(mdc_csv_put_values(&b, 1, nv, nl, NULL), 0);
	const char *ev[] = {""};
	CHECK_INT(mdc_csv_put_values(&b, 1, ev, nl, NULL), 0);
	CHECK(b.len == 4 && memcmp(b.data, "\n\"\"\n", 4) == 0);
	mdc_buf_free(&b);
	mdc_buf_free(&b); /* idempotent */
	mdc_buf_free(NULL);
}

/* Build a PGresult like the ones single-row mode delivers. */
static PGresult *make_result(int ncols, const char *const *names, const Oid *types,
			     int nrows, const char *const *cells /* nrows*ncols, NULL = SQL NULL */)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	if (!res)
		return NULL;
	PGresAttDesc *att = calloc((size_t)ncols, sizeof *att);
	for (int i = 0; i < ncols; i++) {
		att[i].name = (char *)(uintptr_t)names[i];
		att[i].typid = types[i];
		att[i].typlen = -1;
		att[i].atttypmod = -1;
		att[i].format = 0;
	}
	int ok = PQsetResultAttrs(res, ncols, att);
	free(att);
	if (!ok) {
		PQclear(res);
		return NULL;
	}
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[r * ncols + c];
			if (!PQsetvalue(res, r, c, (char *)(uintptr_t)v, v ? (int)strlen(v) : -1)) {
				PQclear(res);
				return NULL;
			}
		}
	}
	return res;
}

static void test_pgresult(void)
{
	const char *names[] = {"id", "name, full", "say \"hi\"", " sp", "ok", "ts", "", "ünï"};
	const Oid types[] = {23, 25, 25, 25, 16, 1114, 25, 25};
	const char *cells[] = {
		"1", "Ann", "x", "y", "t", "2024-01-02 03:04:05", "e", "ü",
		"2", NULL, "", " lead", "f", NULL, NULL, "a\r\nb",
		"3", "q\"q", "\"", "trail\t", NULL, "2024-01-02 03:04:05.5", "", "😀",
	};
	PGresult *res = make_result(8, names, types, 3, cells);
	CHECK(res != NULL);
	if (!res)
		return;
	mdc_csv_cols cols;
	CHECK_INT(mdc_csv_cols_init(&cols, res, NULL, 0), 0);
	CHECK_INT(cols.n, 8);
	CHECK_INT(cols.kinds[4], MDC_CSV_BOOL);
	CHECK_INT(cols.kinds[0], MDC_CSV_TEXT);
	mdc_buf b = {0};
	CHECK_INT(mdc_csv_put_header(&b, res), 0);
	for (int r = 0; r < 3; r++)
		CHECK_INT(mdc_csv_put_row(&b, res, r, &cols), 0);
	const char *want =
		"id,\"name, full\",\"say \"\"hi\"\"\",\" sp\",ok,ts,\"\",ünï\n"
		"1,Ann,x,y,true,2024-01-02 03:04:05,e,ü\n"
		"2,,\"\",\" lead\",false,,,\"a\r\nb\"\n"
		"3,\"q\"\"q\",\"\"\"\",\"trail\t\",,2024-01-02 03:04:05.5,\"\",😀\n";
	CHECK_INT(b.len, strlen(want));
	CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
	if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
		fprintf(stderr, "got:\n%.*s\n", (int)b.len, b.data);
	mdc_csv_cols_free(&cols);
	mdc_csv_cols_free(&cols);

	/* Kinds known another way fill in the columns whose OID says text;
	 * another column count keeps the OIDs' kinds. */
	mdc_csv_kind typed[8] = { MDC_CSV_BOOL, MDC_CSV_BOOL, MDC_CSV_TEXT, MDC_CSV_TEXT,
				  MDC_CSV_TEXT, MDC_CSV_TEXT, MDC_CSV_TSTZ, MDC_CSV_TEXT };
	CHECK_INT(mdc_csv_cols_init(&cols, res, typed, 8), 0);
	CHECK_INT(cols.kinds[0], MDC_CSV_BOOL);
	CHECK_INT(cols.kinds[1], MDC_CSV_BOOL);
	CHECK_INT(cols.kinds[4], MDC_CSV_BOOL); /* the OID's */
	CHECK_INT(cols.kinds[6], MDC_CSV_TSTZ);
	mdc_csv_cols_free(&cols);
	CHECK_INT(mdc_csv_cols_init(&cols, res, typed, 7), 0);
	CHECK_INT(cols.kinds[0], MDC_CSV_TEXT);
	CHECK_INT(cols.kinds[6], MDC_CSV_TEXT);
	mdc_csv_cols_free(&cols);
	PQclear(res);
	mdc_buf_free(&b);

	/* zero columns: header and rows are empty lines; cols has no memory */
	PGresult *empty = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	CHECK_INT(mdc_csv_cols_init(&cols, empty, NULL, 0), 0);
	CHECK_INT(cols.n, 0);
	CHECK_INT(mdc_csv_put_header(&b, empty), 0);
	CHECK(b.len == 1 && b.data[0] == '\n');
	mdc_csv_cols_free(&cols);
	mdc_buf_free(&b);
	PQclear(empty);
}

static void test_large_and_growth(void)
{
	/* a 3 MB field with quotes every 1000 bytes and a trailing newline */
	size_t n = 3u << 20;
	char *big = malloc(n);
	CHECK(big != NULL);
	if (!big)
		return;
	size_t quotes = 0;
	for (size_t i = 0; i < n; i++) {
		big[i] = (char)('a' + (char)(i % 26));
		if (i % 1000 == 999) {
			big[i] = '"';
			quotes++;
		}
	}
	big[n - 1] = '\n';
	mdc_buf b = {0};
	CHECK_INT(mdc_csv_put_field(&b, big, n, MDC_CSV_TEXT), 0);
	CHECK_INT(b.len, n + quotes + 2);
	int ok = b.data[0] == '"' && b.data[b.len - 1] == '"' && b.data[b.len - 2] == '\n';
	/* undouble and compare */
	size_t j = 1;
	for (size_t i = 0; ok && i < n; i++) {
		if (b.data[j] != big[i])
			ok = 0;
		j += big[i] == '"' ? 2 : 1;
	}
	CHECK(ok);
	CHECK(j == b.len - 1);
	mdc_buf_free(&b);

	/* a 3 MB plain field */
	memset(big, 'z', n);
	CHECK_INT(mdc_csv_put_field(&b, big, n, MDC_CSV_TEXT), 0);
	CHECK_INT(b.len, n);
	CHECK(b.cap >= n);
	mdc_buf_free(&b);
	free(big);

	/* growth over many small appends keeps every byte */
	mdc_buf_init(&b);
	const char *vals[] = {"12345", "a\"b", NULL};
	size_t lens[] = {5, 3, 0};
	int rc = 0;
	for (int i = 0; i < 100000 && rc == 0; i++)
		rc = mdc_csv_put_values(&b, 3, vals, lens, NULL);
	CHECK_INT(rc, 0);
	const char *line = "12345,\"a\"\"b\",\n";
	size_t ll = strlen(line);
	CHECK_INT(b.len, ll * 100000);
	int same = b.len == ll * 100000;
	for (size_t off = 0; same && off < b.len; off += ll)
		same = memcmp(b.data + off, line, ll) == 0;
	CHECK(same);
	size_t cap = b.cap;
	mdc_buf_clear(&b);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, cap); /* memory kept for reuse */
	CHECK_INT(mdc_buf_reserve(&b, 10), 0);
	CHECK_INT(mdc_buf_reserve(&b, (size_t)-1), -EOVERFLOW);
	mdc_buf_free(&b);
}

int main(void)
{
	test_quoting();
	test_bool();
	test_values_row();
	test_pgresult();
	test_large_and_growth();
	return testutil_finish("test_csv_out");
}
