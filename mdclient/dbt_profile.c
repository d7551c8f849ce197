/* mdclient/dbt_profile.c - env_var() substitution (the only Jinja mdfs
 * accepts) and profiles.yml targets. See dbt_project.h. */
#include "mdclient/dbt_project.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/buf.h"
#include "mdclient/internal/dbt_int.h"
#include "mdclient/internal/yaml_doc.h"

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* A Jinja string literal '…' or "…" (backslash escapes the next character).
 * Returns the position after it, or NULL. *out malloc'd. */
static const char *string_lit(const char *p, const char *end, char **out)
{
	if (p >= end || (*p != '\'' && *p != '"'))
		return NULL;
	char q = *p++;
	mdc_buf b = { 0 };
	if (mdc_buf_put(&b, "", 0) < 0)
		return NULL;
	while (p < end && *p != q) {
		if (*p == '\\' && p + 1 < end)
			p++;
		if (mdc_buf_put(&b, p, 1) < 0) {
			mdc_buf_free(&b);
			return NULL;
		}
		p++;
	}
	if (p >= end) {
		mdc_buf_free(&b);
		return NULL;
	}
	*out = b.data;
	return p + 1;
}

static int word(const char **pp, const char *end, const char *w)
{
	size_t n = strlen(w);
	const char *p = *pp;
	if ((size_t)(end - p) < n || memcmp(p, w, n) != 0 ||
	    (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '_')))
		return 0;
	*pp = p + n;
	return 1;
}

/* One `{{ … }}` body [p, end): env_var('X'[, 'default']) [| filter]…
 * Returns 1 with *value set (malloc'd), 0 when it is not such an
 * expression, -1 on OOM; *missing set (malloc'd) to the variable's name
 * when it is unset and has no default. */
static int env_expr(const char *p, const char *end, char **value, char **missing)
{
	static const char *const filters[] = { "as_text", "as_number", "as_bool", "as_native",
					       "int", "string", "trim" };
	char *name = NULL, *def = NULL;
	int rc = 0;
	p = skip_ws(p, end);
	if (!word(&p, end, "env_var"))
		return 0;
	p = skip_ws(p, end);
	if (p >= end || *p++ != '(')
		return 0;
	p = skip_ws(p, end);
	if (!(p = string_lit(p, end, &name)))
		return 0;
	p = skip_ws(p, end);
	if (p < end && *p == ',') {
		p = skip_ws(p + 1, end);
		if (!(p = string_lit(p, end, &def)))
			goto out;
		p = skip_ws(p, end);
	}
	if (p >= end || *p++ != ')')
		goto out;
	for (;;) {
		p = skip_ws(p, end);
		if (p == end)
			break;
		if (*p++ != '|')
			goto out;
		p = skip_ws(p, end);
		size_t i;
		for (i = 0; i < sizeof filters / sizeof filters[0]; i++)
			if (word(&p, end, filters[i]))
				break;
		if (i == sizeof filters / sizeof filters[0])
			goto out;
	}
	const char *v = getenv(name);
	if (!v)
		v = def;
	if (!v) {
		*missing = name;
		name = NULL;
		*value = NULL;
		rc = 1;
		goto out;
	}
	*value = strdup(v);
	rc = *value ? 1 : -1;
out:
	free(name);
	free(def);
	return rc;
}

int mdc_dbt_render(const char *text, const char *file, int line, char **out, mdc_error *err)
{
	mdc_buf b = { 0 };
	*out = NULL;
	if (mdc_buf_put(&b, "", 0) < 0)
		return mdc_error_set(err, ENOMEM, "out of memory");
	const char *p = text, *end = text + strlen(text);
	while (p < end) {
		const char *open = strchr(p, '{');
		while (open && open[1] != '{' && open[1] != '%' && open[1] != '#')
			open = strchr(open + 1, '{');
		if (!open) {
			if (mdc_buf_put(&b, p, (size_t)(end - p)) < 0)
				goto oom;
			break;
		}
		if (mdc_buf_put(&b, p, (size_t)(open - p)) < 0)
			goto oom;
		const char *close = open[1] == '{' ? strstr(open + 2, "}}") : NULL;
		char *value = NULL, *missing = NULL;
		int r = close ? env_expr(open + 2, close, &value, &missing) : 0;
		if (r < 0)
			goto oom;
		if (r == 0) {
			size_t shown = close ? (size_t)(close + 2 - open) : strlen(open);
			mdc_error_set(err, EINVAL,
				      "%s:%d: mdfs does not run Jinja: only {{ env_var('NAME') }} and "
				      "{{ env_var('NAME', 'default') }} are substituted, not \"%.*s\"",
				      file, line, (int)(shown > 120 ? 120 : shown), open);
			mdc_buf_free(&b);
			return -EINVAL;
		}
		if (missing) {
			mdc_error_set(err, EINVAL, "%s:%d: Env var required but not provided: '%s'",
				      file, line, missing);
			free(missing);
			mdc_buf_free(&b);
			return -EINVAL;
		}
		int fail = mdc_buf_put(&b, value, strlen(value));
		explicit_bzero(value, strlen(value));
		free(value);
		if (fail < 0)
			goto oom;
		p = close + 2;
	}
	*out = b.data;
	return 0;
oom:
	mdc_buf_free(&b);
	return mdc_error_set(err, ENOMEM, "out of memory");
}

