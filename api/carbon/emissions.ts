// Emissions from counter readings: increments (lib/counter-increments.ts) spread over
// calendar buckets (lib/calendar-buckets.ts), times a per-unit factor of a factor set,
// per source, per site and in total, split by scope. Pure, so the numbers are tested with
// tables and always come out the same for the same readings and factor set.
//
// Rounding, the one rule that makes reports reproducible: each bucket's activity is
// rounded to 3 decimals (half up on the exact binary value, as Number#toFixed does), its
// CO2 is that rounded activity × the per-unit factor (8 significant digits), rounded to
// 3 decimals of a kg. Totals add the rounded bucket figures in whole thousandths (exact
// integer sums), so a CSV column sums to the total shown.
import { allocateToBuckets, type CalendarBucket } from '../../lib/calendar-buckets.js';
import { COUNTER_FLAGS, counterIncrements, type CounterFlag } from '../../lib/counter-increments.js';
import { unitFactor, type FactorSet, type UnitFactor } from './factor-sets.js';
import type { ResolvedSource, StoredField } from './sources.js';

/** Counter flags, plus 'incomplete': readings do not cover the whole bucket. */
export type QualityFlag = CounterFlag | 'incomplete';
export const QUALITY_FLAGS: readonly QualityFlag[] = [...COUNTER_FLAGS, 'incomplete'];

export interface SourceReadings {
  key: StoredField;
  source: ResolvedSource;
  /** [ts, value] in ascending time, from a little before the first bucket to a little after the last. */
  points: ReadonlyArray<readonly [number, number]>;
  /** How the points were read: "raw", or e.g. "300s" for the last reading of each 300 s window. */
  resolution: string;
}

export interface SourceBucket extends CalendarBucket {
  /** Activity in the source's unit; null when no reading interval touches the bucket. */
  activity: number | null;
  co2Kg: number | null;
  /** Share of the bucket covered by intervals between readings, 0–1 (4 decimals). */
  coverage: number;
  /** Activity the readings show but that was excluded as implausible. */
  excludedActivity: number;
  flags: QualityFlag[];
}

export interface SourceReport extends StoredField {
  kind: string;
  unit: string;
  scope: 1 | 2;
  factor: UnitFactor;
  resolution: string;
  buckets: SourceBucket[];
  totals: { activity: number; co2Kg: number };
}

export interface SiteBucket extends CalendarBucket {
  scope1Kg: number | null;
  scope2Kg: number | null;
  totalKg: number | null;
  activity: Array<{ kind: string; unit: string; amount: number }>;
  flags: QualityFlag[];
}

export interface SiteReport {
  site: string;
  buckets: SiteBucket[];
  totals: { scope1Kg: number; scope2Kg: number; totalKg: number };
}

export interface EmissionsReport {
  sources: SourceReport[];
  sites: SiteReport[];
  totals: { scope1Kg: number; scope2Kg: number; totalKg: number; totalTCO2: number };
}

/** Half-up rounding of the exact binary value to `decimals` places. */
export function roundTo(value: number, decimals: number): number {
  const rounded = Number(value.toFixed(decimals));
  return rounded === 0 ? 0 : rounded; // no "-0" in reports
}

/** Exact sums of 3-decimal figures: add whole thousandths. */
const milli = (value: number) => Math.round(value * 1000);
const fromMilli = (thousandths: number) => thousandths / 1000;

function orderedFlags(flags: Iterable<QualityFlag>): QualityFlag[] {
  const set = new Set(flags);
  return QUALITY_FLAGS.filter((flag) => set.has(flag));
}

export class MissingFactorError extends Error {
  override readonly name = 'MissingFactorError';
}

