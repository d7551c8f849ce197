/* mdclient/internal/view_sql.h - what a user wrote into a view's NAME.sql,
 * taken apart before mdfs builds its own CREATE OR REPLACE VIEW
 * (mdclient-internal; see ddl.h mdc_define_view).
 *
 * The text is either a query (SELECT, WITH, FROM, VALUES, ... : anything that
 * does not start with CREATE) or a whole CREATE [OR REPLACE] VIEW statement
 * whose name is the file's view: NAME, SCHEMA.NAME or DB.SCHEMA.NAME, each
 * part quoted ("...", compared exactly) or not (compared ignoring ASCII case).
 * Leading comments and blanks are skipped. The query must be one statement:
 * a ';' outside strings, quoted names, comments and dollar quotes may only be
 * followed by blanks, comments and more ';'. The lexer knows '...' (with ''),
 * E'...' (backslash escapes), "...", -- and nested slash-star comments, and
 * $tag$...$tag$; it errs on the side of refusing. It never decides alone: the
 * statement still goes to the server as one extended-protocol statement,
 * which refuses a second one.
 */
#ifndef MDCLIENT_INTERNAL_VIEW_SQL_H
#define MDCLIENT_INTERNAL_VIEW_SQL_H

#include <stddef.h>
#include "mdclient/common.h"
#include "mdclient/error.h"

typedef struct mdc_view_parts {
	char *columns;  /* "(a, b)" as written after the name, or NULL */
	char *body;     /* the query, without the final ';' and what follows it */
} mdc_view_parts;

/* Split text (len bytes; NUL bytes are refused) for the view
 * db.schema.name. 0 and *out (free with mdc_view_parts_free), or -EINVAL
 * with err saying why (empty, another name, TEMPORARY/MATERIALIZED/
 * RECURSIVE/IF NOT EXISTS, no AS, more than one statement, unterminated
 * quote or comment), or -ENOMEM. */
int mdc_view_split(const char *text, size_t len, const char *db, const char *schema,
		   const char *name, mdc_view_parts *out, mdc_error *err) MDC_MUSTCHECK;
void mdc_view_parts_free(mdc_view_parts *p);

#endif
