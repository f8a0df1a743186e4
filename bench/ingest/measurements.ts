// The shapes of what the benchmark measures, shared by the runners (which fill
// them) and the report (which renders them). Types only, plus one pure constructor.
import { perSecond } from './statistics.js';
import { FIELDS_PER_SAMPLE } from './synthetic-telemetry.js';

/** Who was busy during a run. */
export interface Utilization {
  /** Cores each of our threads kept busy on average (1 = one full core; a thread cannot exceed 1). */
  threads: Record<string, number>;
  /** Average cores kept busy by each process (influxd, this Node process with all its threads). */
  processCores: Record<string, number>;
  /** Busy fraction of the whole machine, 0..1. */
  machineBusy: number;
  /** Cores kept busy by everything else on the machine (other users' work skews the figures). */
  otherCores: number;
  /** Cores the machine has. */
  machineCores: number;
}

/** A run during which other programs kept this many cores busy says more about them than about us. */
export const DISTURBING_OTHER_CORES = 0.25;

export interface RunMeasurement {
  messages: number;
  readings: number;
  /** First publish (or request) to the last reading stored (or message received). */
  ms: number;
  msgsPerSec: number;
  readingsPerSec: number;
  valuesPerSec: number;
  /** False when the wait for the last reading timed out. */
  complete: boolean;
  utilization: Utilization;
  /** Other programs used DISTURBING_OTHER_CORES or more during the run. */
  disturbed: boolean;
}

export function runMeasurement(messages: number, readings: number, ms: number, complete: boolean, utilization: Utilization): RunMeasurement {
  return {
    messages, readings, ms, complete, utilization,
    disturbed: utilization.otherCores >= DISTURBING_OTHER_CORES,
    msgsPerSec: perSecond(messages, ms),
    readingsPerSec: perSecond(readings, ms),
    valuesPerSec: perSecond(readings * FIELDS_PER_SAMPLE, ms),
  };
}

/** Repeats allowed per measurement for disturbed runs: a busy machine must not make the benchmark endless. */
export const EXTRA_RUNS = 1;

/** Whether another run is due: until `runs` undisturbed runs are in, with at most EXTRA_RUNS more attempts. */
export function wantsAnotherRun(done: readonly RunMeasurement[], runs: number): boolean {
  return done.filter((r) => !r.disturbed).length < runs && done.length < runs + EXTRA_RUNS;
}

/** What was sent, what arrived, and the difference. */
export interface Delivery {
  unit: 'messages' | 'readings';
  sent: number;
  arrived: number;
  /** Values (readings × fields) sent and found in the store; stores only. */
  valuesSent?: number;
  valuesArrived?: number;
  /** Publishes the broker did not acknowledge (not counted as sent). */
  failedPublishes: number;
  /** Messages ingest refused as dead letters (should be 0: the payloads are valid). */
  deadLetters?: number;
}

export function lossOf(delivery: Delivery): { units: number; values?: number } {
  const units = Math.max(0, delivery.sent - delivery.arrived);
  if (delivery.valuesSent === undefined || delivery.valuesArrived === undefined) return { units };
  return { units, values: Math.max(0, delivery.valuesSent - delivery.valuesArrived) };
}

export type StoreKind = 'sqlite' | 'influx';
export type WorkloadKind = 'single' | 'batched';

export interface ScenarioOutcome {
  runs: RunMeasurement[];
  delivery: Delivery;
  /** Set when the scenario could not finish; the runs hold what was measured before. */
  error?: string;
}

export interface IngestOutcome extends ScenarioOutcome {
  store: StoreKind;
  workload: WorkloadKind;
}
