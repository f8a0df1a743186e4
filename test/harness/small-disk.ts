// A really small filesystem for disk-full tests: a tmpfs of a few MiB mounted on a temp dir
// (needs root, as CI runs), and a filler that takes every free byte of it the way a runaway
// log would. SQLite's max_page_count only imitates a full disk; this is the real thing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  dir: string;
  freeBytes(): number;
  /** Writes a file until the filesystem refuses (ENOSPC) and closes it: the disk is full. */
  fill(name?: string): string;
  unmount(): void;
}

/** Why a tmpfs cannot be mounted here (for describeUnless), or undefined when it can. */
export function smallDiskUnavailable(): { needs: string; reason: string } | undefined {
  if (process.platform !== 'linux') return { needs: 'a tmpfs', reason: 'a tmpfs mount needs Linux' };
  if (process.getuid?.() !== 0) return { needs: 'a tmpfs', reason: 'mounting a tmpfs needs root (CI runs as root)' };
  return undefined;
}

function writeUntilFull(fd: number, chunk: Buffer): void {
  for (;;) {
    try {
      fs.writeSync(fd, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw err;
    }
  }
}

export function mountSmallDisk(bytes: number): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  return {
    dir,
    freeBytes() {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    fill(name = 'filler.bin') {
      const file = path.join(dir, name);
      const fd = fs.openSync(file, 'a');
      try {
        // Large chunks, then small ones for the last partly free pages.
        writeUntilFull(fd, Buffer.alloc(64 * 1024, 0xaa));
        writeUntilFull(fd, Buffer.alloc(512, 0xaa));
      } finally {
        // Closed: an unlinked file that is still open would keep its blocks.
        fs.closeSync(fd);
      }
      return file;
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
