// Latency buckets and percentiles.
import { describe, expect, it } from 'vitest';
import { bucketOf, emptyLatencies, latencyDifference, latencyQuantile, recordLatency } from './latency-histogram.js';

describe('latency histogram', () => {
  it.each<[number, number]>([[0, 0], [-3, 0], [0.5, 0], [1, 1], [1.05, 1], [1.1, 2], [10, 25], [1e9, 159]])('bucket of %d ms is %d', (ms, bucket) => {
    expect(bucketOf(ms)).toBe(bucket);
  });

  it('reads percentiles within 10 % above the true value', () => {
    const counts = emptyLatencies();
    for (let ms = 1; ms <= 100; ms++) recordLatency(counts, ms);
    const p50 = latencyQuantile(counts, 0.5);
    const p99 = latencyQuantile(counts, 0.99);
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThanOrEqual(55);
    expect(p99).toBeGreaterThanOrEqual(99);
    expect(p99).toBeLessThanOrEqual(109);
  });

  it('has no percentile of nothing', () => {
    expect(latencyQuantile(emptyLatencies(), 0.5)).toBeNaN();
  });

  it('subtracts an earlier snapshot', () => {
    const earlier = emptyLatencies();
    recordLatency(earlier, 1000);
    const later = [...earlier];
    recordLatency(later, 5);
    expect(latencyQuantile(latencyDifference(later, earlier), 1)).toBeLessThan(6);
  });
});
