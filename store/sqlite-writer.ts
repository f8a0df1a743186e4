// The writer's side of a SQLite file that ingest owns and the API reads, possibly from another
// process (sqlite-reader.ts): the alarm store, the event log, the snapshot index. WAL, so
// readers never block the writer; the schema versioned in PRAGMA user_version; and old rows
// deleted on a timer that never keeps the process alive.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../lib/logger.js';

export interface SqliteWriterSchema {
  /** What the file holds, for the error about a newer schema ("alarm store", "event log"). */
  name: string;
  sql: string;
  /** Bumped when the schema changes. */
  version: number;
}

/**
 * Opens `file` for writing (creating it and its directory) and brings its schema to
 * `schema.version`; refuses a file that a newer program has written.
 */
export function openSqliteWriter(file: string, schema: SqliteWriterSchema): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // FULL: every caller acknowledges (or publishes) what it wrote only once it is on disk.
  db.pragma('synchronous = FULL');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > schema.version) throw new Error(`${file} has ${schema.name} schema version ${version}, newer than this program's ${schema.version}`);
  db.exec(schema.sql);
  if (version < schema.version) db.pragma(`user_version = ${schema.version}`);
  return db;
}

/**
 * Calls `enforce` every `intervalMs` (0: never, the owner calls it itself) without keeping the
 * process alive. A failure is logged as `<what> retention failed`; the next run tries again.
 */
export function startRetentionTimer(intervalMs: number, enforce: () => void, log: Logger | undefined, what: string): NodeJS.Timeout | undefined {
  if (intervalMs <= 0) return undefined;
  const timer = setInterval(() => {
    try { enforce(); } catch (err) { log?.error({ err: (err as Error).message }, `${what} retention failed`); }
  }, intervalMs);
  timer.unref();
  return timer;
}
