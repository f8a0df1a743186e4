// The audit log: every change made through the API (POST/PUT/PATCH/DELETE) and every read of
// a camera's stream address — who (token name and role, or anonymous), what (method, route,
// parameters, a summary of the body with secrets redacted), when, from where, and the outcome
// (HTTP status, refusals included). Append-only: a SQLite file ({dataDir}/audit.db) whose
// table refuses UPDATE and DELETE by trigger. The API process writes and reads it.
import type Database from 'better-sqlite3';
import { openSqliteWriter } from '../../store/sqlite-writer.js';

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT,
  ip TEXT NOT NULL,
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  params TEXT,
  query TEXT,
  body TEXT,
  status INTEGER NOT NULL,
  duration_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit (actor, ts);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

export interface AuditEntryInput {
  ts: number;
  /** Token name, `anonymous`, or `(unknown token)` for a refused one. */
  actor: string;
  role?: string;
  ip: string;
  method: string;
  /** The route template, e.g. /v1/cameras/:site/:gateway/:camera/ptz. */
  route: string;
  params?: unknown;
  query?: unknown;
  /** Already summarised and redacted (summarize()). */
  body?: unknown;
  status: number;
  durationMs: number;
}

export interface AuditEntry extends AuditEntryInput { id: number }

export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditQuery {
  from: number;
  to: number;
  actor?: string;
  method?: string;
  /** Route template, or a prefix of it ending in `*` (e.g. /v1/cameras*). */
  route?: string;
  /** ok: 1xx–3xx; refused: 401, 403, 429; failed: any other 4xx/5xx. */
  outcome?: AuditOutcome;
  status?: number;
  limit: number;
}

interface Row {
  id: number; ts: number; actor: string; role: string | null; ip: string; method: string; route: string;
  params: string | null; query: string | null; body: string | null; status: number; duration_ms: number;
}

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
const parse = (text: string | null) => (text === null ? undefined : JSON.parse(text) as unknown);

export class AuditLog {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;

  constructor(readonly file: string) {
    this.#db = openSqliteWriter(file, { name: 'audit log', sql: SCHEMA_SQL, version: 1 });
    this.#insert = this.#db.prepare(`INSERT INTO audit (ts, actor, role, ip, method, route, params, query, body, status, duration_ms)
      VALUES (@ts, @actor, @role, @ip, @method, @route, @params, @query, @body, @status, @durationMs)`);
  }

  append(entry: AuditEntryInput): void {
    this.#insert.run({
      ...entry, role: entry.role ?? null, params: json(entry.params), query: json(entry.query), body: json(entry.body),
    });
  }

  query(q: AuditQuery): AuditEntry[] {
    const where = ['ts >= @from', 'ts < @to'];
    const args: Record<string, unknown> = { from: q.from, to: q.to, limit: q.limit };
    if (q.actor !== undefined) { where.push('actor = @actor'); args.actor = q.actor; }
    if (q.method !== undefined) { where.push('method = @method'); args.method = q.method.toUpperCase(); }
    if (q.route !== undefined) {
      if (q.route.endsWith('*')) {
        where.push("substr(route, 1, length(@routePrefix)) = @routePrefix");
        args.routePrefix = q.route.slice(0, -1);
      } else {
        where.push('route = @route');
        args.route = q.route;
      }
    }
    if (q.status !== undefined) { where.push('status = @status'); args.status = q.status; }
    if (q.outcome === 'ok') where.push('status < 400');
    if (q.outcome === 'refused') where.push('status IN (401, 403, 429)');
    if (q.outcome === 'failed') where.push('status >= 400 AND status NOT IN (401, 403, 429)');
    const rows = this.#db.prepare(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY ts DESC, id DESC LIMIT @limit`).all(args) as Row[];
    return rows.map((row) => ({
      id: row.id, ts: row.ts, actor: row.actor, ...(row.role !== null ? { role: row.role } : {}), ip: row.ip, method: row.method, route: row.route,
      ...(row.params !== null ? { params: parse(row.params) } : {}),
      ...(row.query !== null ? { query: parse(row.query) } : {}),
      ...(row.body !== null ? { body: parse(row.body) } : {}),
      status: row.status, durationMs: row.duration_ms,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

const SECRET_KEY = /pass(word|phrase)?|secret|token|authori[sz]ation|credential|private.?key|api.?key|^key$|cookie/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi;
const MAX_STRING = 256;
const MAX_ITEMS = 50;
const MAX_DEPTH = 5;

/**
 * What of a request body (or params, query) goes into the audit log: values under keys that
 * name secrets (password, token, secret, credentials, keys…) become "[redacted]", user:password@
 * in URLs too; long strings, big arrays and deep nesting are cut.
 */
export function summarize(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    const clean = value.replace(URL_USERINFO, '$1[redacted]@');
    return clean.length > MAX_STRING ? `${clean.slice(0, MAX_STRING)}… (${clean.length} characters)` : clean;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return `(${value.length} bytes)`;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => summarize(item, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… (${value.length} items)`] : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>).slice(0, MAX_ITEMS)) {
      out[key] = SECRET_KEY.test(key) ? '[redacted]' : summarize(item, depth + 1);
    }
    return out;
  }
  return String(value);
}
