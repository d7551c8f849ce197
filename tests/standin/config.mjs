// config.mjs — the stand-in's command line, its endpoint switches and profiles, and the control
// port that reads and changes them at run time (tests only).
//
// Each endpoint switch is a start-up flag and a key of POST /config; a profile is a named set of
// switches (/work/notes/profiles.md is the interface other code relies on).  Explicit flags
// override the profile's values wherever they appear on the command line.

import http from 'node:http';
import path from 'node:path';

const oneOf = (...values) => (v) => {
  if (!values.includes(v)) throw new Error(`expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
};
const number = (integer) => (v) => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`expected a ${integer ? 'whole ' : ''}number >= 0, got ${JSON.stringify(v)}`);
  }
  return n;
};
const bool = (v) => {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'on' || v === '1') return true;
  if (v === 'false' || v === 'off' || v === '0') return false;
  throw new Error(`expected true or false, got ${JSON.stringify(v)}`);
};
/** Setting names, as a comma list or an array; compared case-insensitively by the server. */
const nameList = (v) => {
  const items = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(items) || !items.every((x) => typeof x === 'string')) throw new Error('expected a comma list or an array of names');
  return items.map((x) => x.trim()).filter((x) => x !== '');
};
const timeZone = (v) => {
  if (v === null || v === '') return null;
  if (typeof v !== 'string') throw new Error('expected a time zone name or null');
  try { new Intl.DateTimeFormat('en-US', { timeZone: v }); } catch { throw new Error(`unknown time zone ${v}`); }
  return v;
};
const text = (v) => {
  if (v === null) return null; // back to the default
  if (typeof v !== 'string' || v === '') throw new Error('expected a non-empty string');
  return v;
};

/** The endpoint switches: config key → start-up flag, default (first value of the table) and parser. */
export const SWITCHES = {
  copy_mode: { flag: '--copy-mode', def: 'off', parse: oneOf('off', 'allowed', 'refused-before', 'refused-engine') },
  cancel: { flag: '--cancel', def: 'honour', parse: oneOf('honour', 'ignore') },
  bool_format: { flag: '--bool', def: 'truefalse', parse: oneOf('truefalse', 'tf') },
  refuse_set: { flag: '--refuse-set', def: [], parse: nameList },
  session_timezone: { flag: '--session-timezone', def: null, parse: timeZone },
  idle_close_s: { flag: '--idle-close-s', def: 0, parse: number(false) },
  idle_close_in_transaction: { flag: '--idle-close-in-transaction', def: true, parse: bool },
  max_connections: { flag: '--max-connections', def: 0, parse: number(true) },
  unnamed_statements_only: { flag: '--unnamed-statements-only', def: false, parse: bool, noValue: true },
  server_version: { flag: '--server-version', def: null, parse: text }, // null: the default version string
  refuse_pipelining: { flag: '--refuse-pipelining', def: false, parse: bool, noValue: true },
  refuse_multi_statement: { flag: '--refuse-multi-statement', def: false, parse: bool, noValue: true },
  refuse_read_only: { flag: '--refuse-read-only', def: false, parse: bool, noValue: true },
  type_oids: { flag: '--type-oids', def: 'twins', parse: oneOf('twins', 'text', 'unknown') },
};

/** Test faults, control port only. */
const FAULTS = {
  close_after_rows: (v) => (v === null ? null : number(true)(v)),
  batch_delay_ms: number(false),
  refuse_connections: bool,
};

export const PROFILES = {
  default: {},
  hostile: {
    copy_mode: 'refused-before', cancel: 'ignore', bool_format: 'tf', refuse_set: ['TimeZone', 'DateStyle', 'statement_timeout'],
    session_timezone: 'Asia/Kolkata', idle_close_s: 3, max_connections: 3, unnamed_statements_only: true,
    server_version: 'v1.5.6 MotherDuck', refuse_pipelining: true, refuse_read_only: true, type_oids: 'unknown',
  },
};

/** The switches of a profile over the defaults. */
function profileSwitches(name) {
  if (!Object.hasOwn(PROFILES, name)) throw new Error(`unknown profile ${name} (${Object.keys(PROFILES).join(', ')})`);
  const sw = {};
  for (const [k, s] of Object.entries(SWITCHES)) sw[k] = structuredClone(PROFILES[name][k] ?? s.def);
  return sw;
}

/**
 * Command line → {port, cert, key, token, adminToken, dbs, default, controlPort, threads, profile,
 * switches}.  Throws Error with a message for the user.
 */
export function parseArgs(argv) {
  const o = { dbs: [], threads: null, controlPort: null, default: null, adminToken: null, profile: 'default' };
  const explicit = {};
  const byFlag = Object.fromEntries(Object.entries(SWITCHES).map(([k, s]) => [s.flag, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (byFlag[a]) {
      const key = byFlag[a];
      const raw = SWITCHES[key].noValue ? true : val();
      try { explicit[key] = SWITCHES[key].parse(raw); } catch (e) { throw new Error(`${a}: ${e.message}`); }
      continue;
    }
    switch (a) {
      case '--port': o.port = +val(); break;
      case '--cert': o.cert = val(); break;
      case '--key': o.key = val(); break;
      case '--token': o.token = val(); break;
      case '--admin-token': o.adminToken = val(); break;
      case '--db': {
        const v = val(), eq = v.indexOf('=');
        if (eq <= 0) throw new Error(`--db expects name=path, got ${v}`);
        o.dbs.push({ name: v.slice(0, eq), path: path.resolve(v.slice(eq + 1)) });
        break;
      }
      case '--default': o.default = val(); break;
      case '--copy': explicit.copy_mode = 'allowed'; break; // the old spelling of --copy-mode allowed
      case '--profile': o.profile = val(); break;
      case '--control-port': o.controlPort = +val(); break;
      case '--threads': o.threads = +val(); break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  for (const k of ['port', 'cert', 'key', 'token']) if (o[k] === undefined) throw new Error(`--${k} is required`);
  if (o.adminToken !== null && o.adminToken === o.token) throw new Error('--admin-token must differ from --token');
  if (o.dbs.length === 0) throw new Error('at least one --db name=path is required');
  o.default ??= o.dbs[0].name;
  if (!o.dbs.some((d) => d.name === o.default)) throw new Error(`--default ${o.default} is not a --db`);
  o.switches = { ...profileSwitches(o.profile), ...explicit };
  return o;
}

/**
 * The runtime configuration: endpoint switches + test faults, plus `profile` (the profile started
 * with or last applied) and `copy` (true when copy_mode is allowed; the old switch, still accepted).
 */
export class Config {
  constructor(profile, switches, defaultServerVersion) {
    this.defaultServerVersion = defaultServerVersion;
    this.values = { profile, ...switches, close_after_rows: null, batch_delay_ms: 0, refuse_connections: false };
    this.values.server_version ??= defaultServerVersion;
    this.values.copy = this.values.copy_mode === 'allowed';
  }

  /** Apply a POST /config body; all or nothing.  Throws Error on unknown keys or bad values. */
  update(upd) {
    if (upd === null || typeof upd !== 'object' || Array.isArray(upd)) throw new Error('expected a JSON object');
    let next = { ...this.values };
    if ('profile' in upd) { // first, so that the other keys of the same request override it
      try { next = { ...next, ...profileSwitches(upd.profile), profile: upd.profile }; } catch (e) { throw new Error(`profile: ${e.message}`); }
      next.server_version ??= this.defaultServerVersion;
    }
    for (const [k, v] of Object.entries(upd)) {
      if (k === 'profile') continue;
      try {
        if (k === 'copy') next.copy_mode = bool(v) ? 'allowed' : 'off';
        else if (SWITCHES[k]) next[k] = SWITCHES[k].parse(v) ?? (k === 'server_version' ? this.defaultServerVersion : null);
        else if (FAULTS[k]) next[k] = FAULTS[k](v);
        else throw new Error('unknown key');
      } catch (e) {
        throw new Error(`${k}: ${e.message}`);
      }
    }
    next.copy = next.copy_mode === 'allowed';
    this.values = next;
  }
}

/** Control port (tests only, 127.0.0.1): GET/POST /config, GET /stats (from stats()). */
export function startControl(port, config, stats) {
  const srv = http.createServer((req, res) => {
    const reply = (code, obj) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj) + '\n');
    };
    if (req.method === 'GET' && req.url === '/stats') return reply(200, stats());
    if (req.method === 'GET' && req.url === '/config') return reply(200, config.values);
    if (req.method === 'POST' && req.url === '/config') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        let upd;
        try { upd = JSON.parse(body || '{}'); } catch { return reply(400, { error: 'invalid JSON' }); }
        try { config.update(upd); } catch (e) { return reply(400, { error: e.message }); }
        return reply(200, config.values);
      });
      return;
    }
    reply(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}
