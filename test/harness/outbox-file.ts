// What a gateway's outbox file holds, read from outside the gateway process (a separate
// read-only connection), as fault and kill tests check it: rows waiting, the last sequence
// number taken, and rows dropped unsent.
import path from 'node:path';
import Database from 'better-sqlite3';
import { OUTBOX_FILE } from '../../gateway/index.js';

export interface OutboxFileState {
  rows: number;
  lastSeq: number;
  /** Rows dropped unsent, whatever the cause… */
  dropped: number;
  /** …of which for a full disk, and refused outright (never stored). */
  droppedDiskFull: number;
  refused: number;
}

export function readOutboxFile(gatewayDataDir: string): OutboxFileState {
  const db = new Database(path.join(gatewayDataDir, OUTBOX_FILE), { readonly: true, fileMustExist: true });
  try {
    const rows = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    const meta = Object.fromEntries((db.prepare('SELECT key, value FROM outbox_meta').all() as Array<{ key: string; value: number }>).map((m) => [m.key, m.value]));
    const dropped = (meta.dropped_age ?? 0) + (meta.dropped_size ?? 0) + (meta.dropped_disk_full ?? 0) + (meta.dropped_refused ?? 0);
    return { rows, lastSeq: meta.last_seq ?? 0, dropped, droppedDiskFull: meta.dropped_disk_full ?? 0, refused: meta.dropped_refused ?? 0 };
  } finally {
    db.close();
  }
}
