// CPU time of the whole machine, of single processes (influxd, this Node process) and
// of single threads (the broker's, ingest's…) from /proc, to say who was busy during
// a measurement. Parsing is pure; reading /proc is the functions at the bottom.
import fs from 'node:fs';

/** Linux reports /proc times in USER_HZ ticks, 100 per second on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

export interface MachineTicks {
  busy: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat: busy = everything but idle and iowait (guest time is already in user). */
export function parseMachineTicks(procStat: string): MachineTicks {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** utime + stime of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat (fields 14 and 15, counted after the parenthesised command name). */
export function parseProcessTicks(pidStat: string): number {
  const fields = pidStat.slice(pidStat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

export interface CpuSnapshot {
  atMs: number;
  machine: MachineTicks;
  /** CPU ticks of each watched process or thread, by name. */
  ticks: Record<string, number>;
}

export interface CpuShares {
  /** Busy fraction of all cores (1 = every core busy all the time). */
  machineBusy: number;
  /** Cores each watched process or thread kept busy on average (1 = one full core). */
  cores: Record<string, number>;
}

export function cpuBetween(start: CpuSnapshot, end: CpuSnapshot): CpuShares {
  const seconds = (end.atMs - start.atMs) / 1000;
  const machineTotal = end.machine.total - start.machine.total;
  const cores: Record<string, number> = {};
  for (const [name, ticks] of Object.entries(end.ticks)) {
    const before = start.ticks[name];
    if (before !== undefined && seconds > 0) cores[name] = (ticks - before) / TICKS_PER_SECOND / seconds;
  }
  return { machineBusy: machineTotal > 0 ? (end.machine.busy - start.machine.busy) / machineTotal : NaN, cores };
}

/** The /proc stat file of a process, or of one of its threads. */
export function statPath(pid: number, tid?: number): string {
  return tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
}

/** The OS thread id of the calling thread (a worker's differs from the process id), if /proc tells. */
export function currentOsThreadId(): number | undefined {
  try {
    const match = /\/task\/(\d+)$/.exec(fs.readlinkSync('/proc/thread-self'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads /proc now; stat files that are gone (or not on Linux) are left out. */
export function readCpuSnapshot(statFiles: Record<string, string>, atMs: number): CpuSnapshot {
  const ticks: Record<string, number> = {};
  for (const [name, file] of Object.entries(statFiles)) {
    try {
      ticks[name] = parseProcessTicks(fs.readFileSync(file, 'utf8'));
    } catch {
      // the process or thread has exited
    }
  }
  let machine: MachineTicks = { busy: 0, total: 0 };
  try {
    machine = parseMachineTicks(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    // not Linux: machine share unknown
  }
  return { atMs, machine, ticks };
}
