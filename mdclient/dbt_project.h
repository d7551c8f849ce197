/* mdclient/dbt_project.h - a dbt project's seeds and connection, read the way
 * dbt reads them, without running Jinja. Pure logic: no server, no libpq.
 *
 * Project (DIR/dbt_project.yml): `name`, `profile`, `seed-paths` (default
 * [seeds]), `model-paths` (default [models]) and the `seeds:` config tree.
 * Every *.csv under a seed path is a seed named by its file stem; its fqn is
 * [project name, folders…, seed name]. Configs are collected along the fqn,
 * outer to inner, as dbt does (`fqn_search`): at each level a `+key` is a
 * config, a key without `+` is a config when its value is not a mapping,
 * otherwise it names the next folder/seed. `column_types` merges key by key
 * (inner wins), every other config is replaced by the inner level. Seed
 * property files (*.yml / *.yaml under the seed and model paths:
 * `seeds: [{name: N, config: {...}}]`) are applied last, as in dbt.
 * Configs used: column_types, delimiter, quote_columns, schema, alias,
 * database, enabled, full_refresh; others are ignored.
 *
 * Jinja: in every value read here, `{{ env_var('X') }}` and
 * `{{ env_var('X', 'default') }}` (optionally followed by `| as_text`,
 * `| as_number`, `| as_bool`, `| as_native`, `| int`, `| string`) are
 * substituted from the environment; any other `{{ }}`, `{% %}` or `{# #}`
 * fails with -EINVAL "FILE:LINE: …". A missing variable without a default
 * fails as dbt does ("Env var required but not provided: 'X'").
 *
 * Errors: -errno with err->message "FILE:LINE: reason" for anything in a
 * file, -ENOENT for a missing dbt_project.yml / profiles.yml / profile /
 * target, -ENOMEM.
 */
#ifndef MDCLIENT_DBT_PROJECT_H
#define MDCLIENT_DBT_PROJECT_H

#include <stddef.h>
#include "mdclient/common.h"
#include "mdclient/error.h"
#include "mdclient/seed.h"

typedef struct mdc_dbt_seed {
	char *name;                 /* the file stem (dbt's seed name) */
	char *path;                 /* the CSV file: DIR/seed-path/folders/name.csv */
	char *fqn;                  /* "project.folder.name", for messages */
	/* resolved configs */
	int enabled;                /* default 1 */
	int full_refresh;           /* -1 unset (the command line decides), 0, 1 */
	char delimiter;             /* default ',' */
	int quote_columns;          /* default 1 */
	char *schema;               /* +schema (custom schema) or NULL */
	char *alias;                /* +alias or NULL */
	char *database;             /* +database or NULL */
	mdc_seed_column_type *column_types;  /* owned (strings too) */
	size_t n_column_types;
} mdc_dbt_seed;

typedef struct mdc_dbt_project {
	char *dir;
	char *name;
	char *profile;              /* NULL when the project names none */
	mdc_dbt_seed *seeds;        /* sorted by name, then path */
	size_t n_seeds;
} mdc_dbt_project;

/* Read DIR/dbt_project.yml, find the seeds and resolve their configs.
 * *out is freed with mdc_dbt_project_free. */
int mdc_dbt_project_load(const char *dir, mdc_dbt_project **out, mdc_error *err) MDC_MUSTCHECK;
void mdc_dbt_project_free(mdc_dbt_project *p);   /* NULL is fine */

/* A profile's target (profiles.yml). Strings owned; NULL when not given. */
typedef struct mdc_dbt_target {
	char *target;               /* the target's name */
	char *type;                 /* "postgres" or "duckdb" (others: -ENOTSUP) */
	char *host, *port, *user, *dbname, *sslmode, *sslrootcert;
	char *schema;               /* target schema; duckdb default "main" */
	char *database;             /* duckdb: the DB of path md:DB ("" for md:) */
	char *token;                /* only from an env_var(): password, or duckdb's
	                             * settings.motherduck_token / motherduck_token;
	                             * wiped on free */
	int threads;                /* 0 when not given */
} mdc_dbt_target;

/* Read profile `profile` from the file profiles_yml, target `target` (NULL:
 * the profile's `target`, else "default"). A token written literally in the
 * file is refused (-EINVAL): it must be an env_var(). */
int mdc_dbt_target_load(const char *profiles_yml, const char *profile, const char *target,
			mdc_dbt_target *out, mdc_error *err) MDC_MUSTCHECK;
void mdc_dbt_target_free(mdc_dbt_target *t);     /* accepts a zeroed target */

/* dbt's default generate_schema_name: target_schema, or
 * "<target_schema>_<custom trimmed>" when custom is set. malloc'd; NULL on OOM. */
char *mdc_dbt_schema_name(const char *target_schema, const char *custom);

/* Substitute env_var() in text (see above); file/line for errors.
 * *out malloc'd. */
int mdc_dbt_render(const char *text, const char *file, int line, char **out,
		   mdc_error *err) MDC_MUSTCHECK;

#endif
