// types.mjs — DuckDB values → PostgreSQL text format, and DuckDB types → PostgreSQL OIDs.
//
// Every value is sent exactly as DuckDB's own `CAST(x AS VARCHAR)` prints it (that is what the
// MotherDuck endpoint is expected to send in text format).  Values are read straight from DuckDB's
// vectors through @duckdb/node-bindings (the C API mirrored 1:1), not through node-api's value
// objects: those are slow, and their toString() differs from CAST for DOUBLE, nested types, etc.
//
// A formatter is built once per result column from its DuckDBType and offers
//   text(vec, n)  -> Array<string|null>  DuckDB's VARCHAR text of each of the n entries
//   cells(vec, n) -> column for the DataRow encoder (see wire.mjs encodeDataRows): either an Array
//                    of null | ASCII-only string | Uint8Array (UTF-8 bytes), or a {strings} column
//                    (readStrings) whose bytes the encoder copies as they are (no decode/encode).
//   nested        -> LIST/STRUCT/MAP/ARRAY/UNION: printed raw (unquoted) inside a parent value.
// The rules below were checked value by value against CAST(x AS VARCHAR) on DuckDB 1.5.6 (see
// selftest.sh, which compares both through psql).

import duckdb from '@duckdb/node-bindings';
import { DuckDBTypeId as T, DuckDBVector } from '@duckdb/node-api';

// ---------------------------------------------------------------------------------------------
// PostgreSQL type OIDs and sizes for RowDescription / ParameterDescription.
// Types with a PostgreSQL twin get its OID; everything else is sent as text (25).
const OID = {
  [T.BOOLEAN]: [16, 1], [T.SMALLINT]: [21, 2], [T.INTEGER]: [23, 4], [T.BIGINT]: [20, 8],
  [T.FLOAT]: [700, 4], [T.DOUBLE]: [701, 8], [T.DECIMAL]: [1700, -1], [T.VARCHAR]: [1043, -1],
  [T.DATE]: [1082, 4], [T.TIME]: [1083, 8], [T.TIMESTAMP]: [1114, 8], [T.TIMESTAMP_TZ]: [1184, 8],
  [T.INTERVAL]: [1186, 16], [T.UUID]: [2950, 16], [T.BLOB]: [17, -1],
};
/** {oid, size, typmod} describing a DuckDBType on the wire. */
export function pgType(type) {
  const [oid, size] = (type.alias === 'JSON' ? null : OID[type.typeId]) ?? [25, -1]; // JSON (a VARCHAR alias) is text
  // numeric typmod is ((precision << 16) | scale) + VARHDRSZ, as PostgreSQL reports it
  const typmod = type.typeId === T.DECIMAL ? ((type.width << 16) | type.scale) + 4 : -1;
  return { oid, size, typmod };
}

/**
 * The columns of a RowDescription as the `type_oids` switch describes them: `twins` as pgType gave
 * them; `text` every column as text (25, size -1, typmod -1); `unknown` every column as PostgreSQL's
 * `unknown` pseudo-type (705, size -2 like its typlen, typmod -1), what a proxy that does not map
 * DuckDB's types sends.  Only the description changes: the values stay DuckDB's text.
 */
export function describedAs(cols, mode) {
  if (mode === 'text') return cols.map((c) => ({ ...c, oid: 25, size: -1, typmod: -1 }));
  if (mode === 'unknown') return cols.map((c) => ({ ...c, oid: 705, size: -2, typmod: -1 }));
  return cols;
}

// ---------------------------------------------------------------------------------------------
// Raw vector access (DuckDB C API layout).
const validityOf = (vec, n) => duckdb.vector_get_validity(vec, Math.ceil(n / 64) * 8); // null = all valid
const valid = (v, i) => v === null || ((v[i >> 3] >> (i & 7)) & 1) === 1;
const dataOf = (vec, bytes) => duckdb.vector_get_data(vec, bytes);
const dv = (u8) => new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
const TWO32 = 4294967296;

/**
 * Locate the bytes of n duckdb_string_t entries (16 bytes each: u32 length, then the bytes inline
 * when length <= 12, else a 4-byte prefix and a pointer).  Entry i is lens[i] bytes (-1 = NULL) at
 * src[i] offset off[i].  Reading one pointed-to string costs a native call (~1 µs), so strings
 * lying next to each other in memory (DuckDB allocates them from one arena, in order) are read
 * with one call per run: a run only grows across gaps of at most 64 bytes, so every byte read
 * lies on a page that also holds string data.
 */
