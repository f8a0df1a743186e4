// Calendar buckets (hour, day, month) in a fixed-offset local time, and the allocation of
// counter increments (lib/counter-increments.ts) to them pro rata by time. Pure.
//
// Only fixed UTC offsets: Tongjiang keeps China Standard Time (Asia/Shanghai, UTC+8, no
// daylight saving since 1991), so a day is always 24 h and local midnight is 16:00 UTC.
// A zone with daylight saving would need its offset per instant; none is needed here.
import { COUNTER_FLAGS, type CounterFlag, type CounterIncrement } from './counter-increments.js';

export type CalendarUnit = 'hour' | 'day' | 'month';

/** China Standard Time, the zone of Tongjiang's days and months. */
export const CHINA_UTC_OFFSET_MINUTES = 480;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface CalendarBucket {
  /** Local start, ms since the epoch (inclusive). */
  start: number;
  /** Next bucket's start (exclusive). */
  end: number;
  /** Local calendar name: "2026-03-01T05" (hour), "2026-03-01" (day), "2026-03" (month). */
  label: string;
}

/** Start of the bucket holding `ts`. */
export function bucketStart(ts: number, unit: CalendarUnit, utcOffsetMinutes: number): number {
  const offset = utcOffsetMinutes * MINUTE_MS;
  const local = ts + offset;
  switch (unit) {
    case 'hour':
      return Math.floor(local / HOUR_MS) * HOUR_MS - offset;
    case 'day':
      return Math.floor(local / DAY_MS) * DAY_MS - offset;
    case 'month': {
      const date = new Date(local);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) - offset;
    }
  }
}

/** Start of the bucket after the one starting at `start`. */
export function nextBucketStart(start: number, unit: CalendarUnit, utcOffsetMinutes: number): number {
  switch (unit) {
    case 'hour':
      return start + HOUR_MS;
    case 'day':
      return start + DAY_MS;
    case 'month': {
      const offset = utcOffsetMinutes * MINUTE_MS;
      const date = new Date(start + offset);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - offset;
    }
  }
}

export function bucketLabel(start: number, unit: CalendarUnit, utcOffsetMinutes: number): string {
  const iso = new Date(start + utcOffsetMinutes * MINUTE_MS).toISOString();
  return unit === 'month' ? iso.slice(0, 7) : unit === 'day' ? iso.slice(0, 10) : iso.slice(0, 13);
}

/** The buckets covering [from, to), widened outward to whole buckets. */
export function calendarBuckets(from: number, to: number, unit: CalendarUnit, utcOffsetMinutes: number): CalendarBucket[] {
  const buckets: CalendarBucket[] = [];
  for (let start = bucketStart(from, unit, utcOffsetMinutes); start < to;) {
    const end = nextBucketStart(start, unit, utcOffsetMinutes);
    buckets.push({ start, end, label: bucketLabel(start, unit, utcOffsetMinutes) });
    start = end;
  }
  return buckets;
}

/** "+08:00" for 480. */
export function formatUtcOffset(utcOffsetMinutes: number): string {
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export interface AllocatedBucket extends CalendarBucket {
  /** Sum of the increments' shares in this bucket. */
  amount: number;
  /** Sum of the excluded (implausible) rises' shares. */
  excluded: number;
  /** Time of the bucket covered by intervals between readings; bucket length when fully covered. */
  coveredMs: number;
  /** Flags of every interval overlapping the bucket, in COUNTER_FLAGS order. */
  flags: CounterFlag[];
}

/**
 * Spreads each increment over the buckets its interval overlaps, in proportion to the
 * overlap: an interval from 23:45 to 00:15 gives half to each day. An interval wholly
 * inside a bucket gives it all of its increment, exactly (no multiply-divide rounding).
 * Increments outside every bucket are left out; buckets are assumed sorted and adjacent,
 * increments sorted by time (as counterIncrements returns them). Sums run in time order,
 * so the same input always gives the same floating-point result.
 */
export function allocateToBuckets(increments: readonly CounterIncrement[], buckets: readonly CalendarBucket[]): AllocatedBucket[] {
  const out = buckets.map((bucket) => ({ ...bucket, amount: 0, excluded: 0, coveredMs: 0, flagSet: new Set<CounterFlag>() }));
  let first = 0; // first bucket that can still overlap (increments are in time order)
  for (const interval of increments) {
    const length = interval.to - interval.from;
    while (first < out.length && out[first]!.end <= interval.from) first++;
    for (let i = first; i < out.length && out[i]!.start < interval.to; i++) {
      const bucket = out[i]!;
      const overlap = Math.min(interval.to, bucket.end) - Math.max(interval.from, bucket.start);
      if (overlap <= 0) continue;
      const whole = overlap === length;
      bucket.amount += whole ? interval.increment : (interval.increment * overlap) / length;
      bucket.excluded += whole ? interval.excluded : (interval.excluded * overlap) / length;
      bucket.coveredMs += overlap;
      for (const flag of interval.flags) bucket.flagSet.add(flag);
    }
  }
  return out.map(({ flagSet, ...bucket }) => ({ ...bucket, flags: COUNTER_FLAGS.filter((flag) => flagSet.has(flag)) }));
}
