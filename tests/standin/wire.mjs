// wire.mjs — PostgreSQL v3 protocol framing: reading frontend messages one at a time, building
// backend messages, and encoding result rows straight into DataRow / CopyData buffers.
// Reference: https://www.postgresql.org/docs/15/protocol-message-formats.html

const MAX_MESSAGE = 1 << 30; // PostgreSQL's own limit for a frontend message
const READ_PAUSE = 16 << 20; // stop reading the socket when this much input is queued
const WRITE_LIMIT = 1 << 20; // wait for 'drain' when this much output is queued in the socket

/**
 * Frames frontend messages (type byte + int32 length + body) off a socket.  The session awaits
 * next() and handles each message to completion before asking for the next one, so a pipelined
 * Parse/Bind/Describe/Execute/Sync batch is processed strictly in order.
 */
export class MessageReader {
  constructor(socket) {
    this.socket = socket;
    this.chunks = [];
    this.length = 0;
    this.closed = false;
    this.wake = null;
    socket.on('data', (b) => {
      this.chunks.push(b);
      this.length += b.length;
      if (this.length > READ_PAUSE) socket.pause();
      this._wake();
    });
    socket.on('close', () => { this.closed = true; this._wake(); });
    socket.on('end', () => { this.closed = true; this._wake(); });
  }
  _wake() { const w = this.wake; this.wake = null; if (w) w(); }
  /** Next message as {type: 'Q'|'P'|..., body: Buffer}, or null once the client has gone. */
  async next() {
    for (;;) {
      if (this.length >= 5) {
        const head = this._peek(5);
        const len = head.readInt32BE(1);
        if (len < 4 || len > MAX_MESSAGE) throw new ProtocolError(`invalid message length ${len}`);
        if (this.length >= len + 1) {
          const msg = this._take(len + 1);
          if (this.length < READ_PAUSE / 2 && this.socket.isPaused()) this.socket.resume();
          return { type: String.fromCharCode(msg[0]), body: msg.subarray(5) };
        }
      }
      if (this.closed) return null;
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise((resolve) => { this.wake = resolve; });
    }
  }
  /** Make chunks[0] at least n bytes long (joining only as many chunks as needed). */
  _gather(n) {
    if (this.chunks[0].length >= n) return;
    let k = 0, have = 0;
    while (have < n) have += this.chunks[k++].length;
    this.chunks.splice(0, k, Buffer.concat(this.chunks.slice(0, k), have));
  }
  _peek(n) {
    this._gather(n);
    return this.chunks[0];
  }
  _take(n) {
    this._gather(n);
    const first = this.chunks[0];
    this.length -= n;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    return first.subarray(0, n);
  }
}

export class ProtocolError extends Error {}

