// Before each measurement, wait (bounded) until other programs leave the CPU alone:
// on a shared machine a test suite starting elsewhere halves every figure. Polls
// /proc once a second; gives up after the bound and lets the run flag itself as
// disturbed (measurements.ts) instead.
import { availableParallelism } from 'node:os';
import { delay } from '../../lib/wait.js';
import { monotonicMs } from './clock.js';
import { say } from './console-output.js';
import { cpuBetween, readCpuSnapshot, statPath } from './cpu-usage.js';
import { DISTURBING_OTHER_CORES } from './measurements.js';

const SAMPLE_MS = 1000;

/** Cores used over one second by everything except this process and `ours` (influxd). */
async function otherCoresNow(ours: Record<string, number | undefined>): Promise<number> {
  const files: Record<string, string> = { node: statPath(process.pid) };
  for (const [name, pid] of Object.entries(ours)) if (pid !== undefined) files[name] = statPath(pid);
  const start = readCpuSnapshot(files, monotonicMs());
  await delay(SAMPLE_MS);
  const shares = cpuBetween(start, readCpuSnapshot(files, monotonicMs()));
  const mine = Object.values(shares.cores).reduce((sum, cores) => sum + cores, 0);
  return Math.max(0, shares.machineBusy * availableParallelism() - mine);
}

/** Resolves when other programs use less than DISTURBING_OTHER_CORES, or after `maxWaitMs`. */
export async function waitForQuietMachine(maxWaitMs: number, ours: Record<string, number | undefined> = {}): Promise<void> {
  const deadline = monotonicMs() + maxWaitMs;
  let other = await otherCoresNow(ours);
  if (other < DISTURBING_OTHER_CORES || maxWaitMs <= 0) return;
  say(`    other programs are using ${other.toFixed(2)} cores: waiting up to ${Math.round(maxWaitMs / 1000)} s for them to calm down`);
  while (other >= DISTURBING_OTHER_CORES && monotonicMs() < deadline) other = await otherCoresNow(ours);
  say(other < DISTURBING_OTHER_CORES ? '    quiet now' : `    still ${other.toFixed(2)} cores busy elsewhere: measuring anyway (disturbed runs are flagged)`);
}
