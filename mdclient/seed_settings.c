/* mdclient/seed_settings.c - dbt seed settings from text (contract in
 * seed.h): the sidecar's lines and the flags of `mdfs seed` end here. */
#include "mdclient/seed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mdc_seed_setting_column_type(mdc_seed_settings *s, const char *col, const char *type,
				 mdc_error *err)
{
	if (!col || !*col || !type || !*type)
		return mdc_error_set(err, EINVAL, "column_type needs a column name and a type");
	mdc_seed_column_type *n = realloc(s->column_types, (s->n_column_types + 1) * sizeof *n);
	if (!n)
		return mdc_error_set(err, ENOMEM, "out of memory");
	s->column_types = n;
	char *c = strdup(col), *t = strdup(type);
	if (!c || !t) {
		free(c);
		free(t);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	n[s->n_column_types].column = c;
	n[s->n_column_types].sql_type = t;
	s->n_column_types++;
	return 0;
}

int mdc_seed_setting_set(mdc_seed_settings *s, const char *key, const char *val, mdc_error *err)
{
	if (strcmp(key, "delimiter") == 0) {
		if (strlen(val) == 1)
			s->delimiter = val[0];
		else if (strcmp(val, "\\t") == 0)
			s->delimiter = '\t';
		else
			return mdc_error_set(err, EINVAL, "delimiter takes one character (or \\t)");
		return 0;
	}
	if (strcmp(key, "quote_columns") == 0) {
		if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0)
			return mdc_error_set(err, EINVAL, "quote_columns is true or false");
		s->no_quote_columns = strcmp(val, "false") == 0;
		return 0;
	}
	if (strcmp(key, "full_refresh") == 0) {
		if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0)
			return mdc_error_set(err, EINVAL, "full_refresh is true or false");
		s->truncate = strcmp(val, "false") == 0;
		return 0;
	}
	if (strncmp(key, "column_type.", 12) == 0)
		return mdc_seed_setting_column_type(s, key + 12, val, err);
	return mdc_error_set(err, EINVAL, "unknown seed setting \"%s\"", key);
}

int mdc_seed_setting_parse(mdc_seed_settings *s, const char *kv, mdc_error *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return mdc_error_set(err, EINVAL, "expected key=value");
	char *key = strndup(kv, (size_t)(eq - kv));
	if (!key)
		return mdc_error_set(err, ENOMEM, "out of memory");
	int rc = mdc_seed_setting_set(s, key, eq + 1, err);
	free(key);
	return rc;
}

void mdc_seed_settings_apply(const mdc_seed_settings *s, mdc_seed_options *o)
{
	o->delimiter = s->delimiter;
	o->no_quote_columns = s->no_quote_columns;
	o->column_types = s->column_types;
	o->n_column_types = s->n_column_types;
	o->truncate = s->truncate;
}

void mdc_seed_settings_free(mdc_seed_settings *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_column_types; i++) {
		free((char *)s->column_types[i].column);
		free((char *)s->column_types[i].sql_type);
	}
	free(s->column_types);
	memset(s, 0, sizeof *s);
}
