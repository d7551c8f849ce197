/* fs/views.h - a view written as a file: "<name>.sql" in a schema directory
 * (a query, or CREATE [OR REPLACE] VIEW for that name; rules in
 * mdclient/ddl.h mdc_define_view), applied when its writer closes it
 * (fs/writes.h spools it and calls this, as it loads a table's CSV).
 */
#ifndef MDFS_VIEWS_H
#define MDFS_VIEWS_H

#include "mdclient/common.h"
#include "mdclient/error.h"

struct mdfs;

/* The largest view definition a file may hold. */
#define MDFS_VIEW_MAX ((size_t)1 << 20)

/* Create or replace view db.schema.name from the text in fd (a spool, read
 * from offset 0), on a pooled connection. 0, or -errno with err saying why
 * (-EFBIG past MDFS_VIEW_MAX). */
int mdfs_view_define(struct mdfs *m, int fd, const char *db, const char *schema, const char *name,
		     mdc_error *err) MDC_MUSTCHECK;

#endif
