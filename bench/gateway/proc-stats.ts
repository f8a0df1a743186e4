// Memory and CPU of another process from /proc: peak and current resident set size
// (/proc/PID/status) and CPU ticks (/proc/PID/stat, parsed by bench/ingest/cpu-usage.ts).
// Parsing is pure; the readers return undefined when the process is gone or not on Linux.
import fs from 'node:fs';
import { parseProcessTicks } from '../ingest/cpu-usage.js';

export interface MemoryKiB {
  /** VmHWM: the peak resident set size over the process's life. */
  peakRss: number;
  /** VmRSS: the resident set size now. */
  rss: number;
}

export function parseStatusMemory(status: string): MemoryKiB {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc status has no ${name}`);
    return Number(match[1]);
  };
  return { peakRss: field('VmHWM'), rss: field('VmRSS') };
}

export function readMemory(pid: number): MemoryKiB | undefined {
  try {
    return parseStatusMemory(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** utime + stime of the process, in clock ticks (100 per second). */
export function readTicks(pid: number): number | undefined {
  try {
    return parseProcessTicks(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export const TICKS_PER_SECOND = 100;
