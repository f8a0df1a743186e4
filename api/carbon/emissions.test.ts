import { describe, expect, it } from 'vitest';
import { calendarBuckets, CHINA_UTC_OFFSET_MINUTES } from '../../lib/calendar-buckets.js';
import { emissionsCsv } from './csv.js';
import { emissionsReport, roundTo, type SourceReadings } from './emissions.js';
import { builtInFactorsDir, loadFactorSets } from './factor-sets.js';
import { CarbonSources, parseSourcesFile } from './sources.js';

const H = 3_600_000;
const local = (d: number, h = 0, m = 0) => Date.UTC(2026, 2, d, h, m) - 8 * H; // March 2026, China Standard Time
const set = loadFactorSets([builtInFactorsDir()]).get('mee-2023')!;
const sources = new CarbonSources(parseSourcesFile({
  devices: [{ site: 'tongjiang-town', device: 'boiler-fuel', field: 'positive_total', kind: 'diesel', unit: 'L', maxRatePerHour: 100 }],
}, 'test'));
const days = calendarBuckets(local(1), local(3), 'day', CHINA_UTC_OFFSET_MINUTES);

function readings(device: string, profile: string, field: string, points: Array<[number, number]>): SourceReadings {
  const key = { measurement: 'energy', site: 'tongjiang-town', gateway: 'gw-01', device, profile, field };
  return { key, source: sources.sourceOf(key)!, points, resolution: 'raw' };
}

describe('emissionsReport', () => {
  // Meter: 10 kWh on 1 March, 0.5 across midnight (half each side), 12 kWh on the 2nd, read
  // rarely (gaps over 2 h are flagged). Boiler: 100 L, on the 1st only.
  const meter = readings('meter-1', 'chint-ddsu666', 'import_energy', [
    [local(1), 1000], [local(1, 12), 1005], [local(1, 23, 45), 1010], [local(2, 0, 15), 1010.5], [local(3), 1022.25],
  ]);
  const boiler = readings('boiler-fuel', 'tuf-2000m', 'positive_total', [[local(1, 6), 5000], [local(1, 18), 5100]]);
  const report = emissionsReport([meter, boiler], days, set, 'northeast');

  it('per source: activity per local day, CO2 = activity × factor, coverage and flags', () => {
    const [electricity, diesel] = report.sources;
    expect(electricity!.buckets.map((b) => [b.label, b.activity, b.co2Kg, b.coverage, b.flags])).toEqual([
      ['2026-03-01', 10.25, roundTo(10.25 * 0.5122, 3), 1, ['gap']],
      ['2026-03-02', 12, roundTo(12 * 0.5122, 3), 1, ['gap']],
    ]);
    expect(diesel!.buckets.map((b) => [b.label, b.activity, b.co2Kg, b.coverage, b.flags])).toEqual([
      ['2026-03-01', 100, 264.188, 0.5, ['gap', 'incomplete']], // 100 L × 2.641884 kg/L, readings only 06:00–18:00
      ['2026-03-02', null, null, 0, ['incomplete']],
    ]);
    expect(diesel).toEqual(expect.objectContaining({ kind: 'diesel', unit: 'L', scope: 1, totals: { activity: 100, co2Kg: 264.188 } }));
  });

  it('per site: scope 1 (fuel) and scope 2 (electricity) kept apart, then added', () => {
    const [site] = report.sites;
    expect(site!.buckets[0]).toEqual(expect.objectContaining({
      label: '2026-03-01', scope1Kg: 264.188, scope2Kg: 5.25, totalKg: 269.438, flags: ['gap', 'incomplete'],
      activity: [{ kind: 'diesel', unit: 'L', amount: 100 }, { kind: 'electricity', unit: 'kWh', amount: 10.25 }],
    }));
    expect(site!.buckets[1]).toEqual(expect.objectContaining({ scope1Kg: 0, scope2Kg: 6.146, totalKg: 6.146 }));
    expect(report.totals).toEqual({ scope1Kg: 264.188, scope2Kg: 11.396, totalKg: 275.584, totalTCO2: 0.275584 });
  });

  it('totals are exact sums of the rounded bucket figures', () => {
    const many = readings('meter-1', 'chint-ddsu666', 'import_energy',
      Array.from({ length: 49 }, (_, i): [number, number] => [local(1) + i * H, 1000 + i * 0.3333]));
    const [source] = emissionsReport([many], days, set, 'northeast').sources;
    const sum = source!.buckets.reduce((s, b) => s + Math.round(b.co2Kg! * 1000), 0) / 1000;
    expect(source!.totals.co2Kg).toBe(sum);
  });

  it('the same input gives byte-identical output', () => {
    const again = emissionsReport([meter, boiler], days, set, 'northeast');
    expect(JSON.stringify(again)).toBe(JSON.stringify(report));
  });

  it('CSV: one row per source and day, numbers as in the JSON, empty cells for no data', () => {
    const csv = emissionsCsv(report, 'mee-2023', 'northeast', (ts) => new Date(ts).toISOString());
    const rows = csv.trimEnd().split('\r\n');
    expect(rows).toHaveLength(5);
    expect(rows[0]).toBe('factor_set,grid,site,gateway,device,profile,field,kind,scope,period,period_start,period_end,activity,unit,kgco2_per_unit,co2_kg,coverage,excluded_activity,flags');
    expect(rows[1]).toBe('mee-2023,northeast,tongjiang-town,gw-01,meter-1,chint-ddsu666,import_energy,electricity,2,2026-03-01,2026-02-28T16:00:00.000Z,2026-03-01T16:00:00.000Z,10.25,kWh,0.5122,5.25,1,0,gap');
    expect(rows[4]).toBe('mee-2023,northeast,tongjiang-town,gw-01,boiler-fuel,tuf-2000m,positive_total,diesel,1,2026-03-02,2026-03-01T16:00:00.000Z,2026-03-02T16:00:00.000Z,,L,2.641884,,0,0,incomplete');
  });
});

describe('roundTo', () => {
  it.each([[5.2499, 3, 5.25], [1.0005, 3, 1], [1.0015, 3, 1.002], [-0.0001, 3, 0], [2.5, 0, 3]])('%f to %i decimals → %f', (value, decimals, expected) => {
    // 1.0005 is stored as 1.000499999…: rounding looks at the exact binary value, the same on every machine.
    expect(roundTo(value, decimals)).toBe(expected);
  });
});
