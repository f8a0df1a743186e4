// The outbox's tables in the gateway's SQLite file: rows waiting for the broker's
// acknowledgement in the order they were taken, and the counters that must survive a restart
// (the last sequence number, what was dropped and why). Plain synchronous SQL; when to insert,
// send, delete or drop is decided in outbox.ts.
import type { GatewayDatabase } from './local-db.js';

/** Why rows left the outbox without reaching the broker. */
export type DropCause = 'age' | 'size' | 'diskFull' | 'refused';
export const DROP_CAUSES: readonly DropCause[] = ['age', 'size', 'diskFull', 'refused'];

/**
 * `sample`: one telemetry sample; samples with the same topic and batch key may share one
 * message on the way out. `message`: a whole payload (an event as JSON text, a snapshot as
 * binary: SQLite keeps a Buffer as a BLOB even in a TEXT column), sent as it is.
 */
export type RowKind = 'sample' | 'message';

export interface NewOutboxRow {
  createdAt: number;
  topic: string;
  kind: RowKind;
  /** For samples: the message head they share (`{"measurement":…,"profile":…}`). */
  batchKey: string | null;
  body: string | Buffer;
  /** What the row counts against the size bound (payload bytes plus a per-row estimate). */
  bytes: number;
}

export interface OutboxRow extends NewOutboxRow {
  id: number;
}

export interface Removed {
  rows: number;
  bytes: number;
}

/** SQLite's own bookkeeping per row (rowid, record header, b-tree cell): an estimate, for the size bound. */
const ROW_OVERHEAD_BYTES = 32;

export function rowBytes(topic: string, batchKey: string | null, body: string | Buffer): number {
  return (typeof body === 'string' ? Buffer.byteLength(body) : body.length) + Buffer.byteLength(topic) + (batchKey === null ? 0 : Buffer.byteLength(batchKey)) + ROW_OVERHEAD_BYTES;
}

// AUTOINCREMENT: ids never come back after the table empties, so a send cursor stays valid.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at INTEGER NOT NULL,
  topic TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('sample', 'message')),
  batch_key TEXT,
  body TEXT NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

const META_KEYS: Record<DropCause | 'lastSeq', string> = {
  lastSeq: 'last_seq', age: 'dropped_age', size: 'dropped_size', diskFull: 'dropped_disk_full', refused: 'dropped_refused',
};

interface RawRow {
  id: number;
  created_at: number;
  topic: string;
  kind: RowKind;
  batch_key: string | null;
  body: string | Buffer;
  bytes: number;
}

/** Snapshot rows, which have a budget of their own so pictures never push readings out. */
const SNAPSHOT_TOPIC_LIKE = '%/snapshot/%';

const toRow = (r: RawRow): OutboxRow => ({ id: r.id, createdAt: r.created_at, topic: r.topic, kind: r.kind, batchKey: r.batch_key, body: r.body, bytes: r.bytes });

const sumBytes = (rows: ReadonlyArray<{ bytes: number }>): number => rows.reduce((total, r) => total + r.bytes, 0);

export class OutboxStore {
  private readonly insertRow;
  private readonly selectAfter;
  private readonly deleteIdsStmt;
  private readonly selectOldest;
  private readonly deleteRange;
  private readonly deleteExpiredStmt;
  private readonly oldestStmt;
  private readonly getMeta;
  private readonly raiseMeta;
  private readonly addMeta;
  private readonly selectOldestSnapshots;

  constructor(private readonly db: GatewayDatabase) {
    db.exec(SCHEMA);
    this.insertRow = db.prepare<[number, string, string, string | null, string | Buffer, number]>(
      'INSERT INTO outbox (created_at, topic, kind, batch_key, body, bytes) VALUES (?, ?, ?, ?, ?, ?)');
    this.selectAfter = db.prepare<[number, number], RawRow>('SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?');
    this.deleteIdsStmt = db.prepare<[string], { bytes: number }>('DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?)) RETURNING bytes');
    this.selectOldest = db.prepare<[number, number], { id: number; bytes: number }>('SELECT id, bytes FROM outbox WHERE id > ? ORDER BY id LIMIT ?');
    this.deleteRange = db.prepare<[number, number], { bytes: number }>('DELETE FROM outbox WHERE id > ? AND id <= ? RETURNING bytes');
    // Looks only at the oldest `limit` rows: bounded work even when nothing has expired.
    this.deleteExpiredStmt = db.prepare<[number, number, number], { bytes: number }>(
      'DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE id > ? ORDER BY id LIMIT ?) AND created_at < ? RETURNING bytes');
    this.oldestStmt = db.prepare<[], { created_at: number }>('SELECT created_at FROM outbox ORDER BY id LIMIT 1');
    this.selectOldestSnapshots = db.prepare<[number, string, number], { id: number; bytes: number }>(
      'SELECT id, bytes FROM outbox WHERE id > ? AND topic LIKE ? ORDER BY id LIMIT ?');
    this.getMeta = db.prepare<[string], { value: number }>('SELECT value FROM outbox_meta WHERE key = ?');
    this.raiseMeta = db.prepare<[string, number]>(
      'INSERT INTO outbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)');
    this.addMeta = db.prepare<[string, number]>(
      'INSERT INTO outbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value');
  }