int mdc_dbt_scalar(const mdc_ynode *n, const char *file, const char *what, char **out,
		   mdc_error *err)
{
	*out = NULL;
	if (!n || n->kind != MDC_YSCALAR)
		return mdc_error_set(err, EINVAL, "%s:%d: %s must be a single value", file,
				     n ? n->line : 0, what);
	return mdc_dbt_render(n->str, file, n->line, out, err);
}

int mdc_dbt_bool(const mdc_ynode *n, const char *file, const char *what, int *out,
		 mdc_error *err)
{
	int b = mdc_ybool(n);
	if (b < 0 && n && n->kind == MDC_YSCALAR && strstr(n->str, "{{")) {
		char *s = NULL;
		int rc = mdc_dbt_render(n->str, file, n->line, &s, err);
		if (rc < 0)
			return rc;
		mdc_ynode tmp = *n;
		tmp.str = s;
		tmp.plain = 1;
		b = mdc_ybool(&tmp);
		free(s);
	}
	if (b < 0)
		return mdc_error_set(err, EINVAL, "%s:%d: %s must be true or false", file,
				     n ? n->line : 0, what);
	*out = b;
	return 0;
}

/* ---- profiles.yml ---- */

/* A secret: only from an env_var() expression, never written in the file. */
static int secret(const mdc_ynode *n, const char *file, const char *what, char **out,
		  mdc_error *err)
{
	if (mdc_ynull(n))
		return 0;
	if (n->kind != MDC_YSCALAR || !strstr(n->str, "env_var("))
		return mdc_error_set(err, EINVAL,
				     "%s:%d: %s must be {{ env_var('NAME') }}: mdfs does not read a "
				     "token written in a file (or leave it out and set "
				     "$MOTHERDUCK_TOKEN)", file, n->line, what);
	return mdc_dbt_scalar(n, file, what, out, err);
}

static int opt_str(const mdc_ynode *map, const char *key, const char *file, char **out,
		   mdc_error *err)
{
	const mdc_ynode *n = mdc_ymap_get(map, key);
	if (mdc_ynull(n))
		return 0;
	free(*out);
	*out = NULL;
	return mdc_dbt_scalar(n, file, key, out, err);
}

