// The event log: every gateway event (device online/offline, command results, camera
// health, motion, tamper) in a SQLite file in ingest's data directory, kept for a number of
// days. Ingest writes through EventLog; the API reads through EventLogReader, read-only,
// possibly from another process on the same host (WAL).
import { createHash } from 'node:crypto';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from '../../lib/logger.js';
import { LazyReadOnlyDatabase } from '../sqlite-reader.js';
import { openSqliteWriter, startRetentionTimer } from '../sqlite-writer.js';

export const DEFAULT_EVENT_MAX_AGE_MS = 90 * 86_400_000;
const SCHEMA_VERSION = 1;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  site TEXT NOT NULL,
  gateway TEXT NOT NULL,
  device TEXT NOT NULL,
  ts INTEGER NOT NULL,
  type TEXT NOT NULL,
  message TEXT,
  data TEXT,
  -- hash of type, message and data: a redelivered event is stored once, two different
  -- events of one device in the same millisecond both are
  fingerprint TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (site, gateway, device, ts, fingerprint)
);
CREATE INDEX IF NOT EXISTS events_by_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, ts);
`;

export interface EventSource { site: string; gateway: string; device: string }

export interface LoggedEvent extends EventSource {
  id: number;
  ts: number;
  type: string;
  message?: string;
  data?: Record<string, unknown>;
  receivedAt: number;
}

export interface EventQuery {
  site?: string;
  gateway?: string;
  device?: string;
  type?: string;
  /** Inclusive, ms since the epoch. */
  from: number;
  /** Exclusive. */
  to: number;
  limit: number;
}

export interface EventLogOptions {
  maxAgeMs?: number;
  /** How often old events are deleted; 0: only when enforceRetention() is called. */
  retentionIntervalMs?: number;
  clock?: () => number;
  logger?: Logger;
}

function fingerprint(type: string, message: string | undefined, data: string | null): string {
  return createHash('sha256').update(type).update('\0').update(message ?? '').update('\0').update(data ?? '').digest('hex').slice(0, 32);
}

export class EventLog {
  readonly file: string;
  readonly maxAgeMs: number;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #clock: () => number;
  readonly #log: Logger | undefined;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(file: string, options: EventLogOptions = {}) {
    this.file = path.resolve(file);
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_EVENT_MAX_AGE_MS;
    this.#clock = options.clock ?? Date.now;
    this.#log = options.logger;
    // Synchronous FULL (openSqliteWriter): an event is acknowledged to the broker only after it is on disk.
    const db = openSqliteWriter(this.file, { name: 'event log', sql: SCHEMA_SQL, version: SCHEMA_VERSION });
    this.#db = db;
    this.#insert = db.prepare(`INSERT OR IGNORE INTO events (site, gateway, device, ts, type, message, data, fingerprint, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#timer = startRetentionTimer(options.retentionIntervalMs ?? 3_600_000, () => this.enforceRetention(), this.#log, 'event');
  }

  /** Stores the event (durably) unless the same one is already stored; returns whether it was new. */
  add(source: EventSource, event: { ts: number; type: string; message?: string; data?: Record<string, unknown> }): boolean {
    const data = event.data === undefined ? null : JSON.stringify(event.data);
    return this.#insert.run(
      source.site, source.gateway, source.device, event.ts, event.type, event.message ?? null, data,
      fingerprint(event.type, event.message, data), this.#clock(),
    ).changes > 0;
  }

  /** Deletes events older than maxAgeMs; returns how many. */
  enforceRetention(): number {
    const deleted = this.#db.prepare('DELETE FROM events WHERE ts < ?').run(this.#clock() - this.maxAgeMs).changes;
    if (deleted > 0) this.#log?.info({ deleted }, 'event log retention');
    return deleted;
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#db.close();
  }
}

interface EventRow extends EventSource { id: number; ts: number; type: string; message: string | null; data: string | null; receivedAt: number }

export class EventLogReader {
  readonly #db: LazyReadOnlyDatabase;

  constructor(file: string) {
    this.#db = new LazyReadOnlyDatabase(path.resolve(file));
  }

  /** Matching events, newest first. */
  query(query: EventQuery): LoggedEvent[] {
    const db = this.#db.get();
    if (!db) return [];
    const rows = db.prepare(`SELECT id, site, gateway, device, ts, type, message, data, received_at AS receivedAt FROM events
      WHERE ts >= @from AND ts < @to
        AND (@site IS NULL OR site = @site) AND (@gateway IS NULL OR gateway = @gateway)
        AND (@device IS NULL OR device = @device) AND (@type IS NULL OR type = @type)
      ORDER BY ts DESC, id DESC LIMIT @limit`).all({
      from: query.from, to: query.to, limit: query.limit,
      site: query.site ?? null, gateway: query.gateway ?? null, device: query.device ?? null, type: query.type ?? null,
    }) as EventRow[];
    return rows.map(({ message, data, ...row }) => ({
      ...row,
      ...(message === null ? {} : { message }),
      ...(data === null ? {} : { data: JSON.parse(data) as Record<string, unknown> }),
    }));
  }

  close(): void {
    this.#db.close();
  }
}
