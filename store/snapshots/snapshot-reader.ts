// The read side of the snapshot store, for the API: latest per camera, history by time
// range, lookup by hash, and the image bytes. It opens the index read-only, so it can run in
// another process than ingest on the same host, sharing the directory (WAL: reads do not
// block the writer). Before ingest has created the index, every answer is empty.
import path from 'node:path';
import { LazyReadOnlyDatabase } from '../sqlite-reader.js';
import { readImage } from './image-files.js';
import { INDEX_FILE, RECORD_COLUMNS, recordFromRow, type CameraRef, type SnapshotRecord } from './snapshot-index.js';

export interface SnapshotHistoryQuery {
  /** Inclusive, ms since the epoch. */
  from: number;
  /** Exclusive. */
  to: number;
  limit: number;
  trigger?: string;
}

export class SnapshotReader {
  readonly dir: string;
  readonly #index: LazyReadOnlyDatabase;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.#index = new LazyReadOnlyDatabase(path.join(this.dir, INDEX_FILE));
  }

  /** The newest snapshot of every camera (optionally of one site/gateway). */
  latestPerCamera(filter: { site?: string; gateway?: string } = {}): SnapshotRecord[] {
    const db = this.#index.get();
    if (!db) return [];
    const rows = db.prepare(`SELECT ${RECORD_COLUMNS} FROM snapshots WHERE id IN (
        SELECT latest_id FROM cameras WHERE (@site IS NULL OR site = @site) AND (@gateway IS NULL OR gateway = @gateway))
      ORDER BY site, gateway, camera`).all({ site: filter.site ?? null, gateway: filter.gateway ?? null });
    return (rows as Array<Record<string, unknown>>).map(recordFromRow);
  }

  latest(ref: CameraRef): SnapshotRecord | undefined {
    const db = this.#index.get();
    if (!db) return undefined;
    const row = db.prepare(`SELECT ${RECORD_COLUMNS} FROM snapshots WHERE site = ? AND gateway = ? AND camera = ?
      ORDER BY ts DESC, id DESC LIMIT 1`).get(ref.site, ref.gateway, ref.camera);
    return row ? recordFromRow(row as Record<string, unknown>) : undefined;
  }

  /** Snapshots of one camera in [from, to), newest first. */
  history(ref: CameraRef, query: SnapshotHistoryQuery): SnapshotRecord[] {
    const db = this.#index.get();
    if (!db) return [];
    const rows = db.prepare(`SELECT ${RECORD_COLUMNS} FROM snapshots
      WHERE site = @site AND gateway = @gateway AND camera = @camera AND ts >= @from AND ts < @to
        AND (@trigger IS NULL OR trigger = @trigger)
      ORDER BY ts DESC, id DESC LIMIT @limit`).all({ ...ref, from: query.from, to: query.to, trigger: query.trigger ?? null, limit: query.limit });
    return (rows as Array<Record<string, unknown>>).map(recordFromRow);
  }

  /** The earliest snapshot holding this image, or undefined when no row references it. */
  bySha256(sha256: string): SnapshotRecord | undefined {
    const db = this.#index.get();
    if (!db) return undefined;
    const row = db.prepare(`SELECT ${RECORD_COLUMNS} FROM snapshots WHERE sha256 = ? ORDER BY ts, id LIMIT 1`).get(sha256);
    return row ? recordFromRow(row as Record<string, unknown>) : undefined;
  }

  /** The cameras that have snapshots (a fallback list for gateways whose status is gone). */
  cameras(filter: { site?: string; gateway?: string } = {}): CameraRef[] {
    return this.latestPerCamera(filter).map(({ site, gateway, camera }) => ({ site, gateway, camera }));
  }

  /** The image bytes, or undefined when the file is gone (retention). */
  image(sha256: string): Promise<Buffer | undefined> {
    return readImage(this.dir, sha256);
  }

  close(): void {
    this.#index.close();
  }
}
