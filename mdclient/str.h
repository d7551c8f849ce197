/* mdclient/str.h - the one file-name suffix test, in mdclient and fs/. */
#ifndef MDCLIENT_STR_H
#define MDCLIENT_STR_H

#include <stdbool.h>

#include "mdclient/common.h"

/* True when s is longer than suffix and ends with it: the suffix alone is
 * no such name (".csv" names no table file or seed, "-aws" no region).
 * s may be NULL (false). */
bool mdc_has_suffix(const char *s, const char *suffix) MDC_MUSTCHECK;

#endif
