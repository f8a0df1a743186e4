// Increments of a cumulative counter (an energy meter's kWh register, a flow meter's
// totaliser, a rain gauge's tip count) from its readings, with the ways real counters go
// wrong made visible instead of smoothed over. Pure: used by carbon accounting
// (api/carbon) and by alarm rules on counters (rain per hour), tested with tables of cases.
//
// What each case becomes (every interval is [from, to) between two accepted readings):
//
// - duplicate or out-of-order reading (ts not after the last accepted one): ignored, the
//   first reading of a timestamp wins. A non-finite value is ignored too.
// - normal rise: increment = difference.
// - small drop (≤ `jitter`): read noise, increment 0; the higher reading stays the
//   baseline so the next rise is not counted twice.
// - lone bad reading (a spike up beyond `maxRatePerHour`, or a dip below the baseline,
//   whose *next* reading continues plausibly from the baseline): the reading is dropped and
//   the interval across it is counted from baseline to next and flagged 'implausible'.
// - wrap-around (`wrapAt` given, the drop is more than half the range and the wrapped
//   increment is plausible): increment = wrapAt − previous + value, flagged 'wrap'.
// - reset (any other drop: power loss that zeroes the register, meter replaced): flagged
//   'reset'. If the new value could have been counted from 0 within the interval (it is
//   ≥ 0 and within `maxRatePerHour`, or no rate limit is given — Prometheus' convention),
//   the increment is the new value; otherwise (a replacement meter that starts at a
//   non-zero reading) the increment is 0, because what was used between the last old and
//   first new reading is unknown.
// - implausible jump (faster than `maxRatePerHour`, and the next reading confirms the new
//   level): excluded — increment 0, the jump reported in `excluded`, flagged 'implausible';
//   the new level becomes the baseline.
// - gap (interval longer than `maxGapMs`): the increment is KEPT and flagged 'gap'. A
//   counter keeps counting while nobody reads it, so the total across a gap is right; only
//   when within the gap it was used is unknown. Callers that spread it over time (as
//   allocateToBuckets in lib/calendar-buckets.ts does, pro rata) or refuse it can decide,
//   by the flag.

export type CounterFlag = 'reset' | 'wrap' | 'gap' | 'implausible';

/** Canonical order of flags in outputs, so the same data always prints the same way. */
export const COUNTER_FLAGS: readonly CounterFlag[] = ['reset', 'wrap', 'gap', 'implausible'];

export interface CounterIncrementOptions {
  /**
   * The counter's modulus: after wrapAt − 1 it continues at 0 (65536 for a uint16 tip
   * counter, 2 ** 32 for a uint32 register). Without it every drop is a reset.
   */
  wrapAt?: number;
  /** Intervals longer than this are flagged 'gap' (their increment is kept). */
  maxGapMs?: number;
  /**
   * Largest believable rate in counter units per hour (e.g. a meter's rated power in kW
   * for a kWh register). Faster rises are 'implausible'; it also tells wraps and restarts
   * from 0 apart from other drops. Without it no rise is implausible.
   */
  maxRatePerHour?: number;
  /** Drops no larger than this are read noise, not resets (default 0). */
  jitter?: number;
}

export interface CounterIncrement {
  /** Time of the earlier reading, ms since the epoch. */
  from: number;
  /** Time of the later reading (exclusive end of the interval). */
  to: number;
  /** What the counter counted over [from, to): ≥ 0, and 0 when excluded. */
  increment: number;
  /** A rise the readings show but that was not counted because it is implausible (else 0). */
  excluded: number;
  /** In COUNTER_FLAGS order, no repeats. */
  flags: CounterFlag[];
}

const HOUR_MS = 3_600_000;

interface Reading { ts: number; value: number }

/** Readings with strictly increasing time: drops non-finite values, duplicates and out-of-order ones. */
function acceptedReadings(points: ReadonlyArray<readonly [number, number]>): Reading[] {
  const kept: Reading[] = [];
  for (const [ts, value] of points) {
    if (!Number.isFinite(ts) || !Number.isFinite(value)) continue;
    const last = kept[kept.length - 1];
    if (last !== undefined && ts <= last.ts) continue;
    kept.push({ ts, value });
  }
  return kept;
}

function ordered(flags: Set<CounterFlag>): CounterFlag[] {
  return COUNTER_FLAGS.filter((flag) => flags.has(flag));
}

/** The increments between consecutive readings of a cumulative counter (see the file header for the rules). */
export function counterIncrements(points: ReadonlyArray<readonly [number, number]>, options: CounterIncrementOptions = {}): CounterIncrement[] {
  const { wrapAt, maxGapMs, maxRatePerHour } = options;
  const jitter = options.jitter ?? 0;
  const plausible = (amount: number, ms: number) => maxRatePerHour === undefined || amount <= (maxRatePerHour * ms) / HOUR_MS;
  /** A rise (or jitter-sized drop) from `base` to `reading` that needs no explanation. */
  const continues = (base: Reading, reading: Reading) => reading.value - base.value >= -jitter && plausible(reading.value - base.value, reading.ts - base.ts);

  const readings = acceptedReadings(points);
  const out: CounterIncrement[] = [];
  let base = readings[0];
  let carried = new Set<CounterFlag>(); // 'implausible' from a dropped lone reading, for the interval across it
  for (let i = 1; i < readings.length && base !== undefined; i++) {
    const reading = readings[i]!;
    const next = readings[i + 1];
    const ms = reading.ts - base.ts;
    const delta = reading.value - base.value;
    const flags = carried;
    carried = new Set();

    if (!continues(base, reading) && next !== undefined && continues(base, next)) {
      // One bad reading between two that agree: drop it, count across it.
      flags.add('implausible');
      carried = flags;
      continue;
    }

    let increment = 0;
    let excluded = 0;
    let newBase: Reading = reading;
    if (delta >= 0) {
      if (plausible(delta, ms)) {
        increment = delta;
      } else {
        flags.add('implausible');
        excluded = delta;
      }
    } else if (-delta <= jitter) {
      newBase = { ts: reading.ts, value: base.value };
    } else {
      const wrapped = wrapAt === undefined ? undefined : wrapAt - base.value + reading.value;
      if (wrapped !== undefined && wrapAt !== undefined && wrapped >= 0 && wrapped <= wrapAt / 2 && plausible(wrapped, ms)) {
        flags.add('wrap');
        increment = wrapped;
      } else {
        flags.add('reset');
        if (reading.value >= 0 && plausible(reading.value, ms)) increment = reading.value;
      }
    }
    if (maxGapMs !== undefined && ms > maxGapMs) flags.add('gap');
    out.push({ from: base.ts, to: reading.ts, increment, excluded, flags: ordered(flags) });
    base = newBase;
  }
  return out;
}
