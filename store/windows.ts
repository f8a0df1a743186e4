// Folding time-ordered points into epoch-aligned windows (mean/min/max/last), the
// way InfluxQL's GROUP BY time() does, for stores without a server to do it.
import type { Aggregate } from './types.js';

/** Start of the window holding `ts`: floor(ts / w) * w, also right for negative ts. */
export function windowStart(ts: number, windowMs: number): number {
  return ts - (((ts % windowMs) + windowMs) % windowMs);
}

interface Accumulator {
  start: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

function result(acc: Accumulator, aggregate: Aggregate): [number, number] {
  switch (aggregate) {
    // Plain left-to-right summation in time order, as InfluxDB's mean reducer does,
    // so both stores give the same last digit (SQLite's avg() compensates rounding).
    case 'mean': return [acc.start, acc.sum / acc.count];
    case 'min': return [acc.start, acc.min];
    case 'max': return [acc.start, acc.max];
    case 'last': return [acc.start, acc.last];
  }
}

/**
 * Aggregates points given in ascending time into windows, stopping after `limit`
 * windows. Empty windows are left out (InfluxQL fill(none)).
 */
export function aggregateWindows(
  points: Iterable<readonly [number, number]>,
  windowMs: number,
  aggregate: Aggregate,
  limit = Number.POSITIVE_INFINITY,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let acc: Accumulator | undefined;
  for (const [ts, value] of points) {
    const start = windowStart(ts, windowMs);
    if (acc && acc.start !== start) {
      out.push(result(acc, aggregate));
      acc = undefined;
      if (out.length >= limit) return out;
    }
    if (!acc) {
      acc = { start, count: 1, sum: value, min: value, max: value, last: value };
    } else {
      acc.count += 1;
      acc.sum += value;
      if (value < acc.min) acc.min = value;
      if (value > acc.max) acc.max = value;
      acc.last = value;
    }
  }
  if (acc && out.length < limit) out.push(result(acc, aggregate));
  return out;
}
