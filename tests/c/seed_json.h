/* tests/c/seed_json.h - a minimal JSON reader for the seed tests (the
 * fixtures' expectations: agate_inferred_postgres_types.json and
 * seed_expected.json). Test-only; trusts its input. */
#ifndef TESTS_SEED_JSON_H
#define TESTS_SEED_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a minimal JSON reader for the fixtures' expectations ---- */
typedef struct jv {
	char t; /* 's' string, 'n' number, 'b' boolean, 'z' null, 'a' array, 'o' object */
	char *s;
	double n;
	struct jv *kids; /* arrays: items; objects: key (string) then value, pairwise */
	size_t nk;
} jv;

static const char *jp;

static void jws(void)
{
	while (*jp == ' ' || *jp == '\n' || *jp == '\r' || *jp == '\t')
		jp++;
}

static jv jparse(void)
{
	jv v;
	memset(&v, 0, sizeof v);
	jws();
	if (*jp == '"') {
		v.t = 's';
		jp++;
		size_t cap = 64, n = 0;
		v.s = malloc(cap);
		while (*jp && *jp != '"') {
			char c = *jp++;
			if (c == '\\') {
				c = *jp++;
				if (c == 'n')
					c = '\n';
				else if (c == 't')
					c = '\t';
				else if (c == 'u') {
					unsigned cp = (unsigned)strtoul((char[5]){ jp[0], jp[1], jp[2], jp[3], 0 }, NULL, 16);
					jp += 4;
					if (n + 4 >= cap)
						v.s = realloc(v.s, cap *= 2);
					if (cp < 0x80)
						v.s[n++] = (char)cp;
					else if (cp < 0x800) {
						v.s[n++] = (char)(0xC0 | (cp >> 6));
						v.s[n++] = (char)(0x80 | (cp & 0x3F));
					} else {
						v.s[n++] = (char)(0xE0 | (cp >> 12));
						v.s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
						v.s[n++] = (char)(0x80 | (cp & 0x3F));
					}
					continue;
				}
			}
			if (n + 4 >= cap)
				v.s = realloc(v.s, cap *= 2);
			v.s[n++] = c;
		}
		v.s[n] = '\0';
		jp++;
	} else if (*jp == '[' || *jp == '{') {
		char close = *jp == '[' ? ']' : '}';
		v.t = *jp == '[' ? 'a' : 'o';
		jp++;
		for (;;) {
			jws();
			if (!*jp)
				break;
			if (*jp == close) {
				jp++;
				break;
			}
			if (*jp == ',' || *jp == ':') {
				jp++;
				continue;
			}
			v.kids = realloc(v.kids, (v.nk + 1) * sizeof *v.kids);
			v.kids[v.nk++] = jparse();
		}
	} else if (strncmp(jp, "null", 4) == 0) {
		v.t = 'z';
		jp += 4;
	} else if (strncmp(jp, "true", 4) == 0 || strncmp(jp, "false", 5) == 0) {
		v.t = 'b';
		v.n = *jp == 't';
		jp += *jp == 't' ? 4 : 5;
	} else {
		char *end;
		v.t = 'n';
		v.n = strtod(jp, &end);
		if (end == jp) /* not JSON: stop here */
			jp += strlen(jp);
		else
			jp = end;
	}
	return v;
}

static void jfree(jv *v)
{
	free(v->s);
	for (size_t i = 0; i < v->nk; i++)
		jfree(&v->kids[i]);
	free(v->kids);
}

static const jv *jget(const jv *o, const char *key)
{
	for (size_t i = 0; o && o->t == 'o' && i + 1 < o->nk; i += 2)
		if (strcmp(o->kids[i].s, key) == 0)
			return &o->kids[i + 1];
	return NULL;
}


/* Read and parse a whole file; t == 0 when it cannot be read. */
static jv jload(const char *path)
{
	jv v;
	memset(&v, 0, sizeof v);
	FILE *f = fopen(path, "r");
	if (!f)
		return v;
	size_t cap = 1 << 16, n = 0;
	char *text = malloc(cap);
	size_t k;
	while ((k = fread(text + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n < 2)
			text = realloc(text, cap *= 2);
	}
	fclose(f);
	text[n] = '\0';
	jp = text;
	v = jparse();
	free(text);
	return v;
}

/* ---- one entry of agate_inferred_postgres_types.json ---- */
#include "mdclient/seed.h"

/* A key "path [text_columns=a,b]" as dbt's own test loads it: the file under
 * dir, its text-column overrides, and delimiter '|' for the pipe-separated
 * seed. c must not be copied (o points into it). */
typedef struct seed_case {
	char rel[1024];            /* the path as the key gives it */
	char path[2048];           /* dir/rel */
	char tc[1024];             /* the text_columns list, tokenised */
	mdc_seed_column_type ct[16];
	mdc_seed_options o;
} seed_case;

static void seed_case_init(seed_case *c, const char *dir, const char *key)
{
	memset(c, 0, sizeof *c);
	const char *br = strstr(key, " [text_columns=");
	if (br) {
		snprintf(c->rel, sizeof c->rel, "%.*s", (int)(br - key), key);
		snprintf(c->tc, sizeof c->tc, "%s", br + strlen(" [text_columns="));
		c->tc[strcspn(c->tc, "]")] = '\0';
	} else {
		snprintf(c->rel, sizeof c->rel, "%s", key);
	}
	snprintf(c->path, sizeof c->path, "%s/%s", dir, c->rel);
	size_t n = 0;
	for (char *save = NULL, *tok = strtok_r(c->tc, ",", &save); tok && n < 16;
	     tok = strtok_r(NULL, ",", &save)) {
		c->ct[n].column = tok;
		c->ct[n].sql_type = "text";
		n++;
	}
	c->o.column_types = c->ct;
	c->o.n_column_types = n;
	if (strstr(c->rel, "pipe_separated"))
		c->o.delimiter = '|';
}

#endif
