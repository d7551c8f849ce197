/* mdclient/error.h - the one error path of mdclient.
 *
 * Every mdclient call that can fail returns 0 on success or a negative errno
 * (-EIO, -EACCES, ...) and, when given a non-NULL mdc_error, fills it with the
 * same errno, the SQLSTATE if the server sent one, and a one-line reason that
 * is safe to show a user: it never contains the token.
 *
 * SQLSTATE → errno (mdc_errno_for_sqlstate):
 *   08xxx connection exception, 57P0x shutdown, libpq failure  → EIO
 *   28xxx invalid authorization                                → EACCES
 *   42501 insufficient privilege                               → EACCES
 *   3D000 / 3F000 / 42P01 / 42704 / 42883 undefined object      → ENOENT
 *   42P07 / 42710 duplicate object                              → EEXIST
 *   0A000 feature not supported                                 → ENOTSUP
 *   22xxx data exception, 23xxx integrity, 42601 syntax, 42xxx  → EINVAL
 *   53xxx insufficient resources                                → ENOSPC
 *   57014 query canceled (statement timeout or cancel)          → ETIMEDOUT
 *   40xxx transaction rollback (serialization, deadlock)        → EAGAIN
 *   anything else                                              → EIO
 */
#ifndef MDCLIENT_ERROR_H
#define MDCLIENT_ERROR_H

#include "mdclient/common.h"

#define MDC_ERRMSG_MAX 512

typedef struct mdc_error {
	int errnum;                  /* positive errno, 0 when no error */
	char sqlstate[6];            /* "" when the failure has no SQLSTATE */
	char message[MDC_ERRMSG_MAX];/* one line, no trailing newline */
} mdc_error;

/* Reset *e to "no error". e may be NULL. */
void mdc_error_clear(mdc_error *e);

/* Fill *e (if e is not NULL) and return -errnum. The message is formatted
 * with printf rules; newlines are folded to spaces. */
int mdc_error_set(mdc_error *e, int errnum, const char *fmt, ...) MDC_PRINTF(3, 4);

/* Same, with a SQLSTATE (may be NULL). */
int mdc_error_set_sqlstate(mdc_error *e, int errnum, const char *sqlstate,
			   const char *fmt, ...) MDC_PRINTF(4, 5);

/* The errno for a five-character SQLSTATE (table above). NULL or "" → EIO. */
int mdc_errno_for_sqlstate(const char *sqlstate);

#endif
