/* tests/c/test_dbt_project.c - dbt_project.yml / property files / profiles.yml
 * read as dbt reads them (mdclient/dbt_project.h), on projects made here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdclient/dbt_project.h"
#include "mdclient/internal/yaml_doc.h"
#include "testutil.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void rm_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

static const mdc_dbt_seed *seed(const mdc_dbt_project *p, const char *name)
{
	for (size_t i = 0; p && i < p->n_seeds; i++)
		if (strcmp(p->seeds[i].name, name) == 0)
			return &p->seeds[i];
	return NULL;
}

static const char *ctype(const mdc_dbt_seed *s, const char *col)
{
	for (size_t i = 0; s && i < s->n_column_types; i++)
		if (strcmp(s->column_types[i].column, col) == 0)
			return s->column_types[i].sql_type;
	return NULL;
}

static void test_config_tree(void)
{
	put("dbt_project.yml",
	    "name: shop\n"
	    "profile: shop_profile\n"
	    "seed-paths: [data]\n"
	    "seeds:\n"
	    "  +quote_columns: true\n"
	    "  shop:\n"
	    "    +column_types: {id: bigint, code: text}\n"
	    "    raw:\n"
	    "      +schema: raw\n"
	    "      +column_types: {code: varchar(10)}\n"
	    "      orders:\n"
	    "        +alias: all_orders\n"
	    "        +delimiter: \"|\"\n"
	    "        column_types: {ignored: int}\n"
	    "        full_refresh: false\n"
	    "    off:\n"
	    "      +enabled: false\n");
	put("data/raw/orders.csv", "id|code\n1|a\n");
	put("data/raw/customers.csv", "id,code\n");
	put("data/off/old.csv", "x\n");
	put("data/top.with.dots.csv", "x\n");
	put("models/schema.yml",
	    "version: 2\n"
	    "models:\n"
	    "  - name: m\n"
	    "    description: \"{{ doc('m') }}\"\n"
	    "seeds:\n"
	    "  - name: customers\n"
	    "    config:\n"
	    "      column_types: {id: integer}\n"
	    "      schema: crm\n"
	    "      +quote_columns: false\n");

	mdc_dbt_project *p = NULL;
	mdc_error err;
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), 0);
	if (!p) {
		fprintf(stderr, "%s\n", err.message);
		return;
	}
	CHECK_STR(p->name, "shop");
	CHECK_STR(p->profile, "shop_profile");
	CHECK_INT(p->n_seeds, 4);
	const mdc_dbt_seed *o = seed(p, "orders"), *c = seed(p, "customers");
	const mdc_dbt_seed *old = seed(p, "old"), *top = seed(p, "top.with.dots");
	CHECK(o && c && old && top);
	if (!o || !c || !old || !top)
		goto out;
	/* project level, then folder level (column_types merged key by key) */
	CHECK_STR(ctype(o, "id"), "bigint");
	CHECK_STR(ctype(o, "code"), "varchar(10)");
	CHECK(ctype(o, "ignored") == NULL);       /* a mapping without '+' is a path */
	CHECK_STR(o->schema, "raw");
	CHECK_STR(o->alias, "all_orders");
	CHECK_INT(o->delimiter, '|');
	CHECK_INT(o->full_refresh, 0);
	CHECK_INT(o->quote_columns, 1);
	CHECK_STR(o->fqn, "shop.raw.orders");
	/* the property file overrides the project file */
	CHECK_STR(ctype(c, "id"), "integer");
	CHECK_STR(ctype(c, "code"), "varchar(10)");
	CHECK_STR(c->schema, "crm");
	CHECK_INT(c->quote_columns, 0);
	CHECK_INT(c->full_refresh, -1);
	CHECK(c->alias == NULL);
	CHECK_INT(old->enabled, 0);
	CHECK_INT(top->enabled, 1);
	CHECK(top->schema == NULL);
	CHECK_INT(top->delimiter, ',');
	CHECK(strstr(top->path, "data/top.with.dots.csv") != NULL);
out:
	mdc_dbt_project_free(p);
}

