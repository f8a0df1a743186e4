// The one deterministic order of store results (series key, then field), shared by
// both stores so the same data reads back identically from SQLite and InfluxDB.
import type { SeriesKey } from './types.js';

/** Compares by UTF-16 code units: locale-independent, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSeriesKeys(a: SeriesKey, b: SeriesKey): number {
  return (
    compareText(a.measurement, b.measurement) ||
    compareText(a.site, b.site) ||
    compareText(a.gateway, b.gateway) ||
    compareText(a.device, b.device) ||
    compareText(a.profile, b.profile)
  );
}

/** Orders per-field results: series key first, then field name. */
export function compareSeriesFields(a: SeriesKey & { field: string }, b: SeriesKey & { field: string }): number {
  return compareSeriesKeys(a, b) || compareText(a.field, b.field);
}
