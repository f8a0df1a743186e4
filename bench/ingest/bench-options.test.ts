// Command-line options of the ingest benchmark.
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseBenchOptions } from './bench-options.js';

describe('parseBenchOptions', () => {
  it('has defaults that write the doc', () => {
    expect(parseBenchOptions([])).toEqual(DEFAULT_OPTIONS);
  });

  it('reads seconds as milliseconds', () => {
    expect(parseBenchOptions(['--seconds', '2.5', '--runs', '1'])).toMatchObject({ runMs: 2500, runs: 1 });
  });

  it('waits for a quiet machine unless told not to', () => {
    expect(parseBenchOptions(['--quiet-wait', '0'])).toMatchObject({ maxQuietWaitMs: 0 });
    expect(parseBenchOptions(['--quiet-wait', '5'])).toMatchObject({ maxQuietWaitMs: 5000 });
  });

  it('never writes the doc from a partial run', () => {
    expect(parseBenchOptions(['--only', 'broker-ceiling,influx-batched'])).toMatchObject({ writeDoc: false, only: new Set(['broker-ceiling', 'influx-batched']) });
  });

  it.each([
    [['--runs', '0'], /--runs must be a positive number/],
    [['--seconds', 'soon'], /--seconds must be a positive number/],
    [['--only', 'sqlite-everything'], /--only takes/],
    [['--frobnicate'], /Unknown option/],
  ])('refuses %o', (argv, message) => {
    expect(() => parseBenchOptions(argv)).toThrow(message);
  });

  it('answers --help', () => {
    expect(parseBenchOptions(['--help'])).toBe('help');
  });
});
