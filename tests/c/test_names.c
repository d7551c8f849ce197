/* Unit tests of the reversible name rule (fs/names.h). */
#include <errno.h>
#include <stdlib.h>
#include "fs/names.h"
#include "testutil.h"

static void roundtrip(const char *name, const char *expected)
{
	char *enc = mdfs_name_encode(name);
	CHECK_STR(enc, expected);
	char *dec = mdfs_name_decode(enc, strlen(enc));
	CHECK_STR(dec, name);
	free(enc);
	free(dec);
}

static void invalid(const char *enc)
{
	errno = 0;
	char *dec = mdfs_name_decode(enc, strlen(enc));
	CHECK(dec == NULL);
	CHECK_INT(errno, ENOENT);
	free(dec);
}

int main(void)
{
	roundtrip("orders", "orders");
	roundtrip("a/b", "a%2Fb");
	roundtrip("100%", "100%25");
	roundtrip("%2F", "%252F");
	roundtrip(".", "%2E");
	roundtrip("..", "%2E%2E");
	roundtrip("", "%");
	roundtrip("...", "...");
	roundtrip(".hidden", ".hidden");
	roundtrip("seed.with.dots", "seed.with.dots");
	roundtrip("Straße – ünïcode", "Straße – ünïcode");
	roundtrip("we\"ird; name", "we\"ird; name");
	invalid("%2e");        /* lower case is not the encoding */
	invalid("%2E.");       /* "..": either both escaped or it is not canonical */
	invalid("a%2Eb");      /* a dot that needs no escape */
	invalid("%41");        /* only %25, %2F, %2E exist */
	invalid("abc%");       /* truncated */
	invalid("abc%2");
	invalid(".");
	invalid("..");
	/* length-limited decode ignores what follows */
	char *d = mdfs_name_decode("orders.csv", 6);
	CHECK_STR(d, "orders");
	free(d);
	return testutil_finish("test_names");
}