/** One source's buckets. Throws MissingFactorError if the set has no factor for its kind and unit. */
export function sourceReport(readings: SourceReadings, buckets: readonly CalendarBucket[], set: FactorSet, grid: string): SourceReport {
  const { key, source } = readings;
  const factor = unitFactor(set, grid, source.kind, source.unit);
  if (typeof factor === 'string') throw new MissingFactorError(`${key.site}/${key.device}/${key.field}: ${factor}`);
  const increments = counterIncrements(readings.points, {
    wrapAt: source.wrapAt, maxGapMs: source.maxGapMs, maxRatePerHour: source.maxRatePerHour, jitter: source.jitter,
  });
  let activityMilli = 0;
  let co2Milli = 0;
  const out = allocateToBuckets(increments, buckets).map((bucket): SourceBucket => {
    const coverage = roundTo(bucket.coveredMs / (bucket.end - bucket.start), 4);
    const flags: QualityFlag[] = [...bucket.flags];
    if (bucket.coveredMs < bucket.end - bucket.start) flags.push('incomplete');
    const { start, end, label } = bucket;
    const excludedActivity = roundTo(bucket.excluded, 3);
    if (bucket.coveredMs === 0) return { start, end, label, activity: null, co2Kg: null, coverage, excludedActivity, flags };
    const activity = roundTo(bucket.amount, 3);
    const co2Kg = roundTo(activity * factor.kgCO2PerUnit, 3);
    activityMilli += milli(activity);
    co2Milli += milli(co2Kg);
    return { start, end, label, activity, co2Kg, coverage, excludedActivity, flags };
  });
  return {
    ...key, kind: source.kind, unit: source.unit, scope: source.scope, factor, resolution: readings.resolution,
    buckets: out, totals: { activity: fromMilli(activityMilli), co2Kg: fromMilli(co2Milli) },
  };
}

/** Per-site buckets by scope, from source reports (sites in name order). */
export function siteReports(sources: readonly SourceReport[], buckets: readonly CalendarBucket[]): SiteReport[] {
  const bySite = new Map<string, SourceReport[]>();
  for (const source of sources) bySite.set(source.site, [...(bySite.get(source.site) ?? []), source]);
  return [...bySite.keys()].sort().map((site) => {
    const members = bySite.get(site)!;
    const totals = { scope1: 0, scope2: 0 };
    const siteBuckets = buckets.map((bucket, i): SiteBucket => {
      const scoped = { scope1: 0, scope2: 0 };
      let any = false;
      const activity = new Map<string, { kind: string; unit: string; amount: number }>();
      const flags: QualityFlag[] = [];
      for (const source of members) {
        const b = source.buckets[i]!;
        flags.push(...b.flags);
        if (b.co2Kg === null || b.activity === null) continue;
        any = true;
        scoped[source.scope === 1 ? 'scope1' : 'scope2'] += milli(b.co2Kg);
        const key = `${source.kind} ${source.unit}`;
        const entry = activity.get(key) ?? { kind: source.kind, unit: source.unit, amount: 0 };
        entry.amount += milli(b.activity);
        activity.set(key, entry);
      }
      totals.scope1 += scoped.scope1;
      totals.scope2 += scoped.scope2;
      return {
        start: bucket.start, end: bucket.end, label: bucket.label,
        scope1Kg: any ? fromMilli(scoped.scope1) : null,
        scope2Kg: any ? fromMilli(scoped.scope2) : null,
        totalKg: any ? fromMilli(scoped.scope1 + scoped.scope2) : null,
        activity: [...activity.keys()].sort().map((k) => { const a = activity.get(k)!; return { ...a, amount: fromMilli(a.amount) }; }),
        flags: orderedFlags(flags),
      };
    });
    return { site, buckets: siteBuckets, totals: { scope1Kg: fromMilli(totals.scope1), scope2Kg: fromMilli(totals.scope2), totalKg: fromMilli(totals.scope1 + totals.scope2) } };
  });
}

export function emissionsReport(readings: readonly SourceReadings[], buckets: readonly CalendarBucket[], set: FactorSet, grid: string): EmissionsReport {
  const sources = readings.map((r) => sourceReport(r, buckets, set, grid));
  const sites = siteReports(sources, buckets);
  const scope1 = sites.reduce((sum, s) => sum + milli(s.totals.scope1Kg), 0);
  const scope2 = sites.reduce((sum, s) => sum + milli(s.totals.scope2Kg), 0);
  return {
    sources, sites,
    totals: { scope1Kg: fromMilli(scope1), scope2Kg: fromMilli(scope2), totalKg: fromMilli(scope1 + scope2), totalTCO2: (scope1 + scope2) / 1_000_000 },
  };
}
