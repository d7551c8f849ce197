/* mdclient/error.c - the one error path: mdc_error and SQLSTATE -> errno.
 * See error.h for the contract and the mapping table. */
#include "mdclient/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mdc_error_clear(mdc_error *e)
{
	if (!e)
		return;
	e->errnum = 0;
	e->sqlstate[0] = '\0';
	e->message[0] = '\0';
}

/* Make the message one line: CR/LF/TAB become spaces, runs of spaces that
 * came from line breaks collapse, trailing whitespace is dropped. */
static void fold_line(char *s)
{
	char *w = s;
	int prev_space = 0;

	for (const char *r = s; *r; r++) {
		char ch = *r;
		if (ch == '\n' || ch == '\r' || ch == '\t') {
			if (!prev_space && w != s)
				*w++ = ' ';
			prev_space = 1;
			continue;
		}
		prev_space = (ch == ' ');
		*w++ = ch;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

static int error_vset(mdc_error *e, int errnum, const char *sqlstate,
		      const char *fmt, va_list ap) MDC_PRINTF(4, 0);

static int error_vset(mdc_error *e, int errnum, const char *sqlstate,
		      const char *fmt, va_list ap)
{
	if (errnum < 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = EIO;
	if (e) {
		e->errnum = errnum;
		if (sqlstate && strlen(sqlstate) == 5) {
			memcpy(e->sqlstate, sqlstate, 5);
			e->sqlstate[5] = '\0';
		} else {
			e->sqlstate[0] = '\0';
		}
		if (fmt) {
			vsnprintf(e->message, sizeof e->message, fmt, ap);
			fold_line(e->message);
		} else {
			snprintf(e->message, sizeof e->message, "%s", strerror(errnum));
		}
	}
	return -errnum;
}

int mdc_error_set(mdc_error *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = error_vset(e, errnum, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int mdc_error_set_sqlstate(mdc_error *e, int errnum, const char *sqlstate,
			   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = error_vset(e, errnum, sqlstate, fmt, ap);
	va_end(ap);
	return rc;
}

int mdc_errno_for_sqlstate(const char *s)
{
	if (!s || strlen(s) != 5)
		return EIO;

	/* Exact codes first: they override their class. */
	static const struct {
		const char *code;
		int errnum;
	} exact[] = {
		{ "42501", EACCES },
		{ "3D000", ENOENT }, { "3F000", ENOENT }, { "42P01", ENOENT },
		{ "42704", ENOENT }, { "42883", ENOENT },
		{ "42P07", EEXIST }, { "42710", EEXIST },
		{ "0A000", ENOTSUP },
		{ "42601", EINVAL },
		{ "57014", ETIMEDOUT },
		{ "55P03", EBUSY },     /* lock_not_available: lock_timeout passed */
	};
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strcmp(s, exact[i].code) == 0)
			return exact[i].errnum;

	if (strncmp(s, "57P0", 4) == 0)
		return EIO;

	static const struct {
		const char *cls;
		int errnum;
	} classes[] = {
		{ "08", EIO },
		{ "28", EACCES },
		{ "22", EINVAL }, { "23", EINVAL }, { "42", EINVAL },
		{ "53", ENOSPC },
		{ "40", EAGAIN },
	};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (strncmp(s, classes[i].cls, 2) == 0)
			return classes[i].errnum;
	return EIO;
}
