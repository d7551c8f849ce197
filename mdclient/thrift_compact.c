/* mdclient/thrift_compact.c - Thrift compact protocol writer (see the header).
 *
 * Compact protocol rules used here (Apache Thrift's compact protocol spec):
 * integers are zigzag varints (ULEB128 of (n << 1) ^ (n >> 63)); a field
 * header is one byte (delta << 4) | type when the id is 1..15 above the
 * previous field's id of the same struct, else the type byte followed by
 * the id as a zigzag varint; booleans live in the field header's type
 * (1 true, 2 false); a struct ends with a 0 byte; a list header is
 * (size << 4) | elem_type for size < 15, else 0xF0 | elem_type then the
 * size as a varint; binary is a varint length then the bytes.
 */
#include "mdclient/internal/thrift_compact.h"

#include <stdlib.h>
#include <string.h>

void tc_init(tc_writer *w)
{
	memset(w, 0, sizeof *w);
}

void tc_free(tc_writer *w)
{
	mdc_buf_free(&w->buf);
	memset(w, 0, sizeof *w);
}

void tc_reset(tc_writer *w)
{
	w->buf.len = 0;
	w->failed = false;
	w->depth = 0;
}

static bool reserve(tc_writer *w, size_t n)
{
	if (w->failed)
		return false;
	if (mdc_buf_reserve(&w->buf, n)) {
		w->failed = true;
		return false;
	}
	return true;
}

void tc_put_bytes(tc_writer *w, const void *p, size_t n)
{
	if (!n || !reserve(w, n))
		return;
	memcpy(w->buf.bytes + w->buf.len, p, n);
	w->buf.len += n;
}

static void put_byte(tc_writer *w, uint8_t b)
{
	if (!reserve(w, 1))
		return;
	w->buf.bytes[w->buf.len++] = b;
}

size_t tc_varint_encode(uint64_t v, uint8_t *out)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void tc_put_varint(tc_writer *w, uint64_t v)
{
	uint8_t b[10];
	tc_put_bytes(w, b, tc_varint_encode(v, b));
}

static void field_header(tc_writer *w, int16_t id, int type)
{
	if (w->depth <= 0) {
		w->failed = true; /* a field outside any struct */
		return;
	}
	int16_t *last = &w->last_id[w->depth - 1];
	int delta = (int)id - (int)*last;
	if (delta > 0 && delta <= 15) {
		put_byte(w, (uint8_t)((delta << 4) | type));
	} else {
		put_byte(w, (uint8_t)type);
		tc_put_varint(w, tc_zigzag64(id));
	}
	*last = id;
}

void tc_struct_begin(tc_writer *w)
{
	if (w->depth >= TC_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	w->last_id[w->depth++] = 0;
}

void tc_struct_end(tc_writer *w)
{
	if (w->depth <= 0) {
		w->failed = true;
		return;
	}
	put_byte(w, 0);
	w->depth--;
}

void tc_field_bool(tc_writer *w, int16_t id, bool v)
{
	field_header(w, id, v ? TC_BOOL_TRUE : TC_BOOL_FALSE);
}

void tc_field_i8(tc_writer *w, int16_t id, int8_t v)
{
	field_header(w, id, TC_BYTE);
	put_byte(w, (uint8_t)v);
}

void tc_field_i16(tc_writer *w, int16_t id, int16_t v)
{
	field_header(w, id, TC_I16);
	tc_put_varint(w, tc_zigzag64(v));
}

void tc_field_i32(tc_writer *w, int16_t id, int32_t v)
{
	field_header(w, id, TC_I32);
	tc_put_varint(w, tc_zigzag64(v));
}

void tc_field_i64(tc_writer *w, int16_t id, int64_t v)
{
	field_header(w, id, TC_I64);
	tc_put_varint(w, tc_zigzag64(v));
}

void tc_field_binary(tc_writer *w, int16_t id, const void *p, size_t n)
{
	field_header(w, id, TC_BINARY);
	tc_elem_binary(w, p, n);
}

void tc_field_string(tc_writer *w, int16_t id, const char *s)
{
	tc_field_binary(w, id, s, strlen(s));
}

void tc_field_struct(tc_writer *w, int16_t id)
{
	field_header(w, id, TC_STRUCT);
	tc_struct_begin(w);
}

void tc_field_list(tc_writer *w, int16_t id, int elem_type, uint32_t n)
{
	field_header(w, id, TC_LIST);
	if (n < 15) {
		put_byte(w, (uint8_t)((n << 4) | (uint32_t)elem_type));
	} else {
		put_byte(w, (uint8_t)(0xF0 | elem_type));
		tc_put_varint(w, n);
	}
}

void tc_elem_i32(tc_writer *w, int32_t v)
{
	tc_put_varint(w, tc_zigzag64(v));
}

void tc_elem_i64(tc_writer *w, int64_t v)
{
	tc_put_varint(w, tc_zigzag64(v));
}

void tc_elem_binary(tc_writer *w, const void *p, size_t n)
{
	tc_put_varint(w, n);
	tc_put_bytes(w, p, n);
}

void tc_elem_string(tc_writer *w, const char *s)
{
	tc_elem_binary(w, s, strlen(s));
}