export function readStrings(vec, n) {
  const val = validityOf(vec, n), data = dataOf(vec, n * 16);
  const inline = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const lens = new Int32Array(n), off = new Int32Array(n), src = new Array(n);
  const runOf = new Int32Array(n).fill(-1); // run index of each pointed-to string
  const runs = []; // [firstEntry, start address, end address]
  let run = null;
  for (let i = 0; i < n; i++) {
    if (!valid(val, i)) { lens[i] = -1; continue; }
    const o = i * 16;
    const len = inline.readUInt32LE(o);
    lens[i] = len;
    if (len <= 12) { src[i] = inline; off[i] = o + 4; continue; }
    const p = inline.readUInt32LE(o + 8) + inline.readUInt32LE(o + 12) * TWO32; // < 2^53 on 64-bit platforms
    if (run === null || p < run[1] || p > run[2] + 64) { run = [i, p, p + len]; runs.push(run); } else if (p + len > run[2]) run[2] = p + len;
    runOf[i] = runs.length - 1;
    off[i] = p - run[1];
  }
  const bufs = runs.map(([first, start, end]) => {
    const u8 = duckdb.get_data_from_pointer(data.buffer, data.byteOffset + first * 16 + 8, end - start);
    return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  });
  for (let i = 0; i < n; i++) if (runOf[i] >= 0) src[i] = bufs[runOf[i]];
  return { lens, off, src };
}

/** Signed 64-bit at off: a Number when exact, else a BigInt. */
function int64(view, off) {
  const hi = view.getInt32(off + 4, true);
  if (hi >= -2097152 && hi < 2097152) return hi * TWO32 + view.getUint32(off, true);
  return view.getBigInt64(off, true);
}
function uint64(view, off) {
  const hi = view.getUint32(off + 4, true);
  if (hi < 2097152) return hi * TWO32 + view.getUint32(off, true);
  return view.getBigUint64(off, true);
}
/** Signed 128-bit at off: a Number when exact, else a BigInt. */
function int128(view, off) {
  const hh = view.getInt32(off + 12, true), hl = view.getUint32(off + 8, true), lh = view.getUint32(off + 4, true);
  if (hh === 0 && hl === 0 && lh < 2097152) return lh * TWO32 + view.getUint32(off, true);
  if (hh === -1 && hl === 0xffffffff && lh >= 0xffe00000) return (lh - TWO32) * TWO32 + view.getUint32(off, true);
  return (view.getBigInt64(off + 8, true) << 64n) | view.getBigUint64(off, true);
}
const uint128 = (view, off) => (view.getBigUint64(off + 8, true) << 64n) | view.getBigUint64(off, true);

// ---------------------------------------------------------------------------------------------
// Scalar text forms (DuckDB's CAST ... AS VARCHAR).
const pad2 = (x) => (x < 10 ? '0' + x : '' + x);
const pad4 = (x) => (x < 1000 ? String(x).padStart(4, '0') : '' + x);

/** DOUBLE: shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16 (with ".0" for
 *  integral values), else d.ddde+XX — the same layout as Python's repr(), which DuckDB matches. */
export function doubleText(x) {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return 1 / x < 0 ? '-0.0' : '0.0';
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-4 && ax < 1e16) {
    const s = '' + x; // JS prints this range in fixed notation with the same shortest digits
    return s.indexOf('.') < 0 ? s + '.0' : s;
  }
  const e = x.toExponential(); // "-1.2345e+17": shortest round-trip digits
  const ei = e.indexOf('e');
  const exp = +e.slice(ei + 1);
  return e.slice(0, ei) + (exp < 0 ? 'e-' : 'e+') + pad2(exp < 0 ? -exp : exp);
}
/** FLOAT: printed by DuckDB itself.  DuckDB's bundled fmt prints most floats with the shortest
 *  float32 digits but falls back to the double's digits when its Grisu pass gives up (about 0.6% of
 *  random floats, e.g. 125908475904.0 rather than 125908476000.0), so no simple JS rule matches it:
 *  create a DuckDB FLOAT value and let DuckDB cast it to VARCHAR (~2 µs a value; REAL is rare). */
