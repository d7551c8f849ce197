/* tests/c/testutil.h - a tiny test framework for the C tests.
 *
 * CHECK(cond) records a failure with file:line and goes on; the test's main
 * returns testutil_finish(), which prints "N checks, N failed" and exits
 * non-zero on any failure.
 *
 * Integration tests get their server from the environment, set by pytest:
 *   MDFS_TEST_SOURCE  a libpq DSN without password (host, port, dbname,
 *                     sslmode=verify-full, sslrootcert=<test CA>, user)
 *   MOTHERDUCK_TOKEN  the token (the password)
 *   MDFS_TEST_ENGINE  "duckdb" (the stand-in) or "postgres"
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdio.h>
#include <string.h>

extern int testutil_checks;
extern int testutil_failures;

#define CHECK(cond) do { \
	testutil_checks++; \
	if (!(cond)) { \
		testutil_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *ca_ = (a), *cb_ = (b); \
	testutil_checks++; \
	if (!ca_ || !cb_ || strcmp(ca_, cb_) != 0) { \
		testutil_failures++; \
		fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", \
			__FILE__, __LINE__, #a, ca_ ? ca_ : "(null)", cb_ ? cb_ : "(null)"); \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long ca_ = (long long)(a), cb_ = (long long)(b); \
	testutil_checks++; \
	if (ca_ != cb_) { \
		testutil_failures++; \
		fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %lld, expected %lld\n", \
			__FILE__, __LINE__, #a, ca_, cb_); \
	} \
} while (0)

/* Print the summary; returns the process exit status (0 only if all passed). */
int testutil_finish(const char *name);
/* getenv that aborts the test (exit 2) with a message when the variable is unset. */
const char *testutil_env(const char *name);

#endif
