// The gateway's own SQLite file (outbox, executed command ids): opened once per gateway and
// shared by the modules that keep tables in it. ':memory:' keeps the same code path without
// durability (in-process demos and tests that do not restart the gateway).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type GatewayDatabase = Database.Database;

/**
 * `full`: every commit is fsynced before the gateway publishes what it holds — a power cut
 * loses nothing committed. `normal`: commits reach the OS at once (a killed process loses
 * nothing) but are fsynced only at WAL checkpoints, so a power cut may lose the last ones;
 * faster on slow SD cards.
 */
export type SyncMode = 'full' | 'normal';

export interface GatewayDatabaseOptions {
  synchronous: SyncMode;
  /**
   * Caps the file at this many pages: SQLite then answers SQLITE_FULL, as on a full disk.
   * Lets tests and benches exercise the disk-full path without filling a real disk.
   */
  maxPageCount?: number;
}

export function isInMemory(file: string): boolean {
  return file === ':memory:' || file === '';
}

export function openGatewayDatabase(file: string, options: GatewayDatabaseOptions): GatewayDatabase {
  if (!isInMemory(file)) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 2000');
  if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxPageCount))}`);
  return db;
}

/** SQLite's "database or disk is full" (a real full disk, or the max_page_count cap). */
export function isDiskFull(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'SQLITE_FULL';
}

/** Bytes in the database's free pages: what inserts can use without growing the file. */
export function freeBytesInFile(db: GatewayDatabase): number {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  return free * pageSize;
}

/** Bytes the filesystem holding the database can still give (undefined in memory or when unknown). */
export function filesystemFreeBytes(db: GatewayDatabase): number | undefined {
  if (db.memory) return undefined;
  try {
    const stats = fs.statfsSync(path.dirname(db.name));
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/**
 * How much more the WAL file may grow before a checkpoint starts it over: its cycle
 * (wal_autocheckpoint pages) less what the file already has (it is reused, never shrunk).
 */
export function walGrowthLeft(db: GatewayDatabase): number {
  const pages = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  let walBytes = 0;
  try {
    walBytes = fs.statSync(`${db.name}-wal`).size;
  } catch {
    // no WAL file yet
  }
  return Math.max(0, Math.max(pages, 1) * pageSize - walBytes);
}
