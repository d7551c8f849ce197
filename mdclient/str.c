/* mdclient/str.c - the one file-name suffix test (contract in str.h). */
#include "mdclient/str.h"

#include <string.h>

bool mdc_has_suffix(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}
