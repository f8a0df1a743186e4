// Verdicts of a soak run: the rate achieved against the target, whether a backlog
// built up (the machine could not sustain the rate), loss, and whether each part's
// memory kept growing after the warm-up. Pure.
import { leastSquaresSlope, memoryTrend, secondHalf, type MemoryTrend, type Point, type TrendLimits } from './trend.js';
import { NODE_PARTS, type NodePart, type SoakRun, type SoakSample } from './soak-types.js';

/** Behind by more than this many seconds of load at the end, the rate was not sustained. */
export const SUSTAINED_BACKLOG_SECONDS = 2;
/** Achieved below this share of the target, the rate was not sustained. */
export const SUSTAINED_RATE_SHARE = 0.98;

export interface SoakAnalysis {
  run: SoakRun;
  measured: SoakSample[];
  /** Acknowledged by the broker and written by ingest per second over the measured period. */
  ackedPerSec: number;
  writtenPerSec: number;
  /** Messages due but not yet published (the publishers could not keep up), at the end and at worst. */
  scheduleDeficit: { end: number; peak: number };
  /** Acknowledged by the broker, not yet written by ingest: queued in the broker or in ingest's batch. */
  brokerBacklog: { end: number; peak: number; slopePerMin: number };
  sustained: boolean;
  /** Acknowledged but not in InfluxDB. */
  lost: number;
  /** In InfluxDB but never acknowledged to a publisher (only a failed publish can do that). */
  unacknowledgedStored: number;
  /** Writes beyond one per reading: redeliveries, absorbed by InfluxDB's overwrite of series + time. */
  rewritten: number;
  memory: Record<NodePart, MemoryTrend> & { influxd?: MemoryTrend };
  /** Heap and RSS of broker and ingest stable (influxd and the publishers are reported, not judged). */
  memoryStable: boolean;
  passed: boolean;
}

function minuteOf(run: SoakRun, sample: SoakSample): number {
  return (sample.atMs - run.warmupMs) / 60_000;
}

function perSecondBetween(first: SoakSample | undefined, last: SoakSample | undefined, count: (s: SoakSample) => number): number {
  if (!first || !last || last.atMs <= first.atMs) return NaN;
  return ((count(last) - count(first)) * 1000) / (last.atMs - first.atMs);
}

export function analyzeSoak(run: SoakRun, limits: TrendLimits): SoakAnalysis {
  // The first measured sample is the baseline of the rates; the last warm-up sample would do as well.
  const measured = run.samples.filter((s) => s.atMs >= run.warmupMs);
  const first = measured[0];
  const last = measured[measured.length - 1];
  const deficits = measured.map((s) => s.due - s.published);
  const backlogs = measured.map((s) => s.acked - s.written);
  const backlogPoints: Point[] = measured.map((s) => ({ minute: minuteOf(run, s), value: s.acked - s.written }));
  const series = (part: NodePart) => ({
    rss: measured.map((s) => ({ minute: minuteOf(run, s), value: s.memory[part].rss })),
    heapUsed: measured.filter((s) => s.liveHeap).map((s) => ({ minute: minuteOf(run, s), value: s.liveHeap![part] })),
  });
  const memory = Object.fromEntries(NODE_PARTS.map((part) => [part, memoryTrend(series(part), limits)])) as SoakAnalysis['memory'];
  const influxd = measured.filter((s) => s.influxdRss !== undefined).map((s) => ({ minute: minuteOf(run, s), value: s.influxdRss! }));
  if (influxd.length > 0) memory.influxd = memoryTrend({ rss: influxd }, limits);

  const ackedPerSec = perSecondBetween(first, last, (s) => s.acked);
  const allowedBacklog = SUSTAINED_BACKLOG_SECONDS * run.msgsPerSec;
  const scheduleDeficit = { end: deficits[deficits.length - 1] ?? NaN, peak: Math.max(...deficits) };
  const brokerBacklog = { end: backlogs[backlogs.length - 1] ?? NaN, peak: Math.max(...backlogs), slopePerMin: leastSquaresSlope(secondHalf(backlogPoints)) };
  const sustained = ackedPerSec >= SUSTAINED_RATE_SHARE * run.msgsPerSec && scheduleDeficit.end <= allowedBacklog && brokerBacklog.end <= allowedBacklog;
  const lost = Math.max(0, run.totals.acked - run.totals.stored);
  const memoryStable = memory.broker.stable && memory.ingest.stable;
  return {
    run, measured, ackedPerSec, writtenPerSec: perSecondBetween(first, last, (s) => s.written),
    scheduleDeficit, brokerBacklog, sustained, lost,
    unacknowledgedStored: Math.max(0, run.totals.stored - run.totals.acked),
    rewritten: Math.max(0, run.totals.written - run.totals.stored),
    memory, memoryStable,
    // Memory is judged on a sustained run only: while a backlog grows, the broker's queue grows with it by design.
    passed: run.error === undefined && lost === 0 && run.totals.stored === run.totals.acked && run.totals.failed === 0 && (memoryStable || !sustained),
  };
}

/** The latest live-heap reading among `samples`. */
export function lastLiveHeap(samples: readonly SoakSample[]): SoakSample['liveHeap'] {
  for (let i = samples.length - 1; i >= 0; i--) if (samples[i]!.liveHeap) return samples[i]!.liveHeap;
  return undefined;
}

export interface MinuteRow {
  /** Minute of the measured period (1 = the first full minute after the warm-up). */
  minute: number;
  ackedPerSec: number;
  backlog: number;
  /** Last live heap (after a full GC) and last RSS of the minute, bytes. */
  liveHeap: Record<'broker' | 'ingest', number | undefined>;
  rss: Record<NodePart, number> & { influxd: number | undefined };
}

/** One row per minute of the measured period (a shorter last stretch becomes a row of its own). */
export function minuteRows(analysis: SoakAnalysis, minutesPerRow = 1): MinuteRow[] {
  const { run, measured } = analysis;
  const rows: MinuteRow[] = [];
  let previous = measured[0];
  const span = minutesPerRow * 60_000;
  for (let start = 0; previous && start < run.durationMs; start += span) {
    const inRow = measured.filter((s) => s.atMs - run.warmupMs > start && s.atMs - run.warmupMs <= start + span);
    const end = inRow[inRow.length - 1];
    if (!end) break;
    rows.push({
      minute: Math.round(((start + Math.min(span, end.atMs - run.warmupMs - start)) / 60_000) * 10) / 10,
      ackedPerSec: perSecondBetween(previous, end, (s) => s.acked),
      backlog: end.acked - end.written,
      liveHeap: { broker: lastLiveHeap(inRow)?.broker, ingest: lastLiveHeap(inRow)?.ingest },
      rss: { broker: end.memory.broker.rss, ingest: end.memory.ingest.rss, publishers: end.memory.publishers.rss, influxd: end.influxdRss },
    });
    previous = end;
  }
  return rows;
}