int mdc_dbt_target_load(const char *profiles_yml, const char *profile, const char *target,
			mdc_dbt_target *t, mdc_error *err)
{
	mdc_ydoc *d = NULL;
	char *tname = NULL, *path = NULL, *threads = NULL;
	memset(t, 0, sizeof *t);
	int rc = mdc_ydoc_load(profiles_yml, &d, err);
	if (rc < 0)
		return rc;
	const char *f = profiles_yml;
	const mdc_ynode *p = mdc_ymap_get(mdc_ydoc_root(d), profile);
	if (!p || p->kind != MDC_YMAP) {
		rc = mdc_error_set(err, ENOENT, "%s: no profile \"%s\"", f, profile);
		goto out;
	}
	if (target) {
		tname = strdup(target);
	} else {
		const mdc_ynode *tn = mdc_ymap_get(p, "target");
		if (!mdc_ynull(tn)) {
			if ((rc = mdc_dbt_scalar(tn, f, "target", &tname, err)) < 0)
				goto out;
		} else {
			tname = strdup("default");
		}
	}
	if (!tname)
		goto oom;
	const mdc_ynode *o = mdc_ymap_get(mdc_ymap_get(p, "outputs"), tname);
	if (!o || o->kind != MDC_YMAP) {
		rc = mdc_error_set(err, ENOENT, "%s:%d: profile \"%s\" has no target \"%s\"", f,
				   p->line, profile, tname);
		goto out;
	}
	t->target = tname;
	tname = NULL;
	if ((rc = opt_str(o, "type", f, &t->type, err)) < 0 ||
	    (rc = opt_str(o, "schema", f, &t->schema, err)) < 0 ||
	    (rc = opt_str(o, "threads", f, &threads, err)) < 0)
		goto out;
	if (threads) {
		char *e;
		long v = strtol(threads, &e, 10);
		if (*e || v < 1 || v > 64) {
			rc = mdc_error_set(err, EINVAL, "%s:%d: threads must be a number from 1 to 64",
					   f, mdc_ymap_get(o, "threads")->line);
			goto out;
		}
		t->threads = (int)v;
	}
	if (!t->type) {
		rc = mdc_error_set(err, EINVAL, "%s:%d: target \"%s\" has no type", f, o->line,
				   t->target);
		goto out;
	}
	if (strcmp(t->type, "postgres") == 0) {
		if ((rc = opt_str(o, "host", f, &t->host, err)) < 0 ||
		    (rc = opt_str(o, "port", f, &t->port, err)) < 0 ||
		    (rc = opt_str(o, "user", f, &t->user, err)) < 0 ||
		    (rc = opt_str(o, "database", f, &t->dbname, err)) < 0 ||
		    (rc = opt_str(o, "dbname", f, &t->dbname, err)) < 0 ||
		    (rc = opt_str(o, "sslmode", f, &t->sslmode, err)) < 0 ||
		    (rc = opt_str(o, "sslrootcert", f, &t->sslrootcert, err)) < 0 ||
		    (rc = secret(mdc_ymap_get(o, "pass"), f, "pass", &t->token, err)) < 0)
			goto out;
		if (!t->token &&
		    (rc = secret(mdc_ymap_get(o, "password"), f, "password", &t->token, err)) < 0)
			goto out;
		const char *need = !t->host ? "host" : !t->dbname ? "dbname" :
				   !t->schema ? "schema" : NULL;
		if (need) {
			rc = mdc_error_set(err, EINVAL, "%s:%d: target \"%s\" (postgres) needs %s", f,
					   o->line, t->target, need);
			goto out;
		}
	} else if (strcmp(t->type, "duckdb") == 0) {
		if ((rc = opt_str(o, "path", f, &path, err)) < 0)
			goto out;
		if (!path || strncmp(path, "md:", 3) != 0) {
			rc = mdc_error_set(err, ENOTSUP,
					   "%s:%d: target \"%s\": mdfs loads only into MotherDuck "
					   "(path: md:DB), not a local DuckDB file", f, o->line,
					   t->target);
			goto out;
		}
		const mdc_ynode *pn = mdc_ymap_get(o, "path");
		char *q = strchr(path, '?');
		if (q) {
			*q++ = '\0';
			for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv;
			     kv = strtok_r(NULL, "&", &save)) {
				if (strncasecmp(kv, "motherduck_token=", 17) != 0)
					continue;
				if (!strstr(pn->str, "env_var(")) {
					rc = mdc_error_set(err, EINVAL,
							   "%s:%d: path: motherduck_token must be "
							   "{{ env_var('NAME') }}: mdfs does not read a "
							   "token written in a file", f, pn->line);
					goto out;
				}
				free(t->token);
				if (!(t->token = strdup(kv + 17)))
					goto oom;
			}
		}
		if (!(t->database = strdup(path + 3)))
			goto oom;
		if ((rc = opt_str(o, "database", f, &t->database, err)) < 0)
			goto out;
		const mdc_ynode *settings = mdc_ymap_get(o, "settings");
		if (!t->token &&
		    (rc = secret(mdc_ymap_get(settings, "motherduck_token"), f,
				 "settings: motherduck_token", &t->token, err)) < 0)
			goto out;
		if (!t->token &&
		    (rc = secret(mdc_ymap_get(o, "motherduck_token"), f, "motherduck_token",
				 &t->token, err)) < 0)
			goto out;
		if (!t->schema && !(t->schema = strdup("main")))
			goto oom;
	} else {
		rc = mdc_error_set(err, ENOTSUP,
				   "%s:%d: target \"%s\" has type %s: mdfs supports postgres and "
				   "duckdb (path: md:DB)", f, o->line, t->target, t->type);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	rc = mdc_error_set(err, ENOMEM, "out of memory");
out:
	if (path)
		explicit_bzero(path, strlen(path));
	free(path);
	free(threads);
	free(tname);
	mdc_ydoc_free(d);
	if (rc < 0)
		mdc_dbt_target_free(t);
	return rc;
}

void mdc_dbt_target_free(mdc_dbt_target *t)
{
	if (!t)
		return;
	if (t->token)
		explicit_bzero(t->token, strlen(t->token));
	char **all[] = { &t->target, &t->type, &t->host, &t->port, &t->user, &t->dbname,
			 &t->sslmode, &t->sslrootcert, &t->schema, &t->database, &t->token };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		free(*all[i]);
	memset(t, 0, sizeof *t);
}

char *mdc_dbt_schema_name(const char *target_schema, const char *custom)
{
	if (!custom) {
		return strdup(target_schema);
	}
	while (isspace((unsigned char)*custom))
		custom++;
	size_t n = strlen(custom);
	while (n && isspace((unsigned char)custom[n - 1]))
		n--;
	char *s = NULL;
	if (asprintf(&s, "%s_%.*s", target_schema, (int)n, custom) < 0)
		return NULL;
	return s;
}
