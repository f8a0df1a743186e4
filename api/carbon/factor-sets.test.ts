import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { builtInFactorsDir, loadFactorSets, newestFactorSet, parseFactorSet, unitFactor, type FactorSet } from './factor-sets.js';

const sets = loadFactorSets([builtInFactorsDir()]);
const set = (id: string): FactorSet => sets.get(id)!;

describe('built-in factor sets', () => {
  it('one per vintage; the newest is the default', () => {
    expect([...sets.keys()].sort()).toEqual(['mee-2021', 'mee-2022', 'mee-2023']);
    expect(newestFactorSet(sets).id).toBe('mee-2023');
  });

  // DOMAIN.md §3, electricity table (tCO2/MWh).
  it.each([
    ['mee-2021', 'national', 0.5568], ['mee-2021', 'fossil_only', 0.8426],
    ['mee-2022', 'national', 0.5366], ['mee-2022', 'national_excl_market_nonfossil', 0.5856], ['mee-2022', 'fossil_only', 0.8325], ['mee-2022', 'northeast', 0.5564],
    ['mee-2023', 'national', 0.5306], ['mee-2023', 'national_excl_market_nonfossil', 0.6096], ['mee-2023', 'fossil_only', 0.8273], ['mee-2023', 'northeast', 0.5122],
  ])('%s %s electricity = %f, marked unchecked (secondary sources)', (id, grid, value) => {
    expect(set(id).electricity[grid]).toEqual(expect.objectContaining({ tCO2PerMWh: value, checked: false }));
  });

  it('Tongjiang is on the Northeast grid: the default where the vintage has one', () => {
    expect([set('mee-2021').defaultGrid, set('mee-2022').defaultGrid, set('mee-2023').defaultGrid]).toEqual(['national', 'northeast', 'northeast']);
  });

  // DOMAIN.md §3, fuel table: NCV, tC/GJ, oxidation and the published result, computed here by hand.
  it.each([
    ['natural_gas', 389.31, 0.0153, 0.99, 21.62, 2],
    ['diesel', 43.33, 0.0202, 0.98, 3.145, 3],
    ['gasoline', 44.80, 0.0189, 0.98, 3.043, 3],
    ['raw_coal', 20.908, 0.02637, 0.94, 1.900, 3],
  ])('%s: stored result = NCV × C × oxidation × 44/12, and agrees with DOMAIN.md', (fuel, ncv, carbon, oxidation, published, publishedDecimals) => {
    const product = ncv * carbon * oxidation * 44 / 12;
    for (const id of sets.keys()) {
      const stored = set(id).fuels[fuel]!;
      expect({ ncv: stored.ncvGJPerBasisUnit, carbon: stored.carbonTPerGJ, oxidation: stored.oxidation }).toEqual({ ncv, carbon, oxidation });
      expect(stored.tCO2PerBasisUnit).toBe(Number(product.toFixed(4)));
    }
    expect(Number(product.toFixed(publishedDecimals))).toBe(published);
  });

  it('raw coal and the volume densities are marked ⚠ (unchecked)', () => {
    const fuels = set('mee-2023').fuels;
    expect(fuels.raw_coal!.checked).toBe(false);
    expect(fuels.diesel!.density).toEqual(expect.objectContaining({ tPerM3: 0.84, checked: false }));
    expect(fuels.gasoline!.density).toEqual(expect.objectContaining({ tPerM3: 0.74, checked: false }));
  });
});

describe('unitFactor: kg CO2 per unit a meter counts in', () => {
  it.each([
    ['electricity', 'kWh', 'northeast', 0.5122],
    ['electricity', 'MWh', 'northeast', 512.2],
    ['electricity', 'Wh', 'northeast', 0.0005122],
    ['electricity', 'kWh', 'national', 0.5306],
    ['diesel', 't', 'northeast', 3145.1],
    ['diesel', 'kg', 'northeast', 3.1451],
    ['diesel', 'L', 'northeast', 2.641884], // 3.1451 t/t × 0.84 kg/L
    ['diesel', 'm3', 'northeast', 2641.884],
    ['gasoline', 'L', 'northeast', 2.25145], // 3.0425 × 0.74
    ['natural_gas', 'Nm3', 'northeast', 2.16219],
    ['natural_gas', '10^4 Nm3', 'northeast', 21621.9],
    ['raw_coal', 't', 'northeast', 1900.3],
  ])('%s in %s (%s grid) → %f', (kind, unit, grid, expected) => {
    const factor = unitFactor(set('mee-2023'), grid, kind, unit);
    expect(typeof factor === 'string' ? factor : factor.kgCO2PerUnit).toBe(expected);
  });

  it('says how the factor was made', () => {
    expect(unitFactor(set('mee-2023'), 'northeast', 'diesel', 'L')).toEqual({
      kgCO2PerUnit: 2.641884, derivation: '3.1451 tCO2/t × 0.84 t/m³ × 0.001 m³/L × 1000 kg/t', checked: false,
    });
  });

  it.each([
    ['electricity', 'kWh', 'southern', /no "southern" electricity factor/],
    ['electricity', 'kW', 'northeast', /not "kW"/],
    ['natural_gas', 'm3', 'northeast', /normal cubic metres/],
    ['raw_coal', 'L', 'northeast', /no density for raw_coal/],
    ['lpg', 'kg', 'northeast', /no factor for "lpg"/],
  ])('%s in %s (%s) → explained refusal', (kind, unit, grid, message) => {
    expect(unitFactor(set('mee-2023'), grid, kind, unit)).toMatch(message);
  });
});

describe('parseFactorSet', () => {
  const valid = () => structuredClone(set('mee-2023')) as unknown as Record<string, unknown> & FactorSet;

  it('refuses a stored fuel result that does not match its parts', () => {
    const raw = valid();
    raw.fuels.diesel!.tCO2PerBasisUnit = 3.1415;
    expect(() => parseFactorSet(raw, '/x/mee-2023.yaml')).toThrow(/fuels\.diesel\.tCO2PerBasisUnit: 3\.1415 does not match/);
  });

  it('refuses a default grid it does not have, and a file named after another id', () => {
    const raw = valid();
    raw.defaultGrid = 'southern';
    expect(() => parseFactorSet(raw, '/x/mee-2023.yaml')).toThrow(ConfigError);
    expect(() => parseFactorSet(valid(), '/x/other.yaml')).toThrow(/must live in a file named mee-2023\.yaml/);
  });
});