const floatCache = new Map();
export function floatText(f) {
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0'; // (a Map does not tell 0 from -0)
  let s = floatCache.get(f);
  if (s === undefined) {
    s = duckdb.get_varchar(duckdb.create_float(f));
    if (floatCache.size >= 65536) floatCache.clear();
    floatCache.set(f, s);
  }
  return s;
}

const DATE_INF = 2147483647;
let lastDays = NaN, lastDate = ''; // consecutive values often share the day
/** DATE from days since 1970-01-01 (proleptic Gregorian, H. Hinnant's civil_from_days). */
export function dateText(days) {
  if (days === lastDays) return lastDate;
  lastDate = dateTextUncached(days);
  lastDays = days;
  return lastDate;
}
function dateTextUncached(days) {
  if (days === DATE_INF) return 'infinity';
  if (days === -DATE_INF) return '-infinity';
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y <= 0) return pad4(1 - y) + '-' + pad2(m) + '-' + pad2(d) + ' (BC)';
  return pad4(y) + '-' + pad2(m) + '-' + pad2(d);
}
/** ".fff" with trailing zeros trimmed; '' when 0. frac < 10**digits. */
function fracText(frac, digits) {
  if (frac === 0) return '';
  let s = String(frac).padStart(digits, '0');
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  return '.' + s.slice(0, end);
}
/** HH:MM:SS[.ffffff] from a non-negative count of `unit`s (1e6 = microseconds) in the day. */
function clockText(t, unit, digits) {
  let s = Math.floor(t / unit);
  const frac = t - s * unit;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  return pad2(h) + ':' + pad2(m) + ':' + pad2(s - m * 60) + fracText(frac, digits);
}
const US_PER_DAY = 86400e6;
/** TIMESTAMP from microseconds since the epoch (Number or BigInt). */
function timestampText(us) {
  if (typeof us === 'bigint') {
    if (us === 9223372036854775807n) return 'infinity';
    if (us === -9223372036854775807n) return '-infinity';
    let days = us / 86400000000n;
    if (us % 86400000000n < 0n) days -= 1n;
    return dateText(Number(days)) + ' ' + clockText(Number(us - days * 86400000000n), 1e6, 6);
  }
  const days = Math.floor(us / US_PER_DAY);
  return dateText(days) + ' ' + clockText(us - days * US_PER_DAY, 1e6, 6);
}
/** TIMESTAMP_S / TIMESTAMP_MS: x seconds or milliseconds (usPer = microseconds per unit). */
function scaledTimestampText(x, usPer) {
  if (typeof x === 'number') {
    const us = x * usPer;
    return timestampText(Number.isSafeInteger(us) ? us : BigInt(x) * BigInt(usPer));
  }
  if (x === 9223372036854775807n || x === -9223372036854775807n) return timestampText(x); // ±infinity
  return timestampText(x * BigInt(usPer));
}
function timestampNsText(ns) { // ns: BigInt
  if (ns === 9223372036854775807n) return 'infinity';
  if (ns === -9223372036854775807n) return '-infinity';
  const NS_DAY = 86400000000000n;
  let days = ns / NS_DAY;
  if (ns % NS_DAY < 0n) days -= 1n;
  return dateText(Number(days)) + ' ' + clockText(Number(ns - days * NS_DAY), 1e9, 9);
}
/** INTERVAL: "1 year 2 months 3 days 04:05:06.7"; "00:00:00" when zero. */
function intervalText(months, days, micros) {
  let out = '';
  const part = (v, unit) => {
    out += (out ? ' ' : '') + v + ' ' + unit + (v === 1 || v === -1 ? '' : 's');
  };
  if (months !== 0) {
    const y = Math.trunc(months / 12);
    if (y !== 0) part(y, 'year');
    if (months - y * 12 !== 0) part(months - y * 12, 'month');
  }
  if (days !== 0) part(days, 'day');
  if (micros != 0) {
    let sign = '';
    if (micros < 0) { sign = '-'; micros = -micros; }
    if (typeof micros === 'bigint') {
      const h = micros / 3600000000n;
      const rest = Number(micros - h * 3600000000n);
      const t = clockText(rest, 1e6, 6);
      out += (out ? ' ' : '') + sign + pad2(Number(h)) + t.slice(2);
    } else {
      out += (out ? ' ' : '') + sign + clockText(micros, 1e6, 6);
    }
  }
  return out || '00:00:00';
}
/** "+05", "-03:30", "+15:59:59" */
function offsetText(secs) {
  const sign = secs < 0 ? '-' : '+';
  if (secs < 0) secs = -secs;
  const h = Math.floor(secs / 3600), m = Math.floor(secs / 60) % 60, s = secs % 60;
  return sign + pad2(h) + (m || s ? ':' + pad2(m) : '') + (s ? ':' + pad2(s) : '');
}
/** BLOB: printable ASCII as-is, everything else (and " ' \) as \xHH. */
const BLOB_ESC = [];
for (let b = 0; b < 256; b++) {
  BLOB_ESC[b] = b >= 0x20 && b <= 0x7e && b !== 0x22 && b !== 0x27 && b !== 0x5c
    ? String.fromCharCode(b) : '\\x' + b.toString(16).toUpperCase().padStart(2, '0');
}
function blobText(b, o, len) {
  let s = '';
  for (let i = o; i < o + len; i++) s += BLOB_ESC[b[i]];
  return s;
}
function bitText(b, o, len) { // byte 0 = number of padding bits at the start of byte 1
  const pad = b[o], nbits = (len - 1) * 8;
  let s = '';
  for (let i = pad; i < nbits; i++) s += (b[o + 1 + (i >> 3)] >> (7 - (i & 7))) & 1;
  return s;
}
function bignumText(b, o, len) { // 3-byte header (MSB set = positive), then big-endian magnitude; negatives are inverted
  const positive = (b[o] & 0x80) !== 0;
  let v = 0n;
  for (let i = o + 3; i < o + len; i++) v = (v << 8n) | BigInt(positive ? b[i] : b[i] ^ 0xff);
  return (positive ? v : -v).toString();
}
function decimalText(v, scale) { // v: Number or BigInt unscaled value
  if (scale === 0) return '' + v;
  let neg = v < 0;
  let s = '' + (neg ? -v : v);
  if (s.length <= scale) s = s.padStart(scale + 1, '0');
  return (neg ? '-' : '') + s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
}
const hex8 = (x) => x.toString(16).padStart(8, '0');
function uuidText(view, off) { // stored as a hugeint with the top bit flipped
  const h = hex8((view.getUint32(off + 12, true) ^ 0x80000000) >>> 0) + hex8(view.getUint32(off + 8, true)) +
    hex8(view.getUint32(off + 4, true)) + hex8(view.getUint32(off, true));
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}

