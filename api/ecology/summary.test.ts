// Ecology summary and its baselines: which baseline applies to a device, unit conversion,
// deviations, and honest notes when a baseline or data is missing; a bad baselines file
// is refused naming the entry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBackendConfig } from '../../cli/backend-config.js';
import { findBaseline, loadBaselinesFile, parseBaselines, type BaselineEntry } from './baselines.js';
import { QUANTITIES, convertUnit, summarize, type SummaryInput } from './summary.js';

const AT = Date.UTC(2026, 0, 15, 6);
const MIN = 60_000;
const doseRate = QUANTITIES.find((q) => q.field === 'dose_rate')!;

describe('baselines', () => {
  const entries: BaselineEntry[] = [
    { site: 'bachahe', field: 'dose_rate', value: 0.1, unit: 'µSv/h', source: 'site-wide background' },
    { site: 'bachahe', gateway: 'gw-02', field: 'dose_rate', value: 0.11, unit: 'µSv/h', source: 'gateway' },
    { site: 'bachahe', device: 'rad-2', field: 'dose_rate', value: 0.12, unit: 'µSv/h', source: 'device' },
    { site: 'bachahe', gateway: 'gw-02', device: 'rad-2', field: 'dose_rate', value: 0.13, unit: 'µSv/h', source: 'gateway and device' },
  ];
  it.each<[string, string, string, string | undefined]>([
    ['gw-01', 'rad-1', 'dose_rate', 'site-wide background'],
    ['gw-02', 'rad-1', 'dose_rate', 'gateway'],
    ['gw-01', 'rad-2', 'dose_rate', 'device'],
    ['gw-02', 'rad-2', 'dose_rate', 'gateway and device'],
    ['gw-01', 'rad-1', 'water_level', undefined],
  ])('%s/%s %s → %s', (gateway, device, field, source) => {
    expect(findBaseline(entries, { site: 'bachahe', gateway, device, field })?.source).toBe(source);
    expect(findBaseline(entries, { site: 'elsewhere', gateway, device, field })).toBeUndefined();
  });

  it('reads a YAML file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-baselines-'));
    const file = path.join(dir, 'baselines.yaml');
    fs.writeFileSync(file, 'baselines:\n  - { site: bachahe, field: dose_rate, value: 0.1, unit: µSv/h, source: "survey", note: "dry weather" }\n');
    expect(loadBaselinesFile(file)).toEqual({ file, entries: [{ site: 'bachahe', field: 'dose_rate', value: 0.1, unit: 'µSv/h', source: 'survey', note: 'dry weather' }] });
    fs.rmSync(dir, { recursive: true });
  });

  it.each<[string, unknown, RegExp]>([
    ['without a source', { baselines: [{ site: 'a', field: 'dose_rate', value: 0.1, unit: 'µSv/h' }] }, /baselines\.0\.source/],
    ['with a bad site', { baselines: [{ site: 'A B', field: 'dose_rate', value: 0.1, unit: 'µSv/h', source: 's' }] }, /baselines\.0\.site/],
    ['with a text value', { baselines: [{ site: 'a', field: 'dose_rate', value: '0.1', unit: 'µSv/h', source: 's' }] }, /baselines\.0\.value/],
    ['with an unknown key', { baselines: [{ site: 'a', field: 'dose_rate', value: 0.1, unit: 'µSv/h', source: 's', devcie: 'x' }] }, /baselines\.0/],
    ['twice the same', { baselines: [
      { site: 'a', field: 'dose_rate', value: 0.1, unit: 'µSv/h', source: 's' },
      { site: 'a', field: 'dose_rate', value: 0.2, unit: 'µSv/h', source: 't' },
    ] }, /baselines\.1: same site\/gateway\/device\/field as baselines\.0/],
  ])('refuses a file %s, naming the entry', (_name, data, message) => {
    expect(() => parseBaselines(data, 'b.yaml')).toThrow(message);
    expect(() => parseBaselines(data, 'b.yaml')).toThrow(/ecology baselines file b\.yaml/);
  });
});

describe('units', () => {
  it.each<[number, string, string, number | undefined]>([
    [3, 'm', 'mm', 3000], [0.1, 'm', 'mm', 100], [250, 'cm', 'mm', 2500], [100, 'nSv/h', 'µSv/h', 0.1], [0.1, 'μSv/h', 'µSv/h', 0.1],
    [0.1, 'uSv/h', 'µSv/h', 0.1], [14, '%', '%', 14], [1, 'm', 'µSv/h', undefined], [1, 'ft', 'mm', undefined],
  ])('%d %s in %s → %s', (value, from, to, expected) => {
    expect(convertUnit(value, from, to)).toBe(expected);
  });
});

