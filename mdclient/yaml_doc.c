/* mdclient/yaml_doc.c - YAML files as trees, with libyaml's event parser.
 * See internal/yaml_doc.h. */
#include "mdclient/internal/yaml_doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "mdclient/internal/buf.h"

#define MAX_DEPTH 64

struct anchor {
	char *name;
	mdc_ynode *node;
};

struct mdc_ydoc {
	char *name;
	mdc_ynode *root;
	mdc_ynode **nodes;          /* every node, for freeing */
	size_t n_nodes, cap_nodes;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
};

static mdc_ynode *new_node(mdc_ydoc *d, mdc_ykind kind, int line)
{
	if (mdc_array_reserve(&d->nodes, &d->cap_nodes, d->n_nodes + 1, sizeof *d->nodes, 64) < 0)
		return NULL;
	mdc_ynode *y = calloc(1, sizeof *y);
	if (!y)
		return NULL;
	y->kind = kind;
	y->line = line;
	d->nodes[d->n_nodes++] = y;
	return y;
}

static int add_anchor(mdc_ydoc *d, const yaml_char_t *name, mdc_ynode *node)
{
	if (!name)
		return 0;
	if (mdc_array_reserve(&d->anchors, &d->cap_anchors, d->n_anchors + 1, sizeof *d->anchors, 8) < 0)
		return -1;
	char *s = strdup((const char *)name);
	if (!s)
		return -1;
	d->anchors[d->n_anchors].name = s;
	d->anchors[d->n_anchors++].node = node;
	return 0;
}

static mdc_ynode *find_anchor(const mdc_ydoc *d, const yaml_char_t *name)
{
	for (size_t i = d->n_anchors; i-- > 0;)   /* a redefined anchor: the latest */
		if (strcmp(d->anchors[i].name, (const char *)name) == 0)
			return d->anchors[i].node;
	return NULL;
}

/* Append to a mapping (as key or value, alternating) or a sequence. */
static int append(mdc_ynode *parent, mdc_ynode *child, int *want_key)
{
	if (parent->kind == MDC_YMAP && !*want_key) {
		parent->vals[parent->n - 1] = child;
		*want_key = 1;
		return 0;
	}
	size_t key_cap = parent->cap;   /* keys: as many as vals, one cap for both */
	if ((parent->kind == MDC_YMAP &&
	     mdc_array_reserve(&parent->keys, &key_cap, parent->n + 1, sizeof *parent->keys, 8) < 0) ||
	    mdc_array_reserve(&parent->vals, &parent->cap, parent->n + 1, sizeof *parent->vals, 8) < 0)
		return -1;
	if (parent->kind == MDC_YMAP) {
		parent->keys[parent->n] = child;
		parent->vals[parent->n++] = NULL;
		*want_key = 0;
	} else {
		parent->vals[parent->n++] = child;
	}
	return 0;
}

static int oom(mdc_error *err)
{
	return mdc_error_set(err, ENOMEM, "out of memory");
}

