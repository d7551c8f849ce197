// sql.mjs — SQL text as the stand-in sees it: a small lexer that splits a Query into statements
// and recognises what the endpoint intercepts (SET of client variables, COPY, refused statements),
// DuckDB errors mapped to SQLSTATEs, and PostgreSQL command tags.

import { StatementType } from '@duckdb/node-api';

export const quoteIdent = (s) => '"' + s.replace(/"/g, '""') + '"';
export const quoteLit = (s) => "'" + s.replace(/'/g, "''") + "'";

// statements the endpoint intercepts (SET of client variables, COPY, refused statements).

/**
 * Scan SQL text, calling emit(kind, start, end) for each token: 'word', 'ident' ("x"), 'string'
 * ('x', E'x', $tag$x$tag$), 'num', 'param' ($1) or 'op' (any other character).  Comments and
 * white space are skipped.  emit returns true to stop.  No allocation per token, so splitting a
 * multi-megabyte INSERT stays cheap.
 */
function scanSql(sql, emit) {
  const n = sql.length;
  const code = (j) => sql.charCodeAt(j);
  const isDigit = (c) => c >= 48 && c <= 57;
  const isWordStart = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
  /** End (exclusive) of a quoted run whose opening quote is at i; a doubled quote is an escape. */
  const closeQuote = (i, q, backslash) => {
    for (let j = i + 1; ;) {
      const k = sql.indexOf(q, j);
      if (k < 0) return n;
      if (backslash) { // E'...': a quote after an odd number of backslashes is escaped
        let b = 0;
        while (sql[k - 1 - b] === '\\') b++;
        if (b % 2 === 1) { j = k + 1; continue; }
      }
      if (sql[k + 1] === q) { j = k + 2; continue; }
      return k + 1;
    }
  };
  for (let i = 0; i < n;) {
    const c = code(i), start = i;
    let kind;
    if (c === 32 || (c >= 9 && c <= 13)) { i++; continue; }
    if (c === 45 && code(i + 1) === 45) { const k = sql.indexOf('\n', i); i = k < 0 ? n : k + 1; continue; } // -- comment
    if (c === 47 && code(i + 1) === 42) { // /* block comments */ nest, as in PostgreSQL
      let depth = 0;
      do {
        if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i += 2; } else if (sql[i] === '*' && sql[i + 1] === '/') { depth--; i += 2; } else i++;
      } while (i < n && depth > 0);
      continue;
    }
    if (c === 39) { kind = 'string'; i = closeQuote(i, "'", false); } else if ((c === 69 || c === 101) && code(i + 1) === 39) {
      kind = 'string'; i = closeQuote(i + 1, "'", true);
    } else if (c === 34) { kind = 'ident'; i = closeQuote(i, '"', false); } else if (c === 36) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) { // $tag$ ... $tag$
        const close = sql.indexOf(m[0], i + m[0].length);
        kind = 'string'; i = close < 0 ? n : close + m[0].length;
      } else {
        kind = 'param'; i++;
        while (i < n && isDigit(code(i))) i++;
      }
    } else if (isDigit(c) || (c === 46 && isDigit(code(i + 1)))) {
      kind = 'num';
      while (i < n && (isDigit(code(i)) || code(i) === 46 || code(i) === 95 || code(i) === 69 || code(i) === 101)) i++;
    } else if (isWordStart(c)) {
      kind = 'word';
      while (i < n && (isWordStart(code(i)) || isDigit(code(i)) || code(i) === 36)) i++;
    } else {
      kind = 'op'; i++;
    }
    if (emit(kind, start, i)) return;
  }
}