/** Sequential reader for message bodies. */
export class BodyReader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  byte() { return this.buf[this.pos++]; }
  int16() { const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
  int32() { const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  cstring() {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new ProtocolError('unterminated string in message');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n) { const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }
}

// ---------------------------------------------------------------------------------------------
// Backend message builders.  Each returns one complete message as a Buffer.

/** Generic message: type char + int32 length + body parts (Buffer | string as cstring). */
export function message(type, ...parts) {
  const bufs = parts.map((p) => (typeof p === 'string' ? Buffer.from(p + '\0', 'utf8') : p));
  const len = bufs.reduce((a, b) => a + b.length, 4);
  const head = Buffer.allocUnsafe(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(len, 1);
  return Buffer.concat([head, ...bufs]);
}
const int16 = (v) => { const b = Buffer.allocUnsafe(2); b.writeInt16BE(v); return b; };
const int32 = (v) => { const b = Buffer.allocUnsafe(4); b.writeInt32BE(v); return b; };

export const authenticationOk = () => message('R', int32(0));
export const parameterStatus = (name, value) => message('S', name, value);
export const backendKeyData = (pid, secret) => message('K', int32(pid), int32(secret));
export const readyForQuery = (status) => message('Z', Buffer.from(status));
export const commandComplete = (tag) => message('C', tag);
export const emptyQueryResponse = () => message('I');
export const parseComplete = () => message('1');
export const bindComplete = () => message('2');
export const closeComplete = () => message('3');
export const noData = () => message('n');
export const portalSuspended = () => message('s');
export const copyDone = () => message('c');

/** ErrorResponse ('E') or NoticeResponse ('N'). severity: ERROR | FATAL | WARNING | NOTICE. */
export function errorResponse({ severity = 'ERROR', code, message: text, detail, hint, position }, type = 'E') {
  const parts = ['S' + severity, 'V' + severity, 'C' + code, 'M' + text];
  if (detail) parts.push('D' + detail);
  if (hint) parts.push('H' + hint);
  if (position) parts.push('P' + position);
  return message(type, ...parts, Buffer.from([0]));
}

/** RowDescription: cols = [{name, oid, size, typmod}], all in text format. */
export function rowDescription(cols) {
  const parts = [int16(cols.length)];
  for (const c of cols) {
    const b = Buffer.allocUnsafe(18);
    b.writeInt32BE(0, 0); // table OID
    b.writeInt16BE(0, 4); // column number
    b.writeInt32BE(c.oid, 6);
    b.writeInt16BE(c.size, 10);
    b.writeInt32BE(c.typmod, 12);
    b.writeInt16BE(0, 16); // text format
    parts.push(c.name, b);
  }
  return message('T', ...parts);
}
export function parameterDescription(oids) {
  return message('t', int16(oids.length), ...oids.map(int32));
}
/** CopyInResponse ('G') / CopyOutResponse ('H'), text format, n columns. */
export function copyResponse(type, ncols) {
  const b = Buffer.alloc(3 + 2 * ncols);
  b.writeInt16BE(ncols, 1);
  return message(type, b);
}

// ---------------------------------------------------------------------------------------------
// Result rows.  `cols` holds one entry per column as produced by a formatter's cells(): an Array of
// null | ASCII string | Uint8Array, or a {strings} column ({lens, src, off} from readStrings).
const cellLen = (col, r) => (col.strings ? col.lens[r] : col[r] === null ? -1 : col[r].length); // strings are ASCII
/** Copy cell r (len bytes) of col into buf at o. */
function cellCopy(buf, o, col, r, len) {
  if (col.strings) {
    const src = col.src[r], s = col.off[r];
    if (len < 16) for (let i = 0; i < len; i++) buf[o + i] = src[s + i];
    else src.copy(buf, o, s, s + len);
    return;
  }
  const v = col[r];
  if (typeof v === 'string') {
    if (len < 24) for (let i = 0; i < len; i++) buf[o + i] = v.charCodeAt(i);
    else buf.latin1Write(v, o);
  } else if (len < 16) {
    for (let i = 0; i < len; i++) buf[o + i] = v[i];
  } else {
    buf.set(v, o);
  }
}
function putInt32(buf, o, n) {
  buf[o] = n >>> 24; buf[o + 1] = (n >>> 16) & 0xff; buf[o + 2] = (n >>> 8) & 0xff; buf[o + 3] = n & 0xff;
}

/** DataRow messages for rows [start, end) in one Buffer (sized exactly in a first pass). */
export function encodeDataRows(cols, start, end) {
  const ncols = cols.length, nrows = end - start;
  const lens = new Int32Array(nrows * ncols); // row-major cell lengths, -1 = NULL
  let size = nrows * (7 + 4 * ncols);
  for (let c = 0; c < ncols; c++) {
    const col = cols[c];
    for (let r = start, li = c; r < end; r++, li += ncols) {
      const n = cellLen(col, r);
      lens[li] = n;
      if (n > 0) size += n;
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let o = 0, li = 0;
  for (let r = start; r < end; r++) {
    const msgStart = o;
    buf[o] = 0x44; // 'D'
    o += 5;
    buf[o++] = ncols >> 8;
    buf[o++] = ncols & 0xff;
    for (let c = 0; c < ncols; c++) {
      const n = lens[li++];
      putInt32(buf, o, n);
      o += 4;
      if (n > 0) { cellCopy(buf, o, cols[c], r, n); o += n; }
    }
    putInt32(buf, msgStart + 1, o - msgStart - 1);
  }
  return buf;
}

/** Text of one cell (null for NULL), for COPY encoding. */
function cellText(col, r) {
  if (col.strings) return col.lens[r] < 0 ? null : col.src[r].toString('utf8', col.off[r], col.off[r] + col.lens[r]);
  const v = col[r];
  return v === null || typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
}

/**
 * COPY TO STDOUT rows [start, end) as CopyData messages, one per row (as PostgreSQL sends them).
 * opts: {csv, delimiter, quote}. CSV: NULL is an empty field, a field is quoted when it is empty or
 * contains the delimiter, the quote, CR or LF (or is \.). Text: NULL is \N, backslash escapes.
 */
export function encodeCopyRows(cols, start, end, opts) {
  const lines = new Array(end - start);
  let size = 0;
  for (let r = start; r < end; r++) {
    let line = '';
    for (let c = 0; c < cols.length; c++) line += (c ? opts.delimiter : '') + encodeCopyField(cellText(cols[c], r), opts);
    line += '\n';
    lines[r - start] = line;
    size += 5 + Buffer.byteLength(line);
  }
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  for (const line of lines) {
    const n = buf.utf8Write(line, o + 5);
    buf[o] = 0x64; // 'd'
    putInt32(buf, o + 1, n + 4);
    o += 5 + n;
  }
  return buf;
}
export function encodeCopyHeader(names, opts) {
  return copyData(Buffer.from(names.map((n) => encodeCopyField(n, opts)).join(opts.delimiter) + '\n', 'utf8'));
}
const TEXT_ESCAPES = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
function encodeCopyField(s, opts) {
  if (s === null) return opts.csv ? '' : '\\N';
  if (opts.csv) {
    const q = opts.quote;
    if (s === '' || s === '\\.' || s.includes(opts.delimiter) || s.includes(q) || s.includes('\n') || s.includes('\r')) {
      return q + s.split(q).join(q + q) + q;
    }
    return s;
  }
  return s.replace(/[\\\n\r\t]/g, (c) => TEXT_ESCAPES[c]).split(opts.delimiter).join('\\' + opts.delimiter);
}
export const copyData = (b) => message('d', b);

// ---------------------------------------------------------------------------------------------
/**
 * Outgoing messages for one client.  Small messages are queued and written together on flush();
 * big row batches are flushed at once.  drain() waits while the socket has more than WRITE_LIMIT
 * bytes queued (backpressure: a slow reader stops DuckDB fetching, so memory stays bounded).
 */
export class Outbox {
  constructor(socket) { this.socket = socket; this.queue = []; }
  push(...bufs) { this.queue.push(...bufs); }
  flush() {
    if (this.queue.length === 0 || this.socket.destroyed) { this.queue = []; return; }
    const q = this.queue;
    this.queue = [];
    this.socket.write(q.length === 1 ? q[0] : Buffer.concat(q));
  }
  /** Resolves when the socket can take more, has closed, or signal aborts. */
  drain(signal) {
    const s = this.socket;
    if (s.destroyed || s.writableLength <= WRITE_LIMIT || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done); s.off('close', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      s.on('drain', done); s.on('close', done);
      signal?.addEventListener('abort', done);
    });
  }
}
