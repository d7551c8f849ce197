/* fs/names.c - the reversible catalog-name ↔ file-name rule (see names.h). */
#include "fs/names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int is_dots(const char *s)
{
	return strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

char *mdfs_name_encode(const char *name)
{
	size_t n = strlen(name);
	char *out = malloc(3 * n + 2), *p = out;
	if (!out)
		return NULL;
	if (n == 0) {
		strcpy(out, "%");
		return out;
	}
	int dots = is_dots(name);
	for (const char *s = name; *s; s++) {
		if (*s == '%') {
			memcpy(p, "%25", 3), p += 3;
		} else if (*s == '/') {
			memcpy(p, "%2F", 3), p += 3;
		} else if (dots && *s == '.') {
			memcpy(p, "%2E", 3), p += 3;
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	return out;
}

char *mdfs_name_decode(const char *enc, size_t len)
{
	char *out = malloc(len + 1), *p = out;
	if (!out)
		return NULL;
	if (len == 1 && enc[0] == '%') {
		out[0] = '\0';
		return out;
	}
	for (size_t i = 0; i < len; i++) {
		if (enc[i] == '\0' || enc[i] == '/')
			goto invalid;
		if (enc[i] != '%') {
			*p++ = enc[i];
			continue;
		}
		if (i + 2 >= len)
			goto invalid;
		char h1 = enc[i + 1], h2 = enc[i + 2];
		if (h1 == '2' && h2 == '5')
			*p++ = '%';
		else if (h1 == '2' && h2 == 'F')
			*p++ = '/';
		else if (h1 == '2' && h2 == 'E')
			*p++ = '.';
		else
			goto invalid;
		i += 2;
	}
	*p = '\0';
	/* Every name has exactly one encoding: "%2E" only inside "." / "..",
	 * never "%2e" or a literal dot there. Re-encoding must give the input. */
	char *again = mdfs_name_encode(out);
	if (!again) {
		free(out);
		errno = ENOMEM;
		return NULL;
	}
	int same = strlen(again) == len && memcmp(again, enc, len) == 0;
	free(again);
	if (!same)
		goto invalid;
	return out;
invalid:
	free(out);
	errno = ENOENT;
	return NULL;
}
