// Parsing `npm run soak` options and SB_SOAK_* variables.
import { describe, expect, it } from 'vitest';
import { parseDuration, parseRate, parseSoakOptions, resolveRate, SOAK_DEFAULTS } from './soak-options.js';

describe('soak options', () => {
  it.each<[string, number]>([['10m', 600_000], ['45s', 45_000], ['45', 45_000], ['1500ms', 1500], ['1.5min', 90_000]])('duration %s', (text, ms) => {
    expect(parseDuration(text, '--duration')).toBe(ms);
  });

  it.each(['', 'ten minutes', '0s', '-5s'])('refuses the duration "%s"', (text) => {
    expect(() => parseDuration(text, '--duration')).toThrow(/--duration/);
  });

  it.each<[string, ReturnType<typeof parseRate>]>([['12400', { msgsPerSec: 12_400 }], ['12,400', { msgsPerSec: 12_400 }], ['80%', { shareOfBenchmark: 0.8 }]])('rate %s', (text, rate) => {
    expect(parseRate(text, '--rate')).toEqual(rate);
  });

  it('uses the defaults: 10 minutes at the benchmarked rate, 80 % as the fallback', () => {
    expect(parseSoakOptions([], {})).toEqual(SOAK_DEFAULTS);
  });

  it('takes SB_SOAK_* variables, and a flag over its variable', () => {
    const options = parseSoakOptions(['--rate', '2000', '--fallback', 'none', '--no-doc'], { SB_SOAK_DURATION: '45s', SB_SOAK_RATE: '90%' });
    expect(options).toMatchObject({ durationMs: 45_000, rate: { msgsPerSec: 2000 }, writeDoc: false });
    expect(options !== 'help' && options.fallback).toBeUndefined();
  });

  it('names a bad flag', () => {
    expect(() => parseSoakOptions(['--window', '0'], {})).toThrow(/--window/);
    expect(() => parseSoakOptions(['--speed', '3'], {})).toThrow();
  });

  it('turns a percentage into msgs/s of the benchmark, and needs the benchmark for it', () => {
    expect(resolveRate({ shareOfBenchmark: 0.8 }, 12_400)).toBe(9920);
    expect(resolveRate({ msgsPerSec: 500 }, undefined)).toBe(500);
    expect(() => resolveRate({ shareOfBenchmark: 1 }, undefined)).toThrow(/BENCHMARKS/);
  });
});
