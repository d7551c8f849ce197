#!/usr/bin/env node
// server.mjs — local stand-in for MotherDuck's Postgres wire-protocol endpoint (a test fixture).
//
// A real DuckDB engine (@duckdb/node-api) behind the PostgreSQL v3 protocol.  pg-gateway is used
// only for the SSLRequest/TLS upgrade and the start-up message; the password message, and every
// message after it, is handled here (see the notes in /work/shared/docs/motherduck-endpoint.md).
//
//   node server.mjs --port P --cert server.crt --key server.key --token TOKEN \
//        --db shop=/path/shop.duckdb [--db name=path ...] [--default shop] [--admin-token T] \
//        [--profile default|hostile] [endpoint switches, see config.mjs] [--control-port P2] [--threads N]
//
// Prints "READY <port>" on stdout once listening; everything else goes to stderr.
// See README.md for what is emulated and what is not.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import duckdb from '@duckdb/node-bindings';
import { DuckDBInstance, DuckDBTypeId, ResultReturnType } from '@duckdb/node-api';
import { PostgresConnection } from 'pg-gateway';
import * as W from './wire.mjs';
import { Config, parseArgs, startControl } from './config.mjs';
import { describedAs, makeFormatter, pgType } from './types.mjs';
import { SqlError, classify, commandTag, notSupported, quoteIdent, quoteLit, returnsRows, splitStatements, tokenize, toSqlError } from './sql.mjs';

const log = (...a) => console.error('[standin]', ...a);

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`server.mjs: ${e.message}`);
  process.exit(2);
}

// Runtime switches (endpoint switches and test faults), changed by the control port; set in main().
let config;
const sw = () => config.values;
// Counters for GET /stats (with connections, admin_connections and rss).
const stats = { active_queries: 0, queries_total: 0, sessions_total: 0, cancels: 0, cancels_ignored: 0, connections_refused: 0, idle_closed: 0 };

// =============================================================================================
// DuckDB: one instance, the first --db opened and the others ATTACHed, so every database is
// visible to every connection (MotherDuck's workspace mode) and there is no extra `memory` catalog.

async function openDuckDB() {
  const options = args.threads ? { threads: String(args.threads) } : {};
  const [first, ...rest] = args.dbs;
  for (const d of args.dbs) fs.mkdirSync(path.dirname(d.path), { recursive: true });
  let instance = await DuckDBInstance.create(first.path, options);
  let admin = await instance.connect();
  const current = (await admin.runAndReadAll('SELECT current_database()')).getRows()[0][0];
  if (current !== first.name) {
    // The catalog is named after the file, not after --db's name: attach it under the right name
    // from an in-memory instance instead, then detach `memory`.
    admin.closeSync();
    instance.closeSync();
    instance = await DuckDBInstance.create(':memory:', options);
    admin = await instance.connect();
    rest.unshift(first);
  }
  for (const d of rest) await admin.run(`ATTACH ${quoteLit(d.path)} AS ${quoteIdent(d.name)}`);
  await admin.run(`USE ${quoteIdent(args.default)}`);
  if (current !== first.name) await admin.run('DETACH memory');
  const version = (await admin.runAndReadAll('SELECT version()')).getRows()[0][0];
  return { instance, admin, version: String(version).replace(/^v/, '') };
}

// =============================================================================================
// Sessions: one per client connection, each with its own DuckDB connection.
const sessions = new Map(); // pid → Session

class CancelledError extends SqlError {}
class ConnectionGone extends Error {}

class Session {
  constructor(socket, params, admin) {
    this.socket = socket;
    this.params = params;
    this.admin = admin; // logged in with --admin-token: not counted against max_connections
    this.reader = new W.MessageReader(socket);
    this.out = new W.Outbox(socket);
    do { this.pid = crypto.randomInt(1, 2 ** 31 - 1); } while (sessions.has(this.pid));
    this.secret = crypto.randomInt(-(2 ** 31), 2 ** 31 - 1);
    this.txStatus = 'I'; // ReadyForQuery status: I idle, T in transaction, E failed transaction
    this.statementTimeout = 0; // ms, 0 = off
    this.timeZone = 'UTC';
    this.statements = new Map(); // extended protocol: name → {plan, prepared, nparams, paramOids}
    this.portals = new Map(); // name → {stmt, params, ...streaming state}
    this.query = null; // the statement executing right now: {ac: AbortController, reason}
    this.streamGen = 0; // bumped per DuckDB execution; a suspended portal is only valid for its own
    this.skipToSync = false;
    this.executedSinceSync = false; // refuse_pipelining: an Execute not yet followed by Sync
  }

