/* fs/names.h - how catalog names become file names, reversibly.
 *
 * A database, schema or table name may hold any character; a file name may
 * not hold '/' and may not be "." or "..". The rule (also in mdfs.1):
 *   - '%' becomes "%25" and '/' becomes "%2F";
 *   - a name that is exactly "." or ".." (or empty) has every '.' written
 *     "%2E" (so "." is "%2E", ".." is "%2E%2E", "" is "%");
 *   - every other byte is kept as it is (UTF-8 names stay readable).
 * Decoding undoes exactly that; any other "%XY" sequence and a lone '%'
 * (except the empty-name marker) are invalid and never match a table.
 * Relations appear as "<encoded name>.<format>" (".csv").
 */
#ifndef MDFS_NAMES_H
#define MDFS_NAMES_H

#include "mdclient/common.h"

#include <stddef.h>

/* Encode name; returns a malloc'd string (caller frees) or NULL on ENOMEM. */
char *mdfs_name_encode(const char *name) MDC_MUSTCHECK;
/* Decode a file-name component of length len; returns a malloc'd string
 * (caller frees), or NULL with errno ENOENT (invalid encoding) / ENOMEM. */
char *mdfs_name_decode(const char *enc, size_t len) MDC_MUSTCHECK;

#endif
