// Emission factor sets: versioned data files (api/carbon/factors/*.yaml), one per vintage,
// each with its electricity factors (national, Northeast grid, …) and fuel factors built
// from NCV × carbon per GJ × oxidation × 44/12. Loading checks that every stored fuel
// result matches its parts; the per-unit factor for an activity unit (kWh, L, Nm³…) is
// derived here, so a report can show how it was obtained.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../lib/config.js';

/** Mass of CO2 per mass of carbon. */
export const CO2_PER_C = 44 / 12;

const sourced = { checked: z.boolean(), source: z.string().min(1) };
const keyPattern = /^[a-z][a-z0-9_]{0,63}$/;

const electricityFactorSchema = z.strictObject({
  tCO2PerMWh: z.number().positive().max(2),
  description: z.string().min(1),
  ...sourced,
});

const fuelSchema = z.strictObject({
  name: z.string().min(1),
  basisUnit: z.enum(['t', '10^4 Nm3']),
  ncvGJPerBasisUnit: z.number().positive(),
  carbonTPerGJ: z.number().positive().max(0.1),
  oxidation: z.number().positive().max(1),
  tCO2PerBasisUnit: z.number().positive(),
  density: z.strictObject({ tPerM3: z.number().positive().max(3), ...sourced }).optional(),
  ...sourced,
});

export const factorSetSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'ids are lowercase letters, digits, ".", "_" or "-"'),
  vintage: z.number().int().min(2000).max(2100),
  title: z.string().min(1),
  notes: z.string().optional(),
  defaultGrid: z.string().regex(keyPattern),
  electricity: z.record(z.string().regex(keyPattern), electricityFactorSchema).refine((r) => Object.keys(r).length > 0, 'at least one electricity factor'),
  fuels: z.record(z.string().regex(keyPattern), fuelSchema),
}).superRefine((set, ctx) => {
  if (!(set.defaultGrid in set.electricity)) ctx.addIssue({ code: 'custom', path: ['defaultGrid'], message: `"${set.defaultGrid}" is not one of the electricity factors (${Object.keys(set.electricity).join(', ')})` });
  if ('electricity' in set.fuels) ctx.addIssue({ code: 'custom', path: ['fuels', 'electricity'], message: '"electricity" is not a fuel' });
  for (const [key, fuel] of Object.entries(set.fuels)) {
    const expected = fuelFactorFromParts(fuel);
    const decimals = decimalPlaces(fuel.tCO2PerBasisUnit);
    if (Number(expected.toFixed(decimals)) !== fuel.tCO2PerBasisUnit) {
      ctx.addIssue({
        code: 'custom', path: ['fuels', key, 'tCO2PerBasisUnit'],
        message: `${fuel.tCO2PerBasisUnit} does not match ncv × carbon × oxidation × 44/12 = ${expected} (to ${decimals} decimals: ${expected.toFixed(decimals)})`,
      });
    }
  }
});

export type FactorSet = z.infer<typeof factorSetSchema>;
export type Fuel = z.infer<typeof fuelSchema>;

/** tCO2 per basis unit of a fuel: NCV × carbon content × oxidation × 44/12. */
export function fuelFactorFromParts(fuel: Pick<Fuel, 'ncvGJPerBasisUnit' | 'carbonTPerGJ' | 'oxidation'>): number {
  return fuel.ncvGJPerBasisUnit * fuel.carbonTPerGJ * fuel.oxidation * CO2_PER_C;
}

function decimalPlaces(value: number): number {
  const text = String(value);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** The factor sets shipped with Shaobing: `<this folder>/factors` (also from dist/, see below). */
export function builtInFactorsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // From dist/api/carbon the YAML files stay in the sources' api/carbon/factors.
  const candidates = [path.join(here, 'factors'), path.join(here, '..', '..', '..', 'api', 'carbon', 'factors')];
  return candidates.find((dir) => fs.existsSync(dir)) ?? candidates[0]!;
}

