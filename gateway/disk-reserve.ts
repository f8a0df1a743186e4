// A spare file that holds disk space for the outbox's own bookkeeping on a full disk. In WAL
// mode even a DELETE needs new WAL pages, so on a disk that is really full (not just the
// outbox's size bound) the outbox could not drop its oldest rows to make room and would refuse
// every new reading. Deleting this file hands its blocks back to the filesystem at exactly that
// moment: enough for the drop, the checkpoint that folds the WAL into the database, and the
// insert that follows. It is written with real bytes (a sparse file would hold nothing).
import fs from 'node:fs';

const CHUNK = Buffer.alloc(64 * 1024);

export class DiskReserve {
  constructor(
    readonly file: string,
    /** Bytes wanted; 0 disables the reserve. */
    readonly wantedBytes: number,
  ) {}

  /** Bytes the file holds now (0 when missing). */
  heldBytes(): number {
    try {
      return Math.min(fs.statSync(this.file).size, this.wantedBytes);
    } catch {
      return 0;
    }
  }

  isFull(): boolean {
    return this.heldBytes() >= this.wantedBytes;
  }

  /**
   * Grows the file to the wanted size, fsynced. On a full disk it keeps what it could write and
   * answers false; any other error is thrown.
   */
  refill(): boolean {
    if (this.wantedBytes === 0) return true;
    const fd = fs.openSync(this.file, 'a');
    try {
      let size = fs.fstatSync(fd).size;
      while (size < this.wantedBytes) {
        const length = Math.min(CHUNK.length, this.wantedBytes - size);
        size += fs.writeSync(fd, CHUNK, 0, length);
      }
      fs.fsyncSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return false;
      throw err;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Deletes the file, freeing its blocks (nothing keeps it open); returns the bytes freed. */
  release(): number {
    const held = this.heldBytes();
    fs.rmSync(this.file, { force: true });
    return held;
  }
}
