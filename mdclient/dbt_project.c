/* mdclient/dbt_project.c - dbt_project.yml, the seeds config tree and seed
 * property files. See dbt_project.h for the rules. */
#include "mdclient/dbt_project.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mdclient/internal/buf.h"
#include "mdclient/internal/dbt_int.h"
#include "mdclient/internal/yaml_doc.h"
#include "mdclient/str.h"

#define MAX_DIR_DEPTH 32

static int oom(mdc_error *err)
{
	return mdc_error_set(err, ENOMEM, "out of memory");
}

static void seed_clear(mdc_dbt_seed *s)
{
	free(s->name);
	free(s->path);
	free(s->fqn);
	free(s->schema);
	free(s->alias);
	free(s->database);
	for (size_t i = 0; i < s->n_column_types; i++) {
		free((char *)s->column_types[i].column);
		free((char *)s->column_types[i].sql_type);
	}
	free(s->column_types);
}

void mdc_dbt_project_free(mdc_dbt_project *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_seeds; i++)
		seed_clear(&p->seeds[i]);
	free(p->seeds);
	free(p->dir);
	free(p->name);
	free(p->profile);
	free(p);
}

/* ---- configs ---- */

static int set_column_type(mdc_dbt_seed *s, const char *col, char *type)
{
	for (size_t i = 0; i < s->n_column_types; i++)
		if (strcmp(s->column_types[i].column, col) == 0) {
			free((char *)s->column_types[i].sql_type);
			s->column_types[i].sql_type = type;
			return 0;
		}
	mdc_seed_column_type *n = realloc(s->column_types, (s->n_column_types + 1) * sizeof *n);
	if (!n)
		return -1;
	s->column_types = n;
	char *c = strdup(col);
	if (!c)
		return -1;
	n[s->n_column_types].column = c;
	n[s->n_column_types++].sql_type = type;
	return 0;
}

