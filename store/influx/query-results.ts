// Reading InfluxDB's /query JSON (with epoch=ms) back into store results. The shape is
// checked as it is read: a statement error, a truncated (partial) statement result or
// an unexpected shape throws instead of returning less than the database holds.
import { META_FIELD_PREFIX } from './line-protocol.js';
import { SERIES_TAGS } from './influxql.js';
import type { HistorySeries, LatestReading, SeriesKey } from '../types.js';

export interface InfluxSeries {
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSeries(raw: unknown, where: string): InfluxSeries {
  if (!isRecord(raw) || !Array.isArray(raw.columns)) throw new Error(`InfluxDB query: ${where}: series without columns`);
  // A series' own "partial" flag is no truncation sign: 1.6 merges its internal 10 000-row
  // chunks into one series and leaves the first chunk's partial=true on it. Only the
  // statement result's flag (set when max-row-limit cuts the answer) is checked.
  const values = raw.values === undefined ? [] : raw.values;
  if (!Array.isArray(values) || !values.every(Array.isArray)) throw new Error(`InfluxDB query: ${where}: values are not rows`);
  const tags: Record<string, string> = {};
  if (isRecord(raw.tags)) for (const [k, v] of Object.entries(raw.tags)) tags[k] = String(v ?? '');
  return { name: String(raw.name ?? ''), tags, columns: raw.columns.map(String), values: values as unknown[][] };
}

/** Splits a /query response into the series of each statement, in statement order. */
export function parseQueryResponse(body: unknown, statementCount: number): InfluxSeries[][] {
  if (!isRecord(body)) throw new Error('InfluxDB query: response is not a JSON object');
  if (typeof body.error === 'string') throw new Error(`InfluxDB query failed: ${body.error}`);
  if (!Array.isArray(body.results)) throw new Error('InfluxDB query: response has no results');
  const out: InfluxSeries[][] = Array.from({ length: statementCount }, () => []);
  for (const result of body.results) {
    if (!isRecord(result)) throw new Error('InfluxDB query: malformed statement result');
    const id = Number(result.statement_id ?? 0);
    if (typeof result.error === 'string') throw new Error(`InfluxDB query: statement ${id} failed: ${result.error}`);
    if (result.partial === true) throw new Error(`InfluxDB query: statement ${id}: result truncated by the server (max-row-limit)`);
    const slot = out[id];
    if (!slot) throw new Error(`InfluxDB query: unexpected statement id ${id}`);
    if (Array.isArray(result.series)) slot.push(...result.series.map((s) => parseSeries(s, `statement ${id}`)));
  }
  return out;
}

/**
 * Field keys per measurement from SHOW FIELD KEYS, leaving out our meta fields and
 * strings (which no reading is).
 */
export function parseFieldKeys(series: InfluxSeries[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of series) {
    const keyIndex = s.columns.indexOf('fieldKey');
    const typeIndex = s.columns.indexOf('fieldType');
    if (keyIndex < 0) throw new Error('InfluxDB query: SHOW FIELD KEYS without a fieldKey column');
    const fields = s.values
      .filter((row) => typeIndex < 0 || row[typeIndex] !== 'string')
      .map((row) => String(row[keyIndex]))
      .filter((field) => !field.startsWith(META_FIELD_PREFIX));
    if (fields.length) out.set(s.name, [...(out.get(s.name) ?? []), ...fields]);
  }
  return out;
}

function seriesKey(measurement: string, tags: Record<string, string>): SeriesKey {
  const key = { measurement } as SeriesKey;
  for (const tag of SERIES_TAGS) key[tag] = tags[tag] ?? '';
  return key;
}

/** A row's value as a number: floats as they are, booleans (written by someone else) as 1/0. */
function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

/** [ts, value] pairs of a series whose first column is time (epoch ms) and second the value. */
export function seriesPoints(series: InfluxSeries): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (const row of series.values) {
    const ts = row[0];
    const value = numericValue(row[1]);
    if (typeof ts !== 'number') throw new Error('InfluxDB query: time is not epoch milliseconds (epoch=ms missing?)');
    if (value !== undefined) points.push([ts, value]);
  }
  return points;
}

export function toHistorySeries(measurement: string, field: string, series: InfluxSeries[]): HistorySeries[] {
  const out: HistorySeries[] = [];
  for (const s of series) {
    const points = seriesPoints(s);
    if (points.length) out.push({ ...seriesKey(measurement, s.tags), field, points });
  }
  return out;
}

export function toLatestReadings(measurement: string, field: string, series: InfluxSeries[]): LatestReading[] {
  const out: LatestReading[] = [];
  for (const s of series) {
    const last = seriesPoints(s).at(-1);
    if (last) out.push({ ...seriesKey(measurement, s.tags), field, ts: last[0], value: last[1] });
  }
  return out;
}
