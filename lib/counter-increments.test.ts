import { describe, expect, it } from 'vitest';
import { counterIncrements, type CounterFlag, type CounterIncrementOptions } from './counter-increments.js';

const M = 60_000; // one minute
const T = Date.UTC(2026, 2, 1, 0, 0, 0);
/** Readings every 15 minutes from T: values given, times made up. */
const every15 = (...values: number[]): Array<[number, number]> => values.map((v, i) => [T + i * 15 * M, v]);
/** Increments as [increment, ...flags], the shape the table reads best in. */
type Row = [number, ...CounterFlag[]];

interface Case { name: string; points: Array<[number, number]>; options?: CounterIncrementOptions; expected: Row[] }

const cases: Case[] = [
  { name: 'steady rise', points: every15(100, 101, 103.5, 103.5), expected: [[1], [2.5], [0]] },
  { name: 'nothing to pair: one reading', points: every15(100), expected: [] },
  { name: 'nothing at all', points: [], expected: [] },
  {
    name: 'power loss zeroes the register: counted from 0 after the reset',
    points: every15(100, 101, 0.5, 1.5), options: { maxRatePerHour: 10 }, expected: [[1], [0.5, 'reset'], [1]],
  },
  {
    name: 'meter replaced by a new one starting at 0 (no rate limit: Prometheus convention)',
    points: every15(5000, 5001, 0.2, 0.9), expected: [[1], [0.2, 'reset'], [0.7]],
  },
  {
    name: 'meter replaced by a used one with a non-zero start: unknown, 0 counted',
    points: every15(5000, 5001, 300, 301), options: { maxRatePerHour: 10 }, expected: [[1], [0, 'reset'], [1]],
  },
  {
    name: 'uint16 tip counter wraps at 65536',
    points: every15(65530, 65535, 3, 10), options: { wrapAt: 65536, maxRatePerHour: 100 }, expected: [[5], [4, 'wrap'], [7]],
  },
  {
    name: 'a drop by less than half the range is a reset, not a wrap',
    points: every15(40000, 40010, 30000), options: { wrapAt: 65536 }, expected: [[10], [30000, 'reset']],
  },
  {
    name: 'without a rate limit, a drop by more than half the range is taken for a wrap',
    points: every15(40000, 40010, 5), options: { wrapAt: 65536 }, expected: [[10], [25531, 'wrap']],
  },
  {
    name: 'with one, a wrap that would be too fast is a reset, counted from 0',
    points: every15(40000, 40010, 5), options: { wrapAt: 65536, maxRatePerHour: 100 }, expected: [[10], [5, 'reset']],
  },
  {
    name: 'wrapped increment faster than the rate limit: a reset',
    points: every15(65000, 65010, 500), options: { wrapAt: 65536, maxRatePerHour: 100 }, expected: [[10], [0, 'reset']],
  },
  {
    name: 'gap longer than maxGapMs: increment kept and flagged',
    points: [[T, 10], [T + 15 * M, 11], [T + 8 * 60 * M, 19], [T + 8 * 60 * M + 15 * M, 20]],
    options: { maxGapMs: 2 * 60 * M }, expected: [[1], [8, 'gap'], [1]],
  },
  {
    name: 'implausible jump confirmed by the next reading: excluded, new level kept',
    points: every15(100, 101, 900, 901), options: { maxRatePerHour: 20 }, expected: [[1], [0, 'implausible'], [1]],
  },
  {
    name: 'lone spike (garbled read): dropped, counted across',
    points: every15(100, 101, 99999, 102, 103), options: { maxRatePerHour: 20 }, expected: [[1], [1, 'implausible'], [1]],
  },
  {
    name: 'lone dip to 0 (a bad read, not a reset): dropped, counted across',
    points: every15(100, 101, 0, 102, 103), expected: [[1], [1, 'implausible'], [1]],
  },
  {
    name: 'jitter: a tiny drop is noise, the higher reading stays the baseline',
    points: every15(100, 100.25, 100.125, 100.5), options: { jitter: 0.25 }, expected: [[0.25], [0], [0.25]],
  },
  {
    name: 'without jitter the same tiny drop is a reset',
    points: every15(100, 100.25, 100.125), expected: [[0.25], [100.125, 'reset']],
  },
  {
    name: 'duplicates and out-of-order readings are ignored (first of a timestamp wins)',
    points: [[T, 10], [T, 99], [T + 15 * M, 11], [T + 5 * M, 10.5], [T + 15 * M, 11], [T + 30 * M, 12]],
    expected: [[1], [1]],
  },
  {
    name: 'non-finite values are ignored',
    points: [[T, 10], [T + 15 * M, Number.NaN], [T + 30 * M, 12]], expected: [[2]],
  },
  {
    name: 'reset across a gap: both flags',
    points: [[T, 5000], [T + 10 * 60 * M, 3]], options: { maxGapMs: 60 * M, maxRatePerHour: 10 }, expected: [[3, 'reset', 'gap']],
  },
];

describe('counterIncrements', () => {
  it.each(cases)('$name', ({ points, options, expected }) => {
    const got = counterIncrements(points, options);
    expect(got.map((g) => [g.increment, ...g.flags])).toEqual(expected);
  });

  it('intervals run between accepted readings; a dropped lone reading is spanned', () => {
    const got = counterIncrements(every15(100, 101, 99999, 102), { maxRatePerHour: 20 });
    expect(got.map((g) => [g.from, g.to])).toEqual([[T, T + 15 * M], [T + 15 * M, T + 45 * M]]);
  });

  it('reports what an implausible jump would have added', () => {
    const [, jump] = counterIncrements(every15(100, 101, 900, 901), { maxRatePerHour: 20 });
    expect(jump).toEqual({ from: T + 15 * M, to: T + 30 * M, increment: 0, excluded: 799, flags: ['implausible'] });
  });

  it('the total over a month of a replaced meter is old usage plus new usage', () => {
    // Old meter 12000 → 12500 over the month's first half, replaced, new meter 0 → 480.
    const points: Array<[number, number]> = [];
    for (let i = 0; i <= 100; i++) points.push([T + i * 60 * M, 12000 + i * 5]);
    for (let i = 1; i <= 96; i++) points.push([T + (100 + i) * 60 * M, i * 5]);
    const total = counterIncrements(points, { maxRatePerHour: 25 }).reduce((sum, g) => sum + g.increment, 0);
    expect(total).toBe(500 + 480);
  });
});