describe('summarize', () => {
  // Two hours of dose rate: 0.09 for an hour, then 0.15.
  const minutes = Array.from({ length: 120 }, (_, i): [number, number] => [AT - (120 - i) * MIN, i < 60 ? 0.09 : 0.15]);
  const input = (over: Partial<SummaryInput> = {}): SummaryInput => ({
    quantity: doseRate, series: { site: 'bachahe', gateway: 'gw-01', device: 'rad-1', profile: 'generic-gamma-dose-rate' },
    latest: { ts: AT - MIN + 5000, value: 0.15 }, windows: { mean: minutes, min: minutes, max: minutes },
    baseline: { site: 'bachahe', field: 'dose_rate', value: 0.1, unit: 'µSv/h', source: 'background survey' }, at: AT, windowMs: 24 * 3_600_000, ...over,
  });

  it('latest, 24-hour min/mean/max and deviations from the baseline', () => {
    expect(summarize(input())).toEqual({
      gateway: 'gw-01', device: 'rad-1', profile: 'generic-gamma-dose-rate', measurement: 'radiation', field: 'dose_rate',
      quantity: doseRate.name, unit: 'µSv/h',
      latest: { value: 0.15, ts: AT - 55_000, time: '2026-01-15T05:59:05.000Z', ageSeconds: 55 },
      last24h: { from: '2026-01-14T06:00:00.000Z', to: '2026-01-15T06:00:00.000Z', min: 0.09, mean: 0.12, max: 0.15, minutesWithData: 120, minutes: 1440 },
      baseline: { value: 0.1, unit: 'µSv/h', valueInReadingUnit: 0.1, source: 'background survey', note: null, appliesTo: { site: 'bachahe', gateway: null, device: null } },
      deviation: { latest: { absolute: 0.05, percent: 50 }, mean24h: { absolute: 0.02, percent: 20 } },
      notes: [doseRate.note],
    });
  });

  it('no baseline: says so, no deviation', () => {
    const out = summarize(input({ baseline: undefined }));
    expect(out).toMatchObject({ baseline: null, deviation: null });
    expect(out.notes).toContain('no baseline configured for site bachahe, device rad-1, field dose_rate: no deviation');
  });

  it('a baseline in another unit is converted; one that cannot be is not compared', () => {
    const water = QUANTITIES.find((q) => q.field === 'water_level')!;
    const base = { site: 'bachahe', field: 'water_level', source: 'gauge record' };
    const level = (baseline: BaselineEntry) => summarize(input({
      quantity: water, latest: { ts: AT - MIN, value: 3200 }, windows: { mean: [[AT - MIN, 3200]], min: [[AT - MIN, 3200]], max: [[AT - MIN, 3200]] }, baseline,
    }));
    expect(level({ ...base, value: 3, unit: 'm' })).toMatchObject({
      baseline: { value: 3, unit: 'm', valueInReadingUnit: 3000 }, deviation: { latest: { absolute: 200, percent: 6.666666667 } },
    });
    const wrong = level({ ...base, value: 3, unit: 'ft' });
    expect(wrong).toMatchObject({ baseline: { valueInReadingUnit: null }, deviation: null });
    expect(wrong.notes).toContain('baseline unit "ft" cannot be compared with the reading\'s unit "mm": no deviation');
  });

  it('no data in 24 hours: no figures, and says so', () => {
    const out = summarize(input({ windows: { mean: [], min: [], max: [] }, latest: { ts: AT - 3 * 86_400_000, value: 0.1 } }));
    expect(out).toMatchObject({ last24h: null, latest: { ageSeconds: 3 * 86_400 }, deviation: { latest: { absolute: 0, percent: 0 }, mean24h: null } });
    expect(out.notes).toContain('no reading in the 24 hours before 2026-01-15T06:00:00.000Z');
  });

  it('a zero baseline gives no percentage', () => {
    expect(summarize(input({ baseline: { site: 'bachahe', field: 'dose_rate', value: 0, unit: 'µSv/h', source: 's' } })).deviation!.latest).toEqual({ absolute: 0.15, percent: null });
  });
});

describe('setting', () => {
  it('ecology.baselinesFile comes from SB_ECOLOGY_BASELINES', () => {
    expect(loadBackendConfig(undefined, {}).ecology).toEqual({});
    expect(loadBackendConfig(undefined, { SB_ECOLOGY_BASELINES: '/etc/shaobing/baselines.yaml' }).ecology).toEqual({ baselinesFile: '/etc/shaobing/baselines.yaml' });
  });
});
