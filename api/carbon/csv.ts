// The emissions report as CSV for spreadsheets: one row per source and bucket, every
// number as in the JSON (same rounding), flags joined with ";". RFC 4180 quoting.
import type { EmissionsReport } from './emissions.js';

export const CSV_COLUMNS = [
  'factor_set', 'grid', 'site', 'gateway', 'device', 'profile', 'field', 'kind', 'scope',
  'period', 'period_start', 'period_end', 'activity', 'unit', 'kgco2_per_unit', 'co2_kg',
  'coverage', 'excluded_activity', 'flags',
] as const;

function cell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function emissionsCsv(report: EmissionsReport, factorSet: string, grid: string, formatTime: (ts: number) => string): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const source of report.sources) {
    for (const bucket of source.buckets) {
      lines.push([
        factorSet, grid, source.site, source.gateway, source.device, source.profile, source.field, source.kind, source.scope,
        bucket.label, formatTime(bucket.start), formatTime(bucket.end), bucket.activity, source.unit, source.factor.kgCO2PerUnit,
        bucket.co2Kg, bucket.coverage, bucket.excludedActivity, bucket.flags.join(';'),
      ].map(cell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
