/* tests/c/test_csv_in.c - the streaming CSV reader with dbt's reading rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "mdclient/internal/csv_in.h"
#include "testutil.h"

/* Parse data into a "|"-joined, "/"-separated dump: records separated by '/',
 * fields by '|', a blank line as "<blank>". Returns the status of the last
 * call (0 at clean end, -errno) and the error message in msg. */
static int dump(const char *data, size_t len, char delim, size_t max_field, char *out,
		size_t outsz, char *msg)
{
	FILE *f = fmemopen((void *)data, len, "r");
	mdc_csv_reader *r = NULL;
	mdc_error err;
	mdc_error_clear(&err);
	out[0] = '\0';
	msg[0] = '\0';
	if (len == 0) {
		fclose(f);
		f = tmpfile();
	}
	int rc = mdc_csv_open_file(f, delim, max_field, &r, &err);
	if (rc < 0) {
		strcpy(msg, err.message);
		fclose(f);
		return rc;
	}
	size_t o = 0;
	for (;;) {
		const mdc_csv_field *fl;
		size_t n;
		int blank;
		rc = mdc_csv_next(r, &fl, &n, &blank, &err);
		if (rc <= 0)
			break;
		if (o)
			o += (size_t)snprintf(out + o, outsz - o, "/");
		if (blank)
			o += (size_t)snprintf(out + o, outsz - o, "<blank>");
		for (size_t i = 0; i < n && o < outsz; i++) {
			CHECK(fl[i].ptr[fl[i].len] == '\0');
			o += (size_t)snprintf(out + o, outsz - o, "%s%.*s", i ? "|" : "", (int)fl[i].len, fl[i].ptr);
		}
	}
	if (rc < 0)
		strcpy(msg, err.message);
	mdc_csv_close(r);
	fclose(f);
	return rc;
}

static void expect(const char *data, const char *want)
{
	char out[4096], msg[MDC_ERRMSG_MAX];
	int rc = dump(data, strlen(data), 0, 0, out, sizeof out, msg);
	CHECK_INT(rc, 0);
	CHECK_STR(out, want);
	if (rc != 0)
		fprintf(stderr, "  error: %s\n", msg);
}

static void expect_err(const char *data, size_t len, int err, const char *msgpart)
{
	char out[4096], msg[MDC_ERRMSG_MAX];
	int rc = dump(data, len, 0, 0, out, sizeof out, msg);
	CHECK_INT(rc, -err);
	CHECK(strstr(msg, msgpart) != NULL);
	if (!strstr(msg, msgpart))
		fprintf(stderr, "  message: %s (wanted %s)\n", msg, msgpart);
}

