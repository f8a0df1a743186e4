// The alarm store: alarms and their changes in a SQLite file in ingest's data directory.
// Ingest is the only writer (AlarmStore); the API reads through AlarmStoreReader, read-only,
// possibly from another process on the same host (WAL), like the event log.
//
// Two tables: `alarms`, one row per alarm with its current state and lifecycle times, and
// `alarm_changes`, every change as it was published (raised, escalated, acknowledged,
// cleared). A change row also serves as ingest's outbox: `published_at` stays NULL until the
// broker has taken the message, so a change stored just before a crash is published on the
// next start. Cleared alarms are deleted with their changes once older than the retention age.
import path from 'node:path';
import type Database from 'better-sqlite3';
import { alarmSchema, type Alarm, type AlarmSeverity } from '../../protocol/index.js';
import type { Logger } from '../../lib/logger.js';
import { LazyReadOnlyDatabase } from '../sqlite-reader.js';
import { openSqliteWriter, startRetentionTimer } from '../sqlite-writer.js';
import type { AlarmQuery, AlarmReader, StoredAlarm } from './types.js';

export const DEFAULT_ALARM_MAX_AGE_MS = 365 * 86_400_000;
export const DEFAULT_ALARM_QUERY_LIMIT = 100;
export const MAX_ALARM_QUERY_LIMIT = 1000;
const SCHEMA_VERSION = 1;

