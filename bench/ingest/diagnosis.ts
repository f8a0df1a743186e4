// What limits each measurement, read off the figures: CPU per reading by component
// and which thread, process or resource was saturated. The sentences go into the
// "Interpretation" of docs/BENCHMARKS.md, so they always match the numbers beside them. Pure.
import { formatPercent, formatRate } from './formatting.js';
import type { IngestOutcome } from './measurements.js';
import { ratio } from './statistics.js';
import type { Figures } from './targets.js';

/** A thread using this much of a core, or a machine this busy, has no time left. */
const SATURATED = 0.9;
/** Work by other programs above this many cores makes the figures low. */
const NOTICEABLE_OTHER_CORES = 0.1;
/** Above this many cores of other work, "the machine was saturated" says little about our code. */
const DISTURBING_OTHER_CORES = 0.25;
/** The broker costing this much more per message than in its ceiling run is worth a word. */
const NOTICEABLY_DEARER = 1.25;

/** Microseconds of CPU per reading, by component. */
export interface CpuBreakdown {
  publishers?: number;
  broker?: number;
  /** Ingest, the plain subscriber, or the ceiling's writer. */
  consumer?: number;
  /** The rest of this Node process: V8's GC helper threads, the libuv pool. */
  otherNodeThreads?: number;
  influxd?: number;
  total: number;
  machineBusy: number;
  otherCores: number;
}

export function cpuBreakdown(f: Figures, consumerThread: string): CpuBreakdown {
  const perReading = (cores: number | undefined): number | undefined => (cores === undefined ? undefined : (cores / f.readingsPerSec) * 1e6);
  const { threads, processCores } = f.utilization;
  const node = processCores.node ?? 0;
  const ourThreads = Object.values(threads).reduce((sum, cores) => sum + cores, 0);
  return {
    publishers: perReading(threads.publishers),
    broker: perReading(threads.broker),
    consumer: perReading(threads[consumerThread]),
    otherNodeThreads: perReading(Math.max(0, node - ourThreads)),
    influxd: perReading(processCores.influxd),
    total: perReading(node + (processCores.influxd ?? 0)) ?? NaN,
    machineBusy: f.utilization.machineBusy,
    otherCores: f.utilization.otherCores,
  };
}

const us = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '?' : `${n.toFixed(1)} µs`);

function otherWorkWarning(f: Figures): string {
  return f.utilization.otherCores > NOTICEABLE_OTHER_CORES
    ? ` Other programs used ${f.utilization.otherCores.toFixed(2)} cores meanwhile: this figure is lower than the code can do.`
    : '';
}

/** "the machine is saturated (95 %)", saying how much of that was other programs when it matters. */
function machineSaturation(f: Figures): string {
  const { machineBusy, otherCores } = f.utilization;
  if (otherCores < DISTURBING_OTHER_CORES) return `the machine is saturated (${formatPercent(machineBusy)})`;
  return `the machine is saturated (${formatPercent(machineBusy)}, of which ${otherCores.toFixed(2)} cores by other programs: re-run on a quiet machine to judge)`;
}

function saturatedThreads(f: Figures): string[] {
  return Object.entries(f.utilization.threads).filter(([, cores]) => cores >= SATURATED).map(([name]) => name);
}

export function diagnoseBrokerCeiling(f: Figures): string {
  const b = cpuBreakdown(f, 'subscriber');
  const saturated = saturatedThreads(f);
  const limit = saturated.includes('broker')
    ? "the broker's thread is saturated: this is Aedes' own QoS 1 rate on one core of this machine"
    : f.utilization.machineBusy >= SATURATED
      ? `${machineSaturation(f)} while no thread is: publishers, broker and subscriber share the cores, so this is the QoS 1 rate of this machine with its clients on it, not of Aedes alone`
      : `neither a thread nor the machine is saturated (${formatPercent(f.utilization.machineBusy)} busy): the publishers' in-flight windows bound the rate`;
  return `**Broker ceiling**, ${formatRate(f.msgsPerSec)} msgs/s: ${limit}. Per message the publishers (MQTT.js) used ${us(b.publishers)} of CPU, the broker ${us(b.broker)}, the subscriber ${us(b.consumer)}.${otherWorkWarning(f)}`;
}