export function parseFactorSet(raw: unknown, file: string): FactorSet {
  const parsed = factorSetSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`factor set ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const expectedName = `${parsed.data.id}.yaml`;
  if (path.basename(file) !== expectedName) throw new ConfigError(`factor set ${file}: id "${parsed.data.id}" must live in a file named ${expectedName}`);
  return parsed.data;
}

/** Every `*.yaml` of each directory, by id; a later directory may not redefine an id (add a new id instead). */
export function loadFactorSets(dirs: readonly string[]): Map<string, FactorSet> {
  const sets = new Map<string, FactorSet>();
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    } catch (err) {
      throw new ConfigError(`cannot read the factor set directory ${dir}: ${(err as Error).message}`);
    }
    for (const entry of entries) {
      const file = path.join(dir, entry);
      let raw: unknown;
      try {
        raw = parseYaml(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new ConfigError(`factor set ${file} is not valid YAML: ${(err as Error).message}`);
      }
      const set = parseFactorSet(raw, file);
      if (sets.has(set.id)) throw new ConfigError(`factor set ${file}: id "${set.id}" is defined twice; give a changed set a new id so earlier reports stay reproducible`);
      sets.set(set.id, set);
    }
  }
  if (sets.size === 0) throw new ConfigError(`no factor sets in ${dirs.join(', ')}`);
  return sets;
}

/** The newest vintage (ties: the last id in order): the default when a request names none. */
export function newestFactorSet(sets: ReadonlyMap<string, FactorSet>): FactorSet {
  return [...sets.values()].sort((a, b) => a.vintage - b.vintage || a.id.localeCompare(b.id)).at(-1)!;
}

/** Activity units a kind of source may be measured in. */
export const ELECTRICITY_UNITS = { Wh: 1e-6, kWh: 1e-3, MWh: 1 } as const;

export interface UnitFactor {
  /** kg CO2 per activity unit, to 8 significant digits (what the report multiplies by). */
  kgCO2PerUnit: number;
  /** How it was obtained, e.g. "3.1451 tCO2/t × 0.84 t/m³ × 0.001 m³/L × 1000 kg/t". */
  derivation: string;
  /** False if any number it rests on is marked ⚠ (not checked against the primary text). */
  checked: boolean;
}

const toPrecision8 = (value: number) => Number(value.toPrecision(8));

/** Per-unit factor for `kind` measured in `unit`, or a sentence saying why there is none. */
export function unitFactor(set: FactorSet, grid: string, kind: string, unit: string): UnitFactor | string {
  if (kind === 'electricity') {
    const factor = set.electricity[grid];
    if (!factor) return `factor set ${set.id} has no "${grid}" electricity factor (it has ${Object.keys(set.electricity).join(', ')})`;
    const perMWh = ELECTRICITY_UNITS[unit as keyof typeof ELECTRICITY_UNITS];
    if (perMWh === undefined) return `electricity is measured in ${Object.keys(ELECTRICITY_UNITS).join(', ')}, not "${unit}"`;
    return {
      kgCO2PerUnit: toPrecision8(factor.tCO2PerMWh * perMWh * 1000),
      derivation: `${factor.tCO2PerMWh} tCO2/MWh (${grid}) × ${perMWh} MWh/${unit} × 1000 kg/t`,
      checked: factor.checked,
    };
  }
  const fuel = set.fuels[kind];
  if (!fuel) return `factor set ${set.id} has no factor for "${kind}" (it has electricity, ${Object.keys(set.fuels).join(', ')})`;
  const base = `${fuel.tCO2PerBasisUnit} tCO2/${fuel.basisUnit}`;
  if (fuel.basisUnit === '10^4 Nm3') {
    const perUnit: Record<string, number> = { 'Nm3': 1e-4, '10^4 Nm3': 1 };
    const share = perUnit[unit];
    if (share === undefined) return `${kind} is measured in normal cubic metres: "Nm3" or "10^4 Nm3", not "${unit}" (a meter reading at line pressure and temperature needs a volume corrector)`;
    return { kgCO2PerUnit: toPrecision8(fuel.tCO2PerBasisUnit * share * 1000), derivation: `${base} × ${share} (10^4 Nm3)/${unit} × 1000 kg/t`, checked: fuel.checked };
  }
  const mass: Record<string, number> = { t: 1, kg: 1e-3 };
  if (unit in mass) {
    return { kgCO2PerUnit: toPrecision8(fuel.tCO2PerBasisUnit * mass[unit]! * 1000), derivation: `${base} × ${mass[unit]} t/${unit} × 1000 kg/t`, checked: fuel.checked };
  }
  const volume: Record<string, number> = { m3: 1, L: 1e-3 };
  if (unit in volume) {
    if (!fuel.density) return `factor set ${set.id} gives no density for ${kind}, so it can only be measured in t or kg, not "${unit}"`;
    return {
      kgCO2PerUnit: toPrecision8(fuel.tCO2PerBasisUnit * fuel.density.tPerM3 * volume[unit]! * 1000),
      derivation: `${base} × ${fuel.density.tPerM3} t/m³ × ${volume[unit]} m³/${unit} × 1000 kg/t`,
      checked: fuel.checked && fuel.density.checked,
    };
  }
  return `${kind} is measured in t, kg, m3 or L, not "${unit}"`;
}