  /** After a good password: set up DuckDB, send the start-up messages, run the message loop. */
  async start() {
    sessions.set(this.pid, this);
    if (!this.admin) stats.sessions_total++; // sessions of the token ever started
    this.socket.on('close', () => this.cancel('disconnect'));
    this.socket.on('error', () => {});
    try {
      this.duck = await duckInstance.connect();
      let dbname = this.params.database ?? '';
      if (dbname.startsWith('md:')) dbname = dbname.slice(3);
      if (dbname === '') dbname = args.default;
      if (!args.dbs.some((d) => d.name === dbname)) throw new SqlError('3D000', `database "${dbname}" does not exist`, 'FATAL');
      await this.duck.run(`USE ${quoteIdent(dbname)}`);
      await this.duck.run(`SET TimeZone = 'UTC'`);
      if (sw().session_timezone) await this.setTimeZone(sw().session_timezone);
      this.startTimeZone = this.timeZone; // what RESET TimeZone goes back to
      await this.applyStartupOptions(this.params.options ?? '');
    } catch (e) {
      const err = toSqlError(e);
      this.out.push(W.errorResponse({ severity: 'FATAL', code: err.code, message: err.message }));
      this.out.flush();
      this.socket.end();
      this.close();
      return;
    }
    const out = this.out;
    out.push(W.authenticationOk());
    const ps = {
      server_version: sw().server_version, server_encoding: 'UTF8', client_encoding: 'UTF8',
      DateStyle: 'ISO', IntervalStyle: 'postgres', integer_datetimes: 'on', standard_conforming_strings: 'on', TimeZone: this.timeZone,
      application_name: this.params.application_name ?? '', is_superuser: 'off', session_authorization: this.params.user,
    };
    for (const [k, v] of Object.entries(ps)) out.push(W.parameterStatus(k, v));
    out.push(W.backendKeyData(this.pid, this.secret));
    out.push(W.readyForQuery('I'));
    out.flush();
    await this.loop();
  }

  /** Start-up "options" such as -c statement_timeout=5000 (libpq's options= / PGOPTIONS). */
  async applyStartupOptions(options) {
    const re = /(?:-c\s*|--)([A-Za-z_.]+)=(\S+)/g;
    for (let m; (m = re.exec(options));) {
      const name = m[1].toLowerCase();
      if (this.refusedSetting(name)) continue; // a refused SET is not honoured at start-up either
      if (name === 'statement_timeout' || name === 'timezone') {
        await this.runSet({ name, value: m[2], toks: [{ v: 'SET' }] });
        this.out.queue = []; // no ParameterStatus before AuthenticationOk; start() reports TimeZone
      }
    }
  }

  async loop() {
    try {
      for (;;) {
        const msg = await this.nextMessage();
        if (msg === null || msg.type === 'X') break;
        await this.dispatch(msg);
      }
    } catch (e) {
      if (e instanceof W.ProtocolError) {
        this.out.push(W.errorResponse({ severity: 'FATAL', code: '08P01', message: e.message }));
        this.out.flush();
      } else if (!(e instanceof ConnectionGone)) {
        log(`session ${this.pid}:`, e);
      }
    } finally {
      this.close();
    }
  }

  /** The next message; with idle_close_s, the connection is closed if none comes in time (inside a
   * transaction too, unless idle_close_in_transaction is off). */
  nextMessage() {
    const secs = sw().idle_close_s;
    if (!(secs > 0) || (this.txStatus !== 'I' && !sw().idle_close_in_transaction)) return this.reader.next();
    const timer = setTimeout(() => this.closeIdle(), secs * 1000);
    return this.reader.next().finally(() => clearTimeout(timer));
  }

  /** As PostgreSQL's idle_session_timeout: FATAL 57P05, then the socket is closed. */
  closeIdle() {
    if (this.closed || this.socket.destroyed) return;
    stats.idle_closed++;
    this.out.push(W.errorResponse({ severity: 'FATAL', code: '57P05', message: 'terminating connection due to idle-session timeout' }));
    this.out.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref(); // the reader then sees the end
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    sessions.delete(this.pid);
    this.socket.end();
    try { this.duck?.closeSync(); } catch { /* already closed */ }
  }

  async dispatch({ type, body }) {
    if (this.skipToSync && type !== 'S') return; // after an error in the extended protocol
    try {
      if (sw().refuse_pipelining && this.executedSinceSync && (type === 'P' || type === 'B' || type === 'Q')) {
        throw notSupported('pipelining is not supported: send Sync after each Execute');
      }
      if (type === 'E') this.executedSinceSync = true;
      switch (type) {
        case 'Q': return await this.simpleQuery(new W.BodyReader(body).cstring());
        case 'P': return await this.parse(new W.BodyReader(body));
        case 'B': return this.bind(new W.BodyReader(body));
        case 'D': return await this.describe(new W.BodyReader(body));
        case 'E': return await this.execute(new W.BodyReader(body));
        case 'C': return this.closeMessage(new W.BodyReader(body));
        case 'S':
          this.skipToSync = false;
          this.executedSinceSync = false;
          this.out.push(W.readyForQuery(this.txStatus));
          return this.out.flush();
        case 'H': return this.out.flush();
        case 'd': case 'c': case 'f': return; // COPY messages outside COPY IN are ignored, as PostgreSQL does
        default: throw new W.ProtocolError(`invalid frontend message type ${type.charCodeAt(0)}`);
      }
    } catch (e) {
      if (e instanceof ConnectionGone || e instanceof W.ProtocolError) throw e;
      if (this.socket.destroyed) throw new ConnectionGone();
      this.sendError(e);
      if (type !== 'Q') this.skipToSync = true;
      this.out.flush();
    }
  }

  sendError(e) {
    const err = toSqlError(e);
    if (!(e instanceof SqlError) && !/^[\w ]+ Error: /.test(String(e?.message))) log(`session ${this.pid}: unexpected error:`, e); // not DuckDB's
    if (this.txStatus === 'T' && !e?.keepsTransaction) this.txStatus = 'E';
    this.out.push(W.errorResponse({ severity: err.severity, code: err.code, message: err.message }));
  }

