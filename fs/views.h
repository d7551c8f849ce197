/* fs/views.h - a view written as a file: "<name>.sql" in a schema directory
 * (a query, or CREATE [OR REPLACE] VIEW for that name; rules in
 * mdclient/ddl.h mdc_define_view), applied when its writer closes it
 * (fs/writes.h spools it and runs mdfs_view_kind, as it loads a table's
 * CSV).
 */
#ifndef MDFS_VIEWS_H
#define MDFS_VIEWS_H

#include "mdclient/common.h"

/* The largest view definition a file may hold. */
#define MDFS_VIEW_MAX ((size_t)1 << 20)

#endif
