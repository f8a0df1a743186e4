// A read-only SQLite connection to a database another process writes (the API reading
// what ingest writes: snapshot index, event log). Opened lazily, because the API may start
// before ingest has created the file; WAL lets it read while the writer commits.
import fs from 'node:fs';
import Database from 'better-sqlite3';

export class LazyReadOnlyDatabase {
  #db: Database.Database | undefined;
  #closed = false;

  constructor(readonly file: string) {}

  /** The connection, or undefined while the file does not exist yet. */
  get(): Database.Database | undefined {
    if (this.#closed) throw new Error(`${this.file}: reader is closed`);
    if (this.#db) return this.#db;
    if (!fs.existsSync(this.file)) return undefined;
    // readonly: this process never writes; the writer (another process or connection) owns the schema.
    const db = new Database(this.file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    this.#db = db;
    return db;
  }

  close(): void {
    this.#closed = true;
    this.#db?.close();
    this.#db = undefined;
  }
}