  // ------------------------------------------------------------------ query lifecycle, cancel
  beginQuery() {
    const q = { ac: new AbortController(), reason: null, rows: 0 };
    this.query = q;
    stats.active_queries++;
    stats.queries_total++;
    if (this.statementTimeout > 0) q.timer = setTimeout(() => this.cancel('timeout'), this.statementTimeout);
    return q;
  }
  endQuery(q) {
    clearTimeout(q.timer);
    if (this.query === q) this.query = null;
    stats.active_queries--;
  }
  /** Cancel the running statement (CancelRequest, statement_timeout, client gone). */
  cancel(reason) {
    const q = this.query;
    if (!q || q.reason) return;
    q.reason = reason;
    q.ac.abort();
    try { this.duck?.interrupt(); } catch { /* connection closed */ }
  }
  /** Throw if the running statement was cancelled; call after every await. */
  check(q) {
    if (this.socket.destroyed && !q.reason) q.reason = 'disconnect';
    if (!q.reason) return;
    if (q.reason === 'disconnect') throw new ConnectionGone();
    throw new CancelledError('57014', q.reason === 'timeout' ? 'canceling statement due to statement timeout' : 'canceling statement due to user request');
  }
  /** Run an async DuckDB call under query q, mapping an interrupt to the cancel reason. */
  async duckCall(q, fn) {
    try {
      const r = await fn();
      this.check(q);
      return r;
    } catch (e) {
      this.check(q);
      throw e;
    }
  }

  // ------------------------------------------------------------------ simple query protocol
  async simpleQuery(sql) {
    // A simple Query drops the unnamed statement and portal (as PostgreSQL does).
    this.dropStatement('');
    this.portals.delete('');
    const plans = splitStatements(sql).map(classify);
    try {
      if (plans.length > 1 && sw().refuse_multi_statement) throw notSupported('multi-statement queries are not supported');
      if (plans.length === 0) {
        this.out.push(W.emptyQueryResponse());
      } else {
        // Parse everything first, so that a syntax error anywhere runs nothing (as PostgreSQL).
        for (const p of plans) if (p.kind === 'sql') p.extracted = await this.duck.extractStatements(p.text).catch((e) => { throw toSqlError(e); });
        for (const p of plans) await this.runPlan(p);
      }
    } catch (e) {
      if (e instanceof ConnectionGone) throw e;
      if (this.socket.destroyed) throw new ConnectionGone();
      this.sendError(e);
    }
    this.out.push(W.readyForQuery(this.txStatus));
    this.out.flush();
  }

  /** What every statement passes before it runs, by either protocol: the transaction gate, then the
   * refusals the switches ask for (SET, read-only transactions). */
  admit(plan) {
    this.gate(plan);
    this.checkSet(plan);
    this.checkReadOnly(plan);
  }

  /** RowDescription of cols with the type OIDs the type_oids switch asks for. */
  rowDescription(cols) {
    return W.rowDescription(describedAs(cols, sw().type_oids));
  }

  /** Transaction-state gate: in a failed transaction only ROLLBACK (or COMMIT, which rolls back) runs. */
  gate(plan) {
    if (this.txStatus === 'E' && !(plan.kind === 'sql' && (plan.tx === 'rollback' || plan.tx === 'commit'))) {
      throw new SqlError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');
    }
  }

  /** The name of a refused setting (refuse_set) as configured, or undefined. */
  refusedSetting(name) {
    return sw().refuse_set.find((n) => n.toLowerCase() === name);
  }
  /** SET/RESET of a refused setting fails with 0A000 (inside a transaction, aborting it). */
  checkSet(plan) {
    const hit = plan.setName && this.refusedSetting(plan.setName);
    if (hit) throw notSupported(`${plan.toks[0].v} ${hit} is not supported`);
  }

  /** BEGIN … READ ONLY and SET TRANSACTION … READ ONLY fail with 0A000 (refuse_read_only). */
  checkReadOnly(plan) {
    if (!sw().refuse_read_only || !(plan.tx === 'begin' || plan.setName === 'transaction' ||
                                     plan.setName === 'session characteristics')) return;
    const t = plan.toks;
    if (t.some((k, i) => k.k === 'word' && k.v === 'READ' && t[i + 1]?.k === 'word' && t[i + 1].v === 'ONLY')) {
      throw notSupported('read-only transactions are not supported');
    }
  }

  /** Run one statement of a simple Query, sending RowDescription/DataRows/CommandComplete. */
  async runPlan(plan) {
    this.admit(plan);
    switch (plan.kind) {
      case 'refuse': throw plan.error;
      case 'set': this.out.push(W.commandComplete(await this.runSet(plan))); return;
      case 'copy':
        if (sw().copy_mode !== 'allowed') throw copyRefused('COPY to/from the client is not supported');
        return plan.copy.direction === 'out' ? this.copyOut(plan) : this.copyIn(plan);
    }
    if (this.txStatus === 'E') { this.out.push(W.commandComplete(await this.rollbackFailed())); return; }
    for (let i = 0; i < plan.extracted.count; i++) {
      const q = this.beginQuery();
      let prepared;
      try {
        prepared = await this.duckCall(q, () => plan.extracted.prepare(i));
        const ex = await this.startExecution(q, prepared);
        if (ex.rows) {
          this.out.push(this.rowDescription(ex.cols));
          const n = await this.streamRows(q, ex, 0, W.encodeDataRows);
          this.out.push(W.commandComplete(`SELECT ${n}`));
        } else {
          this.out.push(W.commandComplete(await this.finishCommand(q, plan, ex)));
        }
      } finally {
        this.endQuery(q);
        prepared?.destroySync();
      }
      this.trackTransaction(plan);
    }
  }