/** Tokens {k, v, s, e} of sql (at most max): words upper-cased, strings and "identifiers" unquoted. */
export function tokenize(sql, max = Infinity) {
  const toks = [];
  scanSql(sql, (k, s, e) => {
    const raw = sql.slice(s, e);
    let v = raw;
    if (k === 'word') v = raw.toUpperCase();
    else if (k === 'ident') v = raw.slice(1, -1).replace(/""/g, '"');
    else if (k === 'string' && raw[0] === '$') v = raw.slice(raw.indexOf('$', 1) + 1, raw.lastIndexOf('$', raw.length - 2));
    else if (k === 'string' && raw[0] === "'") v = raw.slice(1, -1).replace(/''/g, "'");
    else if (k === 'string') v = raw.slice(2, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1'); // E'...'
    toks.push({ k, v, s, e });
    return toks.length >= max;
  });
  return toks;
}

/** Split a Query string at top-level semicolons into [{text}]; empty statements are dropped. */
export function splitStatements(sql) {
  const out = [];
  let first = -1, last = -1;
  scanSql(sql, (k, s, e) => {
    if (k === 'op' && sql[s] === ';') {
      if (first >= 0) out.push({ text: sql.slice(first, last) });
      first = -1;
    } else {
      if (first < 0) first = s;
      last = e;
    }
    return false;
  });
  if (first >= 0) out.push({ text: sql.slice(first, last) });
  return out;
}

export class SqlError extends Error {
  constructor(code, message, severity = 'ERROR') { super(message); this.code = code; this.severity = severity; }
}
export const notSupported = (what) => new SqlError('0A000', what);

// PostgreSQL client chatter that DuckDB does not know: accepted and ignored.
export const IGNORED_SETTINGS = new Set(['datestyle', 'client_encoding', 'extra_float_digits', 'intervalstyle',
  'client_min_messages', 'standard_conforming_strings', 'bytea_output', 'lock_timeout', 'escape_string_warning',
  'idle_in_transaction_session_timeout', 'idle_session_timeout', 'synchronous_commit', 'row_security', 'jit',
  'default_transaction_isolation', 'default_transaction_read_only', 'transaction_isolation', 'names', 'transaction',
  'session characteristics', 'array_nulls', 'geqo', 'tcp_keepalives_idle']);

/**
 * What kind of statement a piece of SQL is.  Returns {kind, text, toks, ...}:
 *   kind 'sql'     — passed to DuckDB (tx: 'begin'|'commit'|'rollback' for transaction control)
 *   kind 'set'     — SET/RESET of a variable handled here (name, value|null for RESET)
 *   (every SET/RESET, whatever its kind, also has setName: the variable's name, lower case)
 *   kind 'copy'    — COPY ... TO STDOUT / FROM STDIN (copy: parsed options)
 *   kind 'refuse'  — what the real endpoint refuses (error: SqlError)
 */
export function classify(stmt) {
  const { text } = stmt;
  let toks = tokenize(text, 16); // enough to recognise the statement
  if (toks[0]?.v === 'COPY' || toks[0]?.v === 'SET' || toks[0]?.v === 'RESET') toks = tokenize(text);
  const w = (i) => (toks[i] && toks[i].k === 'word' ? toks[i].v : '');
  const plan = { kind: 'sql', text, toks };
  switch (w(0)) {
    case 'BEGIN': case 'START': plan.tx = 'begin'; break;
    case 'COMMIT': case 'END': plan.tx = 'commit'; break;
    case 'ROLLBACK': case 'ABORT': plan.tx = 'rollback'; break;
    case 'ATTACH': return { ...plan, kind: 'refuse', error: notSupported('ATTACH is not supported on this endpoint (no local file access)') };
    case 'INSTALL': case 'LOAD': return { ...plan, kind: 'refuse', error: notSupported(`${w(0)} is not supported on this endpoint`) };
    case 'FORCE': if (w(1) === 'INSTALL') return { ...plan, kind: 'refuse', error: notSupported('INSTALL is not supported on this endpoint') }; break;
    case 'CREATE': {
      let i = 1;
      if (w(1) === 'OR' && w(2) === 'REPLACE') i = 3;
      if (w(i) === 'TEMP' || w(i) === 'TEMPORARY') {
        return { ...plan, kind: 'refuse', error: notSupported('temporary objects are not supported on this endpoint (no client-session state)') };
      }
      break;
    }
    case 'COPY': return classifyCopy(plan);
    case 'SET': case 'RESET': {
      let i = 1;
      if (w(0) === 'SET' && (w(1) === 'SESSION' || w(1) === 'LOCAL')) i = 2;
      let name;
      if (w(i) === 'TIME' && w(i + 1) === 'ZONE') { name = 'timezone'; i += 2; } else if (w(i) === 'SESSION' && w(i + 1) === 'CHARACTERISTICS') { name = 'session characteristics'; i = toks.length; } else if (toks[i] && (toks[i].k === 'word' || toks[i].k === 'ident')) { name = toks[i].v.toLowerCase(); i++; } else break;
      plan.setName = name; // any SET/RESET: the server may refuse it (refuse_set)
      if (w(0) === 'RESET' && name === 'all') return { ...plan, kind: 'set', name: 'all', value: null };
      if (name !== 'statement_timeout' && name !== 'timezone' && name !== 'application_name' && !IGNORED_SETTINGS.has(name)) break;
      if (w(0) === 'RESET') return { ...plan, kind: 'set', name, value: null };
      if (toks[i] && (toks[i].v === '=' || toks[i].v === 'TO')) i++;
      const valToks = toks.slice(i);
      const value = valToks.length === 1 ? valToks[0].v : text.slice(valToks[0]?.s ?? text.length).trim();
      const isDefault = valToks.length === 1 && valToks[0].k === 'word' && (valToks[0].v === 'DEFAULT' || valToks[0].v === 'LOCAL');
      return { ...plan, kind: 'set', name, value: isDefault ? null : String(value) };
    }
  }
  return plan;
}

/** COPY {table [(cols)] | (query)} {TO STDOUT | FROM STDIN} [WITH] [(options) | legacy options]. */
function classifyCopy(plan) {
  const { toks, text } = plan;
  let i = 1;
  const copy = { format: 'text', header: false, delimiter: null, quote: '"', nullString: null };
  if (toks[i]?.v === '(') { // (query): find the matching parenthesis
    let depth = 0, j = i;
    for (; j < toks.length; j++) {
      if (toks[j].v === '(') depth++;
      else if (toks[j].v === ')' && --depth === 0) break;
    }
    copy.query = text.slice(toks[i].e, toks[j]?.s ?? text.length);
    i = j + 1;
  } else {
    let name = '';
    while (toks[i] && (toks[i].k === 'word' || toks[i].k === 'ident' || toks[i].v === '.')) {
      name += toks[i].k === 'ident' ? quoteIdent(toks[i].v) : toks[i].k === 'word' ? text.slice(toks[i].s, toks[i].e) : '.';
      i++;
      if (toks[i - 1].v !== '.' && toks[i]?.v !== '.') break;
    }
    copy.table = name;
    if (toks[i]?.v === '(') {
      const cols = [];
      for (i++; toks[i] && toks[i].v !== ')'; i++) if (toks[i].v !== ',') cols.push(toks[i].k === 'ident' ? quoteIdent(toks[i].v) : text.slice(toks[i].s, toks[i].e));
      copy.columns = cols;
      i++;
    }
  }
  const dir = toks[i]?.v, target = toks[i + 1];
  const client = target && target.k === 'word' && (target.v === 'STDOUT' || target.v === 'STDIN');
  if (!client || (dir === 'TO') !== (target.v === 'STDOUT')) {
    return { ...plan, kind: 'refuse', error: notSupported('COPY to or from a file is not supported on this endpoint (no local file access)') };
  }
  copy.direction = dir === 'TO' ? 'out' : 'in';
  i += 2;
  if (toks[i]?.v === 'WITH') i++;
  const opts = []; // [name, value|null]
  if (toks[i]?.v === '(') {
    for (i++; i < toks.length && toks[i].v !== ')';) {
      const name = toks[i++].v.toLowerCase();
      let value = null;
      if (toks[i] && toks[i].v !== ',' && toks[i].v !== ')') value = toks[i++].v;
      opts.push([name, value]);
      if (toks[i]?.v === ',') i++;
    }
  } else { // legacy syntax: CSV HEADER DELIMITER [AS] 'x' NULL [AS] 'x' QUOTE [AS] 'x' BINARY
    while (i < toks.length) {
      const name = toks[i++].v.toLowerCase();
      if (name === 'csv' || name === 'binary') { opts.push(['format', name]); continue; }
      if (name === 'header') { opts.push(['header', null]); continue; }
      if (toks[i]?.v === 'AS') i++;
      opts.push([name, toks[i++]?.v ?? null]);
    }
  }
  for (const [name, value] of opts) {
    const v = value === null ? null : String(value);
    switch (name) {
      case 'format': copy.format = (v ?? '').toLowerCase(); break;
      case 'header': copy.header = v === null || /^(true|on|1|match)$/i.test(v); break;
      case 'delimiter': copy.delimiter = v; break;
      case 'quote': copy.quote = v; break;
      case 'null': copy.nullString = v; break;
      default: return { ...plan, kind: 'refuse', error: new SqlError('42601', `COPY option "${name}" is not supported by this endpoint`) };
    }
  }
  if (copy.format !== 'csv' && copy.format !== 'text') return { ...plan, kind: 'refuse', error: notSupported(`COPY format "${copy.format}" is not supported`) };
  copy.delimiter ??= copy.format === 'csv' ? ',' : '\t';
  return { ...plan, kind: 'copy', copy };
}

// =============================================================================================
// DuckDB errors → SQLSTATE (first matching rule wins; the message is DuckDB's own).
const SQLSTATE_RULES = [
  [/^INTERRUPT Error/, '57014'],
  [/^(Parser|Syntax) Error/, '42601'],
  [/^Catalog Error: .* does not exist because schema .* does not exist/, '3F000'],
  [/^Catalog Error: Schema with name .* does not exist/, '3F000'],
  [/^Catalog Error: (\w+ )*Function with name .* does not exist/, '42883'],
  [/^Catalog Error: (Table|View)( or View)? with name .* does not exist/, '42P01'],
  [/^(Catalog|Binder) Error: Catalog .* does not exist/, '3D000'],
  [/^Catalog Error: Type with name .* does not exist/, '42704'],
  [/^Catalog Error: .* already exists/, '42P07'],
  [/^Binder Error: Referenced column .* not found/, '42703'],
  [/^Constraint Error: NOT NULL/, '23502'],
  [/^Constraint Error: .*foreign key/i, '23503'],
  [/^Constraint Error: CHECK/i, '23514'],
  [/^Constraint Error/, '23505'],
  [/[Dd]ivision by zero/, '22012'],
  [/^Out of Range Error|^Conversion Error: .*out of range/, '22003'],
  [/^(Conversion|Mismatch Type) Error|^Invalid Input Error: Could not convert/, '22P02'],
  [/^(TransactionContext|Transaction) Error: .*[Cc]onflict/, '40001'],
];
export function toSqlError(err) {
  if (err instanceof SqlError) return err;
  const msg = String(err?.message ?? err).replace(/^Failed to extract statements: /, '').trim();
  const rule = SQLSTATE_RULES.find(([re]) => re.test(msg));
  return new SqlError(rule ? rule[1] : 'XX000', msg);
}

// Statements whose DuckDB result is a single "Count" / "Success" column are commands, not queries.
const CHANGES_ROWS = new Set([StatementType.INSERT, StatementType.UPDATE, StatementType.DELETE, StatementType.CREATE, StatementType.MERGE_INTO]);
export function returnsRows(stmtType, names) {
  if (CHANGES_ROWS.has(stmtType)) return !(names.length === 1 && names[0] === 'Count');
  if (stmtType !== StatementType.SELECT && names.length === 1 && names[0] === 'Success') return false;
  return names.length > 0;
}
/** PostgreSQL-style command tag for a statement that returned no rows. */
export function commandTag(plan, stmtType, count) {
  switch (stmtType) {
    case StatementType.INSERT: return `INSERT 0 ${count}`;
    case StatementType.UPDATE: return `UPDATE ${count}`;
    case StatementType.DELETE: return `DELETE ${count}`;
    case StatementType.MERGE_INTO: return `MERGE ${count}`;
    case StatementType.SELECT: return `SELECT ${count}`;
  }
  const words = plan.toks.filter((t) => t.k === 'word').map((t) => t.v);
  switch (words[0]) {
    case 'BEGIN': return 'BEGIN';
    case 'START': return 'START TRANSACTION';
    case 'COMMIT': case 'END': return 'COMMIT';
    case 'ROLLBACK': case 'ABORT': return 'ROLLBACK';
    case 'CREATE': case 'DROP': case 'ALTER': { // (DuckDB reports no row count for CREATE TABLE AS)
      const kind = words.slice(1).find((x) => ['TABLE', 'VIEW', 'SCHEMA', 'INDEX', 'SEQUENCE', 'MACRO', 'FUNCTION', 'TYPE', 'DATABASE', 'SECRET'].includes(x));
      return kind ? `${words[0]} ${kind}` : words[0];
    }
  }
  return words[0] ?? 'OK';
}
