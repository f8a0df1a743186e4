// The rendered section is one "## " section that replaceSection can swap in and out.
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from './bench-options.js';
import { replaceSection } from './markdown-sections.js';
import { runMeasurement, type ScenarioOutcome } from './measurements.js';
import { INGEST_SECTION_HEADING, renderIngestSection, type BenchResults } from './report.js';

const utilization = { threads: { broker: 0.5, ingest: 0.4, publishers: 0.3 }, processCores: { node: 1.3, influxd: 0.3 }, machineBusy: 0.8, otherCores: 0, machineCores: 2 };
const outcome = (rate: number, samples = 1): ScenarioOutcome => ({
  runs: [runMeasurement(rate, rate * samples, 1000, true, utilization)],
  delivery: { unit: 'readings', sent: rate * samples, arrived: rate * samples, valuesSent: rate * samples * 10, valuesArrived: rate * samples * 10, failedPublishes: 0 },
});
const results: BenchResults = {
  machine: { cpuModel: 'Test CPU', cores: 2, memoryGiB: 4, os: 'Linux', node: 'v20.0.0', influxdb: 'InfluxDB v1.6.7', loadAverage: 0.1 },
  packages: { aedes: '1.2.0' },
  date: new Date(Date.UTC(2026, 10, 29, 12)),
  command: 'npm run bench:ingest',
  options: DEFAULT_OPTIONS,
  brokerCeiling: outcome(20_000),
  influxCeiling: outcome(100_000),
  ingest: [{ store: 'influx', workload: 'batched', ...outcome(1_000, 50) }, { store: 'sqlite', workload: 'single', ...outcome(5_000) }],
  durationMs: 150_000,
};

describe('renderIngestSection', () => {
  const section = renderIngestSection(results);

  it('is one level-2 section under its own heading', () => {
    expect(section.startsWith(`${INGEST_SECTION_HEADING}\n`)).toBe(true);
    expect(section.split('\n').filter((line) => line.startsWith('## '))).toEqual([INGEST_SECTION_HEADING]);
    expect(replaceSection(`# Benchmarks\n\n${section}\n## Gateway (bench/gateway)\n`, INGEST_SECTION_HEADING, section)).toBe(`# Benchmarks\n\n${section}\n## Gateway (bench/gateway)\n`);
  });

  it('holds the figures, the loss, the ratios and the machine', () => {
    expect(section).toContain('| InfluxDB | batched (50 × 10 fields) | 1,000 | 50,000 | 500,000 | 0 readings / 0 values of 50,000 |');
    expect(section).toContain('| batched on InfluxDB ≥ 50 % of InfluxDB\'s /write ceiling | 50,000 readings/s | 100,000 readings/s | 50 % | **met** |');
    expect(section).toContain('Test CPU, 2 cores');
  });
});