  trackTransaction(plan) {
    if (plan.tx === 'begin') this.txStatus = 'T';
    else if (plan.tx === 'commit' || plan.tx === 'rollback') this.txStatus = 'I';
  }
  /** COMMIT/ROLLBACK of a failed transaction block: roll back, report ROLLBACK. */
  async rollbackFailed() {
    await this.duck.run('ROLLBACK').catch(() => {}); // DuckDB may have ended it already
    this.txStatus = 'I';
    return 'ROLLBACK';
  }

  /** Execute a prepared statement (streaming) and describe its result. */
  async startExecution(q, prepared) {
    this.streamGen++;
    const result = await this.duckCall(q, () => prepared.stream());
    const names = result.columnNames();
    const stmtType = result.statementType;
    const ex = { result, stmtType, gen: this.streamGen, chunk: null, cells: null, row: 0, nrows: 0, done: false };
    ex.rows = result.returnType === ResultReturnType.QUERY_RESULT && returnsRows(stmtType, names);
    if (ex.rows) {
      const types = names.map((_, c) => result.columnType(c));
      ex.cols = names.map((name, c) => ({ name, ...pgType(types[c]) }));
      const opts = { boolTf: sw().bool_format === 'tf' };
      ex.fmts = types.map((t) => makeFormatter(t, this, opts));
    }
    return ex;
  }

  /** Command tag of a statement without rows (reads the "Count" of INSERT/UPDATE/DELETE). */
  async finishCommand(q, plan, ex) {
    let count = 0;
    if (ex.result.returnType === ResultReturnType.CHANGED_ROWS) {
      const chunk = await this.duckCall(q, () => ex.result.fetchChunk());
      if (chunk && chunk.rowCount > 0) count = Number(chunk.getColumnValues(0)[0]);
    } else if (ex.result.returnType === ResultReturnType.QUERY_RESULT) {
      while ((await this.duckCall(q, () => ex.result.fetchChunk()))?.rowCount) { /* drain */ }
    }
    return commandTag(plan, ex.stmtType, count);
  }

  /**
   * Send result rows chunk by chunk: one DuckDB chunk (2048 rows) → one buffer of messages, then
   * wait while the socket is backed up.  limit > 0: stop after that many rows (Execute max_rows).
   * Returns the number of rows sent by this call.
   */
  async streamRows(q, ex, limit, encode) {
    try {
      return await this.streamRowsInner(q, ex, limit, encode);
    } catch (e) {
      // Never leave a fetch running on the DuckDB connection (it may be closed next).
      if (ex.prefetch) { this.duck.interrupt(); await ex.prefetch.catch(() => {}); ex.prefetch = null; }
      throw e;
    }
  }
  async streamRowsInner(q, ex, limit, encode) {
    let sent = 0;
    for (;;) {
      if (ex.row >= ex.nrows) {
        if (sw().batch_delay_ms > 0) await sleep(sw().batch_delay_ms, undefined, { signal: q.ac.signal }).catch(() => {});
        this.check(q);
        const pending = ex.prefetch ?? ex.result.fetchChunk();
        ex.prefetch = null;
        const chunk = await this.duckCall(q, () => pending);
        if (!chunk || chunk.rowCount === 0) { ex.done = true; break; }
        if (ex.gen !== this.streamGen) throw new SqlError('0A000', 'the result was invalidated by another query on this connection');
        ex.chunk = chunk; // keeps the vectors alive while their cells are encoded
        ex.nrows = chunk.rowCount;
        ex.row = 0;
        ex.cells = ex.fmts.map((f, c) => f.cells(duckdb.data_chunk_get_vector(chunk.chunk, c), ex.nrows));
        if (limit === 0) { // DuckDB computes the next chunk (on a worker thread) while this one is sent
          ex.prefetch = ex.result.fetchChunk();
          ex.prefetch.catch(() => {}); // an error is seen when it is awaited
        }
      }
      let end = ex.nrows;
      if (limit > 0) end = Math.min(end, ex.row + (limit - sent));
      const cut = sw().close_after_rows; // simulate the endpoint dying mid-stream
      if (cut !== null && q.rows + (end - ex.row) >= cut) end = ex.row + Math.max(0, cut - q.rows);
      this.out.push(encode(ex.cells, ex.row, end));
      this.out.flush();
      sent += end - ex.row;
      q.rows += end - ex.row;
      ex.row = end;
      if (cut !== null && q.rows >= cut) {
        this.socket.destroy();
        throw new ConnectionGone();
      }
      await this.out.drain(q.ac.signal);
      this.check(q);
      if (limit > 0 && sent >= limit) break;
    }
    return sent;
  }