int mdc_ydoc_parse(const char *text, size_t len, const char *name, mdc_ydoc **out,
		   mdc_error *err)
{
	mdc_error_clear(err);
	*out = NULL;
	mdc_ydoc *d = calloc(1, sizeof *d);
	if (!d || !(d->name = strdup(name ? name : "(yaml)"))) {
		free(d);
		return oom(err);
	}
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		mdc_ydoc_free(d);
		return oom(err);
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);

	mdc_ynode *stack[MAX_DEPTH];
	int want_key[MAX_DEPTH];
	int depth = 0, done = 0, rc = 0;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			rc = mdc_error_set(err, EINVAL, "%s:%zu: %s%s%s", d->name,
					   p.problem_mark.line + 1,
					   p.problem ? p.problem : "YAML syntax error",
					   p.context ? " " : "", p.context ? p.context : "");
			break;
		}
		int line = (int)ev.start_mark.line + 1;
		mdc_ynode *node = NULL;
		const yaml_char_t *anchor = NULL;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			node = new_node(d, MDC_YSCALAR, line);
			if (!node || !(node->str = malloc(ev.data.scalar.length + 1))) {
				rc = oom(err);
				break;
			}
			memcpy(node->str, ev.data.scalar.value, ev.data.scalar.length);
			node->str[ev.data.scalar.length] = '\0';
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			anchor = ev.data.scalar.anchor;
			break;
		case YAML_ALIAS_EVENT:
			node = find_anchor(d, ev.data.alias.anchor);
			if (!node)
				rc = mdc_error_set(err, EINVAL, "%s:%d: unknown alias *%s", d->name,
						   line, (const char *)ev.data.alias.anchor);
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			node = new_node(d, ev.type == YAML_MAPPING_START_EVENT ? MDC_YMAP : MDC_YSEQ,
					line);
			if (!node)
				rc = oom(err);
			anchor = ev.type == YAML_MAPPING_START_EVENT ? ev.data.mapping_start.anchor
								     : ev.data.sequence_start.anchor;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		if (rc == 0 && node) {
			if (anchor && add_anchor(d, anchor, node) < 0) {
				rc = oom(err);
			} else if (depth == 0) {
				d->root = node;
			} else {
				mdc_ynode *parent = stack[depth - 1];
				if (parent->kind == MDC_YMAP && want_key[depth - 1] &&
				    node->kind != MDC_YSCALAR)
					rc = mdc_error_set(err, EINVAL,
							   "%s:%d: a mapping key must be a plain value",
							   d->name, line);
				else if (append(parent, node, &want_key[depth - 1]) < 0)
					rc = oom(err);
			}
			if (rc == 0 && ev.type != YAML_SCALAR_EVENT && ev.type != YAML_ALIAS_EVENT) {
				if (depth == MAX_DEPTH)
					rc = mdc_error_set(err, EINVAL, "%s:%d: nested too deeply",
							   d->name, line);
				else {
					stack[depth] = node;
					want_key[depth++] = 1;
				}
			}
		}
		yaml_event_delete(&ev);
		if (rc < 0)
			break;
	}
	yaml_parser_delete(&p);
	if (rc < 0) {
		mdc_ydoc_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int mdc_ydoc_load(const char *path, mdc_ydoc **out, mdc_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		return mdc_error_set(err, e == ENOENT || e == EACCES ? e : EIO, "%s: %s", path,
				     strerror(e));
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (len + 4096 > cap) {
			if (cap >= ((size_t)16 << 20)) {
				rc = mdc_error_set(err, EFBIG, "%s: larger than 16 MiB", path);
				break;
			}
			size_t nc = cap ? cap * 2 : 8192;
			char *n = realloc(buf, nc);
			if (!n) {
				rc = oom(err);
				break;
			}
			buf = n;
			cap = nc;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				rc = mdc_error_set(err, EIO, "%s: read error", path);
			break;
		}
	}
	fclose(f);
	if (rc == 0)
		rc = mdc_ydoc_parse(buf ? buf : "", len, path, out, err);
	free(buf);
	return rc;
}

void mdc_ydoc_free(mdc_ydoc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_nodes; i++) {
		free(d->nodes[i]->str);
		free(d->nodes[i]->keys);
		free(d->nodes[i]->vals);
		free(d->nodes[i]);
	}
	for (size_t i = 0; i < d->n_anchors; i++)
		free(d->anchors[i].name);
	free(d->anchors);
	free(d->nodes);
	free(d->name);
	free(d);
}

const mdc_ynode *mdc_ydoc_root(const mdc_ydoc *d)
{
	return d ? d->root : NULL;
}

const char *mdc_ydoc_name(const mdc_ydoc *d)
{
	return d->name;
}

static const mdc_ynode *map_get(const mdc_ynode *map, const char *key, int depth)
{
	if (!map || map->kind != MDC_YMAP || depth > 8)
		return NULL;
	for (size_t i = map->n; i-- > 0;)
		if (map->vals[i] && strcmp(map->keys[i]->str, key) == 0 &&
		    !(map->keys[i]->plain && strcmp(key, "<<") == 0))
			return map->vals[i];
	/* Merge keys: <<: *a or <<: [*a, *b] (earlier ones win). */
	for (size_t i = 0; i < map->n; i++) {
		const mdc_ynode *m = map->vals[i];
		if (!m || !map->keys[i]->plain || strcmp(map->keys[i]->str, "<<") != 0)
			continue;
		if (m->kind == MDC_YMAP)
			return map_get(m, key, depth + 1);
		if (m->kind == MDC_YSEQ)
			for (size_t j = 0; j < m->n; j++) {
				const mdc_ynode *v = map_get(m->vals[j], key, depth + 1);
				if (v)
					return v;
			}
	}
	return NULL;
}

const mdc_ynode *mdc_ymap_get(const mdc_ynode *map, const char *key)
{
	return map_get(map, key, 0);
}

int mdc_ynull(const mdc_ynode *n)
{
	if (!n)
		return 1;
	if (n->kind != MDC_YSCALAR || !n->plain)
		return 0;
	return !*n->str || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

int mdc_ybool(const mdc_ynode *n)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					   "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO",
					  "off", "Off", "OFF" };
	if (!n || n->kind != MDC_YSCALAR)
		return -1;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if ((n->plain || i < 3) && strcmp(n->str, yes[i]) == 0)
			return 1;
		if ((n->plain || i < 3) && strcmp(n->str, no[i]) == 0)
			return 0;
	}
	return -1;
}
