import { describe, expect, it } from 'vitest';
import { allocateToBuckets, bucketLabel, bucketStart, calendarBuckets, CHINA_UTC_OFFSET_MINUTES as CST, formatUtcOffset, type CalendarUnit } from './calendar-buckets.js';
import type { CounterIncrement } from './counter-increments.js';

const H = 3_600_000;
/** Local (UTC+8) wall-clock time as ms since the epoch. */
const local = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) - 8 * H;

describe('calendar buckets in China Standard Time', () => {
  it.each<[string, number, CalendarUnit, number, string]>([
    ['00:00 local is the day start', local(2026, 3, 1), 'day', local(2026, 3, 1), '2026-03-01'],
    ['23:59 local is still that day (15:59 UTC)', local(2026, 3, 1, 23, 59), 'day', local(2026, 3, 1), '2026-03-01'],
    ['16:00 UTC is the next local day', Date.UTC(2026, 2, 1, 16), 'day', local(2026, 3, 2), '2026-03-02'],
    ['07:59 UTC on the 1st is still the 1st', Date.UTC(2026, 2, 1, 7, 59), 'day', local(2026, 3, 1), '2026-03-01'],
    ['month: 31 Jan 20:00 UTC is February local', Date.UTC(2026, 0, 31, 20), 'month', local(2026, 2, 1), '2026-02'],
    ['month: December rolls into the next year', local(2026, 12, 31, 23), 'month', local(2026, 12, 1), '2026-12'],
    ['hour', local(2026, 3, 1, 5, 30), 'hour', local(2026, 3, 1, 5), '2026-03-01T05'],
  ])('%s', (_name, ts, unit, start, label) => {
    expect(bucketStart(ts, unit, CST)).toBe(start);
    expect(bucketLabel(start, unit, CST)).toBe(label);
  });

  it('widens a range outward to whole buckets; months have their own lengths', () => {
    const months = calendarBuckets(local(2026, 1, 15), local(2026, 3, 2), 'month', CST);
    expect(months.map((b) => b.label)).toEqual(['2026-01', '2026-02', '2026-03']);
    expect(months.map((b) => (b.end - b.start) / (24 * H))).toEqual([31, 28, 31]);
    const days = calendarBuckets(local(2026, 3, 1, 12), local(2026, 3, 3), 'day', CST);
    expect(days.map((b) => b.label)).toEqual(['2026-03-01', '2026-03-02']);
  });

  it.each([[480, '+08:00'], [0, '+00:00'], [-210, '-03:30']])('offset %i → %s', (minutes, text) => {
    expect(formatUtcOffset(minutes)).toBe(text);
  });
});

describe('allocateToBuckets', () => {
  const days = calendarBuckets(local(2026, 3, 1), local(2026, 3, 3), 'day', CST);
  const inc = (from: number, to: number, increment: number, flags: CounterIncrement['flags'] = [], excluded = 0): CounterIncrement => ({ from, to, increment, excluded, flags });

  it.each<[string, CounterIncrement[], Array<[number, number, string[]]>]>([
    ['an interval inside a day gives it everything', [inc(local(2026, 3, 1, 1), local(2026, 3, 1, 2), 0.7)], [[0.7, H, []], [0, 0, []]]],
    ['23:45 → 00:15 across local midnight: half each', [inc(local(2026, 3, 1, 23, 45), local(2026, 3, 2, 0, 15), 1)], [[0.5, H / 4, []], [0.5, H / 4, []]]],
    ['an interval ending exactly at midnight stays in its day', [inc(local(2026, 3, 1, 23, 45), local(2026, 3, 2), 2)], [[2, H / 4, []], [0, 0, []]]],
    ['an 8 h gap 20:00 → 04:00: spread by time, flagged on both days', [inc(local(2026, 3, 1, 20), local(2026, 3, 2, 4), 8, ['gap'])], [[4, 4 * H, ['gap']], [4, 4 * H, ['gap']]]],
    ['midnight in UTC (08:00 local) is no boundary', [inc(Date.UTC(2026, 2, 1, 23), Date.UTC(2026, 2, 2, 1), 3)], [[0, 0, []], [3, 2 * H, []]]],
    ['outside the buckets: left out', [inc(local(2026, 2, 28, 12), local(2026, 2, 28, 13), 5), inc(local(2026, 3, 3, 1), local(2026, 3, 3, 2), 5)], [[0, 0, []], [0, 0, []]]],
    ['straddling the range start: only the inside share', [inc(local(2026, 2, 28, 23), local(2026, 3, 1, 1), 4, ['reset'])], [[2, H, ['reset']], [0, 0, []]]],
  ])('%s', (_name, increments, expected) => {
    const got = allocateToBuckets(increments, days);
    expect(got.map((b) => [b.amount, b.coveredMs, b.flags])).toEqual(expected);
  });

  it('shares excluded rises the same way', () => {
    const [first, second] = allocateToBuckets([inc(local(2026, 3, 1, 22), local(2026, 3, 2, 2), 0, ['implausible'], 800)], days);
    expect([first!.excluded, second!.excluded]).toEqual([400, 400]);
  });

  it('flags are listed once, in canonical order', () => {
    const [day] = allocateToBuckets([
      inc(local(2026, 3, 1, 1), local(2026, 3, 1, 2), 1, ['gap']),
      inc(local(2026, 3, 1, 2), local(2026, 3, 1, 3), 1, ['implausible']),
      inc(local(2026, 3, 1, 3), local(2026, 3, 1, 4), 1, ['reset', 'gap']),
    ], days);
    expect(day!.flags).toEqual(['reset', 'gap', 'implausible']);
  });
});