  // ------------------------------------------------------------------ SET handled here
  async runSet(plan) {
    const { name, value } = plan;
    const tag = plan.toks[0].v; // SET or RESET
    switch (name) {
      case 'statement_timeout': this.statementTimeout = value === null ? 0 : parseTimeout(value); break;
      case 'application_name':
        this.params.application_name = value ?? '';
        this.out.push(W.parameterStatus('application_name', value ?? ''));
        break;
      case 'timezone': {
        let tz = value === null ? this.startTimeZone : value;
        if (/^[+-]?\d+(\.\d+)?$/.test(tz)) tz = `Etc/GMT${+tz <= 0 ? '+' : '-'}${Math.abs(+tz)}`; // POSIX sign convention
        if (await this.setTimeZone(tz)) this.out.push(W.parameterStatus('TimeZone', tz));
        break;
      }
      case 'all': this.statementTimeout = 0; break;
      default: break; // PostgreSQL client settings with no DuckDB meaning: accepted, ignored
    }
    return tag;
  }

  /** The session's time zone, in DuckDB (ICU) and for TIMESTAMPTZ text; false without ICU. */
  async setTimeZone(tz) {
    try {
      await this.duck.run(`SET TimeZone = ${quoteLit(tz)}`);
    } catch (e) {
      const msg = toSqlError(e).message;
      if (/unrecognized configuration parameter/.test(msg)) return false; // DuckDB without ICU: accept, ignore
      throw new SqlError('22023', `invalid value for parameter "TimeZone": "${tz}" (${msg})`);
    }
    this.timeZone = tz;
    return true;
  }

  // ------------------------------------------------------------------ COPY (simple protocol only)
  async copyOut(plan) {
    const { copy } = plan;
    const sql = copy.query ?? `SELECT ${copy.columns ? copy.columns.join(', ') : '*'} FROM ${copy.table}`;
    const q = this.beginQuery();
    let prepared;
    try {
      prepared = await this.duckCall(q, () => this.duck.prepare(sql));
      const ex = await this.startExecution(q, prepared);
      if (!ex.rows) throw new SqlError('42601', 'COPY query must return rows');
      const opts = { csv: copy.format === 'csv', delimiter: copy.delimiter, quote: copy.quote };
      this.out.push(W.copyResponse('H', ex.cols.length));
      if (copy.header && opts.csv) this.out.push(W.encodeCopyHeader(ex.cols.map((c) => c.name), opts));
      const n = await this.streamRows(q, ex, 0, (cells, s, e) => W.encodeCopyRows(cells, s, e, opts));
      this.out.push(W.copyDone(), W.commandComplete(`COPY ${n}`));
      this.out.flush();
    } finally {
      this.endQuery(q);
      prepared?.destroySync();
    }
  }

