// Averaging of air readings the way GB 3095 / HJ 663 define it: 1-minute means → hourly
// means (with the minutes that had data), then 8-hour and 24-hour moving means, daily
// means and daily maxima over the valid hours. Pure; each statistic says how much data it
// stood on, and report.ts judges that against the validity rules.

export const HOUR_MS = 3_600_000;

export interface HourValue {
  /** Mean of the hour's slot means (time-weighted: each slot with data counts once). */
  mean: number;
  /** Minutes of the hour covered by slots that held at least one sample. */
  minutes: number;
}

/** Hourly values keyed by the hour's start (ms); the hour [start, start + 1 h). */
export type HourTable = Map<number, HourValue>;

/** Several series of one pollutant (e.g. two sensors at a site) as one: per slot, the mean of the series that have it. */
export function mergeSeries(series: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Array<[number, number]> {
  if (series.length === 1) return series[0]!.map(([ts, v]) => [ts, v]);
  const bySlot = new Map<number, { sum: number; count: number }>();
  for (const points of series) {
    for (const [ts, value] of points) {
      const acc = bySlot.get(ts) ?? { sum: 0, count: 0 };
      acc.sum += value;
      acc.count += 1;
      bySlot.set(ts, acc);
    }
  }
  return [...bySlot].sort((a, b) => a[0] - b[0]).map(([ts, { sum, count }]) => [ts, sum / count]);
}

/** Slot means (slots aligned to the epoch, as the store's windows are) → hourly values. */
export function hourTable(slots: ReadonlyArray<readonly [number, number]>, slotMinutes = 1): HourTable {
  const sums = new Map<number, { sum: number; slots: number }>();
  for (const [ts, value] of slots) {
    const start = ts - (((ts % HOUR_MS) + HOUR_MS) % HOUR_MS);
    const acc = sums.get(start) ?? { sum: 0, slots: 0 };
    acc.sum += value;
    acc.slots += 1;
    sums.set(start, acc);
  }
  return new Map([...sums].map(([start, { sum, slots: n }]) => [start, { mean: sum / n, minutes: n * slotMinutes }]));
}

/** A statistic and the data it rests on: `have` units (minutes, hours, 8-hour means) out of `of`. */
export interface StatValue {
  /** null when there was no valid input at all. */
  value: number | null;
  have: number;
  of: number;
}

/** The hour ending at `end`: its mean, and its minutes with data. */
export function hourStat(table: HourTable, end: number): StatValue {
  const hour = table.get(end - HOUR_MS);
  return { value: hour?.mean ?? null, have: hour?.minutes ?? 0, of: 60 };
}

/** Means of the valid hours (≥ `minMinutes`) starting in [from, to), oldest first. */
export function validHours(table: HourTable, from: number, to: number, minMinutes: number): number[] {
  const out: number[] = [];
  for (let start = from; start < to; start += HOUR_MS) {
    const hour = table.get(start);
    if (hour && hour.minutes >= minMinutes) out.push(hour.mean);
  }
  return out;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Mean of the valid hourly values of the `hours` hours ending at `end` (a moving mean labelled by its last hour). */
export function movingMean(table: HourTable, end: number, hours: number, minMinutes: number): StatValue {
  const values = validHours(table, end - hours * HOUR_MS, end, minMinutes);
  return { value: values.length ? mean(values) : null, have: values.length, of: hours };
}

/** The largest valid hourly value of [dayStart, dayStart + 24 h). */
export function dailyMax1h(table: HourTable, dayStart: number, minMinutes: number): StatValue {
  const values = validHours(table, dayStart, dayStart + 24 * HOUR_MS, minMinutes);
  return { value: values.length ? Math.max(...values) : null, have: values.length, of: 24 };
}

/**
 * The largest valid 8-hour moving mean ending 08:00 … 24:00 of the day (17 of them, all
 * inside the day), each needing `min8hHours` valid hours (HJ 663).
 */
export function dailyMax8h(table: HourTable, dayStart: number, minMinutes: number, min8hHours: number): StatValue {
  const values: number[] = [];
  for (let end = dayStart + 8 * HOUR_MS; end <= dayStart + 24 * HOUR_MS; end += HOUR_MS) {
    const window = movingMean(table, end, 8, minMinutes);
    if (window.have >= min8hHours) values.push(window.value!);
  }
  return { value: values.length ? Math.max(...values) : null, have: values.length, of: 17 };
}