// ---------------------------------------------------------------------------------------------
// Time zone for TIMESTAMPTZ: DuckDB (with ICU) prints it in the session TimeZone with its offset.
const UTC_NAMES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt', 'z', 'zulu', 'universal', 'etc/universal', 'uct', 'etc/uct', 'greenwich', 'gmt0', 'etc/gmt0']);
export const isUtcZone = (tz) => UTC_NAMES.has(String(tz).toLowerCase());
const zoneFormatters = new Map();
/** Offset (seconds, whole seconds east of UTC) of IANA zone tz at epoch milliseconds ms. */
function zoneOffset(tz, ms) {
  let f = zoneFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormatters.set(tz, f);
  }
  const p = {};
  for (const { type, value } of f.formatToParts(new Date(ms))) p[type] = value;
  const year = p.era === 'BC' || p.era === 'B' ? 1 - +p.year : +p.year;
  const d = new Date(0);
  d.setUTCFullYear(year, +p.month - 1, +p.day);
  d.setUTCHours(+p.hour, +p.minute, +p.second, 0);
  return Math.round((d.getTime() - (ms - (((ms % 1000) + 1000) % 1000))) / 1000);
}
function timestamptzText(us, tz) {
  if (!isUtcZone(tz) && us !== 9223372036854775807n && us !== -9223372036854775807n) {
    let off = 0;
    try { off = zoneOffset(tz, Math.floor(Number(us) / 1000)); } catch { /* unknown zone or out of range: UTC */ }
    const mins = Math.trunc(off / 60); // DuckDB prints the offset to the minute
    const local = typeof us === 'bigint' ? us + BigInt(off) * 1000000n : us + off * 1e6;
    return timestampText(Number.isSafeInteger(local) || typeof local === 'bigint' ? local : BigInt(us) + BigInt(off) * 1000000n) + offsetText(mins * 60);
  }
  const t = timestampText(us);
  return t.endsWith('infinity') ? t : t + '+00';
}