static int set_str(char **dst, const mdc_ynode *v, const char *file, const char *what,
		   mdc_error *err)
{
	char *s = NULL;
	if (!mdc_ynull(v)) {
		int rc = mdc_dbt_scalar(v, file, what, &s, err);
		if (rc < 0)
			return rc;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* Apply one config key (without its '+') to s. */
static int apply(mdc_dbt_seed *s, const char *key, const mdc_ynode *v, const char *file,
		 mdc_error *err)
{
	int rc = 0;
	if (strcmp(key, "column_types") == 0) {
		if (mdc_ynull(v))
			return 0;
		if (v->kind != MDC_YMAP)
			return mdc_error_set(err, EINVAL, "%s:%d: column_types must map column "
					     "names to SQL types", file, v->line);
		for (size_t i = 0; i < v->n; i++) {
			char *col = NULL, *type = NULL;
			if ((rc = mdc_dbt_scalar(v->keys[i], file, "a column name", &col, err)) < 0)
				return rc;
			if (mdc_ynull(v->vals[i]) ||
			    (rc = mdc_dbt_scalar(v->vals[i], file, "a column type", &type, err)) < 0 ||
			    !*type) {
				free(col);
				free(type);
				return rc < 0 ? rc : mdc_error_set(err, EINVAL,
					"%s:%d: column_types: column %s has no type", file,
					v->keys[i]->line, v->keys[i]->str);
			}
			rc = set_column_type(s, col, type);
			free(col);
			if (rc < 0) {
				free(type);
				return oom(err);
			}
		}
	} else if (strcmp(key, "delimiter") == 0) {
		char *d = NULL;
		if (mdc_ynull(v))
			return 0;
		if ((rc = mdc_dbt_scalar(v, file, key, &d, err)) < 0)
			return rc;
		if (strlen(d) != 1) {
			free(d);
			return mdc_error_set(err, EINVAL, "%s:%d: delimiter must be one character",
					     file, v->line);
		}
		s->delimiter = d[0];
		free(d);
	} else if (strcmp(key, "quote_columns") == 0) {
		if (!mdc_ynull(v))
			rc = mdc_dbt_bool(v, file, key, &s->quote_columns, err);
	} else if (strcmp(key, "enabled") == 0) {
		if (!mdc_ynull(v))
			rc = mdc_dbt_bool(v, file, key, &s->enabled, err);
	} else if (strcmp(key, "full_refresh") == 0) {
		s->full_refresh = -1;
		if (!mdc_ynull(v))
			rc = mdc_dbt_bool(v, file, key, &s->full_refresh, err);
	} else if (strcmp(key, "schema") == 0) {
		rc = set_str(&s->schema, v, file, key, err);
	} else if (strcmp(key, "alias") == 0) {
		rc = set_str(&s->alias, v, file, key, err);
	} else if (strcmp(key, "database") == 0) {
		rc = set_str(&s->database, v, file, key, err);
	}
	return rc;
}

/* The configs of one level of the project's tree (dbt's fqn_search). */
static int apply_level(mdc_dbt_seed *s, const mdc_ynode *level, const char *file,
		       mdc_error *err)
{
	for (size_t i = 0; i < level->n; i++) {
		const char *k = level->keys[i]->str;
		const mdc_ynode *v = level->vals[i];
		int rc = 0;
		if (k[0] == '+')
			rc = apply(s, k + 1, v, file, err);
		else if (!v || v->kind != MDC_YMAP)
			rc = apply(s, k, v, file, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Every value in a subtree is rendered once, so a refused Jinja expression or
 * a missing env_var fails the project wherever it is (as dbt renders the
 * whole file). */
static int check_tree(const mdc_ynode *n, const char *file, mdc_error *err)
{
	if (!n)
		return 0;
	if (n->kind == MDC_YSCALAR) {
		char *s = NULL;
		int rc = mdc_dbt_scalar(n, file, "value", &s, err);
		free(s);
		return rc;
	}
	for (size_t i = 0; i < n->n; i++) {
		int rc;
		if ((n->kind == MDC_YMAP && (rc = check_tree(n->keys[i], file, err)) < 0) ||
		    (rc = check_tree(n->vals[i], file, err)) < 0)
			return rc;
	}
	return 0;
}

/* Every level's configs applied to a scratch seed: a bad value fails the
 * project even where no seed uses it (as dbt validates the whole tree). */
static int validate_level(const mdc_ynode *level, const char *file, int depth, mdc_error *err)
{
	mdc_dbt_seed scratch;
	memset(&scratch, 0, sizeof scratch);
	int rc = apply_level(&scratch, level, file, err);
	seed_clear(&scratch);
	for (size_t i = 0; rc == 0 && i < level->n && depth < 32; i++)
		if (level->keys[i]->str[0] != '+' && level->vals[i] &&
		    level->vals[i]->kind == MDC_YMAP)
			rc = validate_level(level->vals[i], file, depth + 1, err);
	return rc;
}

/* ---- finding files ---- */

struct found {
	char *path;
	char **folders;       /* relative to the seed path */
	size_t n_folders;
};

struct list {
	struct found *v;
	size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void found_free(struct found *f)
{
	free(f->path);
	for (size_t i = 0; i < f->n_folders; i++)
		free(f->folders[i]);
	free(f->folders);
}

static int add_found(struct list *l, const char *path, char **folders, size_t nf)
{
	if (mdc_array_reserve(&l->v, &l->cap, l->n + 1, sizeof *l->v, 16) < 0)
		return -1;
	struct found *f = &l->v[l->n];
	memset(f, 0, sizeof *f);
	if (!(f->path = strdup(path)) || (nf && !(f->folders = calloc(nf, sizeof *f->folders))))
		goto fail;
	for (; f->n_folders < nf; f->n_folders++)
		if (!(f->folders[f->n_folders] = strdup(folders[f->n_folders])))
			goto fail;
	l->n++;
	return 0;
fail:
	found_free(f);
	return -1;
}

/* Files under dir whose names end with one of sufs, sorted, recursively. */
static int walk(const char *dir, const char *const *sufs, char **folders, size_t depth,
		struct list *out, mdc_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		       mdc_error_set(err, errno, "%s: %s", dir, strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (mdc_array_reserve(&names, &cap, n + 1, sizeof *names, 32) < 0) {
			rc = oom(err);
			break;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = oom(err);
			break;
		}
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *path = NULL;
		struct stat st;
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			rc = oom(err);
			break;
		}
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < MAX_DIR_DEPTH) {
				folders[depth] = names[i];
				rc = walk(path, sufs, folders, depth + 1, out, err);
			}
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			for (const char *const *s = sufs; *s; s++)
				if (mdc_has_suffix(names[i], *s)) {
					if (add_found(out, path, folders, depth) < 0)
						rc = oom(err);
					break;
				}
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* A project key holding a list of paths (default def). */
static int paths_of(const mdc_ynode *root, const char *key, const char *old_key,
		    const char *def, const char *file, char ***out, size_t *nout, mdc_error *err)
{
	const mdc_ynode *n = mdc_ymap_get(root, key);
	if (mdc_ynull(n) && old_key)
		n = mdc_ymap_get(root, old_key);
	size_t cnt = mdc_ynull(n) ? 1 : n->kind == MDC_YSEQ ? n->n : 1;
	char **v = calloc(cnt ? cnt : 1, sizeof *v);
	if (!v)
		return oom(err);
	*out = v;
	*nout = cnt;
	if (mdc_ynull(n))
		return (v[0] = strdup(def)) ? 0 : oom(err);
	for (size_t i = 0; i < cnt; i++) {
		const mdc_ynode *item = n->kind == MDC_YSEQ ? n->vals[i] : n;
		int rc = mdc_dbt_scalar(item, file, key, &v[i], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- the project ---- */

static int seed_cmp(const void *a, const void *b)
{
	const mdc_dbt_seed *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->path, y->path);
}

static int make_seed(mdc_dbt_project *p, const struct found *f, const mdc_ynode *tree,
		     const char *file, mdc_error *err)
{
	mdc_dbt_seed *s = &p->seeds[p->n_seeds];
	memset(s, 0, sizeof *s);
	s->enabled = 1;
	s->full_refresh = -1;
	s->delimiter = ',';
	s->quote_columns = 1;
	const char *base = strrchr(f->path, '/');
	if (!(s->path = strdup(f->path)) || !(s->name = mdc_seed_table_name(base ? base + 1 : f->path)))
		goto oom;
	size_t len = strlen(p->name) + strlen(s->name) + 2;
	for (size_t i = 0; i < f->n_folders; i++)
		len += strlen(f->folders[i]) + 1;
	if (!(s->fqn = malloc(len)))
		goto oom;
	strcpy(s->fqn, p->name);
	for (size_t i = 0; i < f->n_folders; i++)
		strcat(strcat(s->fqn, "."), f->folders[i]);
	strcat(strcat(s->fqn, "."), s->name);
	p->n_seeds++;
	/* fqn_search: the root, then project name, folders, seed name. */
	const mdc_ynode *level = tree;
	for (size_t i = 0; level && level->kind == MDC_YMAP; i++) {
		int rc = apply_level(s, level, file, err);
		if (rc < 0)
			return rc;
		const char *next = i == 0 ? p->name : i <= f->n_folders ? f->folders[i - 1] :
				   i == f->n_folders + 1 ? s->name : NULL;
		if (!next)
			break;
		level = mdc_ymap_get(level, next);
	}
	return 0;
oom:
	seed_clear(s);
	memset(s, 0, sizeof *s);
	return oom(err);
}

/* seeds: [{name: N, config: {...}}, …] in one property file. */
static int apply_property_file(mdc_dbt_project *p, const char *path, mdc_error *err)
{
	mdc_ydoc *d = NULL;
	int rc = mdc_ydoc_load(path, &d, err);
	if (rc < 0)
		return rc;
	const mdc_ynode *seeds = mdc_ymap_get(mdc_ydoc_root(d), "seeds");
	if (mdc_ynull(seeds))
		goto out;
	if (seeds->kind != MDC_YSEQ) {
		rc = mdc_error_set(err, EINVAL, "%s:%d: seeds must be a list of {name: …}", path,
				   seeds->line);
		goto out;
	}
	for (size_t i = 0; i < seeds->n && rc == 0; i++) {
		const mdc_ynode *e = seeds->vals[i];
		const mdc_ynode *nm = mdc_ymap_get(e, "name");
		char *name = NULL;
		if (!nm) {
			rc = mdc_error_set(err, EINVAL, "%s:%d: a seed entry needs a name", path,
					   e->line);
			break;
		}
		if ((rc = mdc_dbt_scalar(nm, path, "name", &name, err)) < 0)
			break;
		const mdc_ynode *cfg = mdc_ymap_get(e, "config");
		if (!mdc_ynull(cfg) && cfg->kind != MDC_YMAP)
			rc = mdc_error_set(err, EINVAL, "%s:%d: config must be a mapping", path,
					   cfg->line);
		else if ((rc = check_tree(cfg, path, err)) == 0 && !mdc_ynull(cfg)) {
			mdc_dbt_seed scratch;
			memset(&scratch, 0, sizeof scratch);
			for (size_t j = 0; j <= p->n_seeds && rc == 0; j++) {
				mdc_dbt_seed *s = j < p->n_seeds ? &p->seeds[j] : &scratch;
				if (s != &scratch && strcmp(s->name, name) != 0)
					continue;
				for (size_t k = 0; k < cfg->n && rc == 0; k++) {
					const char *key = cfg->keys[k]->str;
					rc = apply(s, key[0] == '+' ? key + 1 : key, cfg->vals[k],
						   path, err);
				}
			}
			seed_clear(&scratch);
		}
		free(name);
	}
out:
	mdc_ydoc_free(d);
	return rc;
}

int mdc_dbt_project_load(const char *dir, mdc_dbt_project **out, mdc_error *err)
{
	static const char *const csv[] = { ".csv", NULL };
	static const char *const yml[] = { ".yml", ".yaml", NULL };
	mdc_ydoc *d = NULL;
	char *file = NULL, **seed_paths = NULL, **model_paths = NULL;
	size_t n_seed_paths = 0, n_model_paths = 0;
	struct list seeds = { 0 }, props = { 0 };
	char *folders[MAX_DIR_DEPTH];
	int rc;

	mdc_error_clear(err);
	*out = NULL;
	mdc_dbt_project *p = calloc(1, sizeof *p);
	if (!p || !(p->dir = strdup(dir)) || asprintf(&file, "%s/dbt_project.yml", dir) < 0) {
		file = NULL;
		rc = oom(err);
		goto out;
	}
	if ((rc = mdc_ydoc_load(file, &d, err)) < 0)
		goto out;
	const mdc_ynode *root = mdc_ydoc_root(d);
	if (!root || root->kind != MDC_YMAP) {
		rc = mdc_error_set(err, EINVAL, "%s:%d: expected a mapping (name: …, profile: …)",
				   file, root ? root->line : 1);
		goto out;
	}
	const mdc_ynode *nm = mdc_ymap_get(root, "name");
	if (mdc_ynull(nm)) {
		rc = mdc_error_set(err, EINVAL, "%s: the project has no name", file);
		goto out;
	}
	if ((rc = mdc_dbt_scalar(nm, file, "name", &p->name, err)) < 0)
		goto out;
	const mdc_ynode *pr = mdc_ymap_get(root, "profile");
	if (!mdc_ynull(pr) && (rc = mdc_dbt_scalar(pr, file, "profile", &p->profile, err)) < 0)
		goto out;
	if ((rc = paths_of(root, "seed-paths", "data-paths", "seeds", file, &seed_paths,
			   &n_seed_paths, err)) < 0 ||
	    (rc = paths_of(root, "model-paths", "source-paths", "models", file, &model_paths,
			   &n_model_paths, err)) < 0)
		goto out;
	const mdc_ynode *tree = mdc_ymap_get(root, "seeds");
	if (!mdc_ynull(tree) && tree->kind != MDC_YMAP) {
		rc = mdc_error_set(err, EINVAL, "%s:%d: seeds must be a mapping", file, tree->line);
		goto out;
	}
	if ((rc = check_tree(tree, file, err)) < 0 ||
	    (tree && (rc = validate_level(tree, file, 0, err)) < 0))
		goto out;

	for (size_t i = 0; i < n_seed_paths; i++) {
		char *sp = NULL;
		if (asprintf(&sp, "%s/%s", dir, seed_paths[i]) < 0) {
			rc = oom(err);
			goto out;
		}
		rc = walk(sp, csv, folders, 0, &seeds, err);
		if (rc == 0)
			rc = walk(sp, yml, folders, 0, &props, err);
		free(sp);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < n_model_paths; i++) {
		char *mp = NULL;
		if (asprintf(&mp, "%s/%s", dir, model_paths[i]) < 0) {
			rc = oom(err);
			goto out;
		}
		rc = walk(mp, yml, folders, 0, &props, err);
		free(mp);
		if (rc < 0)
			goto out;
	}
	if (seeds.n && !(p->seeds = calloc(seeds.n, sizeof *p->seeds))) {
		rc = oom(err);
		goto out;
	}
	for (size_t i = 0; i < seeds.n; i++)
		if ((rc = make_seed(p, &seeds.v[i], tree, file, err)) < 0)
			goto out;
	for (size_t i = 0; i < props.n; i++)
		if ((rc = apply_property_file(p, props.v[i].path, err)) < 0)
			goto out;
	if (p->n_seeds)
		qsort(p->seeds, p->n_seeds, sizeof *p->seeds, seed_cmp);
	for (size_t i = 1; i < p->n_seeds; i++)
		if (strcmp(p->seeds[i - 1].name, p->seeds[i].name) == 0) {
			rc = mdc_error_set(err, EINVAL, "dbt found two seeds with the name \"%s\": "
					   "%s and %s", p->seeds[i].name, p->seeds[i - 1].path,
					   p->seeds[i].path);
			goto out;
		}
	rc = 0;
out:
	for (size_t i = 0; i < seeds.n; i++)
		found_free(&seeds.v[i]);
	for (size_t i = 0; i < props.n; i++)
		found_free(&props.v[i]);
	free(seeds.v);
	free(props.v);
	free_strs(seed_paths, n_seed_paths);
	free_strs(model_paths, n_model_paths);
	mdc_ydoc_free(d);
	free(file);
	if (rc < 0)
		mdc_dbt_project_free(p);
	else
		*out = p;
	return rc;
}
