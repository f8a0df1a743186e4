// The writer of the snapshot store (ingest): images content-addressed on disk plus the
// SQLite index, and retention by age and by total bytes, oldest first. An image file is
// deleted only when no index row references it any more.
//
// One writer per directory (one ingest). Writes and retention run one at a time in this
// process, so retention never deletes a file a concurrent write is about to reference.
// Readers (the API, possibly another process on the same host) use SnapshotReader.
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from '../../lib/logger.js';
import { openSqliteWriter } from '../sqlite-writer.js';
import { clearTempFiles, deleteImage, listImages, writeImage } from './image-files.js';
import { INDEX_FILE, INDEX_SCHEMA_SQL, INDEX_SCHEMA_VERSION, type SnapshotRecord } from './snapshot-index.js';

export const DEFAULT_SNAPSHOT_MAX_AGE_MS = 30 * 86_400_000;
export const DEFAULT_SNAPSHOT_MAX_BYTES = 10 * 1024 ** 3;
export const DEFAULT_RETENTION_INTERVAL_MS = 10 * 60_000;

export interface SnapshotStoreOptions {
  dir: string;
  /** Snapshots taken longer ago than this are deleted. */
  maxAgeMs?: number;
  /** Bytes of stored images (each file once) above which the oldest snapshots are deleted. */
  maxBytes?: number;
  /** How often retention runs on its own; 0 turns the timer off (tests call enforceRetention). */
  retentionIntervalMs?: number;
  clock?: () => number;
  logger?: Logger;
}

export interface PutResult {
  /** False when this snapshot (camera, ts, sha256) was already stored: a redelivery. */
  inserted: boolean;
  /** True when the image file was new (not shared with an earlier snapshot). */
  newImage: boolean;
}

export interface RetentionResult {
  rowsDeleted: number;
  imagesDeleted: number;
  bytesFreed: number;
}

interface Row { id: number; sha256: string; site: string; gateway: string; camera: string }

const PAGE = 500;

export class SnapshotStore {
  readonly dir: string;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  readonly #db: Database.Database;
  readonly #clock: () => number;
  readonly #log: Logger | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #totalBytes: number;
  #retentionQueued = false;
  #closed = false;
  #swept = false;

  readonly #insertImage: Database.Statement;
  readonly #insertSnapshot: Database.Statement;
  readonly #setLatest: Database.Statement;
  readonly #latestOf: Database.Statement<[string, string, string], { latestId: number }>;
  readonly #newestRow: Database.Statement<[string, string, string], { id: number; ts: number }>;
  readonly #deleteCamera: Database.Statement<[string, string, string]>;
  readonly #oldest: Database.Statement<[number], Row>;
  readonly #olderThan: Database.Statement<[number, number], Row>;
  readonly #deleteSnapshot: Database.Statement<[number]>;
  readonly #isReferenced: Database.Statement<[string], { one: number }>;
  readonly #deleteImageRow: Database.Statement<[string], { bytes: number }>;

