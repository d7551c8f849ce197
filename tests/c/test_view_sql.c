/* Unit tests of what a view's NAME.sql may hold (mdclient/internal/view_sql.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mdclient/internal/view_sql.h"
#include "testutil.h"

/* text for view shop.s."v;1" gives columns and body (NULL columns: none). */
static void ok(const char *text, const char *columns, const char *body)
{
	mdc_view_parts p;
	mdc_error e;
	mdc_error_clear(&e);
	int rc = mdc_view_split(text, strlen(text), "shop", "s", "v;1", &p, &e);
	if (rc != 0)
		fprintf(stderr, "refused: %s: %s\n", text, e.message);
	CHECK_INT(rc, 0);
	if (rc == 0) {
		if (columns)
			CHECK_STR(p.columns, columns);
		else
			CHECK(p.columns == NULL);
		CHECK_STR(p.body, body);
	}
	mdc_view_parts_free(&p);
}

/* text is refused with a reason containing why. */
static void bad(const char *text, const char *why)
{
	mdc_view_parts p;
	mdc_error e;
	mdc_error_clear(&e);
	CHECK_INT(mdc_view_split(text, strlen(text), "shop", "s", "v;1", &p, &e), -EINVAL);
	if (!strstr(e.message, why))
		fprintf(stderr, "%s: reason \"%s\" lacks \"%s\"\n", text, e.message, why);
	CHECK(strstr(e.message, why) != NULL);
	CHECK(p.body == NULL && p.columns == NULL);
}

int main(void)
{
	/* Queries, as written (trailing blanks and the last ';' go). */
	ok("select 1", NULL, "select 1");
	ok("  -- a view\nSELECT 1 AS a;\n", NULL, "SELECT 1 AS a");
	ok("with x as (select 1) select * from x;;  -- end\n", NULL, "with x as (select 1) select * from x");
	ok("FROM t", NULL, "FROM t");
	ok("VALUES (1), (2)", NULL, "VALUES (1), (2)");
	ok("select ';' as \"a;b\", $$ ; ' $$, E'\\'; x', $q$;$q$ /* ; /* ; */ */", NULL,
	   "select ';' as \"a;b\", $$ ; ' $$, E'\\'; x', $q$;$q$ /* ; /* ; */ */");
	ok("select 'it''s; fine'", NULL, "select 'it''s; fine'");
	/* CREATE VIEW for this view: the body and the column list. */
	ok("CREATE VIEW \"v;1\" AS select 2", NULL, "select 2");
	ok("create or replace view s.\"v;1\" as\n select 2;", NULL, "select 2");
	ok("CREATE VIEW shop.s.\"v;1\" (a, \"b)\") AS select 1, 2", "(a, \"b)\")", "select 1, 2");
	ok("CREATE VIEW S . \"v;1\"\nAS\n\tSELECT 3;\n", NULL, "SELECT 3");
	ok("/* c */ CREATE /* x */ VIEW \"v;1\" AS (select 4)", NULL, "(select 4)");
	/* Refused. */
	bad("", "no query");
	bad("  -- nothing\n", "no query");
	bad(";", "no query");
	bad("select 1; drop table t", "one statement");
	bad("select 1; select 2;", "one statement");
	bad("select $$;$$; select 2", "one statement");
	bad("select 'x", "string does not end");
	bad("select \"x", "quoted name does not end");
	bad("select 1 /* x", "comment does not end");
	bad("select $a$ x", "dollar-quoted string does not end");
	bad("CREATE VIEW other AS select 1", "can only define view");
	bad("CREATE VIEW \"V;1\" AS select 1", "can only define view");
	bad("CREATE VIEW t.\"v;1\" AS select 1", "can only define view");
	bad("CREATE VIEW analytics.s.\"v;1\" AS select 1", "can only define view");
	bad("CREATE VIEW a.shop.s.\"v;1\" AS select 1", "at most three parts");
	bad("CREATE TEMP VIEW \"v;1\" AS select 1", "TEMP");
	bad("CREATE MATERIALIZED VIEW \"v;1\" AS select 1", "MATERIALIZED");
	bad("CREATE VIEW IF NOT EXISTS \"v;1\" AS select 1", "IF NOT EXISTS");
	bad("CREATE TABLE \"v;1\" AS select 1", "defines a view");
	bad("CREATE VIEW \"v;1\" select 1", "AS expected");
	bad("CREATE VIEW \"v;1\" (a AS select 1", "column list does not end");
	bad("CREATE VIEW \"v;1\" AS select 1; DROP TABLE x", "one statement");
	bad("CREATE VIEW \"v;1\"", "AS expected");
	mdc_view_parts p;
	CHECK_INT(mdc_view_split("select 1\0; drop", 16, "shop", "s", "v;1", &p, NULL), -EINVAL);
	return testutil_finish("test_view_sql");
}
