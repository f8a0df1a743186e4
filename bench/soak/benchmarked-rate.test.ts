// Reading the benchmarked single-sample InfluxDB rate from docs/BENCHMARKS.md tables.
import { describe, expect, it } from 'vitest';
import { benchmarkedSingleSampleRate } from './benchmarked-rate.js';

const TABLE = `## Ingest (bench/ingest)

### Results

| store | workload | msgs/s | readings/s | values/s | loss | readings/s of each run |
|---|---|--:|--:|--:|---|---|
| SQLite | single-sample (1 × 10 fields) | 8,240 | 8,240 | 82,400 | 0 | 8,240 |
| InfluxDB | batched (50 × 10 fields) | 690 | 34,500 | 345,000 | 0 | 34,500 |
| InfluxDB | single-sample (1 × 10 fields) | 12,400 | 12,400 | 124,000 | 0 | 12,400 |
`;

describe('benchmarked single-sample InfluxDB rate', () => {
  it.each<[string, string, number | undefined]>([
    ['the ingest results table', TABLE, 12_400],
    ['columns in another order', '| msgs/s | workload | store |\n|--:|---|---|\n| 9,100 | single-sample | InfluxDB |\n', 9100],
    ['no InfluxDB single-sample row', TABLE.replace(/\| InfluxDB \| single-sample.*\n/, ''), undefined],
    ['a rate that is not a number', TABLE.replace('| 12,400 | 12,400 |', '| – | – |'), undefined],
    ['no table at all', '# Benchmarks\n\nnothing measured yet\n', undefined],
  ])('%s', (_name, document, rate) => {
    expect(benchmarkedSingleSampleRate(document)?.msgsPerSec).toBe(rate);
  });
});