  constructor(options: SnapshotStoreOptions) {
    this.dir = path.resolve(options.dir);
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_SNAPSHOT_MAX_AGE_MS;
    this.maxBytes = options.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES;
    this.#clock = options.clock ?? Date.now;
    this.#log = options.logger;
    // Synchronous FULL (openSqliteWriter): a snapshot is acknowledged to the broker only after its row is on disk.
    const db = openSqliteWriter(path.join(this.dir, INDEX_FILE), { name: 'snapshot index', sql: INDEX_SCHEMA_SQL, version: INDEX_SCHEMA_VERSION });
    this.#db = db;

    this.#insertImage = db.prepare('INSERT OR IGNORE INTO images (sha256, bytes, stored_at) VALUES (?, ?, ?)');
    this.#insertSnapshot = db.prepare(`INSERT OR IGNORE INTO snapshots
      (site, gateway, camera, ts, sha256, bytes, width, height, trigger, alarm_id, command_id, device, reason, received_at)
      VALUES (@site, @gateway, @camera, @ts, @sha256, @bytes, @width, @height, @trigger, @alarmId, @commandId, @device, @reason, @receivedAt)`);
    // ">=": of two snapshots with the same ts the later stored is the latest, as the reader orders them.
    this.#setLatest = db.prepare(`INSERT INTO cameras (site, gateway, camera, latest_id, latest_ts) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (site, gateway, camera) DO UPDATE SET latest_id = excluded.latest_id, latest_ts = excluded.latest_ts
      WHERE excluded.latest_ts >= cameras.latest_ts`);
    this.#latestOf = db.prepare('SELECT latest_id AS latestId FROM cameras WHERE site = ? AND gateway = ? AND camera = ?');
    this.#newestRow = db.prepare('SELECT id, ts FROM snapshots WHERE site = ? AND gateway = ? AND camera = ? ORDER BY ts DESC, id DESC LIMIT 1');
    this.#deleteCamera = db.prepare('DELETE FROM cameras WHERE site = ? AND gateway = ? AND camera = ?');
    this.#oldest = db.prepare('SELECT id, sha256, site, gateway, camera FROM snapshots ORDER BY ts, id LIMIT ?');
    this.#olderThan = db.prepare('SELECT id, sha256, site, gateway, camera FROM snapshots WHERE ts < ? ORDER BY ts, id LIMIT ?');
    this.#deleteSnapshot = db.prepare('DELETE FROM snapshots WHERE id = ?');
    this.#isReferenced = db.prepare('SELECT 1 AS one FROM snapshots WHERE sha256 = ? LIMIT 1');
    this.#deleteImageRow = db.prepare('DELETE FROM images WHERE sha256 = ? RETURNING bytes');
    this.#totalBytes = (db.prepare('SELECT total(bytes) AS n FROM images').get() as { n: number }).n;

    const interval = options.retentionIntervalMs ?? DEFAULT_RETENTION_INTERVAL_MS;
    if (interval > 0) {
      this.#timer = setInterval(() => {
        this.enforceRetention().catch((err: Error) => this.#log?.error({ err: err.message }, 'snapshot retention failed'));
      }, interval);
      this.#timer.unref();
    }
  }

  /** Bytes of stored images, each file counted once. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Stores the image (if new) and the index row (if new). Durable when it resolves. */
  put(record: Omit<SnapshotRecord, 'receivedAt' | 'bytes'> & { receivedAt?: number }, image: Buffer): Promise<PutResult> {
    return this.#exclusive(async () => {
      await writeImage(this.dir, record.sha256, image);
      const receivedAt = record.receivedAt ?? this.#clock();
      const result = this.#db.transaction((): PutResult => {
        const newImage = this.#insertImage.run(record.sha256, image.length, receivedAt).changes > 0;
        const insert = this.#insertSnapshot.run({
          site: record.site, gateway: record.gateway, camera: record.camera, ts: record.ts, sha256: record.sha256,
          bytes: image.length, width: record.width ?? null, height: record.height ?? null, trigger: record.trigger,
          alarmId: record.alarmId ?? null, commandId: record.commandId ?? null, device: record.device ?? null,
          reason: record.reason ?? null, receivedAt,
        });
        const inserted = insert.changes > 0;
        if (inserted) this.#setLatest.run(record.site, record.gateway, record.camera, Number(insert.lastInsertRowid), record.ts);
        return { inserted, newImage };
      })();
      if (result.newImage) this.#totalBytes += image.length;
      if (this.#totalBytes > this.maxBytes) this.#queueRetention();
      return result;
    });
  }

  /**
   * Deletes snapshots older than maxAgeMs, then the oldest until the images fit in maxBytes;
   * files go once no row references them. The first run also removes files a crash left
   * without an index row.
   */
  enforceRetention(): Promise<RetentionResult> {
    return this.#exclusive(async () => {
      if (!this.#swept) {
        this.#swept = true;
        await this.#sweepUnindexedFiles();
      }
      const result: RetentionResult = { rowsDeleted: 0, imagesDeleted: 0, bytesFreed: 0 };
      const cutoff = this.#clock() - this.maxAgeMs;
      for (;;) {
        const rows = this.#olderThan.all(cutoff, PAGE);
        if (rows.length === 0) break;
        await this.#deleteRows(rows, result, () => false);
      }
      while (this.#totalBytes > this.maxBytes) {
        const rows = this.#oldest.all(PAGE);
        if (rows.length === 0) break;
        await this.#deleteRows(rows, result, () => this.#totalBytes <= this.maxBytes);
      }
      if (result.rowsDeleted > 0) this.#log?.info({ ...result, totalBytes: this.#totalBytes }, 'snapshot retention');
      return result;
    });
  }

  stats(): { snapshots: number; images: number; bytes: number } {
    const snapshots = (this.#db.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n;
    const images = (this.#db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
    return { snapshots, images, bytes: this.#totalBytes };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#chain.catch(() => undefined);
    this.#db.close();
  }

  /** Deletes rows in order until `enough()`; then the files nothing references any more. */
  async #deleteRows(rows: Row[], result: RetentionResult, enough: () => boolean): Promise<void> {
    const orphans: string[] = [];
    this.#db.transaction(() => {
      for (const row of rows) {
        if (enough()) break;
        this.#deleteSnapshot.run(row.id);
        result.rowsDeleted++;
        if (this.#latestOf.get(row.site, row.gateway, row.camera)?.latestId === row.id) {
          const newest = this.#newestRow.get(row.site, row.gateway, row.camera);
          if (newest) this.#setLatest.run(row.site, row.gateway, row.camera, newest.id, newest.ts);
          else this.#deleteCamera.run(row.site, row.gateway, row.camera);
        }
        if (this.#isReferenced.get(row.sha256)) continue;
        const image = this.#deleteImageRow.get(row.sha256);
        if (!image) continue;
        this.#totalBytes -= image.bytes;
        result.imagesDeleted++;
        result.bytesFreed += image.bytes;
        orphans.push(row.sha256);
      }
    })();
    // After the commit: a crash here leaves files without rows, which the next start sweeps.
    for (const sha of orphans) await deleteImage(this.dir, sha);
  }

  async #sweepUnindexedFiles(): Promise<void> {
    await clearTempFiles(this.dir);
    const known = this.#db.prepare('SELECT 1 FROM images WHERE sha256 = ?').pluck();
    let removed = 0;
    for (const sha of await listImages(this.dir)) {
      if (known.get(sha) === undefined) {
        await deleteImage(this.dir, sha);
        removed++;
      }
    }
    if (removed > 0) this.#log?.info({ removed }, 'removed image files no snapshot references');
  }

  #queueRetention(): void {
    if (this.#retentionQueued || this.#closed) return;
    this.#retentionQueued = true;
    this.enforceRetention()
      .catch((err: Error) => this.#log?.error({ err: err.message }, 'snapshot retention failed'))
      .finally(() => { this.#retentionQueued = false; });
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('snapshot store is closed'));
    const run = this.#chain.then(task, task);
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
