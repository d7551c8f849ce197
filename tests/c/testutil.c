#include "testutil.h"
#include <stdlib.h>

int testutil_checks;
int testutil_failures;

int testutil_finish(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, testutil_checks, testutil_failures);
	return testutil_failures ? 1 : 0;
}

const char *testutil_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "environment variable %s is not set (run through pytest)\n", name);
		exit(2);
	}
	return v;
}
