/* fs/paths.h - the path model of the mount: a path split into decoded
 * catalog names.
 *
 * Tree: /                       databases              (depth 0)
 *       /<db>                   schemas                (depth 1)
 *       /<db>/<schema>          relations and spooled files  (depth 2)
 *       /<db>/<schema>/<file>   a file                 (depth 3)
 * Directory components are encoded names (fs/names.h). Any file name may be
 * spooled in a schema directory; only "<encoded name>.csv",
 * "<encoded name>.parquet" and "<encoded name>.sql" name a relation (rel, fmt).
 *
 * Query files (fs/queries.h) live apart, in /.queries (a dot name: no
 * database is called that, and ls hides it): queries is set, depth 1 is
 * the directory and depth 2 a file in it, whose "<encoded name>.sql",
 * ".csv" or ".parquet" gives rel (decoded like a table's name) and fmt.
 */
#ifndef MDFS_PATHS_H
#define MDFS_PATHS_H

#include <stdbool.h>

#include "mdclient/common.h"

#define MDFS_CSV_SUFFIX ".csv"
#define MDFS_PARQUET_SUFFIX ".parquet"
#define MDFS_SQL_SUFFIX ".sql"
#define MDFS_QUERIES_DIR ".queries"

enum mdfs_format { MDFS_FMT_NONE = 0, MDFS_FMT_CSV, MDFS_FMT_PARQUET, MDFS_FMT_SQL };

struct mdfs_path {
	int depth;               /* 0 = root ... 3 = a file in a schema directory */
	bool queries;            /* in /.queries: depth 1 the directory, 2 a file */
	enum mdfs_format fmt;    /* of rel */
	char *db, *schema;       /* decoded; NULL above their depth */
	char *rel;               /* decoded relation name of a file; NULL when the
				  * file name names none */
	char *fname[3];          /* the raw (encoded) components */
};

/* Split path ("/db/schema/file", extra slashes allowed) into *p. Returns 0
 * (release with mdfs_path_free), -ENOENT for a path deeper than a file or a
 * directory name that is not a valid encoding, or -ENOMEM; on failure *p
 * holds nothing. */
int mdfs_path_parse(const char *path, struct mdfs_path *p) MDC_MUSTCHECK;
void mdfs_path_free(struct mdfs_path *p);

#endif
