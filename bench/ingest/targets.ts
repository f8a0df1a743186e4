// The benchmark's figures and targets: medians of the runs, each ingest figure as a
// ratio of its ceiling, and whether the target is met. Pure.
import type { IngestOutcome, RunMeasurement, ScenarioOutcome, StoreKind, Utilization, WorkloadKind } from './measurements.js';
import { median, ratio } from './statistics.js';

export interface Figures {
  /** Every run was disturbed by other programs: the figures say little about our code. */
  disturbed: boolean;
  msgsPerSec: number;
  readingsPerSec: number;
  valuesPerSec: number;
  /** Median over the runs of each thread's and process's share. */
  utilization: Utilization;
}

function medianRecord(records: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((key) => [key, median(records.flatMap((r) => (r[key] === undefined ? [] : [r[key]!])))]));
}

/** Medians over the undisturbed runs (all runs if every one was disturbed). */
export function figuresOf(allRuns: readonly RunMeasurement[]): Figures {
  const undisturbed = allRuns.filter((r) => !r.disturbed);
  const runs = undisturbed.length > 0 ? undisturbed : allRuns;
  return {
    disturbed: runs.length > 0 && undisturbed.length === 0,
    msgsPerSec: median(runs.map((r) => r.msgsPerSec)),
    readingsPerSec: median(runs.map((r) => r.readingsPerSec)),
    valuesPerSec: median(runs.map((r) => r.valuesPerSec)),
    utilization: {
      threads: medianRecord(runs.map((r) => r.utilization.threads)),
      processCores: medianRecord(runs.map((r) => r.utilization.processCores)),
      machineBusy: median(runs.map((r) => r.utilization.machineBusy)),
      otherCores: median(runs.map((r) => r.utilization.otherCores)),
      machineCores: runs[0]?.utilization.machineCores ?? NaN,
    },
  };
}

export function findIngest(outcomes: readonly IngestOutcome[], store: StoreKind, workload: WorkloadKind): IngestOutcome | undefined {
  return outcomes.find((o) => o.store === store && o.workload === workload);
}

/**
 * Single-sample ingest counts as "limited by the broker's QoS 1 rate" when it moves at
 * least this share of the broker-only rate: on a machine where broker, ingest,
 * publishers (and influxd) share two cores, ingest's own CPU necessarily takes some.
 */
export const BROKER_BOUND_SHARE = 0.8;
/** Batched ingest on InfluxDB must reach this share of InfluxDB's /write ceiling. */
export const INFLUX_CEILING_SHARE = 0.5;

export interface TargetCheck {
  target: string;
  measured: number;
  ceiling: number;
  ratio: number;
  threshold: number;
  unit: string;
  met: boolean;
  /** One side was measured only while other programs were busy: the ratio decides nothing. */
  inconclusive: boolean;
}

function check(target: string, unit: string, measured: Figures, ceiling: Figures | undefined, pick: (f: Figures) => number, threshold: number): TargetCheck {
  const r = ratio(pick(measured), ceiling ? pick(ceiling) : NaN);
  const inconclusive = measured.disturbed || (ceiling?.disturbed ?? false);
  return { target, unit, measured: pick(measured), ceiling: ceiling ? pick(ceiling) : NaN, ratio: r, threshold, inconclusive, met: !inconclusive && Number.isFinite(r) && r >= threshold };
}

export interface CeilingOutcomes {
  broker?: ScenarioOutcome;
  influx?: ScenarioOutcome;
  ingest: readonly IngestOutcome[];
}

export function checkTargets({ broker, influx, ingest }: CeilingOutcomes): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const brokerFigures = broker?.runs.length ? figuresOf(broker.runs) : undefined;
  const influxFigures = influx?.runs.length ? figuresOf(influx.runs) : undefined;
  for (const store of ['influx', 'sqlite'] as const) {
    const single = findIngest(ingest, store, 'single');
    if (single?.runs.length) {
      checks.push(check(`single-sample on ${store === 'influx' ? 'InfluxDB' : 'SQLite'} limited by the broker's QoS 1 rate (≥ ${BROKER_BOUND_SHARE * 100} % of it)`, 'msgs/s', figuresOf(single.runs), brokerFigures, (f) => f.msgsPerSec, BROKER_BOUND_SHARE));
    }
  }
  const batched = findIngest(ingest, 'influx', 'batched');
  if (batched?.runs.length) {
    checks.push(check(`batched on InfluxDB ≥ ${INFLUX_CEILING_SHARE * 100} % of InfluxDB's /write ceiling`, 'readings/s', figuresOf(batched.runs), influxFigures, (f) => f.readingsPerSec, INFLUX_CEILING_SHARE));
  }
  return checks;
}
