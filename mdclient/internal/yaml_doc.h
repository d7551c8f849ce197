/* mdclient/internal/yaml_doc.h - a YAML file as a small tree (libyaml's
 * parser underneath), for dbt_project.c. Only mdclient and its unit tests use it.
 *
 * A document is a tree of scalars, mappings and sequences; every node knows
 * its 1-based line. Aliases (*x) point at their anchor's node (the tree is a
 * DAG: nodes belong to the document, never to their parent). Merge keys
 * (<<: *x) are followed by mdc_ymap_get. Only the first document of a stream
 * is read; an empty file is a document whose root is NULL.
 *
 * Errors: -ENOENT/-EACCES/-EIO (file), -EINVAL "FILE:LINE: problem" (syntax,
 * from libyaml, or a key that is not a scalar), -ENOMEM.
 */
#ifndef MDCLIENT_INTERNAL_YAML_DOC_H
#define MDCLIENT_INTERNAL_YAML_DOC_H

#include <stddef.h>
#include "mdclient/common.h"
#include "mdclient/error.h"

typedef enum mdc_ykind { MDC_YSCALAR, MDC_YMAP, MDC_YSEQ } mdc_ykind;

typedef struct mdc_ynode {
	mdc_ykind kind;
	int line;                   /* 1-based */
	char *str;                  /* MDC_YSCALAR: the value (NUL-terminated) */
	int plain;                  /* MDC_YSCALAR: written without quotes */
	size_t n;                   /* MDC_YMAP: pairs; MDC_YSEQ: items */
	struct mdc_ynode **keys;    /* MDC_YMAP: n scalar keys */
	struct mdc_ynode **vals;    /* MDC_YMAP: n values; MDC_YSEQ: n items */
	size_t cap;
} mdc_ynode;

typedef struct mdc_ydoc mdc_ydoc;

/* Parse text (len bytes) read from a file called name (used in errors). */
int mdc_ydoc_parse(const char *text, size_t len, const char *name, mdc_ydoc **out,
		   mdc_error *err) MDC_MUSTCHECK;
/* Read and parse a file. */
int mdc_ydoc_load(const char *path, mdc_ydoc **out, mdc_error *err) MDC_MUSTCHECK;
void mdc_ydoc_free(mdc_ydoc *d);          /* NULL is fine */

const mdc_ynode *mdc_ydoc_root(const mdc_ydoc *d);   /* NULL: empty document */
const char *mdc_ydoc_name(const mdc_ydoc *d);

/* The value of key in a mapping (NULL when absent or map is not a mapping).
 * The last occurrence of a repeated key wins (as PyYAML); then merge keys. */
const mdc_ynode *mdc_ymap_get(const mdc_ynode *map, const char *key);
/* A plain null (~, null, Null, NULL, empty) or NULL. */
int mdc_ynull(const mdc_ynode *n);
/* YAML 1.1 booleans as PyYAML reads them (true/false/yes/no/on/off in the
 * three cases); also the quoted strings "true"/"false". 1/0, or -1. */
int mdc_ybool(const mdc_ynode *n);

#endif
