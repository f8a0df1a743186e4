// The gateway's CPU use between two status messages, as % of one core: process CPU time
// (user + system, every thread) over wall time since the previous reading.

export interface CpuSample {
  /** process.cpuUsage(): microseconds. */
  cpu: { user: number; system: number };
  /** Wall clock, ms (performance.now()). */
  wallMs: number;
}

/** Pure: the percentage between two samples (0 when no wall time passed). */
export function cpuPercentBetween(previous: CpuSample, next: CpuSample): number {
  const wallMs = next.wallMs - previous.wallMs;
  if (wallMs <= 0) return 0;
  const cpuMs = (next.cpu.user - previous.cpu.user + next.cpu.system - previous.cpu.system) / 1000;
  return Math.max(0, Math.round((cpuMs / wallMs) * 1000) / 10);
}

export class CpuMeter {
  private previous: CpuSample = CpuMeter.sample();

  private static sample(): CpuSample {
    return { cpu: process.cpuUsage(), wallMs: performance.now() };
  }

  /** CPU % since the previous call (or since the meter was made). */
  read(): number {
    const next = CpuMeter.sample();
    const percent = cpuPercentBetween(this.previous, next);
    this.previous = next;
    return percent;
  }
}
