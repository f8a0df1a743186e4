// Ids of the commands this gateway has already taken, in its SQLite file: QoS 1 may deliver
// a command twice, and the backend may resend one it got no answer to; a write must run once.
// Kept across restarts, bounded to the most recent ids.
import type { GatewayDatabase } from './local-db.js';

export class CommandLedger {
  private readonly findStmt;
  private readonly insertStmt;
  private readonly pruneStmt;

  constructor(db: GatewayDatabase, private readonly keep = 1000) {
    db.exec('CREATE TABLE IF NOT EXISTS command_ids (id TEXT PRIMARY KEY, taken_at INTEGER NOT NULL) WITHOUT ROWID');
    this.findStmt = db.prepare<[string], { id: string }>('SELECT id FROM command_ids WHERE id = ?');
    this.insertStmt = db.prepare<[string, number]>('INSERT OR IGNORE INTO command_ids (id, taken_at) VALUES (?, ?)');
    this.pruneStmt = db.prepare<[number]>(
      'DELETE FROM command_ids WHERE id NOT IN (SELECT id FROM command_ids ORDER BY taken_at DESC, id LIMIT ?)');
  }

  has(id: string): boolean {
    return this.findStmt.get(id) !== undefined;
  }

  /** Records the id; returns false if it was already there. */
  take(id: string, at: number): boolean {
    const added = this.insertStmt.run(id, at).changes > 0;
    if (added) this.pruneStmt.run(this.keep);
    return added;
  }
}