export function diagnoseInfluxCeiling(f: Figures): string {
  const b = cpuBreakdown(f, 'writer');
  const cores = f.utilization.processCores.influxd ?? NaN;
  const limit = f.utilization.machineBusy >= SATURATED
    ? `influxd used ${cores.toFixed(2)} cores and ${machineSaturation(f)}: influxd's CPU is the limit`
    : `influxd used ${cores.toFixed(2)} cores and the machine was ${formatPercent(f.utilization.machineBusy)} busy: the round trips of the requests in flight, not the CPU, bound it`;
  return `**InfluxDB ceiling**, ${formatRate(f.readingsPerSec)} lines/s: ${limit}; ${us(b.influxd)} of influxd CPU per line.${otherWorkWarning(f)}`;
}

export interface Ceilings {
  broker?: Figures;
  influx?: Figures;
}

function limitOf(outcome: IngestOutcome, f: Figures): string {
  const saturated = saturatedThreads(f);
  if (saturated.includes('ingest')) return "ingest's thread is saturated: ingest is the limit";
  if (saturated.includes('broker')) return "the broker's thread is saturated: the broker is the limit";
  if (f.utilization.machineBusy >= SATURATED) {
    return `${machineSaturation(f)} while no thread is: the rate is what the cores allow at this CPU cost per reading`;
  }
  const waitsOn = outcome.store === 'sqlite'
    ? "SQLite's synchronous writes on ingest's own thread (disk time is not CPU time)"
    : 'store write round trips (while a batch is on its way to influxd and back, neither side is busy with it)';
  return `neither a thread nor the machine is saturated (${formatPercent(f.utilization.machineBusy)} busy): the pipeline waits, most likely on ${waitsOn}`;
}

export function diagnoseIngest(outcome: IngestOutcome, f: Figures, ceilings: Ceilings): string {
  const store = outcome.store === 'influx' ? 'InfluxDB' : 'SQLite';
  const b = cpuBreakdown(f, 'ingest');
  const parts: string[] = [];
  const head = `**${store}, ${outcome.workload}**, ${formatRate(f.readingsPerSec)} readings/s`;

  const caveat = (ceiling: Figures): string => (ceiling.disturbed || f.disturbed ? ' (not comparable: measured while other programs were busy)' : '');
  if (outcome.workload === 'single' && ceilings.broker) {
    parts.push(`${formatPercent(ratio(f.msgsPerSec, ceilings.broker.msgsPerSec))} of the broker ceiling${caveat(ceilings.broker)}`);
  }
  if (outcome.workload === 'batched' && outcome.store === 'influx' && ceilings.influx) {
    parts.push(`${formatPercent(ratio(f.readingsPerSec, ceilings.influx.readingsPerSec))} of the InfluxDB ceiling${caveat(ceilings.influx)}`);
  }
  parts.push(limitOf(outcome, f));

  const ingestSide = (b.consumer ?? 0) + (b.influxd ?? 0);
  let cost = `Per reading: ingest's thread ${us(b.consumer)}, ${outcome.store === 'influx' ? `influxd ${us(b.influxd)}, ` : ''}other Node threads (GC, libuv) ${us(b.otherNodeThreads)}, broker ${us(b.broker)}, publishers ${us(b.publishers)}; total ${us(b.total)}`;
  if (outcome.workload === 'single') cost += `. Ingest and its store take ${us(ingestSide)} of that against the broker's ${us(b.broker)}`;
  const brokerCeiling = ceilings.broker ? cpuBreakdown(ceilings.broker, 'subscriber').broker : undefined;
  if (outcome.workload === 'single' && brokerCeiling !== undefined && b.broker !== undefined && b.broker > brokerCeiling * NOTICEABLY_DEARER) {
    cost += `; the broker itself costs ${us(b.broker)} per message here against ${us(brokerCeiling)} in its ceiling run, because ingest holds PUBACKs until its batch is written and aedes-persistence's in-memory outgoing list is scanned linearly on every delivery and PUBACK`;
  }
  return `${head}: ${parts.join('; ')}. ${cost}.${otherWorkWarning(f)}`;
}