static void test_env_var_and_jinja(void)
{
	char *s = NULL;
	mdc_error err;
	setenv("MDFS_T_DB", "shop", 1);
	unsetenv("MDFS_T_MISSING");
	CHECK_INT(mdc_dbt_render("md:{{ env_var('MDFS_T_DB') }}", "f.yml", 3, &s, &err), 0);
	CHECK_STR(s, "md:shop");
	free(s);
	CHECK_INT(mdc_dbt_render("{{env_var(\"MDFS_T_MISSING\", 'dflt')}}-{{ env_var('MDFS_T_DB') | as_text }}",
				 "f.yml", 3, &s, &err), 0);
	CHECK_STR(s, "dflt-shop");
	free(s);
	s = NULL;
	CHECK_INT(mdc_dbt_render("{{ env_var('MDFS_T_MISSING') }}", "f.yml", 4, &s, &err), -EINVAL);
	CHECK_STR(err.message, "f.yml:4: Env var required but not provided: 'MDFS_T_MISSING'");
	CHECK_INT(mdc_dbt_render("{{ var('x') }}", "f.yml", 5, &s, &err), -EINVAL);
	CHECK(strncmp(err.message, "f.yml:5: mdfs does not run Jinja", 32) == 0);
	CHECK(strstr(err.message, "{{ var('x') }}") != NULL);
	CHECK_INT(mdc_dbt_render("{% if x %}a{% endif %}", "f.yml", 6, &s, &err), -EINVAL);
	CHECK_INT(mdc_dbt_render("{{ env_var('A') ~ 'x' }}", "f.yml", 6, &s, &err), -EINVAL);
	CHECK_INT(mdc_dbt_render("plain {text} }}", "f.yml", 7, &s, &err), 0);
	CHECK_STR(s, "plain {text} }}");
	free(s);

	/* In a project: the line of the refused value */
	put("seeds/one.csv", "x\n");
	put("dbt_project.yml", "name: p\nseeds:\n  p:\n    +schema: \"{{ target.name }}\"\n");
	mdc_dbt_project *p = NULL;
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), -EINVAL);
	CHECK(strstr(err.message, "dbt_project.yml:4: mdfs does not run Jinja") != NULL);
	put("dbt_project.yml", "name: p\nseeds:\n  p:\n    +schema: \"{{ env_var('MDFS_T_DB') }}\"\n");
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), 0);
	CHECK_STR(p && p->n_seeds ? p->seeds[0].schema : "x", "shop");
	mdc_dbt_project_free(p);
}

static void test_errors(void)
{
	mdc_dbt_project *p = NULL;
	mdc_error err;
	put("dbt_project.yml", "name: p\nseeds:\n  p:\n    +schema: [unclosed\n");
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), -EINVAL);
	CHECK(strstr(err.message, "dbt_project.yml:5:") != NULL);
	put("dbt_project.yml", "name: p\nseeds:\n  +delimiter: ab\n");
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), -EINVAL);
	CHECK(strstr(err.message, "dbt_project.yml:3: delimiter must be one character") != NULL);
	put("dbt_project.yml", "name: p\nseeds:\n  +enabled: maybe\n");
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), -EINVAL);
	CHECK(strstr(err.message, ":3: enabled must be true or false") != NULL);
	put("dbt_project.yml", "name: p\n");
	put("seeds/props.yml", "seeds:\n  - name: x\n    config:\n      column_types: 5\n");
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), -EINVAL);
	CHECK(strstr(err.message, "props.yml:4: column_types must map") != NULL);
	put("seeds/props.yml", "seeds: []\n");
	put("seeds/a/dup.csv", "x\n");
	put("seeds/b/dup.csv", "x\n");
	CHECK_INT(mdc_dbt_project_load(root, &p, &err), -EINVAL);
	CHECK(strstr(err.message, "two seeds with the name \"dup\"") != NULL);
	char missing[128];
	snprintf(missing, sizeof missing, "%s/nowhere", root);
	CHECK_INT(mdc_dbt_project_load(missing, &p, &err), -ENOENT);
}