int main(void)
{
	/* basics, quoting, escapes */
	expect("a,b,c\n1,2,3\n", "a|b|c/1|2|3");
	expect("a,b\n1,2", "a|b/1|2");                      /* no final newline */
	expect("a\n\"x,y\",\"he said \"\"hi\"\"\"\n", "a/x,y|he said \"hi\"");
	expect("a,b\n,\n", "a|b/|");                        /* two empty fields */
	expect("a, b ,c \n", "a| b |c ");                   /* nothing trimmed */
	/* blank lines: a record with no fields */
	expect("a\n\n1\n", "a/<blank>/1");
	expect("a\n1\n\n", "a/1/<blank>");
	expect("a\r\n\r\n1\r\n", "a/<blank>/1");
	/* newlines: CRLF and lone CR become LF, also inside quotes */
	expect("a,b\r\n1,2\r\n", "a|b/1|2");
	expect("a,b\r1,2\r", "a|b/1|2");
	expect("a\n\"x\r\ny\"\n", "a/x\ny");
	expect("a\n\"x\ry\"\n", "a/x\ny");
	expect("a\n\"x\n\ny\"\n", "a/x\n\ny");
	/* Python csv non-strict quirks */
	expect("a\nab\"c\n", "a/ab\"c");                    /* quote inside unquoted field */
	expect("a\n\"ab\"cd\n", "a/abcd");                  /* text after closing quote */
	expect("a\n\"open\nend", "a/open\nend");            /* unterminated at EOF */
	expect("a,b\n\"\",\"\"\n", "a|b/|");
	/* BOM: one dropped, a second kept */
	expect("\xEF\xBB\xBFid,x\n1,2\n", "id|x/1|2");
	expect("\xEF\xBB\xBF\xEF\xBB\xBFid\n", "\xEF\xBB\xBFid");
	expect("\xEF\xBB\xBF", "");
	/* UTF-8 kept verbatim */
	expect("n\nUh \xE2\x80\x93 Oh\n", "n/Uh \xE2\x80\x93 Oh");
	expect("n\n\xF0\x9F\x98\x80\n", "n/\xF0\x9F\x98\x80");

	/* invalid UTF-8, with the line */
	expect_err("a\nb\n\xFF\n", 6, EINVAL, "invalid UTF-8 at line 3");
	expect_err("a\n\xC0\xAF\n", 5, EINVAL, "invalid UTF-8 at line 2");         /* overlong */
	expect_err("a\n\xED\xA0\x80\n", 6, EINVAL, "invalid UTF-8 at line 2");     /* surrogate */
	expect_err("a\n\xF4\x90\x80\x80\n", 7, EINVAL, "invalid UTF-8 at line 2"); /* > U+10FFFF */
	expect_err("a\n\xE2\x80", 4, EINVAL, "invalid UTF-8 at line 2");           /* truncated */
	expect_err("a\n\"x\ny\"\n\x80", 9, EINVAL, "invalid UTF-8 at line 4");
	expect_err("a\nb\0c\n", 6, EINVAL, "NUL byte at line 2");
	expect_err("\x7F" "ELF\x02\x01\x01\0\0\0", 10, EINVAL, "NUL byte at line 1");

	/* delimiter */
	{
		char out[256], msg[MDC_ERRMSG_MAX];
		const char *d = "a|b\n1|\"x|y\"\n";
		CHECK_INT(dump(d, strlen(d), '|', 0, out, sizeof out, msg), 0);
		CHECK_STR(out, "a|b/1|x|y");
		const char *t = "a\tb\n1\t2\n";
		CHECK_INT(dump(t, strlen(t), '\t', 0, out, sizeof out, msg), 0);
		CHECK_STR(out, "a|b/1|2");
		mdc_csv_reader *r = NULL;
		mdc_error err;
		CHECK_INT(mdc_csv_open_file(stdin, '"', 0, &r, &err), -EINVAL);
		CHECK(r == NULL);
	}
	/* a field above max_field */
	{
		char out[256], msg[MDC_ERRMSG_MAX];
		const char *d = "a\nshort\n0123456789abcdefXYZ\n";
		CHECK_INT(dump(d, strlen(d), 0, 16, out, sizeof out, msg), -EFBIG);
		CHECK_STR(msg, "field too large at line 3");
		const char *q = "a\n\"0123456789\n0123456789\"\n";
		CHECK_INT(dump(q, strlen(q), 0, 16, out, sizeof out, msg), -EFBIG);
		CHECK_STR(msg, "field too large at line 3");
		/* exactly max_field bytes is fine (the bulk copy of plain runs
		 * stops at the limit, the byte after it fails) */
		const char *e = "a,b\n0123456789abcdef,x\n\"0123456789abcdef\",y\n";
		CHECK_INT(dump(e, strlen(e), 0, 16, out, sizeof out, msg), 0);
		CHECK_STR(out, "a|b/0123456789abcdef|x/0123456789abcdef|y");
		const char *e2 = "a,b\nx,0123456789abcdefg\n";
		CHECK_INT(dump(e2, strlen(e2), 0, 16, out, sizeof out, msg), -EFBIG);
		CHECK_STR(msg, "field too large at line 2");
	}
	/* plain runs mixed with every special byte: the same records whether the
	 * input arrives whole or one byte per read(2) */
	{
		const char *d = "h1;h2;h3\r\nab;\"c;d\"\"e\";f\ng\"h;;\"x\"y\r"
				"\xC3\xA9t\xC3\xA9;\"l1\r\nl2\";z\n\n;;\n tail ;\"open";
		char whole[1024], msg[MDC_ERRMSG_MAX];
		CHECK_INT(dump(d, strlen(d), ';', 0, whole, sizeof whole, msg), 0);
		CHECK_STR(whole, "h1|h2|h3/ab|c;d\"e|f/g\"h||xy/\xC3\xA9t\xC3\xA9|l1\nl2|z/<blank>/||/ tail |open");
		/* SOCK_SEQPACKET: every read(2) returns one 1-byte message */
		int fds[2];
		CHECK_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
		size_t len = strlen(d);
		for (size_t i = 0; i < len; i++)
			CHECK_INT(write(fds[1], d + i, 1), 1);
		close(fds[1]);
		mdc_csv_reader *r = NULL;
		mdc_error err;
		CHECK_INT(mdc_csv_open_fd(fds[0], ';', 0, &r, &err), 0);
		char bytewise[1024];
		size_t o = 0;
		int rc;
		bytewise[0] = '\0';
		for (;;) {
			const mdc_csv_field *fl;
			size_t n;
			int blank;
			rc = mdc_csv_next(r, &fl, &n, &blank, &err);
			if (rc <= 0)
				break;
			if (o)
				o += (size_t)snprintf(bytewise + o, sizeof bytewise - o, "/");
			if (blank)
				o += (size_t)snprintf(bytewise + o, sizeof bytewise - o, "<blank>");
			for (size_t i = 0; i < n; i++)
				o += (size_t)snprintf(bytewise + o, sizeof bytewise - o, "%s%.*s", i ? "|" : "",
						      (int)fl[i].len, fl[i].ptr);
		}
		CHECK_INT(rc, 0);
		CHECK_STR(bytewise, whole);
		mdc_csv_close(r);
		close(fds[0]);
	}
	/* big input across buffer boundaries; line numbers and CRLF split over reads */
	{
		size_t rows = 200000;
		char *big = malloc(rows * 16 + 64);
		size_t o = (size_t)sprintf(big, "id,v\r\n");
		for (size_t i = 0; i < rows; i++)
			o += (size_t)sprintf(big + o, "%zu,\"x\r\ny\"\r\n", i);
		FILE *f = fmemopen(big, o, "r");
		mdc_csv_reader *r = NULL;
		mdc_error err;
		CHECK_INT(mdc_csv_open_file(f, 0, 0, &r, &err), 0);
		const mdc_csv_field *fl;
		size_t n;
		int blank, rc;
		size_t count = 0, bad = 0;
		CHECK_INT(mdc_csv_next(r, &fl, &n, &blank, &err), 1);
		while ((rc = mdc_csv_next(r, &fl, &n, &blank, &err)) == 1) {
			if (n != 2 || fl[1].len != 3 || memcmp(fl[1].ptr, "x\ny", 3) != 0 ||
			    (size_t)atol(fl[0].ptr) != count)
				bad++;
			if (mdc_csv_record_line(r) != (int64_t)(2 + 2 * count))
				bad++;
			count++;
		}
		CHECK_INT(rc, 0);
		CHECK_INT(count, rows);
		CHECK_INT(bad, 0);
		CHECK_INT(mdc_csv_bytes_read(r), o);
		/* after the end, still the end */
		CHECK_INT(mdc_csv_next(r, &fl, &n, &blank, &err), 0);
		mdc_csv_close(r);
		fclose(f);
		free(big);
	}
	/* errors are sticky */
	{
		const char *d = "a\n\xFF\nb\n";
		FILE *f = fmemopen((void *)d, strlen(d), "r");
		mdc_csv_reader *r = NULL;
		mdc_error err;
		const mdc_csv_field *fl;
		size_t n;
		CHECK_INT(mdc_csv_open_file(f, 0, 0, &r, &err), 0);
		CHECK_INT(mdc_csv_next(r, &fl, &n, NULL, &err), 1);
		CHECK_INT(mdc_csv_next(r, &fl, &n, NULL, &err), -EINVAL);
		CHECK_INT(mdc_csv_next(r, &fl, &n, NULL, &err), -EINVAL);
		CHECK_STR(err.message, "invalid UTF-8 at line 2");
		mdc_csv_close(r);
		fclose(f);
	}
	/* every fixture file reads without error */
	{
		const char *dir = getenv("MDFS_SEED_FIXTURES");
		if (dir) {
			char cmd[1024];
			snprintf(cmd, sizeof cmd, "find '%s' -name '*.csv' | sort", dir);
			FILE *p = popen(cmd, "r");
			char path[1024];
			int files = 0;
			while (p && fgets(path, sizeof path, p)) {
				path[strcspn(path, "\n")] = '\0';
				FILE *f = fopen(path, "r");
				mdc_csv_reader *r = NULL;
				mdc_error err;
				const mdc_csv_field *fl;
				size_t n;
				int rc;
				CHECK_INT(mdc_csv_open_file(f, 0, 0, &r, &err), 0);
				while ((rc = mdc_csv_next(r, &fl, &n, NULL, &err)) == 1)
					;
				CHECK_INT(rc, 0);
				if (rc)
					fprintf(stderr, "  %s: %s\n", path, err.message);
				mdc_csv_close(r);
				fclose(f);
				files++;
			}
			if (p)
				pclose(p);
			CHECK(files >= 20);
		}
	}
	return testutil_finish("test_csv_in");
}