  /** Inserts all rows and raises the stored last sequence number, in one transaction: all or nothing. */
  insert(rows: readonly NewOutboxRow[], lastSeq: number | undefined): void {
    this.db.transaction(() => {
      for (const r of rows) this.insertRow.run(r.createdAt, r.topic, r.kind, r.batchKey, r.body, r.bytes);
      if (lastSeq !== undefined) this.raiseMeta.run(META_KEYS.lastSeq, lastSeq);
    })();
  }

  /**
   * The oldest rows after `cursor`, in insertion order: at most `limit` rows, and stopping
   * after the row that reaches `maxBytes` (snapshots are large; a backlog of them must not
   * all be read into memory at once).
   */
  readAfter(cursor: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): OutboxRow[] {
    const rows: OutboxRow[] = [];
    let bytes = 0;
    for (const raw of this.selectAfter.iterate(cursor, limit)) {
      rows.push(toRow(raw));
      bytes += raw.bytes;
      if (bytes >= maxBytes) break;
    }
    return rows;
  }

  /**
   * Deletes acknowledged rows. Not fsynced on its own: if a power cut undoes the delete, the
   * rows are sent again and the backend overwrites them (same device and timestamp).
   */
  deleteAcked(ids: readonly number[]): Removed {
    if (ids.length === 0) return { rows: 0, bytes: 0 };
    const full = this.db.pragma('synchronous', { simple: true }) === 2;
    if (full) this.db.pragma('synchronous = NORMAL');
    try {
      const removed = this.deleteIdsStmt.all(JSON.stringify(ids));
      return { rows: removed.length, bytes: sumBytes(removed) };
    } finally {
      if (full) this.db.pragma('synchronous = FULL');
    }
  }

  /**
   * Drops the oldest rows after `afterId` (rows up to it are on their way to the broker) until
   * at least `bytes` are freed, and counts them under `cause` in the same transaction.
   */
  dropOldest(afterId: number, bytes: number, cause: DropCause): Removed {
    return this.db.transaction((): Removed => {
      let freed = 0;
      let lastId: number | undefined;
      let from = afterId;
      while (freed < bytes) {
        const chunk = this.selectOldest.all(from, 1000);
        if (chunk.length === 0) break;
        for (const r of chunk) {
          freed += r.bytes;
          lastId = r.id;
          if (freed >= bytes) break;
        }
        from = chunk.at(-1)!.id;
      }
      if (lastId === undefined) return { rows: 0, bytes: 0 };
      const removed = this.deleteRange.all(afterId, lastId);
      this.addMeta.run(META_KEYS[cause], removed.length);
      return { rows: removed.length, bytes: sumBytes(removed) };
    })();
  }

  /** Drops the oldest snapshot rows after `afterId` until at least `bytes` are freed, counted as `size`. */
  dropOldestSnapshots(afterId: number, bytes: number): Removed {
    return this.db.transaction((): Removed => {
      const ids: number[] = [];
      let freed = 0;
      for (const r of this.selectOldestSnapshots.iterate(afterId, SNAPSHOT_TOPIC_LIKE, 1_000_000)) {
        ids.push(r.id);
        freed += r.bytes;
        if (freed >= bytes) break;
      }
      if (ids.length === 0) return { rows: 0, bytes: 0 };
      const removed = this.deleteIdsStmt.all(JSON.stringify(ids));
      this.addMeta.run(META_KEYS.size, removed.length);
      return { rows: removed.length, bytes: sumBytes(removed) };
    })();
  }

  /** Bytes held by snapshot rows (at start-up; the outbox keeps the figure up to date after). */
  snapshotBytes(): number {
    return this.db.prepare<[string], { bytes: number | null }>('SELECT sum(bytes) AS bytes FROM outbox WHERE topic LIKE ?').get(SNAPSHOT_TOPIC_LIKE)!.bytes ?? 0;
  }

  /** Drops rows after `afterId` created before `cutoff`, oldest first, counting them as aged out. */
  dropExpired(afterId: number, cutoff: number): Removed {
    const total = { rows: 0, bytes: 0 };
    for (;;) {
      const removed = this.db.transaction((): Removed => {
        const rows = this.deleteExpiredStmt.all(afterId, 5000, cutoff);
        if (rows.length > 0) this.addMeta.run(META_KEYS.age, rows.length);
        return { rows: rows.length, bytes: sumBytes(rows) };
      })();
      total.rows += removed.rows;
      total.bytes += removed.bytes;
      if (removed.rows === 0) return total;
    }
  }

  /** Counts rows that never made it into the table (the disk refused them). */
  countRefused(rows: number): void {
    this.addMeta.run(META_KEYS.refused, rows);
  }

  totals(): Removed {
    const r = this.db.prepare<[], { rows: number; bytes: number | null }>('SELECT count(*) AS rows, sum(bytes) AS bytes FROM outbox').get()!;
    return { rows: r.rows, bytes: r.bytes ?? 0 };
  }

  oldestCreatedAt(): number | undefined {
    return this.oldestStmt.get()?.created_at;
  }

  lastSeq(): number {
    return this.getMeta.get(META_KEYS.lastSeq)?.value ?? 0;
  }

  dropped(): Record<DropCause, number> {
    return Object.fromEntries(DROP_CAUSES.map((cause) => [cause, this.getMeta.get(META_KEYS[cause])?.value ?? 0])) as Record<DropCause, number>;
  }
}
