// Number and run formatting for the console and the report: thousands separators,
// rates to three significant digits, percentages, who was busy. Pure.
import type { RunMeasurement, Utilization } from './measurements.js';

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

/** 3 significant digits above 1000 is what a rate on a shared 2-core box deserves. */
export function formatRate(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)} M`;
  if (n >= 1000) return Math.round(Number(n.toPrecision(3))).toLocaleString('en-US');
  return n.toFixed(0);
}

export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${Math.round(fraction * 100)} %` : '–';
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatUtilization(u: Utilization): string {
  const threads = Object.entries(u.threads).map(([name, cores]) => `${name} ${cores.toFixed(2)}`);
  const processes = Object.entries(u.processCores).map(([name, cores]) => `${name === 'node' ? 'node (all threads)' : name} ${cores.toFixed(2)}`);
  return `cores: ${[...threads, ...processes, `other processes ${u.otherCores.toFixed(2)}`].join(', ')}; machine ${formatPercent(u.machineBusy)} busy`;
}

export function formatRun(index: number, run: RunMeasurement, unit: 'readings' | 'lines' = 'readings'): string {
  const head = `run ${index}: ${formatCount(run.messages)} msgs, ${formatCount(run.readings)} ${unit} in ${formatSeconds(run.ms)}`;
  const rates = unit === 'lines'
    ? `${formatRate(run.readingsPerSec)} lines/s (${formatRate(run.valuesPerSec)} values/s)`
    : `${formatRate(run.msgsPerSec)} msgs/s, ${formatRate(run.readingsPerSec)} readings/s`;
  const flags = `${run.complete ? '' : '  [INCOMPLETE]'}${run.disturbed ? '  [disturbed by other programs: not counted if enough runs are not]' : ''}`;
  return `${head} = ${rates}${flags}\n      busy: ${formatUtilization(run.utilization)}`;
}
