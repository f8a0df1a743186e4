import { describe, expect, it } from 'vitest';
import { builtInFactorsDir, loadFactorSets } from './factor-sets.js';
import { CarbonSources, parseSourcesFile, type StoredField } from './sources.js';

const key = (device: string, profile: string, field: string, site = 'tongjiang-town', gateway = 'gw-01'): StoredField =>
  ({ measurement: 'energy', site, gateway, device, profile, field });
const mee2023 = loadFactorSets([builtInFactorsDir()]).get('mee-2023')!;

describe('carbon sources', () => {
  const builtIn = new CarbonSources();

  it.each([
    [key('meter-1', 'chint-ddsu666', 'import_energy'), { kind: 'electricity', unit: 'kWh', scope: 2, maxRatePerHour: 25, maxGapMs: 7_200_000 }],
    [key('pump-1', 'chint-dtsu666', 'import_energy'), { kind: 'electricity', unit: 'kWh', scope: 2, maxRatePerHour: 100 }],
    [key('meter-1', 'chint-ddsu666', 'export_energy'), undefined],
    [key('meter-1', 'chint-ddsu666', 'active_power'), undefined],
    [key('main-1', 'tuf-2000m', 'positive_total'), undefined], // a water meter unless told otherwise
  ])('built-in: %o → %o', (field, expected) => {
    const got = builtIn.sourceOf(field);
    expect(got).toEqual(expected === undefined ? undefined : expect.objectContaining(expected));
  });

  const configured = new CarbonSources(parseSourcesFile({
    profiles: { 'chint-dtsu666': [{ field: 'import_energy', kind: 'electricity', unit: 'kWh', maxRatePerHour: 400 }] },
    devices: [
      { site: 'tongjiang-town', device: 'boiler-fuel', field: 'positive_total', kind: 'diesel', unit: 'L', maxRatePerHour: 100, maxGapMinutes: 60 },
      { site: 'tongjiang-town', device: 'sub-meter', ignore: true },
      { site: 'jiejinkou', gateway: 'gw-02', device: 'meter-1', ignore: true },
    ],
  }, 'test'));

  it.each([
    ['a flow meter on a diesel line: scope 1 by default', key('boiler-fuel', 'tuf-2000m', 'positive_total'), { kind: 'diesel', unit: 'L', scope: 1, maxGapMs: 3_600_000 }],
    ['a device entry replaces the profile defaults of that device', key('boiler-fuel', 'chint-ddsu666', 'import_energy'), undefined],
    ['an ignored sub-meter', key('sub-meter', 'chint-ddsu666', 'import_energy'), undefined],
    ['ignored on one gateway, not on another', key('meter-1', 'chint-ddsu666', 'import_energy', 'jiejinkou', 'gw-01'), { kind: 'electricity' }],
    ['a profile entry replaces the built-in one', key('pump-1', 'chint-dtsu666', 'import_energy'), { maxRatePerHour: 400, scope: 2 }],
    ['built-in profiles still apply', key('meter-1', 'chint-ddsu666', 'import_energy'), { maxRatePerHour: 25 }],
  ])('%s', (_name, field, expected) => {
    const got = configured.sourceOf(field);
    expect(got).toEqual(expected === undefined ? undefined : expect.objectContaining(expected));
  });

  it('ignores on the named gateway', () => {
    expect(configured.sourceOf(key('meter-1', 'chint-ddsu666', 'import_energy', 'jiejinkou', 'gw-02'))).toBeUndefined();
  });

  it('lists the field names to read', () => {
    expect(configured.fieldNames()).toEqual(['import_energy', 'positive_total']);
  });

  it.each([
    [{ devices: [{ site: 'a', device: 'b', field: 'gas_total', kind: 'natural_gas', unit: 'm3' }] }, /devices\.0: natural_gas is measured in normal cubic metres/],
    [{ profiles: { 'x-meter': [{ field: 'total', kind: 'lpg', unit: 'kg' }] } }, /profiles\.x-meter\.0: factor set mee-2023 has no factor for "lpg"/],
  ])('a kind or unit without a factor stops the start, naming the entry', (file, message) => {
    expect(() => new CarbonSources(parseSourcesFile(file, 'f.yaml')).checkAgainst(mee2023)).toThrow(message);
  });

  it.each([
    [{ devices: [{ site: 'A', device: 'b', ignore: true }] }, /devices\.0/],
    [{ profiles: { 'chint-ddsu666': [{ field: 'import_energy', kind: 'electricity', unit: 'kWh', scope: 3 }] } }, /profiles\.chint-ddsu666\.0\.scope/],
    [{ meters: [] }, /meters/],
  ])('a malformed file is refused naming the setting: %j', (file, message) => {
    expect(() => parseSourcesFile(file, 'f.yaml')).toThrow(message);
  });
});
