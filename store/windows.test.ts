// Table-driven cases for folding points into epoch-aligned windows.
import { describe, expect, it } from 'vitest';
import type { Aggregate } from './types.js';
import { aggregateWindows, windowStart } from './windows.js';

describe('windowStart', () => {
  it.each([
    [0, 1000, 0],
    [999, 1000, 0],
    [1000, 1000, 1000],
    [1795824000000, 7000, 1795823995000],
    [-1, 1000, -1000],
    [-1000, 1000, -1000],
  ])('windowStart(%i, %i) = %i', (ts, w, expected) => {
    expect(windowStart(ts, w)).toBe(expected);
  });
});

describe('aggregateWindows', () => {
  const points: Array<[number, number]> = [[0, 1], [400, 2], [999, 4], [1000, 10], [2500, -5], [2600, 3]];
  const cases: Array<[Aggregate, number | undefined, Array<[number, number]>]> = [
    ['mean', undefined, [[0, 7 / 3], [1000, 10], [2000, -1]]],
    ['min', undefined, [[0, 1], [1000, 10], [2000, -5]]],
    ['max', undefined, [[0, 4], [1000, 10], [2000, 3]]],
    ['last', undefined, [[0, 4], [1000, 10], [2000, 3]]],
    ['max', 2, [[0, 4], [1000, 10]]],
    ['last', 1, [[0, 4]]],
  ];
  it.each(cases)('%s with limit %s', (aggregate, limit, expected) => {
    expect(aggregateWindows(points, 1000, aggregate, limit)).toEqual(expected);
  });

  it('returns nothing for no points', () => {
    expect(aggregateWindows([], 1000, 'mean')).toEqual([]);
  });

  it('stops reading its input once the limit is reached', () => {
    let read = 0;
    function* counting(): Generator<[number, number]> {
      for (const p of points) {
        read++;
        yield p;
      }
    }
    expect(aggregateWindows(counting(), 1000, 'min', 1)).toEqual([[0, 1]]);
    expect(read).toBe(4); // the first point of the second window closes the first
  });
});
