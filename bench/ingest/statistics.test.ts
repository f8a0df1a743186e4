// Medians and rates of benchmark runs.
import { describe, expect, it } from 'vitest';
import { median, perSecond, ratio } from './statistics.js';

describe('statistics', () => {
  it.each<[number[], number]>([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('median(%o) = %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('has no median of nothing, no rate over no time, no ratio to zero', () => {
    expect(median([])).toBeNaN();
    expect(perSecond(10, 0)).toBeNaN();
    expect(ratio(1, 0)).toBeNaN();
  });

  it('turns counts over milliseconds into a rate per second', () => {
    expect(perSecond(5000, 250)).toBe(20_000);
  });
});