static void test_profiles(void)
{
	mdc_dbt_target t;
	mdc_error err;
	char path[128];
	snprintf(path, sizeof path, "%s/profiles.yml", root);
	setenv("MDFS_T_TOKEN", "s3cret", 1);
	put("profiles.yml",
	    "shop:\n"
	    "  target: pg\n"
	    "  outputs:\n"
	    "    pg:\n"
	    "      type: postgres\n"
	    "      host: 127.0.0.1\n"
	    "      port: 5433\n"
	    "      user: u\n"
	    "      password: \"{{ env_var('MDFS_T_TOKEN') }}\"\n"
	    "      dbname: \"{{ env_var('MDFS_T_MISSING', 'shopdb') }}\"\n"
	    "      schema: analytics\n"
	    "      threads: 2\n"
	    "    md:\n"
	    "      type: duckdb\n"
	    "      path: \"md:{{ env_var('MDFS_T_DB') }}\"\n"
	    "    lit:\n"
	    "      type: postgres\n"
	    "      host: h\n"
	    "      dbname: d\n"
	    "      schema: s\n"
	    "      password: hunter2\n"
	    "    local:\n"
	    "      type: duckdb\n"
	    "      path: local.duckdb\n");
	CHECK_INT(mdc_dbt_target_load(path, "shop", NULL, &t, &err), 0);
	CHECK_STR(t.target, "pg");
	CHECK_STR(t.type, "postgres");
	CHECK_STR(t.port, "5433");
	CHECK_STR(t.dbname, "shopdb");
	CHECK_STR(t.schema, "analytics");
	CHECK_STR(t.token, "s3cret");
	CHECK_INT(t.threads, 2);
	mdc_dbt_target_free(&t);
	CHECK_INT(mdc_dbt_target_load(path, "shop", "md", &t, &err), 0);
	CHECK_STR(t.type, "duckdb");
	CHECK_STR(t.database, "shop");
	CHECK_STR(t.schema, "main");
	CHECK(t.token == NULL);
	mdc_dbt_target_free(&t);
	CHECK_INT(mdc_dbt_target_load(path, "shop", "lit", &t, &err), -EINVAL);
	CHECK(strstr(err.message, "profiles.yml:21: password must be {{ env_var") != NULL);
	CHECK(strstr(err.message, "hunter2") == NULL);
	CHECK_INT(mdc_dbt_target_load(path, "shop", "local", &t, &err), -ENOTSUP);
	CHECK_INT(mdc_dbt_target_load(path, "shop", "nope", &t, &err), -ENOENT);
	CHECK_INT(mdc_dbt_target_load(path, "other", NULL, &t, &err), -ENOENT);
}

static void test_schema_name(void)
{
	char *s = mdc_dbt_schema_name("analytics", NULL);
	CHECK_STR(s, "analytics");
	free(s);
	s = mdc_dbt_schema_name("analytics", " raw ");
	CHECK_STR(s, "analytics_raw");
	free(s);
}

static void test_yaml(void)
{
	mdc_ydoc *d = NULL;
	mdc_error err;
	const char *y = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nq: 'true'\nn: ~\n";
	CHECK_INT(mdc_ydoc_parse(y, strlen(y), "t.yml", &d, &err), 0);
	const mdc_ynode *o = mdc_ymap_get(mdc_ydoc_root(d), "other");
	CHECK_STR(mdc_ymap_get(o, "x") ? mdc_ymap_get(o, "x")->str : NULL, "1");
	CHECK_STR(mdc_ymap_get(o, "y") ? mdc_ymap_get(o, "y")->str : NULL, "3");
	CHECK_INT(mdc_ybool(mdc_ymap_get(mdc_ydoc_root(d), "q")), 1);
	CHECK(mdc_ynull(mdc_ymap_get(mdc_ydoc_root(d), "n")));
	CHECK_INT(mdc_ymap_get(o, "y")->line, 4);
	mdc_ydoc_free(d);
	const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
	CHECK_INT(mdc_ydoc_parse(bad, strlen(bad), "bad.yml", &d, &err), -EINVAL);
	CHECK(strncmp(err.message, "bad.yml:", 8) == 0);
}

int main(void)
{
	snprintf(root, sizeof root, "/tmp/mdfs-dbt-XXXXXX");
	if (!mkdtemp(root))
		return 2;
	test_yaml();
	test_config_tree();
	rm_tree();
	mkdir(root, 0700);
	test_env_var_and_jinja();
	rm_tree();
	mkdir(root, 0700);
	test_errors();
	rm_tree();
	mkdir(root, 0700);
	test_profiles();
	test_schema_name();
	rm_tree();
	return testutil_finish("test_dbt_project");
}