  async copyIn(plan) {
    const { copy } = plan;
    if (copy.format !== 'csv') throw notSupported('COPY FROM STDIN supports only FORMAT csv on this endpoint');
    const target = copy.table + (copy.columns ? ` (${copy.columns.join(', ')})` : '');
    // Check the table (and count its columns) before asking for data, as PostgreSQL does.
    const probe = await this.duck.prepare(`SELECT ${copy.columns ? copy.columns.join(', ') : '*'} FROM ${copy.table} LIMIT 0`).catch((e) => { throw toSqlError(e); });
    const ncols = probe.columnCount;
    probe.destroySync();
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'standin-copy-'));
    const file = path.join(dir, 'data.csv');
    try {
      this.out.push(W.copyResponse('G', ncols));
      this.out.flush();
      // Spool CopyData to a temp file (bounded memory), then let DuckDB load it.
      const ws = fs.createWriteStream(file);
      let failure = null;
      for (;;) {
        const msg = await this.reader.next();
        if (msg === null) { ws.destroy(); throw new ConnectionGone(); }
        if (msg.type === 'd') { if (!ws.write(msg.body)) await new Promise((r) => ws.once('drain', r)); } else if (msg.type === 'c') break;
        else if (msg.type === 'f') { failure = new W.BodyReader(msg.body).cstring(); break; } else if (msg.type === 'H' || msg.type === 'S') continue;
        else { failure = `unexpected message type 0x${msg.type.charCodeAt(0).toString(16)} during COPY from stdin`; break; }
      }
      await new Promise((resolve, reject) => ws.end((e) => (e ? reject(e) : resolve())));
      if (failure !== null) throw new SqlError('57014', `COPY from stdin failed: ${failure}`);
      await stripEndOfDataMarker(file);
      const o = [`FORMAT csv`, 'AUTO_DETECT false', `HEADER ${copy.header}`, `DELIMITER ${quoteLit(copy.delimiter)}`, `QUOTE ${quoteLit(copy.quote)}`,
        `NULL ${quoteLit(copy.nullString ?? '')}`, 'allow_quoted_nulls false'];
      const q = this.beginQuery();
      try {
        const r = await this.duckCall(q, () => this.duck.run(`COPY ${target} FROM ${quoteLit(file)} (${o.join(', ')})`));
        const rows = await r.getRows();
        this.out.push(W.commandComplete(`COPY ${rows.length ? Number(rows[0][0]) : 0}`));
      } finally {
        this.endQuery(q);
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  // ------------------------------------------------------------------ extended query protocol
  dropStatement(name) {
    const st = this.statements.get(name);
    if (!st) return;
    this.statements.delete(name);
    st.prepared?.destroySync();
    for (const [pn, p] of this.portals) if (p.stmt === st) this.portals.delete(pn);
  }

  async parse(r) {
    const name = r.cstring(), sql = r.cstring(), n = r.int16();
    const paramOids = [];
    for (let i = 0; i < n; i++) paramOids.push(r.int32());
    if (name !== '' && sw().unnamed_statements_only) throw notSupported('named prepared statements are not supported');
    if (name !== '' && this.statements.has(name)) throw new SqlError('42P05', `prepared statement "${name}" already exists`);
    this.dropStatement(name);
    const pieces = splitStatements(sql);
    if (pieces.length > 1) throw new SqlError('42601', 'cannot insert multiple commands into a prepared statement');
    const plan = pieces.length ? classify(pieces[0]) : { kind: 'empty', toks: [] };
    const st = { plan, paramOids, nparams: 0, prepared: null };
    if (plan.kind === 'refuse') throw plan.error;
    if (plan.kind === 'copy') throw copyRefused('COPY is not supported in the extended query protocol');
    if (plan.kind === 'sql') {
      const prepare = (text) => this.duck.prepare(text).catch((e) => { throw toSqlError(e); });
      st.prepared = await prepare(plan.text);
      if (unresolved(st.prepared)) {
        // DuckDB could not type some $n (e.g. SELECT $1), so it cannot describe the result before
        // binding.  PostgreSQL would type them as text (or as declared in Parse): cast them so and
        // prepare again.  If that fails too, the result shape is learnt by executing at Describe.
        try {
          const again = await prepare(castUntypedParams(plan, st.prepared, paramOids));
          st.prepared.destroySync();
          st.prepared = again;
        } catch {
          st.unresolved = true;
        }
      }
      st.nparams = st.prepared.parameterCount;
      const names = [];
      for (let c = 0; c < st.prepared.columnCount; c++) names.push(st.prepared.columnName(c));
      st.returnsRows = !st.unresolved && returnsRows(st.prepared.statementType, names);
      if (st.returnsRows) st.cols = names.map((nm, c) => ({ name: nm, ...safePgType(() => st.prepared.columnType(c)) }));
    }
    this.statements.set(name, st);
    this.out.push(W.parseComplete());
  }

  bind(r) {
    const portalName = r.cstring(), stmtName = r.cstring();
    const st = this.statements.get(stmtName);
    if (!st) throw new SqlError('26000', `prepared statement "${stmtName}" does not exist`);
    const nfmt = r.int16(), fmts = [];
    for (let i = 0; i < nfmt; i++) fmts.push(r.int16());
    const n = r.int16();
    if (n !== st.nparams) throw new SqlError('08P01', `bind message supplies ${n} parameters, but prepared statement "${stmtName}" requires ${st.nparams}`);
    const params = [];
    for (let i = 0; i < n; i++) {
      if ((nfmt === 1 ? fmts[0] : fmts[i] ?? 0) !== 0) throw notSupported('binary format parameters are not supported');
      const len = r.int32();
      params.push(len < 0 ? null : r.bytes(len).toString('utf8'));
    }
    const nres = r.int16();
    for (let i = 0; i < nres; i++) if (r.int16() !== 0) throw notSupported('binary format results are not supported');
    if (portalName !== '' && this.portals.has(portalName)) throw new SqlError('42P03', `portal "${portalName}" already exists`);
    this.portals.set(portalName, { stmt: st, params, ex: null, done: false });
    this.out.push(W.bindComplete());
  }

  async describe(r) {
    const what = String.fromCharCode(r.byte()), name = r.cstring();
    if (what === 'S') {
      const st = this.statements.get(name);
      if (!st) throw new SqlError('26000', `prepared statement "${name}" does not exist`);
      const oids = [];
      for (let i = 1; i <= st.nparams; i++) oids.push(st.paramOids[i - 1] || safePgType(() => st.prepared.parameterType(i)).oid);
      this.out.push(W.parameterDescription(oids));
      this.out.push(st.returnsRows ? this.rowDescription(st.cols) : W.noData());
      return;
    }
    const p = this.portals.get(name);
    if (!p) throw new SqlError('34000', `portal "${name}" does not exist`);
    if (p.stmt.unresolved && !p.ex && this.txStatus !== 'E') { // see parse(): execute now to learn the result shape
      const q = this.beginQuery();
      try { await this.startPortal(q, p); } finally { this.endQuery(q); }
    }
    const cols = p.ex ? (p.ex.rows ? p.ex.cols : null) : (p.stmt.returnsRows ? p.stmt.cols : null);
    this.out.push(cols ? this.rowDescription(cols) : W.noData());
  }

  closeMessage(r) {
    const what = String.fromCharCode(r.byte()), name = r.cstring();
    if (what === 'S') this.dropStatement(name);
    else this.portals.delete(name);
    this.out.push(W.closeComplete());
  }

  async execute(r) {
    const name = r.cstring(), maxRows = r.int32();
    const p = this.portals.get(name);
    if (!p) throw new SqlError('34000', `portal "${name}" does not exist`);
    const { plan } = p.stmt;
    if (plan.kind === 'empty') { this.out.push(W.emptyQueryResponse()); return; }
    this.admit(plan);
    if (plan.kind === 'set') { this.out.push(W.commandComplete(await this.runSet(plan))); return; }
    if (this.txStatus === 'E') { this.out.push(W.commandComplete(await this.rollbackFailed())); return; }
    if (p.done) { this.out.push(W.commandComplete(p.ex?.rows ? 'SELECT 0' : p.tag)); return; }
    const q = this.beginQuery();
    try {
      if (!p.ex) await this.startPortal(q, p);
      else if (p.ex.gen !== this.streamGen) {
        throw new SqlError('0A000', 'portal cannot be resumed: another query ran on this connection meanwhile');
      }
      if (!p.ex.rows) {
        p.tag = await this.finishCommand(q, plan, p.ex);
        p.done = true;
        this.out.push(W.commandComplete(p.tag));
        this.trackTransaction(plan);
        return;
      }
      const n = await this.streamRows(q, p.ex, maxRows > 0 ? maxRows : 0, W.encodeDataRows);
      if (p.ex.done) {
        p.done = true;
        this.out.push(W.commandComplete(`SELECT ${n}`));
      } else {
        this.out.push(W.portalSuspended());
      }
    } finally {
      this.endQuery(q);
    }
  }

  /** Bind the portal's parameters and start executing it. */
  async startPortal(q, p) {
    this.bindParams(p.stmt, p.params);
    p.ex = await this.startExecution(q, p.stmt.prepared);
  }

  /** Text parameters: bound as VARCHAR and cast by DuckDB to the type it inferred; where DuckDB
   *  inferred nothing, a declared PostgreSQL type (Parse) picks a typed binding instead. */
  bindParams(st, params) {
    const ps = st.prepared;
    ps.clearBindings();
    params.forEach((v, i) => {
      const idx = i + 1;
      if (v === null) return ps.bindNull(idx);
      const known = ps.parameterTypeId(idx);
      if (known !== DuckDBTypeId.ANY && known !== DuckDBTypeId.INVALID) return ps.bindVarchar(idx, v);
      try {
        switch (st.paramOids[i]) {
          case 16: return ps.bindBoolean(idx, /^(t|true|y|yes|on|1)$/i.test(v.trim()));
          case 21: case 23: case 20: return ps.bindBigInt(idx, BigInt(v.trim()));
          case 700: case 701: return ps.bindDouble(idx, Number(v));
          default: return ps.bindVarchar(idx, v);
        }
      } catch {
        throw new SqlError('22P02', `invalid input syntax for parameter $${idx}: "${v}"`);
      }
    });
  }
}

/**
 * The error for a COPY this endpoint does not run (copy_mode): `refused-before` refuses it before
 * the engine sees it, so an open transaction stays usable ('T'); `off` and `refused-engine` fail
 * like any statement, aborting an open transaction.
 */
function copyRefused(what) {
  const mode = sw().copy_mode;
  const err = notSupported(mode === 'refused-engine' ? `Not implemented Error: ${what}` : what);
  if (mode === 'refused-before') err.keepsTransaction = true;
  return err;
}

/** A prepared statement whose result DuckDB could not type yet (it reports one INVALID column). */
const unresolved = (ps) => ps.columnCount === 1 && ps.columnTypeId(0) === DuckDBTypeId.INVALID;

// DuckDB type for a parameter type OID declared in Parse; others (and 0 = unspecified) are text.
const OID_TO_DUCKDB = { 16: 'BOOLEAN', 20: 'BIGINT', 21: 'SMALLINT', 23: 'INTEGER', 700: 'FLOAT', 701: 'DOUBLE',
  1082: 'DATE', 1083: 'TIME', 1114: 'TIMESTAMP', 1184: 'TIMESTAMPTZ', 1186: 'INTERVAL', 2950: 'UUID', 17: 'BLOB' };

/** SQL text with each untyped $n replaced by ($n::TYPE). */
function castUntypedParams(plan, ps, paramOids) {
  let out = '', pos = 0;
  for (const t of tokenize(plan.text)) {
    if (t.k !== 'param' || t.v.length < 2) continue;
    const n = +t.v.slice(1);
    if (n < 1 || n > ps.parameterCount) continue;
    const id = ps.parameterTypeId(n);
    if (id !== DuckDBTypeId.ANY && id !== DuckDBTypeId.INVALID) continue;
    out += plan.text.slice(pos, t.s) + `(${t.v}::${OID_TO_DUCKDB[paramOids[n - 1]] ?? 'VARCHAR'})`;
    pos = t.e;
  }
  return out + plan.text.slice(pos);
}

/** pgType of a prepared statement's column/parameter; types DuckDB has not resolved yet (a bare
 *  `$1`) have no DuckDBType and are described as text. */
function safePgType(getType) {
  try {
    const t = getType();
    if (t.typeId !== DuckDBTypeId.ANY && t.typeId !== DuckDBTypeId.INVALID) return pgType(t);
  } catch { /* unresolved */ }
  return { oid: 25, size: -1, typmod: -1 };
}

/** statement_timeout value: integer milliseconds, or with a unit (ms, s, min, h, d). */
function parseTimeout(v) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/i.exec(String(v));
  if (!m) throw new SqlError('22023', `invalid value for parameter "statement_timeout": "${v}"`);
  const mult = { ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 }[(m[2] ?? 'ms').toLowerCase()];
  return Math.round(Number(m[1]) * mult);
}

