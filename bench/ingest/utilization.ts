// Who is using the CPU during a measurement: each of our threads (broker, ingest,
// publishers…) and processes (influxd, this Node process as a whole) in cores, from
// /proc, plus how busy the whole machine was and how much of that was other work.
import { availableParallelism } from 'node:os';
import { monotonicMs } from './clock.js';
import { cpuBetween, readCpuSnapshot, statPath, type CpuSnapshot } from './cpu-usage.js';
import type { Utilization } from './measurements.js';

export interface Watched {
  /** Threads of this process by name → OS thread id (the main thread's is the pid). */
  threads: Record<string, number | undefined>;
  /** Other processes by name → pid; this Node process is always watched as `node`. */
  processes: Record<string, number | undefined>;
}

function statFiles(watched: Watched): Record<string, string> {
  const files: Record<string, string> = { node: statPath(process.pid) };
  for (const [name, pid] of Object.entries(watched.processes)) if (pid !== undefined) files[name] = statPath(pid);
  for (const [name, tid] of Object.entries(watched.threads)) if (tid !== undefined) files[`thread:${name}`] = statPath(process.pid, tid);
  return files;
}

export function takeUtilization(watched: Watched): CpuSnapshot {
  return readCpuSnapshot(statFiles(watched), monotonicMs());
}

export function utilizationSince(watched: Watched, start: CpuSnapshot): Utilization {
  const shares = cpuBetween(start, takeUtilization(watched));
  const threads: Record<string, number> = {};
  const processCores: Record<string, number> = {};
  for (const [name, cores] of Object.entries(shares.cores)) {
    if (name.startsWith('thread:')) threads[name.slice('thread:'.length)] = cores;
    else processCores[name] = cores;
  }
  const ours = Object.values(processCores).reduce((sum, cores) => sum + cores, 0);
  const machineCores = availableParallelism();
  const otherCores = Math.max(0, shares.machineBusy * machineCores - ours);
  return { threads, processCores, machineBusy: shares.machineBusy, otherCores, machineCores };
}