// ---------------------------------------------------------------------------------------------
// Quoting of scalar values inside LIST / STRUCT / MAP text (DuckDB's NestedToVarcharCast rules):
// quoted when empty, when starting (or, if longer than 1, ending) with a space character, when
// equal to NULL ignoring case, or when containing one of  " ' ( ) , : = [ ] { }   Inside quotes
// ' and \ are backslash-escaped.  STRUCT keys are always quoted.  Nested children are printed raw,
// and so are JSON elements of a LIST and all elements of a fixed-size ARRAY (DuckDB 1.5.6 does so).
const NEEDS_QUOTES = /["'(),:=[\]{}]/;
const isSpace = (c) => c === 32 || (c >= 9 && c <= 13);
const quoteNested = (s) => "'" + s.replace(/[\\']/g, '\\$&') + "'";
function escapeNested(s) {
  if (s.length === 0 || isSpace(s.charCodeAt(0)) || (s.length >= 2 && isSpace(s.charCodeAt(s.length - 1))) ||
      (s.length === 4 && s.toLowerCase() === 'null') || NEEDS_QUOTES.test(s)) return quoteNested(s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Formatter construction.

/** Column of `n` fixed-width values: call f(view, byteOffset) for each valid entry. */
function fixed(width, f) {
  return (vec, n) => {
    const out = new Array(n);
    if (n === 0) return out;
    const val = validityOf(vec, n), view = dv(dataOf(vec, n * width));
    for (let i = 0; i < n; i++) out[i] = valid(val, i) ? f(view, i * width) : null;
    return out;
  };
}
/** Column of typed-array values (fast path for the common numeric types). */
function typed(Arr, f) {
  return (vec, n) => {
    const out = new Array(n);
    if (n === 0) return out;
    const val = validityOf(vec, n), u8 = dataOf(vec, n * Arr.BYTES_PER_ELEMENT);
    const a = new Arr(u8.buffer, u8.byteOffset, n);
    if (val === null) for (let i = 0; i < n; i++) out[i] = f(a[i]);
    else for (let i = 0; i < n; i++) out[i] = valid(val, i) ? f(a[i]) : null;
    return out;
  };
}
/** Column of duckdb_string_t values, f(buffer, offset, length) → text. */
function strings(f) {
  return (vec, n) => {
    const out = new Array(n);
    if (n === 0) return out;
    const { lens, off, src } = readStrings(vec, n);
    for (let i = 0; i < n; i++) out[i] = lens[i] < 0 ? null : f(src[i], off[i], lens[i]);
    return out;
  };
}
const toBytes = (textFn) => (vec, n) => textFn(vec, n).map((s) => (s === null ? null : Buffer.from(s, 'utf8')));
const String_ = (x) => '' + x;

/**
 * Build the formatter for one column.
 * @param type DuckDBType (from node-api)
 * @param session {timeZone} — read at format time (SET TimeZone changes it)
 * @param opts {boolTf} — a top-level BOOLEAN as PostgreSQL's t/f instead of DuckDB's true/false
 *             (values inside LIST/STRUCT/... stay DuckDB's text)
 */
export function makeFormatter(type, session, opts = {}) {
  const id = type.typeId;
  const simple = (text) => ({ text, cells: text, nested: false });
  switch (id) {
    case T.BOOLEAN: return simple(typed(Uint8Array, opts.boolTf ? (b) => (b ? 't' : 'f') : (b) => (b ? 'true' : 'false')));
    case T.TINYINT: return simple(typed(Int8Array, String_));
    case T.SMALLINT: return simple(typed(Int16Array, String_));
    case T.INTEGER: return simple(typed(Int32Array, String_));
    case T.UTINYINT: return simple(typed(Uint8Array, String_));
    case T.USMALLINT: return simple(typed(Uint16Array, String_));
    case T.UINTEGER: return simple(typed(Uint32Array, String_));
    case T.BIGINT: return simple(fixed(8, (v, o) => '' + int64(v, o)));
    case T.UBIGINT: return simple(fixed(8, (v, o) => '' + uint64(v, o)));
    case T.HUGEINT: return simple(fixed(16, (v, o) => '' + int128(v, o)));
    case T.UHUGEINT: return simple(fixed(16, (v, o) => uint128(v, o).toString()));
    case T.FLOAT: return simple(typed(Float32Array, floatText));
    case T.DOUBLE: return simple(typed(Float64Array, doubleText));
    case T.DECIMAL: {
      const s = type.scale, w = type.width;
      if (w <= 4) return simple(fixed(2, (v, o) => decimalText(v.getInt16(o, true), s)));
      if (w <= 9) return simple(fixed(4, (v, o) => decimalText(v.getInt32(o, true), s)));
      if (w <= 18) return simple(fixed(8, (v, o) => decimalText(int64(v, o), s)));
      return simple(fixed(16, (v, o) => decimalText(int128(v, o), s)));
    }
    case T.VARCHAR: {
      const text = strings((b, o, len) => b.toString('utf8', o, o + len));
      // top level: the encoder copies the UTF-8 bytes as they are (no decoding)
      const cells = (vec, n) => (n === 0 ? { strings: true, lens: new Int32Array(0) } : { strings: true, ...readStrings(vec, n) });
      return { text, cells, nested: false, json: type.alias === 'JSON' };
    }
    case T.BLOB: return simple(strings(blobText));
    case T.BIT: return simple(strings(bitText));
    case T.BIGNUM: return simple(strings(bignumText));
    case T.DATE: return simple(typed(Int32Array, dateText));
    case T.TIME: return simple(fixed(8, (v, o) => clockText(int64(v, o), 1e6, 6)));
    case T.TIME_NS: return simple(fixed(8, (v, o) => clockText(int64(v, o), 1e9, 9)));
    case T.TIME_TZ: return simple(fixed(8, (v, o) => { // 40 bits of micros, 24 bits of (MAX_OFFSET - offset)
      const hi = v.getUint32(o + 4, true), lo = v.getUint32(o, true);
      return clockText(hi * 256 + (lo >>> 24), 1e6, 6) + offsetText(57599 - (lo & 0xffffff));
    }));
    case T.TIMESTAMP: return simple(fixed(8, (v, o) => timestampText(int64(v, o))));
    case T.TIMESTAMP_S: return simple(fixed(8, (v, o) => scaledTimestampText(int64(v, o), 1e6)));
    case T.TIMESTAMP_MS: return simple(fixed(8, (v, o) => scaledTimestampText(int64(v, o), 1e3)));
    case T.TIMESTAMP_NS: return simple(fixed(8, (v, o) => timestampNsText(v.getBigInt64(o, true))));
    case T.TIMESTAMP_TZ: return simple(fixed(8, (v, o) => timestamptzText(int64(v, o), session.timeZone)));
    case T.INTERVAL: return simple(fixed(16, (v, o) => intervalText(v.getInt32(o, true), v.getInt32(o + 4, true), int64(v, o + 8))));
    case T.UUID: return simple(fixed(16, uuidText));
    case T.ENUM: {
      const names = type.values, bytes = names.map((s) => Buffer.from(s, 'utf8'));
      const Arr = type.internalTypeId === T.UTINYINT ? Uint8Array : type.internalTypeId === T.USMALLINT ? Uint16Array : Uint32Array;
      return { text: typed(Arr, (i) => names[i]), cells: typed(Arr, (i) => bytes[i]), nested: false };
    }
    case T.SQLNULL: {
      const nulls = (vec, n) => new Array(n).fill(null);
      return { text: nulls, cells: nulls, nested: false };
    }
    case T.LIST: case T.ARRAY: case T.MAP: case T.STRUCT: case T.UNION: {
      const text = nestedText(type, session);
      return { text, cells: toBytes(text), nested: true };
    }
    default: {
      // GEOMETRY, VARIANT, ...: no exact formatter; use node-api's value toString() (approximate)
      const text = (vec, n) => {
        const v = DuckDBVector.create(vec, n, type), out = new Array(n);
        for (let i = 0; i < n; i++) { const x = v.getItem(i); out[i] = x === null ? null : String(x); }
        return out;
      };
      return { text, cells: toBytes(text), nested: false };
    }
  }
}

/** Child rendering inside a nested value: NULL, raw (nested or JSON-in-LIST), or escaped. */
function childRenderer(fmt, inList) {
  if (fmt.nested || (inList && fmt.json)) return (s) => (s === null ? 'NULL' : s);
  return (s) => (s === null ? 'NULL' : escapeNested(s));
}

function nestedText(type, session) {
  switch (type.typeId) {
    case T.LIST: case T.MAP: {
      const isMap = type.typeId === T.MAP;
      let child, keyR, valR;
      if (isMap) {
        const kf = makeFormatter(type.keyType, session), vf = makeFormatter(type.valueType, session);
        keyR = childRenderer(kf, false); valR = childRenderer(vf, false);
        child = { kf, vf };
      } else {
        child = makeFormatter(type.valueType, session);
        valR = childRenderer(child, true);
      }
      return (vec, n) => {
        const out = new Array(n);
        if (n === 0) return out;
        const val = validityOf(vec, n), view = dv(dataOf(vec, n * 16));
        const cvec = duckdb.list_vector_get_child(vec), cn = duckdb.list_vector_get_size(vec);
        let keys, vals;
        if (isMap) { // a MAP is a LIST of STRUCT(key, value)
          keys = child.kf.text(duckdb.struct_vector_get_child(cvec, 0), cn);
          vals = child.vf.text(duckdb.struct_vector_get_child(cvec, 1), cn);
        } else vals = child.text(cvec, cn);
        for (let i = 0; i < n; i++) {
          if (!valid(val, i)) { out[i] = null; continue; }
          const off = view.getUint32(i * 16, true), len = view.getUint32(i * 16 + 8, true);
          const parts = new Array(len);
          for (let j = 0; j < len; j++) {
            parts[j] = isMap ? keyR(keys[off + j]) + '=' + valR(vals[off + j]) : valR(vals[off + j]);
          }
          out[i] = isMap ? '{' + parts.join(', ') + '}' : '[' + parts.join(', ') + ']';
        }
        return out;
      };
    }
    case T.ARRAY: {
      // DuckDB's ARRAY -> VARCHAR cast prints its elements raw, never quoted (unlike LIST)
      const child = makeFormatter(type.valueType, session), size = type.length;
      const r = (s) => (s === null ? 'NULL' : s);
      return (vec, n) => {
        const out = new Array(n);
        if (n === 0) return out;
        const val = validityOf(vec, n), vals = child.text(duckdb.array_vector_get_child(vec), n * size);
        for (let i = 0; i < n; i++) {
          if (!valid(val, i)) { out[i] = null; continue; }
          const parts = new Array(size);
          for (let j = 0; j < size; j++) parts[j] = r(vals[i * size + j]);
          out[i] = '[' + parts.join(', ') + ']';
        }
        return out;
      };
    }
    case T.STRUCT: {
      const names = type.entryNames;
      const fmts = type.entryTypes.map((t) => makeFormatter(t, session));
      const rs = fmts.map((f) => childRenderer(f, false));
      const unnamed = names.length > 0 && names.every((nm) => nm === ''); // row(1, 'a') prints as (1, a)
      const keys = names.map((nm) => quoteNested(nm) + ': ');
      return (vec, n) => {
        const out = new Array(n);
        if (n === 0) return out;
        const val = validityOf(vec, n);
        const cols = fmts.map((f, c) => f.text(duckdb.struct_vector_get_child(vec, c), n));
        for (let i = 0; i < n; i++) {
          if (!valid(val, i)) { out[i] = null; continue; }
          const parts = new Array(cols.length);
          for (let c = 0; c < cols.length; c++) parts[c] = (unnamed ? '' : keys[c]) + rs[c](cols[c][i]);
          out[i] = unnamed ? '(' + parts.join(', ') + ')' : '{' + parts.join(', ') + '}';
        }
        return out;
      };
    }
    case T.UNION: { // STRUCT(tag UTINYINT, member_1, ...): the value is the active member's text
      const fmts = type.memberTypes.map((t) => makeFormatter(t, session));
      return (vec, n) => {
        const out = new Array(n);
        if (n === 0) return out;
        const val = validityOf(vec, n);
        const tags = dataOf(duckdb.struct_vector_get_child(vec, 0), n);
        const cols = fmts.map((f, m) => f.text(duckdb.struct_vector_get_child(vec, m + 1), n));
        for (let i = 0; i < n; i++) out[i] = valid(val, i) ? cols[tags[i]][i] : null;
        return out;
      };
    }
  }
  throw new Error('not a nested type');
}
