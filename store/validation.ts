// Checks shared by both stores, so a batch or query that one store refuses the other
// refuses too (the conformance suite relies on it). Writes are held to the protocol's
// name rules: the names become InfluxDB identifiers and SQLite keys.
import { fieldNameSchema, ID_PATTERN, measurementSchema, MIN_TIMESTAMP_MS, profileNameSchema } from '../protocol/index.js';
import { RejectedWriteError, type HistoryQuery, type SeriesFilter, type StoredSample } from './types.js';

/**
 * Latest sample time either store accepts: InfluxDB keeps int64 nanoseconds, and a
 * query bound one ms later (MAX + 1) must still fit (2262-04-11).
 */
export const MAX_TIMESTAMP_MS = 9_223_372_036_853;

/** InfluxDB refuses a field called `time` (HTTP 400), so neither store accepts it. */
const RESERVED_FIELD_NAMES = new Set(['time']);

function describeSample(sample: StoredSample, index: number): string {
  return `sample ${index} (${sample.measurement}/${sample.site}/${sample.gateway}/${sample.device} at ${sample.ts})`;
}

/**
 * Names that passed the checks below, so each is checked once rather than once per
 * sample: ingest writes the same series and fields over and over. Bounded.
 */
const MAX_REMEMBERED_NAMES = 10_000;
const validSeries = new Set<string>();
const validFieldNames = new Set<string>();

function remember(set: Set<string>, name: string): void {
  if (set.size >= MAX_REMEMBERED_NAMES) set.clear();
  set.add(name);
}

/** Throws RejectedWriteError naming the first sample that no store could keep as it is. */
export function assertWritableSamples(samples: readonly StoredSample[]): void {
  samples.forEach((sample, index) => {
    const problem = findSampleProblem(sample);
    if (problem) throw new RejectedWriteError(`${describeSample(sample, index)}: ${problem}`);
  });
}

function findSeriesProblem(sample: StoredSample): string | undefined {
  if (!measurementSchema.safeParse(sample.measurement).success) return `invalid measurement name "${sample.measurement}"`;
  for (const tag of ['site', 'gateway', 'device'] as const) {
    if (!ID_PATTERN.test(sample[tag])) return `invalid ${tag} id "${sample[tag]}"`;
  }
  if (!profileNameSchema.safeParse(sample.profile).success) return `invalid profile name "${sample.profile}"`;
  return undefined;
}

function findSampleProblem(sample: StoredSample): string | undefined {
  const series = `${sample.measurement}\0${sample.site}\0${sample.gateway}\0${sample.device}\0${sample.profile}`;
  if (!validSeries.has(series)) {
    const problem = findSeriesProblem(sample);
    if (problem) return problem;
    remember(validSeries, series);
  }
  if (!Number.isSafeInteger(sample.ts) || sample.ts < MIN_TIMESTAMP_MS || sample.ts > MAX_TIMESTAMP_MS) {
    return `timestamp ${sample.ts} is not integer milliseconds between ${MIN_TIMESTAMP_MS} and ${MAX_TIMESTAMP_MS}`;
  }
  if (!Number.isSafeInteger(sample.seq) || sample.seq < 0) return `seq ${sample.seq} is not a non-negative integer`;
  if (sample.quality !== undefined && !['good', 'uncertain', 'bad'].includes(sample.quality)) {
    return `invalid quality "${String(sample.quality)}"`;
  }
  let fields = 0;
  for (const field in sample.values) {
    fields++;
    const value = sample.values[field];
    if (!validFieldNames.has(field)) {
      if (!fieldNameSchema.safeParse(field).success || RESERVED_FIELD_NAMES.has(field)) return `invalid field name "${field}"`;
      remember(validFieldNames, field);
    }
    if (typeof value === 'boolean') continue;
    // NaN would become NULL in SQLite and cannot be written to InfluxDB at all.
    if (typeof value !== 'number' || !Number.isFinite(value)) return `field "${field}" is not a finite number or boolean`;
  }
  if (fields === 0) return 'no values';
  return undefined;
}

/**
 * Values as stored: booleans become 1/0 so a field never changes type, and -0 becomes
 * 0 (line protocol has no -0, so InfluxDB would read it back as 0 anyway).
 */
export function storedValue(value: number | boolean): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === 0 ? 0 : value;
}

/**
 * Every stored name passed assertWritableSamples, so a filter value that would not
 * pass matches nothing: answer [] without asking the database. Both stores then agree
 * on odd input (InfluxQL reads `site = ''` as "has no site tag", and has no escape for
 * a carriage return), and such values never reach a query (escaping still applies).
 */
export function filterMatchesNothing(filter: SeriesFilter): boolean {
  if (filter.measurement !== undefined && !measurementSchema.safeParse(filter.measurement).success) return true;
  return (['site', 'gateway', 'device'] as const).some((tag) => filter[tag] !== undefined && !ID_PATTERN.test(filter[tag]));
}

export interface NormalizedHistoryQuery extends HistoryQuery {
  /** True when the time range cannot hold any point (from >= to after clamping). */
  empty: boolean;
}

/**
 * Validates a history query (a caller's mistake throws a plain Error) and clamps the
 * range to what both stores can represent, so both answer the same.
 */
export function normalizeHistoryQuery(query: HistoryQuery): NormalizedHistoryQuery {
  const { from, to, windowMs, limit } = query;
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error('history: from and to must be finite numbers (ms since the epoch)');
  if (windowMs !== undefined && (!Number.isSafeInteger(windowMs) || windowMs <= 0)) {
    throw new Error(`history: windowMs must be a positive integer number of milliseconds, got ${windowMs}`);
  }
  // InfluxQL treats LIMIT 0 as "no limit": refuse it rather than answer differently.
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new Error(`history: limit must be a positive integer, got ${limit}`);
  }
  if (query.aggregate !== undefined && !['mean', 'min', 'max', 'last'].includes(query.aggregate)) {
    throw new Error(`history: unknown aggregate "${String(query.aggregate)}"`);
  }
  // Stored timestamps are integers within [MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS]; rounding
  // up keeps "from inclusive, to exclusive" exact for fractional bounds.
  const clampedFrom = Math.max(Math.ceil(from), 0);
  const clampedTo = Math.min(Math.ceil(to), MAX_TIMESTAMP_MS + 1);
  return { ...query, from: clampedFrom, to: clampedTo, empty: clampedFrom >= clampedTo };
}

/** Windowed queries default to the mean, as dashboards mostly want it. */
export function effectiveAggregate(query: HistoryQuery): HistoryQuery['aggregate'] {
  return query.windowMs === undefined ? undefined : (query.aggregate ?? 'mean');
}
