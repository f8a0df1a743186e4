// Reading the limit off the figures: CPU per reading, and which part was saturated.
import { describe, expect, it } from 'vitest';
import type { IngestOutcome, Utilization } from './measurements.js';
import { cpuBreakdown, diagnoseIngest } from './diagnosis.js';
import type { Figures } from './targets.js';

function figures(readingsPerSec: number, utilization: Partial<Utilization>): Figures {
  return {
    disturbed: false, msgsPerSec: readingsPerSec, readingsPerSec, valuesPerSec: readingsPerSec * 10,
    utilization: { threads: {}, processCores: {}, machineBusy: 0.5, otherCores: 0, machineCores: 2, ...utilization },
  };
}
const outcome = (store: 'sqlite' | 'influx', workload: 'single' | 'batched'): IngestOutcome => ({
  store, workload, runs: [], delivery: { unit: 'readings', sent: 0, arrived: 0, failedPublishes: 0 },
});

describe('cpuBreakdown', () => {
  it('turns cores into µs per reading, the rest of the Node process into "other Node threads"', () => {
    const b = cpuBreakdown(figures(10_000, { threads: { broker: 0.3, ingest: 0.2, publishers: 0.1 }, processCores: { node: 0.7, influxd: 0.25 } }), 'ingest');
    const expected = { broker: 30, consumer: 20, publishers: 10, influxd: 25, otherNodeThreads: 10, total: 95 };
    for (const [key, value] of Object.entries(expected)) expect(b[key as keyof typeof b]).toBeCloseTo(value);
  });
});

describe('diagnoseIngest', () => {
  it.each<[string, IngestOutcome, Partial<Utilization>, RegExp]>([
    ['a saturated ingest thread', outcome('influx', 'batched'), { threads: { ingest: 0.97, broker: 0.1 }, machineBusy: 0.8 }, /ingest's thread is saturated: ingest is the limit/],
    ['a saturated broker thread', outcome('influx', 'single'), { threads: { ingest: 0.5, broker: 0.95 }, machineBusy: 0.9 }, /the broker is the limit/],
    ['a busy machine', outcome('influx', 'single'), { threads: { ingest: 0.5, broker: 0.6 }, machineBusy: 0.95 }, /the machine is saturated \(95 %\) while no thread is/],
    ['a machine busy with other work', outcome('influx', 'single'), { threads: { ingest: 0.3 }, machineBusy: 0.99, otherCores: 1.1 }, /1\.10 cores by other programs: re-run on a quiet machine/],
    ['SQLite waiting on the disk', outcome('sqlite', 'single'), { threads: { ingest: 0.6 }, machineBusy: 0.7 }, /waits, most likely on SQLite's synchronous writes/],
    ['InfluxDB waiting on round trips', outcome('influx', 'batched'), { threads: { ingest: 0.6 }, machineBusy: 0.7 }, /waits, most likely on store write round trips/],
  ])('names %s', (_name, o, utilization, expected) => {
    expect(diagnoseIngest(o, figures(10_000, utilization), {})).toMatch(expected);
  });

  it('compares single-sample with the broker ceiling and batched InfluxDB with the /write ceiling', () => {
    const ceilings = { broker: figures(20_000, {}), influx: figures(100_000, {}) };
    expect(diagnoseIngest(outcome('sqlite', 'single'), figures(5_000, {}), ceilings)).toMatch(/25 % of the broker ceiling/);
    expect(diagnoseIngest(outcome('influx', 'batched'), figures(40_000, {}), ceilings)).toMatch(/40 % of the InfluxDB ceiling/);
  });
});