/** psql may end COPY data with a "\." line; PostgreSQL ignores it, so drop it. */
async function stripEndOfDataMarker(file) {
  const { size } = await fsp.stat(file);
  if (size < 2) return;
  const fh = await fsp.open(file, 'r+');
  try {
    const n = Math.min(size, 4);
    const tail = Buffer.alloc(n);
    await fh.read(tail, 0, n, size - n);
    const t = tail.toString('latin1');
    for (const marker of ['\n\\.\r\n', '\n\\.\n', '\n\\.']) {
      if (t.endsWith(marker)) return fh.truncate(size - marker.length + 1);
    }
    if (size <= 4 && /^\\\.\r?\n?$/.test(t)) return fh.truncate(0);
  } finally {
    await fh.close();
  }
}

// =============================================================================================
// TCP listener: CancelRequest is handled before pg-gateway sees the socket; pg-gateway does the
// SSLRequest/TLS upgrade and parses the start-up message; the password message is handled here.
const CANCEL_CODE = 80877102, GSSENC_CODE = 80877104;
const errorAndClose = (socket, code, message) => {
  socket.end(W.errorResponse({ severity: 'FATAL', code, message }));
};

function onConnection(raw) {
  if (sw().refuse_connections || shuttingDown) { raw.destroy(); return; }
  raw.setNoDelay(true);
  raw.on('error', () => {});
  let head = Buffer.alloc(0);
  const onData = (b) => {
    head = Buffer.concat([head, b]);
    while (head.length >= 8) {
      const code = head.readInt32BE(4);
      if (code === CANCEL_CODE) {
        if (head.length < 16) return;
        raw.off('data', onData);
        handleCancel(head.readInt32BE(8), head.readInt32BE(12));
        raw.end(); // PostgreSQL closes a cancel connection without a reply
        return;
      }
      if (code === GSSENC_CODE) { raw.write('N'); head = head.subarray(8); continue; } // no GSSAPI encryption
      raw.off('data', onData);
      raw.pause();
      raw.unshift(head);
      startGateway(raw);
      raw.resume();
      return;
    }
  };
  raw.on('data', onData);
}

