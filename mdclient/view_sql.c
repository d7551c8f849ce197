/* mdclient/view_sql.c - take apart what a user wrote into a view's NAME.sql
 * (see internal/view_sql.h). A small SQL lexer: enough to skip strings,
 * quoted names and comments, read the head of CREATE VIEW, and find the end
 * of the first statement. */
#include "mdclient/internal/view_sql.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool ident_start(char c)
{
	unsigned char u = (unsigned char)c;
	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

struct lex {
	const char *s, *end;
	const char *why;   /* set when a quote or comment does not end */
};

/* Past a slash-star comment at p (nested, as PostgreSQL and DuckDB read
 * them); NULL when it does not end. */
static const char *skip_block_comment(struct lex *L, const char *p)
{
	int depth = 0;
	while (p < L->end) {
		if (p + 1 < L->end && p[0] == '/' && p[1] == '*') {
			depth++;
			p += 2;
		} else if (p + 1 < L->end && p[0] == '*' && p[1] == '/') {
			p += 2;
			if (--depth == 0)
				return p;
		} else {
			p++;
		}
	}
	L->why = "a comment does not end";
	return NULL;
}

/* Past blanks and comments; NULL when a comment does not end. */
static const char *skip_blank(struct lex *L, const char *p)
{
	while (p && p < L->end) {
		if (is_blank(*p)) {
			p++;
		} else if (p + 1 < L->end && p[0] == '-' && p[1] == '-') {
			while (p < L->end && *p != '\n')
				p++;
		} else if (p + 1 < L->end && p[0] == '/' && p[1] == '*') {
			p = skip_block_comment(L, p);
		} else {
			break;
		}
	}
	return p;
}

/* Past a quoted item starting at p (its opening quote q); doubled quotes
 * stay inside; with backslashes, a backslash escapes the next byte. */
static const char *skip_quoted(struct lex *L, const char *p, char q, bool backslashes)
{
	for (p++; p < L->end; p++) {
		if (backslashes && *p == '\\') {
			p++;
		} else if (*p == q) {
			if (p + 1 < L->end && p[1] == q)
				p++;
			else
				return p + 1;
		}
	}
	L->why = q == '"' ? "a quoted name does not end" : "a string does not end";
	return NULL;
}

/* A dollar quote's tag at p ("$tag$" or "$$"): its length, 0 when p starts none. */
static size_t dollar_tag(const struct lex *L, const char *p)
{
	const char *t = p + 1;
	if (t < L->end && ident_start(*t) && *t != '$')
		while (t < L->end && ident_char(*t) && *t != '$')
			t++;
	return t < L->end && *t == '$' ? (size_t)(t + 1 - p) : 0;
}

/* Past one lexical item at p (not a blank, not a comment): a string, a
 * quoted name, a dollar-quoted string, a word or number, or one other byte.
 * NULL when a quote does not end. */
static const char *skip_item(struct lex *L, const char *p)
{
	if (*p == '\'')
		return skip_quoted(L, p, '\'', false);
	if (*p == '"')
		return skip_quoted(L, p, '"', false);
	if (*p == '$' && (p == L->s || !ident_char(p[-1]))) {
		size_t n = dollar_tag(L, p);
		if (n) {
			for (const char *q = p + n; q + n <= L->end; q++)
				if (memcmp(q, p, n) == 0)
					return q + n;
			L->why = "a dollar-quoted string does not end";
			return NULL;
		}
	}
	if (ident_char(*p)) {
		const char *w = p;
		while (p < L->end && ident_char(*p))
			p++;
		if (p - w == 1 && (*w == 'E' || *w == 'e') && p < L->end && *p == '\'')
			return skip_quoted(L, p, '\'', true);
		return p;
	}
	return p + 1;
}

/* Is the word at p kw (ASCII case ignored) and not the start of a longer one? */
static bool word_is(const struct lex *L, const char *p, const char *kw)
{
	size_t n = strlen(kw);
	return p && (size_t)(L->end - p) >= n && strncasecmp(p, kw, n) == 0 &&
	       (p + n == L->end || !ident_char(p[n]));
}

/* One part of a name at p: 1 when it equals want (quoted: exactly; bare:
 * ASCII case ignored), 0 when not, -1 when p holds no name. *next: past it. */
static int name_part(struct lex *L, const char *p, const char *want, const char **next)
{
	if (p < L->end && *p == '"') {
		const char *e = skip_quoted(L, p, '"', false);
		if (!e)
			return -1;
		*next = e;
		/* compare the unquoted text ("" is one ") with want */
		const char *w = want;
		for (const char *q = p + 1; q < e - 1; q++, w++) {
			if (*q == '"')
				q++;
			if (*w != *q)
				return 0;
		}
		return *w == '\0';
	}
	if (p >= L->end || !ident_start(*p))
		return -1;
	const char *e = p;
	while (e < L->end && ident_char(*e))
		e++;
	*next = e;
	return strlen(want) == (size_t)(e - p) && strncasecmp(p, want, (size_t)(e - p)) == 0;
}

static char *dup_range(const char *a, const char *b)
{
	char *s = malloc((size_t)(b - a) + 1);
	if (s) {
		memcpy(s, a, (size_t)(b - a));
		s[b - a] = '\0';
	}
	return s;
}

void mdc_view_parts_free(mdc_view_parts *p)
{
	if (!p)
		return;
	free(p->columns);
	free(p->body);
	p->columns = p->body = NULL;
}

/* The head of CREATE [OR REPLACE] VIEW name [(cols)] AS at p (past CREATE):
 * 0 with *body_at and out->columns, or -EINVAL/-ENOMEM with err. */
static int parse_head(struct lex *L, const char *p, const char *db, const char *schema,
		      const char *name, const char **body_at, mdc_view_parts *out, mdc_error *err)
{
	p = skip_blank(L, p);
	if (word_is(L, p, "OR")) {
		p = skip_blank(L, p + 2);
		if (!word_is(L, p, "REPLACE"))
			return mdc_error_set(err, EINVAL, "expected CREATE OR REPLACE VIEW");
		p = skip_blank(L, p + 7);
	}
	static const char *const refused[] = { "TEMP", "TEMPORARY", "MATERIALIZED", "RECURSIVE",
					       "SECURE", "UNLOGGED" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (word_is(L, p, refused[i]))
			return mdc_error_set(err, EINVAL, "a %s view cannot be written as a file: "
					     "write the query, or CREATE VIEW", refused[i]);
	if (!word_is(L, p, "VIEW"))
		return mdc_error_set(err, EINVAL, "a .sql file in a schema directory defines a view: "
				     "write a query or CREATE [OR REPLACE] VIEW");
	p = skip_blank(L, p + 4);
	if (word_is(L, p, "IF"))
		return mdc_error_set(err, EINVAL, "IF NOT EXISTS: the file replaces the view; leave it out");

	/* NAME, SCHEMA.NAME or DB.SCHEMA.NAME */
	const char *start[3], *stop[3];
	int n = 0;
	for (;;) {
		if (!p || n == 3)
			return mdc_error_set(err, EINVAL, "CREATE VIEW: a name of at most three parts expected");
		start[n] = p;
		const char *e = NULL;
		if (name_part(L, p, "", &e) < 0)
			return mdc_error_set(err, EINVAL, "CREATE VIEW: no view name");
		stop[n++] = e;
		p = skip_blank(L, e);
		if (!p || p >= L->end || *p != '.')
			break;
		p = skip_blank(L, p + 1);
	}
	const char *want[3] = { db, schema, name };
	for (int i = 0; i < n; i++) {
		const char *e;
		const char *w = want[3 - n + i];
		if (name_part(L, start[i], w ? w : "", &e) != 1)
			return mdc_error_set(err, EINVAL, "CREATE VIEW names %.*s: this file can only define "
					     "view \"%s\" of schema \"%s\"", (int)(stop[n - 1] - start[0]),
					     start[0], name, schema);
	}
	if (p && p < L->end && *p == '(') {
		const char *c = p;
		int depth = 0;
		while (p && p < L->end) {
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				break;
			p = skip_blank(L, skip_item(L, p));
		}
		if (!p || p >= L->end)
			return mdc_error_set(err, EINVAL, "CREATE VIEW: the column list does not end%s%s",
					     L->why ? ": " : "", L->why ? L->why : "");
		if (!(out->columns = dup_range(c, ++p)))
			return mdc_error_set(err, ENOMEM, "out of memory");
		p = skip_blank(L, p);
	}
	if (!word_is(L, p, "AS"))
		return mdc_error_set(err, EINVAL, "CREATE VIEW: AS expected after the name%s",
				     out->columns ? " and columns" : "");
	*body_at = skip_blank(L, p + 2);
	return 0;
}

int mdc_view_split(const char *text, size_t len, const char *db, const char *schema,
		   const char *name, mdc_view_parts *out, mdc_error *err)
{
	memset(out, 0, sizeof *out);
	if (!schema || !name)
		return mdc_error_set(err, EINVAL, "view: no schema or name");
	if (memchr(text, '\0', len))
		return mdc_error_set(err, EINVAL, "the file holds a NUL byte");
	struct lex L = { text, text + len, NULL };
	const char *p = skip_blank(&L, text);
	int rc = 0;
	if (p && word_is(&L, p, "CREATE"))
		rc = parse_head(&L, p + 6, db, schema, name, &p, out, err);
	if (rc < 0) {
		mdc_view_parts_free(out);
		return rc;
	}
	/* The statement ends at the first ';' outside quotes and comments;
	 * only blanks, comments and ';' may follow it. */
	const char *body = p, *stmt_end = NULL;
	while (p && p < L.end) {
		if (*p == ';') {
			if (!stmt_end)
				stmt_end = p;
			p = skip_blank(&L, p + 1);
		} else if (stmt_end) {
			mdc_view_parts_free(out);
			return mdc_error_set(err, EINVAL, "one statement per file: more SQL follows the ';'");
		} else {
			p = skip_blank(&L, skip_item(&L, p));
		}
	}
	if (!p) {
		mdc_view_parts_free(out);
		return mdc_error_set(err, EINVAL, "%s", L.why ? L.why : "the SQL does not end");
	}
	const char *e = stmt_end ? stmt_end : L.end;
	while (e > body && is_blank(e[-1]))
		e--;
	if (!body || e <= body) {
		mdc_view_parts_free(out);
		return mdc_error_set(err, EINVAL, "no query: write a SELECT (or CREATE VIEW ... AS SELECT)");
	}
	if (!(out->body = dup_range(body, e))) {
		mdc_view_parts_free(out);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}
