// The ecology summary of one device's quantity (water level, soil moisture, dose rate):
// latest value, 24-hour min/mean/max from 1-minute windows, and the deviation from its
// configured baseline (converted to the reading's unit when they differ). Pure.
import quantitiesData from './data/summary-quantities.json' with { type: 'json' };
import { z } from 'zod';
import type { BaselineEntry } from './baselines.js';

export const quantitySchema = z.strictObject({
  measurement: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  field: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  unit: z.string().min(1),
  name: z.strictObject({ zh: z.string().min(1), en: z.string().min(1) }),
  note: z.string().min(1).optional(),
});
export type Quantity = z.infer<typeof quantitySchema>;

export const QUANTITIES: Quantity[] = z.strictObject({ source: z.string().min(1), quantities: z.array(quantitySchema).min(1) })
  .parse(quantitiesData).quantities;

// Units a baseline may be written in, as a factor to a base unit of their dimension.
// Both micro signs (U+00B5 as in the profiles, U+03BC) and "u" are accepted.
const UNITS: Record<string, { dimension: string; factor: number }> = {
  mm: { dimension: 'length', factor: 0.001 },
  cm: { dimension: 'length', factor: 0.01 },
  m: { dimension: 'length', factor: 1 },
  'nSv/h': { dimension: 'dose rate', factor: 0.001 },
  'µSv/h': { dimension: 'dose rate', factor: 1 },
  'μSv/h': { dimension: 'dose rate', factor: 1 },
  'uSv/h': { dimension: 'dose rate', factor: 1 },
  'mSv/h': { dimension: 'dose rate', factor: 1000 },
  '%': { dimension: 'fraction', factor: 1 },
};

/** `value` in `from` expressed in `to`; undefined when either unit is unknown or they measure different things. */
export function convertUnit(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  const a = UNITS[from];
  const b = UNITS[to];
  if (!a || !b || a.dimension !== b.dimension) return undefined;
  // Round away the binary noise of the factors (0.1 m → 100 mm, not 100.00000000000001).
  return Number(((value * a.factor) / b.factor).toPrecision(12));
}

export interface SeriesWindowStats {
  /** 1-minute window means, mins, maxes of the 24 hours (window start, value). */
  mean: Array<[number, number]>;
  min: Array<[number, number]>;
  max: Array<[number, number]>;
}

export interface LatestValue { ts: number; value: number }

export interface Deviation {
  /** reading − baseline, in the reading's unit. */
  absolute: number;
  /** (reading − baseline) / baseline × 100; null when the baseline is 0. */
  percent: number | null;
}

export interface SummaryEntry {
  gateway: string;
  device: string;
  profile: string;
  measurement: string;
  field: string;
  quantity: { zh: string; en: string };
  unit: string;
  latest: { value: number; ts: number; time: string; ageSeconds: number } | null;
  last24h: { from: string; to: string; min: number; mean: number; max: number; minutesWithData: number; minutes: number } | null;
  baseline: { value: number; unit: string; valueInReadingUnit: number | null; source: string; note: string | null; appliesTo: { site: string; gateway: string | null; device: string | null } } | null;
  deviation: { latest: Deviation | null; mean24h: Deviation | null } | null;
  notes: string[];
}

export interface SummaryInput {
  quantity: Quantity;
  series: { site: string; gateway: string; device: string; profile: string };
  /** The last reading at or before `at` (any age), if any. */
  latest: LatestValue | undefined;
  windows: SeriesWindowStats;
  baseline: BaselineEntry | undefined;
  at: number;
  windowMs: number;
}

const round = (value: number) => Number(value.toPrecision(10));

function deviation(value: number, baseline: number): Deviation {
  return { absolute: round(value - baseline), percent: baseline === 0 ? null : round(((value - baseline) / baseline) * 100) };
}

export function summarize(input: SummaryInput): SummaryEntry {
  const { quantity, series, latest, windows, baseline, at, windowMs } = input;
  const notes: string[] = quantity.note ? [quantity.note] : [];
  const from = at - windowMs;
  let last24h: SummaryEntry['last24h'] = null;
  if (windows.mean.length > 0) {
    // Time-weighted: each minute with data counts once, however many samples it held.
    const mean = windows.mean.reduce((sum, [, v]) => sum + v, 0) / windows.mean.length;
    last24h = {
      from: new Date(from).toISOString(), to: new Date(at).toISOString(),
      min: Math.min(...windows.min.map(([, v]) => v)),
      mean: round(mean),
      max: Math.max(...windows.max.map(([, v]) => v)),
      minutesWithData: windows.mean.length,
      minutes: Math.round(windowMs / 60_000),
    };
  } else {
    notes.push(`no reading in the ${Math.round(windowMs / 3_600_000)} hours before ${new Date(at).toISOString()}`);
  }
  const latestOut = latest ? { value: latest.value, ts: latest.ts, time: new Date(latest.ts).toISOString(), ageSeconds: Math.round((at - latest.ts) / 1000) } : null;
  if (!latest) notes.push('no reading at or before this time');

  let baselineOut: SummaryEntry['baseline'] = null;
  let deviationOut: SummaryEntry['deviation'] = null;
  if (!baseline) {
    notes.push(`no baseline configured for site ${series.site}, device ${series.device}, field ${quantity.field}: no deviation`);
  } else {
    const converted = convertUnit(baseline.value, baseline.unit, quantity.unit);
    baselineOut = {
      value: baseline.value, unit: baseline.unit, valueInReadingUnit: converted ?? null, source: baseline.source, note: baseline.note ?? null,
      appliesTo: { site: baseline.site, gateway: baseline.gateway ?? null, device: baseline.device ?? null },
    };
    if (converted === undefined) {
      notes.push(`baseline unit "${baseline.unit}" cannot be compared with the reading's unit "${quantity.unit}": no deviation`);
    } else {
      deviationOut = {
        latest: latest ? deviation(latest.value, converted) : null,
        mean24h: last24h ? deviation(last24h.mean, converted) : null,
      };
    }
  }
  return {
    gateway: series.gateway, device: series.device, profile: series.profile, measurement: quantity.measurement, field: quantity.field, quantity: quantity.name, unit: quantity.unit,
    latest: latestOut, last24h, baseline: baselineOut, deviation: deviationOut, notes,
  };
}