/** Severity order for sorting and `minSeverity` (stored as a rank so SQL can compare it). */
export const SEVERITY_RANK: Readonly<Record<AlarmSeverity, number>> = { info: 0, warning: 1, major: 2, critical: 3 };

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS alarms (
  id TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  gateway TEXT,
  device TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity_rank INTEGER NOT NULL,
  state TEXT NOT NULL,
  raised_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  acked_at INTEGER,
  cleared_at INTEGER,
  -- the alarm as last published (JSON), merged with what earlier changes told (by, note)
  alarm TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarms_open ON alarms (state, severity_rank, raised_at) WHERE state <> 'cleared';
CREATE INDEX IF NOT EXISTS alarms_by_raised ON alarms (raised_at);
CREATE INDEX IF NOT EXISTS alarms_by_device ON alarms (site, device, raised_at);
CREATE INDEX IF NOT EXISTS alarms_cleared ON alarms (cleared_at) WHERE cleared_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS alarm_changes (
  seq INTEGER PRIMARY KEY,
  alarm_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  state TEXT NOT NULL,
  severity_rank INTEGER NOT NULL,
  alarm TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  -- NULL until the broker acknowledged the publication: the outbox of ingest
  published_at INTEGER,
  -- a change recorded twice (a redelivered acknowledgement) is kept once
  UNIQUE (alarm_id, ts, state, severity_rank)
);
CREATE INDEX IF NOT EXISTS alarm_changes_unpublished ON alarm_changes (seq) WHERE published_at IS NULL;
`;

export interface AlarmStoreOptions {
  maxAgeMs?: number;
  /** How often old cleared alarms are deleted; 0: only when enforceRetention() is called. */
  retentionIntervalMs?: number;
  clock?: () => number;
  logger?: Logger;
}

export interface RecordedChange {
  /** False when exactly this change was already stored. */
  stored: boolean;
  /** The change's row, for markPublished. */
  seq: number;
  /** The alarm as it stands after the change. */
  current: StoredAlarm;
  /** The alarm as it stood before (undefined for a new alarm, or when the change was already stored). */
  before?: StoredAlarm;
}

interface AlarmRow {
  raised_at: number;
  updated_at: number;
  acked_at: number | null;
  cleared_at: number | null;
  alarm: string;
}

function toStoredAlarm(row: AlarmRow): StoredAlarm {
  const alarm = JSON.parse(row.alarm) as Alarm;
  return {
    ...alarm,
    raisedAt: row.raised_at,
    updatedAt: row.updated_at,
    ...(row.acked_at === null ? {} : { ackedAt: row.acked_at }),
    ...(row.cleared_at === null ? {} : { clearedAt: row.cleared_at }),
  };
}

const ROW_COLUMNS = 'raised_at, updated_at, acked_at, cleared_at, alarm';

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_ALARM_QUERY_LIMIT;
  return Math.max(1, Math.min(MAX_ALARM_QUERY_LIMIT, Math.floor(limit)));
}

/** The queries of AlarmReader over a connection (the writer's own or a read-only one). */
const queries = {
  active(db: Database.Database, query: Omit<AlarmQuery, 'state' | 'from' | 'to'> = {}): StoredAlarm[] {
    const rows = db.prepare(`SELECT ${ROW_COLUMNS} FROM alarms
      WHERE state <> 'cleared'
        AND (@site IS NULL OR site = @site) AND (@gateway IS NULL OR gateway = @gateway)
        AND (@device IS NULL OR device = @device) AND (@rule IS NULL OR rule = @rule)
        AND severity_rank >= @minRank
      ORDER BY severity_rank DESC, raised_at DESC, id LIMIT @limit`).all({
      site: query.site ?? null, gateway: query.gateway ?? null, device: query.device ?? null, rule: query.rule ?? null,
      minRank: query.minSeverity === undefined ? 0 : SEVERITY_RANK[query.minSeverity], limit: clampLimit(query.limit),
    }) as AlarmRow[];
    return rows.map(toStoredAlarm);
  },

  history(db: Database.Database, query: AlarmQuery): StoredAlarm[] {
    const states = query.state === undefined || query.state.length === 0 ? null : JSON.stringify(query.state);
    const rows = db.prepare(`SELECT ${ROW_COLUMNS} FROM alarms
      WHERE (@site IS NULL OR site = @site) AND (@gateway IS NULL OR gateway = @gateway)
        AND (@device IS NULL OR device = @device) AND (@rule IS NULL OR rule = @rule)
        AND severity_rank >= @minRank
        AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
        AND (@to IS NULL OR raised_at <= @to)
        AND (@from IS NULL OR cleared_at IS NULL OR cleared_at >= @from)
      ORDER BY raised_at DESC, id LIMIT @limit`).all({
      site: query.site ?? null, gateway: query.gateway ?? null, device: query.device ?? null, rule: query.rule ?? null,
      minRank: query.minSeverity === undefined ? 0 : SEVERITY_RANK[query.minSeverity], states,
      from: query.from ?? null, to: query.to ?? null, limit: clampLimit(query.limit),
    }) as AlarmRow[];
    return rows.map(toStoredAlarm);
  },

  get(db: Database.Database, id: string): StoredAlarm | undefined {
    const row = db.prepare(`SELECT ${ROW_COLUMNS} FROM alarms WHERE id = ?`).get(id) as AlarmRow | undefined;
    return row && toStoredAlarm(row);
  },

  changes(db: Database.Database, id: string): Alarm[] {
    const rows = db.prepare('SELECT alarm FROM alarm_changes WHERE alarm_id = ? ORDER BY seq').all(id) as Array<{ alarm: string }>;
    return rows.map((row) => JSON.parse(row.alarm) as Alarm);
  },
};

/**
 * The writer: records each alarm change (current row + change row in one transaction), keeps
 * the outbox of unpublished changes, and deletes cleared alarms past the retention age. It also
 * answers the reader's queries on its own connection (ingest, tests).
 */
export class AlarmStore implements AlarmReader {
  readonly file: string;
  readonly maxAgeMs: number;
  readonly #db: Database.Database;
  readonly #clock: () => number;
  readonly #log: Logger | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #record: (alarm: Alarm) => RecordedChange;

  constructor(file: string, options: AlarmStoreOptions = {}) {
    this.file = path.resolve(file);
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_ALARM_MAX_AGE_MS;
    this.#clock = options.clock ?? Date.now;
    this.#log = options.logger;
    // Synchronous FULL (openSqliteWriter): an alarm is published and the reading that raised it
    // acknowledged only once it is on disk.
    const db = openSqliteWriter(this.file, { name: 'alarm store', sql: SCHEMA_SQL, version: SCHEMA_VERSION });
    this.#db = db;

    const selectRow = db.prepare(`SELECT ${ROW_COLUMNS} FROM alarms WHERE id = ?`);
    const upsert = db.prepare(`INSERT INTO alarms (id, site, gateway, device, rule, severity_rank, state, raised_at, updated_at, acked_at, cleared_at, alarm)
      VALUES (@id, @site, @gateway, @device, @rule, @rank, @state, @raisedAt, @updatedAt, @ackedAt, @clearedAt, @alarm)
      ON CONFLICT (id) DO UPDATE SET site = excluded.site, gateway = excluded.gateway, device = excluded.device, rule = excluded.rule,
        severity_rank = excluded.severity_rank, state = excluded.state, raised_at = excluded.raised_at, updated_at = excluded.updated_at,
        acked_at = excluded.acked_at, cleared_at = excluded.cleared_at, alarm = excluded.alarm`);
    const insertChange = db.prepare(`INSERT OR IGNORE INTO alarm_changes (alarm_id, ts, state, severity_rank, alarm, stored_at)
      VALUES (?, ?, ?, ?, ?, ?)`);
    const findChange = db.prepare('SELECT seq FROM alarm_changes WHERE alarm_id = ? AND ts = ? AND state = ? AND severity_rank = ?');

    this.#record = db.transaction((input: Alarm): RecordedChange => {
      const alarm = alarmSchema.parse(input);
      const rank = SEVERITY_RANK[alarm.severity];
      const inserted = insertChange.run(alarm.id, alarm.ts, alarm.state, rank, JSON.stringify(alarm), this.#clock());
      if (inserted.changes === 0) {
        const seq = (findChange.get(alarm.id, alarm.ts, alarm.state, rank) as { seq: number }).seq;
        const row = selectRow.get(alarm.id) as AlarmRow;
        return { stored: false, seq, current: toStoredAlarm(row) };
      }
      const before = selectRow.get(alarm.id) as AlarmRow | undefined;
      const previous = before && (JSON.parse(before.alarm) as Alarm);
      // A clear or escalation usually does not repeat who acknowledged and why: keep it.
      const merged: Alarm = alarm.state === 'raised' ? alarm : { ...pick(previous, ['by', 'note']), ...alarm };
      const raisedAt = before?.raised_at ?? alarm.raisedAt ?? alarm.ts;
      const ackedAt = alarm.state === 'acknowledged' ? alarm.ts : alarm.state === 'cleared' ? before?.acked_at ?? null : null;
      const clearedAt = alarm.state === 'cleared' ? alarm.ts : null;
      const stored = { ...merged, raisedAt };
      upsert.run({
        id: alarm.id, site: alarm.site, gateway: alarm.gateway ?? null, device: alarm.device, rule: alarm.rule, rank, state: alarm.state,
        raisedAt, updatedAt: Math.max(alarm.ts, before?.updated_at ?? 0), ackedAt, clearedAt, alarm: JSON.stringify(stored),
      });
      return {
        stored: true, seq: Number(inserted.lastInsertRowid), current: toStoredAlarm(selectRow.get(alarm.id) as AlarmRow),
        ...(before ? { before: toStoredAlarm(before) } : {}),
      };
    });

    this.#timer = startRetentionTimer(options.retentionIntervalMs ?? 3_600_000, () => this.enforceRetention(), this.#log, 'alarm');
  }

  /** Stores one change (durably, with the alarm's current row); a change already stored is not stored again. */
  record(alarm: Alarm): RecordedChange {
    return this.#record(alarm);
  }

  /** The broker took the change's message. */
  markPublished(seq: number, at = this.#clock()): void {
    this.#db.prepare('UPDATE alarm_changes SET published_at = ? WHERE seq = ?').run(at, seq);
  }

  /** Changes stored but not yet published (a crash came between), oldest first. */
  unpublished(limit = 10_000): Array<{ seq: number; alarm: Alarm }> {
    const rows = this.#db.prepare('SELECT seq, alarm FROM alarm_changes WHERE published_at IS NULL ORDER BY seq LIMIT ?').all(limit) as Array<{ seq: number; alarm: string }>;
    return rows.map((row) => ({ seq: row.seq, alarm: JSON.parse(row.alarm) as Alarm }));
  }

  /** Every alarm not cleared, as last published (with raisedAt): what the engine restores after a restart. */
  openAlarms(): Alarm[] {
    const rows = this.#db.prepare(`SELECT ${ROW_COLUMNS} FROM alarms WHERE state <> 'cleared' ORDER BY raised_at`).all() as AlarmRow[];
    return rows.map((row) => ({ ...(JSON.parse(row.alarm) as Alarm), raisedAt: row.raised_at }));
  }

  active(query?: Omit<AlarmQuery, 'state' | 'from' | 'to'>): StoredAlarm[] {
    return queries.active(this.#db, query);
  }

  history(query: AlarmQuery): StoredAlarm[] {
    return queries.history(this.#db, query);
  }

  get(id: string): StoredAlarm | undefined {
    return queries.get(this.#db, id);
  }

  changes(id: string): Alarm[] {
    return queries.changes(this.#db, id);
  }

  /** Deletes alarms cleared longer than maxAgeMs ago, with their changes; returns how many alarms. */
  enforceRetention(): number {
    const cutoff = this.#clock() - this.maxAgeMs;
    const deleted = this.#db.transaction(() => {
      this.#db.prepare(`DELETE FROM alarm_changes WHERE alarm_id IN (SELECT id FROM alarms WHERE cleared_at IS NOT NULL AND cleared_at < ?)`).run(cutoff);
      return this.#db.prepare('DELETE FROM alarms WHERE cleared_at IS NOT NULL AND cleared_at < ?').run(cutoff).changes;
    })();
    if (deleted > 0) this.#log?.info({ deleted }, 'alarm store retention');
    return deleted;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#db.close();
  }
}

/** The API's view: read-only, opened lazily (the API may start before ingest created the file). */
export class AlarmStoreReader implements AlarmReader {
  readonly #db: LazyReadOnlyDatabase;

  constructor(file: string) {
    this.#db = new LazyReadOnlyDatabase(path.resolve(file));
  }

  active(query?: Omit<AlarmQuery, 'state' | 'from' | 'to'>): StoredAlarm[] {
    const db = this.#db.get();
    return db ? queries.active(db, query) : [];
  }

  history(query: AlarmQuery): StoredAlarm[] {
    const db = this.#db.get();
    return db ? queries.history(db, query) : [];
  }

  get(id: string): StoredAlarm | undefined {
    const db = this.#db.get();
    return db ? queries.get(db, id) : undefined;
  }

  changes(id: string): Alarm[] {
    const db = this.#db.get();
    return db ? queries.changes(db, id) : [];
  }

  close(): void {
    this.#db.close();
  }
}

function pick<T extends object, K extends keyof T>(value: T | undefined, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  if (value) for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