function handleCancel(pid, secret) {
  const s = sessions.get(pid);
  if (!s || s.secret !== secret) return;
  stats.cancels++;
  if (sw().cancel === 'ignore') { stats.cancels_ignored++; return; } // the query runs on
  s.cancel('user');
}

/** Open sessions of the (non-admin) token. */
function tokenSessions() {
  let n = 0;
  for (const s of sessions.values()) if (!s.admin) n++;
  return n;
}

function startGateway(raw) {
  const gw = new PostgresConnection(raw, {
    authMode: 'cleartextPassword',
    tls: { key: tlsKey, cert: tlsCert },
    onStartup: () => {
      if (!gw.secureSocket) { // the real endpoint requires TLS
        errorAndClose(gw.socket, '28000', 'SSL required');
        return true;
      }
      return false;
    },
    onMessage: (data, state) => {
      if (!state.hasStarted || state.isAuthenticated || data[0] !== 0x70 /* 'p' */) return false;
      const params = gw.clientInfo.parameters;
      const password = new W.BodyReader(data.subarray(5)).cstring();
      const admin = args.adminToken !== null && password === args.adminToken;
      if (password !== args.token && !admin) {
        errorAndClose(gw.socket, '28P01', `password authentication failed for user "${params.user}"`);
        return true;
      }
      const max = sw().max_connections;
      if (!admin && max > 0 && tokenSessions() >= max) {
        stats.connections_refused++;
        errorAndClose(gw.socket, '53300', 'too many connections for this token');
        return true;
      }
      const socket = gw.detach(); // from here on, all messages are framed by Session
      new Session(socket, { ...params }, admin).start().catch((e) => log('session start:', e));
      return true;
    },
  });
}

// =============================================================================================
// Main
let duckInstance, duckAdmin, duckVersion, tlsKey, tlsCert, server, control;
let shuttingDown = false;

async function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`${signal}: shutting down`);
  server?.close();
  control?.close();
  for (const s of sessions.values()) { // as PostgreSQL's fast shutdown: cancel, tell, close
    s.cancel('disconnect');
    s.out.push(W.errorResponse({ severity: 'FATAL', code: '57P01', message: 'terminating connection due to administrator command' }));
    s.out.flush();
    s.socket.end();
    setTimeout(() => s.socket.destroy(), 200).unref();
  }
  // Let sessions finish (their DuckDB connections must close before the instance).
  for (let i = 0; i < 100 && sessions.size > 0; i++) await sleep(20);
  try {
    for (const d of args.dbs) await duckAdmin.run(`CHECKPOINT ${quoteIdent(d.name)}`).catch((e) => log('checkpoint', d.name, e.message));
    duckAdmin.closeSync();
    duckInstance.closeSync();
  } catch (e) {
    log('closing DuckDB:', e.message);
  }
  process.exit(0);
}

async function main() {
  tlsKey = fs.readFileSync(args.key);
  tlsCert = fs.readFileSync(args.cert);
  ({ instance: duckInstance, admin: duckAdmin, version: duckVersion } = await openDuckDB());
  config = new Config(args.profile, args.switches, `15.0 (MotherDuck stand-in, DuckDB ${duckVersion})`);
  // A fixture shared by a whole test run should not die of one bad connection: log loudly, go on.
  process.on('uncaughtException', (e) => log('UNCAUGHT EXCEPTION (bug):', e));
  process.on('unhandledRejection', (e) => log('UNHANDLED REJECTION (bug):', e));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (args.controlPort !== null) {
    control = await startControl(args.controlPort, config, () => ({
      connections: sessions.size, admin_connections: sessions.size - tokenSessions(), ...stats, rss: process.memoryUsage().rss,
    }));
  }
  server = net.createServer(onConnection);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, '127.0.0.1', resolve);
  });
  process.stdout.write(`READY ${server.address().port}\n`);
}

main().catch((e) => {
  console.error(`server.mjs: ${e.message}`);
  process.exit(1);
});
