/* mdclient/internal/thrift_compact.h - a writer for the Thrift compact protocol.
 *
 * Just what Parquet's metadata needs (FileMetaData, PageHeader): structs
 * with field headers (delta-encoded ids), i8/i16/i32/i64 (zigzag varints),
 * bool, binary/string, lists, nested structs. The output goes into a
 * growing buffer; an allocation failure is sticky (tc_failed) so callers
 * check once at the end.
 *
 * Usage: tc_struct_begin(); tc_field_i32(w, 1, 5); ...; tc_struct_end().
 * A list of structs: tc_field_list(w, id, TC_STRUCT, n), then n times
 * tc_struct_begin/.../tc_struct_end. A struct-valued field:
 * tc_field_struct(w, id) then fields then tc_struct_end().
 */
#ifndef MDCLIENT_THRIFT_COMPACT_H
#define MDCLIENT_THRIFT_COMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mdclient/internal/buf.h"

/* Compact protocol element types. */
enum {
	TC_BOOL_TRUE = 1,
	TC_BOOL_FALSE = 2,
	TC_BYTE = 3,
	TC_I16 = 4,
	TC_I32 = 5,
	TC_I64 = 6,
	TC_DOUBLE = 7,
	TC_BINARY = 8,
	TC_LIST = 9,
	TC_SET = 10,
	TC_MAP = 11,
	TC_STRUCT = 12,
};

#define TC_MAX_DEPTH 16

typedef struct tc_writer {
	mdc_buf buf;            /* the encoded bytes: buf.bytes[0..buf.len) */
	bool failed;            /* out of memory or nesting too deep */
	int depth;
	int16_t last_id[TC_MAX_DEPTH]; /* last field id per open struct */
} tc_writer;

void tc_init(tc_writer *w);
void tc_free(tc_writer *w);
/* Forget the content, keep the buffer. */
void tc_reset(tc_writer *w);
static inline bool tc_failed(const tc_writer *w) { return w->failed; }

/* Raw encodings (also used by Parquet's RLE hybrid header). */
void tc_put_bytes(tc_writer *w, const void *p, size_t n);
void tc_put_varint(tc_writer *w, uint64_t v);
static inline uint64_t tc_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
/* Encode a varint into out (at least 10 bytes); returns its length. */
size_t tc_varint_encode(uint64_t v, uint8_t *out);

/* The top-level struct of a message, or a struct element of a list. */
void tc_struct_begin(tc_writer *w);
void tc_struct_end(tc_writer *w);

/* Fields of the current struct (ids must increase for the short form;
 * any order works, the long form is used when the delta is not 1..15). */
void tc_field_bool(tc_writer *w, int16_t id, bool v);
void tc_field_i8(tc_writer *w, int16_t id, int8_t v);
void tc_field_i16(tc_writer *w, int16_t id, int16_t v);
void tc_field_i32(tc_writer *w, int16_t id, int32_t v);
void tc_field_i64(tc_writer *w, int16_t id, int64_t v);
void tc_field_binary(tc_writer *w, int16_t id, const void *p, size_t n);
void tc_field_string(tc_writer *w, int16_t id, const char *s);
/* Begin a struct-valued field; end it with tc_struct_end. */
void tc_field_struct(tc_writer *w, int16_t id);
/* Begin a list-valued field of n elements of elem_type; then write the
 * elements with the tc_elem_* calls (or tc_struct_begin for structs). */
void tc_field_list(tc_writer *w, int16_t id, int elem_type, uint32_t n);
void tc_elem_i32(tc_writer *w, int32_t v);
void tc_elem_i64(tc_writer *w, int64_t v);
void tc_elem_binary(tc_writer *w, const void *p, size_t n);
void tc_elem_string(tc_writer *w, const char *s);

#endif
