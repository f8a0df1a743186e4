// The dead-letter table: every message ingest refused, with the reason, so that
// nothing a gateway sent silently disappears. SQLite on disk, on the ingest host.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Payloads are kept up to this size; the original size is recorded beside them. */
export const MAX_KEPT_PAYLOAD_BYTES = 64 * 1024;

export interface DeadLetter {
  id: number;
  receivedAt: number;
  topic: string;
  reason: string;
  size: number;
  payload: Buffer;
}

export class DeadLetterStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      received_at INTEGER NOT NULL,
      topic TEXT NOT NULL,
      reason TEXT NOT NULL,
      size INTEGER NOT NULL,
      payload BLOB NOT NULL
    )`);
    this.insert = this.db.prepare('INSERT INTO dead_letters (received_at, topic, reason, size, payload) VALUES (?, ?, ?, ?, ?)');
  }

  add(topic: string, reason: string, payload: Buffer, receivedAt = Date.now()): void {
    this.insert.run(receivedAt, topic.slice(0, 1024), reason.slice(0, 2000), payload.length, payload.subarray(0, MAX_KEPT_PAYLOAD_BYTES));
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  recent(limit = 100): DeadLetter[] {
    const rows = this.db
      .prepare('SELECT id, received_at AS receivedAt, topic, reason, size, payload FROM dead_letters ORDER BY id DESC LIMIT ?')
      .all(limit) as DeadLetter[];
    return rows;
  }

  close(): void {
    this.db.close();
  }
}
