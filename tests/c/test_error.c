/* tests/c/test_error.c - SQLSTATE -> errno mapping and mdc_error filling. */
#include <errno.h>
#include <string.h>

#include "mdclient/error.h"
#include "testutil.h"

static void test_mapping(void)
{
	static const struct {
		const char *state;
		int errnum;
	} cases[] = {
		{ "08000", EIO }, { "08006", EIO }, { "08001", EIO }, { "57P01", EIO },
		{ "57P02", EIO }, { "57P03", EIO },
		{ "28000", EACCES }, { "28P01", EACCES }, { "42501", EACCES },
		{ "3D000", ENOENT }, { "3F000", ENOENT }, { "42P01", ENOENT },
		{ "42704", ENOENT }, { "42883", ENOENT },
		{ "42P07", EEXIST }, { "42710", EEXIST },
		{ "0A000", ENOTSUP },
		{ "22000", EINVAL }, { "22P02", EINVAL }, { "23505", EINVAL }, { "42601", EINVAL },
		{ "42703", EINVAL }, { "42804", EINVAL },
		{ "53000", ENOSPC }, { "53100", ENOSPC }, { "53200", ENOSPC },
		{ "57014", ETIMEDOUT },
		{ "40001", EAGAIN }, { "40P01", EAGAIN },
		{ "XX000", EIO }, { "P0001", EIO }, { "55000", EIO }, { "57000", EIO },
		{ "", EIO }, { "4250", EIO }, { "425011", EIO },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = mdc_errno_for_sqlstate(cases[i].state);
		if (got != cases[i].errnum)
			fprintf(stderr, "SQLSTATE \"%s\": ", cases[i].state);
		CHECK_INT(got, cases[i].errnum);
	}
	CHECK_INT(mdc_errno_for_sqlstate(NULL), EIO);
}

static void test_fill(void)
{
	mdc_error e;
	memset(&e, 'x', sizeof e);
	mdc_error_clear(&e);
	CHECK_INT(e.errnum, 0);
	CHECK_STR(e.sqlstate, "");
	CHECK_STR(e.message, "");
	mdc_error_clear(NULL);

	CHECK_INT(mdc_error_set(&e, ENOENT, "no table %s", "t"), -ENOENT);
	CHECK_INT(e.errnum, ENOENT);
	CHECK_STR(e.sqlstate, "");
	CHECK_STR(e.message, "no table t");

	/* A negative errno is accepted too. */
	CHECK_INT(mdc_error_set(&e, -EACCES, "denied"), -EACCES);
	CHECK_INT(e.errnum, EACCES);

	CHECK_INT(mdc_error_set_sqlstate(&e, EEXIST, "42P07", "line one\nline two\n"), -EEXIST);
	CHECK_STR(e.sqlstate, "42P07");
	CHECK_STR(e.message, "line one line two");
	CHECK_INT(mdc_error_set_sqlstate(&e, EIO, NULL, "x"), -EIO);
	CHECK_STR(e.sqlstate, "");

	/* NULL error: still the return value. */
	CHECK_INT(mdc_error_set(NULL, EIO, "ignored"), -EIO);
	CHECK_INT(mdc_error_set_sqlstate(NULL, ETIMEDOUT, "57014", "ignored"), -ETIMEDOUT);

	/* Long messages are truncated, never overflow. */
	char big[2000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_INT(mdc_error_set(&e, EIO, "%s", big), -EIO);
	CHECK_INT(strlen(e.message), MDC_ERRMSG_MAX - 1);
}

int main(void)
{
	test_mapping();
	test_fill();
	return testutil_finish("test_error");
}
