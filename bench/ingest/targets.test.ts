// Ratios of ingest figures to their ceilings, and the verdicts.
import { describe, expect, it } from 'vitest';
import { runMeasurement, wantsAnotherRun, type IngestOutcome, type ScenarioOutcome } from './measurements.js';
import { BROKER_BOUND_SHARE, checkTargets, figuresOf, INFLUX_CEILING_SHARE } from './targets.js';

const idle = { threads: {}, processCores: {}, machineBusy: 0.5, otherCores: 0, machineCores: 2 };
const outcome = (messagesPerSec: number[], samplesPerMessage = 1): ScenarioOutcome => ({
  runs: messagesPerSec.map((rate) => runMeasurement(rate, rate * samplesPerMessage, 1000, true, idle)),
  delivery: { unit: 'readings', sent: 0, arrived: 0, failedPublishes: 0 },
});
const ingest = (store: 'sqlite' | 'influx', workload: 'single' | 'batched', rates: number[], samples = 1): IngestOutcome => ({ store, workload, ...outcome(rates, samples) });

describe('checkTargets', () => {
  it('compares medians: single-sample against the broker, batched InfluxDB against /write', () => {
    const checks = checkTargets({
      broker: outcome([10_000, 9_000, 11_000]),
      influx: outcome([100_000]),
      ingest: [ingest('influx', 'single', [8_500, 8_000, 9_000]), ingest('sqlite', 'single', [5_000]), ingest('influx', 'batched', [900, 1100, 1000], 50)],
    });
    expect(checks.map((c) => [c.ratio, c.threshold, c.met])).toEqual([
      [0.85, BROKER_BOUND_SHARE, true],
      [0.5, BROKER_BOUND_SHARE, false],
      [0.5, INFLUX_CEILING_SHARE, true],
    ]);
  });

  it('decides nothing when a side was measured only while other programs were busy', () => {
    const disturbedCeiling = outcome([5_000]);
    disturbedCeiling.runs[0]!.disturbed = true;
    const [check] = checkTargets({ broker: disturbedCeiling, ingest: [ingest('influx', 'single', [9_000])] });
    expect(check).toMatchObject({ inconclusive: true, met: false });
  });

  it('cannot meet a target whose ceiling was not measured', () => {
    const [check] = checkTargets({ ingest: [ingest('influx', 'batched', [1000], 50)] });
    expect(check!.met).toBe(false);
    expect(check!.ratio).toBeNaN();
  });
});

describe('disturbed runs', () => {
  const run = (rate: number, otherCores: number) => runMeasurement(rate, rate, 1000, true, { ...idle, otherCores });

  it('are left out of the median while undisturbed runs exist', () => {
    expect(figuresOf([run(100, 0), run(10, 1.2), run(120, 0.05)]).msgsPerSec).toBe(110);
    expect(figuresOf([run(10, 1.2), run(30, 0.9)]).msgsPerSec).toBe(20);
  });

  it.each<[string, number[], boolean]>([
    ['none yet', [], true],
    ['three clean runs', [0, 0, 0], false],
    ['one disturbed among three', [0, 1, 0], true],
    ['one disturbed, then a clean repeat', [0, 1, 0, 0], false],
    ['four attempts, all disturbed', [1, 1, 1, 1], false],
  ])('ask for another run: %s', (_name, others, expected) => {
    expect(wantsAnotherRun(others.map((o) => run(100, o)), 3)).toBe(expected);
  });
});
