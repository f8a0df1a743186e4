// Which stored counters are energy or fuel use, for carbon accounting: built-in defaults by
// device profile (a Chint meter's import_energy is purchased electricity, scope 2), and a
// sources file (`carbon.sourcesFile`, SB_CARBON_SOURCES) that adds profiles and says, per
// site and device, what a counter measures — a flow meter's totaliser on a boiler's
// diesel line — or that a device is left out (a sub-meter already counted upstream).
import { z } from 'zod';
import { ConfigError, readConfigFile } from '../../lib/config.js';
import { fieldNameSchema, idSchema, profileNameSchema } from '../../protocol/index.js';
import type { SeriesKey } from '../../store/types.js';
import { unitFactor, type FactorSet } from './factor-sets.js';

const MINUTE_MS = 60_000;

export const counterRuleSchema = z.strictObject({
  field: fieldNameSchema,
  /** "electricity" or a fuel of the factor sets (natural_gas, diesel, gasoline, raw_coal…). */
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a kind is electricity or a fuel key of the factor sets, e.g. natural_gas'),
  /** Unit of the counter: kWh, MWh, Wh; t, kg, L, m3; Nm3, 10^4 Nm3. */
  unit: z.string().min(1).max(16),
  /** Default: 2 for electricity (purchased), 1 for fuels (burnt on site). */
  scope: z.union([z.literal(1), z.literal(2)]).optional(),
  /** The register's modulus, if it rolls over (e.g. 100000000 for an 8-digit totaliser). */
  wrapAt: z.number().positive().optional(),
  /** Fastest believable use, in units per hour (the meter's rating); faster rises are excluded. */
  maxRatePerHour: z.number().positive().optional(),
  /** Longer silences between readings are flagged as gaps (default 120). */
  maxGapMinutes: z.number().positive().max(525_600).default(120),
  /** Drops this small are read noise, not resets (default 0). */
  jitter: z.number().min(0).default(0),
});
export type CounterRule = z.infer<typeof counterRuleSchema>;
export type CounterRuleInput = z.input<typeof counterRuleSchema>;

const deviceEntrySchema = z.union([
  z.strictObject({ site: idSchema, gateway: idSchema.optional(), device: idSchema, ignore: z.literal(true) }),
  z.strictObject({ ...counterRuleSchema.shape, site: idSchema, gateway: idSchema.optional(), device: idSchema }),
]);

export const sourcesFileSchema = z.strictObject({
  /** Defaults by profile name; replace the built-in ones of the same profile. */
  profiles: z.record(profileNameSchema, z.array(counterRuleSchema)).default({}),
  /** Per device; when a device has entries here, its profile's defaults do not apply. */
  devices: z.array(deviceEntrySchema).default([]),
});
export type SourcesFile = z.infer<typeof sourcesFileSchema>;

/**
 * Built-in defaults. Rate limits come from the meters' ratings: a DDSU666 carries at most
 * 80 A at ~230 V (≈ 18 kW), so 25 kWh/h; a direct-connected DTSU666 3 × 80 A (≈ 55 kW), so
 * 100 kWh/h (a CT-connected one needs its own limit in the sources file). The TUF-2000M has
 * no default: it is usually a water meter; map it in the sources file when it measures fuel.
 */
export const BUILT_IN_PROFILE_SOURCES: Record<string, CounterRuleInput[]> = {
  'chint-ddsu666': [{ field: 'import_energy', kind: 'electricity', unit: 'kWh', scope: 2, maxRatePerHour: 25 }],
  'chint-dtsu666': [{ field: 'import_energy', kind: 'electricity', unit: 'kWh', scope: 2, maxRatePerHour: 100 }],
};

export interface ResolvedSource extends CounterRule {
  scope: 1 | 2;
  maxGapMs: number;
}

export type StoredField = SeriesKey & { field: string };

export function parseSourcesFile(raw: unknown, where: string): SourcesFile {
  const parsed = sourcesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`carbon sources ${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function loadSourcesFile(file: string): SourcesFile {
  return parseSourcesFile(readConfigFile(file), file);
}

function resolve(rule: CounterRule): ResolvedSource {
  return { ...rule, scope: rule.scope ?? (rule.kind === 'electricity' ? 2 : 1), maxGapMs: rule.maxGapMinutes * MINUTE_MS };
}

/** Decides which stored fields are carbon sources, and as what. */
export class CarbonSources {
  readonly #profiles: Map<string, CounterRule[]>;
  readonly #devices: SourcesFile['devices'];

  constructor(file: SourcesFile = { profiles: {}, devices: [] }) {
    const builtIn = parseSourcesFile({ profiles: BUILT_IN_PROFILE_SOURCES }, 'built-in defaults');
    this.#profiles = new Map(Object.entries({ ...builtIn.profiles, ...file.profiles }));
    this.#devices = file.devices;
  }

  /** Fails (naming the entry) if a rule's kind or unit has no factor in `set` with its default grid. */
  checkAgainst(set: FactorSet): void {
    const check = (rule: CounterRule, where: string) => {
      const factor = unitFactor(set, set.defaultGrid, rule.kind, rule.unit);
      if (typeof factor === 'string') throw new ConfigError(`carbon sources ${where}: ${factor}`);
    };
    for (const [profile, rules] of this.#profiles) rules.forEach((rule, i) => check(rule, `profiles.${profile}.${i}`));
    this.#devices.forEach((entry, i) => { if (!('ignore' in entry)) check(entry, `devices.${i}`); });
  }

  /** What the field is, or undefined if it is not a carbon source. */
  sourceOf(key: StoredField): ResolvedSource | undefined {
    const forDevice = this.#devices.filter((e) => e.site === key.site && e.device === key.device && (e.gateway === undefined || e.gateway === key.gateway));
    if (forDevice.length > 0) {
      const rule = forDevice.find((e): e is Extract<typeof e, { field: string }> => !('ignore' in e) && e.field === key.field);
      if (!rule) return undefined;
      const { site: _site, gateway: _gateway, device: _device, ...counter } = rule;
      return resolve(counter);
    }
    const rule = this.#profiles.get(key.profile)?.find((r) => r.field === key.field);
    return rule ? resolve(rule) : undefined;
  }

  /** Field names that may be sources (to narrow store queries). */
  fieldNames(): string[] {
    const names = new Set<string>();
    for (const rules of this.#profiles.values()) for (const rule of rules) names.add(rule.field);
    for (const entry of this.#devices) if (!('ignore' in entry)) names.add(entry.field);
    return [...names].sort();
  }
}
