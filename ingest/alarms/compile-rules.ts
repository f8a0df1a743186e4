// Compiles the alarm rules file (rules-schema.ts) with the device profiles' alarm hints into
// CompiledRules: every rule resolved and checked for itself, each site and each device it
// names. A bad file is refused as a whole with every problem named
// (`rules.3 (water-level @ jiejinkou/level-1): warning level 3.2 is above guarantee level 3`),
// so the ingest service can keep the rules it has. Pure except loadRules, which reads the file.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { AlarmSeverity } from '../../protocol/index.js';
import {
  CompiledRuleSet, type AccumulationParams, type CompiledRule, type Flap, type Level, type OfflineParams,
  type RateParams, type RuleParams, type StaleParams, type ThresholdParams,
} from './compiled-rules.js';
import { humanize } from './format.js';
import {
  THRESHOLD_KEYS, ruleSchema, rulesFileSchema, type AccumulationTunables, type FlapSetting, type OfflineTunables,
  type RateTunables, type RuleInput, type StaleTunables, type ThresholdKey, type ThresholdTunables,
} from './rules-schema.js';
import { unitFactor } from './units.js';

/** What compileRules needs of a device profile (gateway/profile-schema.ts DeviceProfile fits). */
export interface ProfileForAlarms {
  name: string;
  measurement: string;
  points: readonly {
    name: string;
    unit?: string;
    alarm?: { lowLow?: number; low?: number; high?: number; highHigh?: number; source?: string };
  }[];
}

export type CompileResult = { ok: true; rules: CompiledRuleSet } | { ok: false; errors: string[] };

/** Used when neither the file nor the rule says: 3 raises in 30 min → held until normal for 15 min. */
export const DEFAULT_FLAP: Flap = { raises: 3, withinMs: 30 * 60_000, stableMs: 15 * 60_000 };

const DEFAULT_LABELS: Record<ThresholdKey, string> = { lowLow: 'low-low level', low: 'low level', high: 'high level', highHigh: 'high-high level' };
/** Severity of each threshold level unless the rule says otherwise (docs/alarms.md, "Severities"). */
export const DEFAULT_THRESHOLD_SEVERITIES: Record<ThresholdKey, AlarmSeverity> = { lowLow: 'critical', low: 'major', high: 'major', highHigh: 'critical' };
const DEFAULT_OFFLINE_SEVERITY = { 'device-offline': 'warning', 'gateway-offline': 'major' } as const;

type Tunables = ThresholdTunables | RateTunables | AccumulationTunables | StaleTunables | OfflineTunables;

/** Lays `over` on `base`: a key given replaces the base's, except labels and severities, merged per level. */
function overlay<T extends Tunables>(base: T, over: T | undefined): T {
  if (!over) return base;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    if ((key === 'labels' || key === 'severities') && typeof value === 'object' && value !== null) {
      merged[key] = { ...(merged[key] as object | undefined), ...value };
    } else merged[key] = value;
  }
  return merged as T;
}

/** The rule's tunables: everything but what names and places it (which is not overridable). */
function tunablesOf(rule: RuleInput): Tunables {
  const { id: _id, kind: _kind, description: _description, sites: _sites, devices: _devices, ...rest } = rule;
  const { profile: _profile, field: _field, unit: _unit, ...tunables } = rest as Record<string, unknown>;
  return tunables as Tunables;
}

interface Context {
  rule: RuleInput;
  point?: ProfileForAlarms['points'][number];
  factor: number;
  fileFlap: Flap | null;
  /** Threshold rules made from hints fall back on them for levels the file does not set. */
  hints?: ProfileForAlarms['points'][number]['alarm'];
}

function flapOf(setting: FlapSetting | undefined, fallback: Flap | null): Flap | null {
  if (setting === undefined) return fallback;
  if (setting === false) return null;
  return { raises: setting.raises, withinMs: setting.withinS * 1000, stableMs: setting.stableS * 1000 };
}

function common(t: Tunables, ctx: Context, field: string | undefined) {
  return {
    raiseAfterMs: (t.raiseAfterS ?? 0) * 1000,
    clearAfterMs: (t.clearAfterS ?? 0) * 1000,
    flap: flapOf(t.flap, ctx.fileFlap),
    name: t.name ?? (field ? humanize(field) : 'Reading'),
    ...(t.decimals !== undefined ? { decimals: t.decimals } : {}),
  };
}

/** Builds the settings for one scope, or problems (without the rule prefix). */
function build(t: Tunables, ctx: Context): { params: RuleParams | null; problems: string[] } {
  if (t.enabled === false) return { params: null, problems: [] };
  const { rule } = ctx;
  const problems: string[] = [];
  switch (rule.kind) {
    case 'threshold': {
      const tt = t as ThresholdTunables;
      const offset = tt.offset ?? 0;
      const levels: (Level & { key: ThresholdKey })[] = [];
      for (const key of THRESHOLD_KEYS) {
        const given = tt[key];
        const hint = ctx.hints?.[key];
        const value = given === null ? undefined : given ?? (hint !== undefined ? hint * ctx.factor + offset : undefined);
        if (value === undefined) continue;
        levels.push({
          key, rank: key === 'high' || key === 'low' ? 1 : 2, op: key === 'high' || key === 'highHigh' ? 'above' : 'below', value,
          label: tt.labels?.[key] ?? DEFAULT_LABELS[key], severity: tt.severities?.[key] ?? DEFAULT_THRESHOLD_SEVERITIES[key],
        });
      }
      for (let i = 1; i < levels.length; i++) {
        const a = levels[i - 1]!;
        const b = levels[i]!;
        if (a.value > b.value) problems.push(`${a.label} ${a.value} is above ${b.label} ${b.value}`);
      }
      const high = levels.filter((l) => l.op === 'above');
      const low = levels.filter((l) => l.op === 'below').reverse();
      const deadband = tt.deadband ?? 0;
      if (high.length > 0 && low.length > 0 && high[0]!.value - low[0]!.value <= 2 * deadband) {
        problems.push(`deadband ${deadband} is too wide for the gap between ${low[0]!.label} ${low[0]!.value} and ${high[0]!.label} ${high[0]!.value}`);
      }
      const params: ThresholdParams = {
        kind: 'threshold', field: rule.field, factor: ctx.factor, offset, deadband, high, low,
        ...(rule.unit ?? ctx.point?.unit ? { unit: rule.unit ?? ctx.point?.unit } : {}),
        ...common(t, ctx, rule.field),
      };
      return { params, problems };
    }
    case 'rate-of-rise': {
      const rt = t as RateTunables;
      const windowMs = (rt.windowS ?? 3600) * 1000;
      const minSpanMs = rt.minSpanS !== undefined ? rt.minSpanS * 1000 : windowMs / 2;
      if (minSpanMs > windowMs) problems.push(`minSpanS ${minSpanMs / 1000} is longer than windowS ${windowMs / 1000}`);
      if (!rt.levels) problems.push('levels: a rate-of-rise rule needs at least one level (name, atLeast, severity)');
      const levels: Level[] = (rt.levels ?? []).map((l, i) => ({ rank: i + 1, op: 'above', value: l.atLeast, label: l.name, severity: l.severity }));
      for (let i = 1; i < levels.length; i++) {
        if (levels[i]!.value <= levels[i - 1]!.value) problems.push(`level "${levels[i]!.label}" (${levels[i]!.value}) must be above "${levels[i - 1]!.label}" (${levels[i - 1]!.value}): list levels from least to most severe`);
      }
      const unit = rule.unit ?? ctx.point?.unit;
      const params: RateParams = {
        kind: 'rate-of-rise', field: rule.field, factor: ctx.factor, windowMs, minSpanMs, minSamples: rt.minSamples ?? 3,
        method: rt.method ?? 'least-squares', deadband: rt.deadband ?? 0, levels, ...(unit ? { unit } : {}), ...common(t, ctx, rule.field),
      };
      return { params, problems };
    }
    case 'accumulation': {
      const at = t as AccumulationTunables;
      if (!at.levels) problems.push('levels: an accumulation rule needs at least one level (name, windowH, atLeast, severity)');
      const levels: Level[] = (at.levels ?? []).map((l, i) => ({ rank: i + 1, op: 'above', value: l.atLeast, label: l.name, severity: l.severity, windowMs: l.windowH * 3600_000 }));
      for (let j = 1; j < levels.length; j++) {
        for (let i = 0; i < j; i++) {
          const a = levels[i]!;
          const b = levels[j]!;
          if (b.windowMs! >= a.windowMs! && b.value <= a.value) {
            problems.push(`level "${b.label}" (${b.value} in ${b.windowMs! / 3600_000} h) is reached whenever "${a.label}" (${a.value} in ${a.windowMs! / 3600_000} h) is: list levels from least to most severe`);
          }
        }
      }
      const unit = rule.unit ?? ctx.point?.unit;
      const params: AccumulationParams = {
        kind: 'accumulation', field: rule.field, factor: ctx.factor, deadband: at.deadband ?? 0, levels,
        maxWindowMs: Math.max(0, ...levels.map((l) => l.windowMs!)),
        ...(at.wrapAt !== undefined ? { wrapAt: at.wrapAt } : {}),
        ...(at.maxGapS !== undefined ? { maxGapMs: at.maxGapS * 1000 } : {}),
        ...(at.maxRatePerHour !== undefined ? { maxRatePerHour: at.maxRatePerHour } : {}),
        ...(unit ? { unit } : {}), ...common(t, ctx, rule.field),
      };
      return { params, problems };
    }
    case 'stale': {
      const st = t as StaleTunables;
      const params: StaleParams = {
        kind: 'stale', factor: st.factor ?? 3, minSilenceMs: (st.minSilenceS ?? 60) * 1000, severity: st.severity ?? 'warning',
        ...(rule.field ? { field: rule.field } : {}),
        ...(st.expectedIntervalS !== undefined ? { expectedIntervalMs: st.expectedIntervalS * 1000 } : {}),
        ...common(t, ctx, rule.field),
      };
      return { params, problems };
    }
    case 'device-offline':
    case 'gateway-offline': {
      const ot = t as OfflineTunables;
      const params: OfflineParams = { kind: rule.kind, severity: ot.severity ?? DEFAULT_OFFLINE_SEVERITY[rule.kind], ...common(t, ctx, undefined) };
      return { params, problems };
    }
  }
}

function describePath(path: readonly PropertyKey[]): string {
  return path.length ? `${path.map(String).join('.')}: ` : '';
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    // A bad record key ("level-1" for "site/device"): zod nests the reason; say it.
    const nested = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    return `${describePath(issue.path)}${nested ?? issue.message}`;
  });
}

/** Compiles one rule of the file (or a default from hints, index −1). */
function compileRule(rule: RuleInput, index: number, label: string, profiles: ReadonlyMap<string, ProfileForAlarms>, fileFlap: Flap | null, errors: string[], fromHints = false): CompiledRule | undefined {
  const report = (scope: string | undefined, problem: string) => errors.push(`${label} (${rule.id}${scope ? ` @ ${scope}` : ''}): ${problem}`);
  let point: ProfileForAlarms['points'][number] | undefined;
  let factor = 1;
  let profileSet: Set<string> | undefined;
  if ('profile' in rule && rule.profile !== undefined) {
    const names = typeof rule.profile === 'string' ? [rule.profile] : rule.profile;
    profileSet = new Set(names);
    for (const name of names) {
      if (!profiles.has(name)) report(undefined, `profile "${name}" is not known (known profiles: ${[...profiles.keys()].sort().join(', ') || 'none'})`);
    }
    const field = 'field' in rule ? rule.field : undefined;
    if (field !== undefined && typeof rule.profile === 'string') {
      const profile = profiles.get(rule.profile);
      point = profile?.points.find((p) => p.name === field);
      if (profile && !point) report(undefined, `profile ${profile.name} has no point "${field}" (its points: ${profile.points.map((p) => p.name).join(', ')})`);
      if (point && 'unit' in rule) {
        const f = unitFactor(point.unit, rule.unit);
        if (typeof f === 'string') report(undefined, `unit: ${f}`);
        else factor = f;
      }
    }
  }
  if (errors.some((e) => e.startsWith(`${label} (`))) return undefined;

  const ctx: Context = { rule, factor, fileFlap, ...(point ? { point } : {}), ...(point?.alarm && rule.kind === 'threshold' ? { hints: point.alarm } : {}) };
  const baseTunables = tunablesOf(rule);
  const resolve = (tunables: Tunables, scope: string | undefined): RuleParams | null => {
    const { params, problems } = build(tunables, ctx);
    for (const problem of problems) report(scope, problem);
    return params;
  };
  const base = resolve(baseTunables, undefined);
  const siteTunables = new Map<string, Tunables>();
  const sites = new Map<string, RuleParams | null>();
  for (const [site, over] of Object.entries(rule.sites ?? {}) as [string, Tunables][]) {
    const merged = overlay(baseTunables, over);
    siteTunables.set(site, merged);
    sites.set(site, resolve(merged, site));
  }
  const devices = new Map<string, RuleParams | null>();
  for (const [key, over] of Object.entries(rule.devices ?? {}) as [string, Tunables][]) {
    const site = key.slice(0, key.indexOf('/'));
    devices.set(key, resolve(overlay(siteTunables.get(site) ?? baseTunables, over), key));
  }
  return {
    index: fromHints ? -1 : index, id: rule.id, kind: rule.kind, base, sites, devices,
    ...(profileSet ? { profiles: profileSet } : {}),
    ...('field' in rule && rule.field !== undefined ? { field: rule.field } : {}),
  };
}

/**
 * Compiles the rules file text with the profiles' alarm hints. Default threshold rules (id
 * `<profile>.<point>`) are made for every point with hints unless `profileHints: false` or a
 * threshold rule of the file already watches that point of that profile.
 */
export function compileRules(content: string, profiles: ReadonlyMap<string, ProfileForAlarms>, source = '(inline rules)'): CompileResult {
  if (content.trim() === '') return { ok: false, errors: ['the rules file is empty (it needs at least "version: 1")'] };
  let raw: unknown;
  try {
    raw = parseYaml(content);
  } catch (err) {
    return { ok: false, errors: [`not valid YAML: ${(err as Error).message}`] };
  }
  const file = rulesFileSchema.safeParse(raw);
  if (!file.success) return { ok: false, errors: zodProblems(file.error) };
  const fileFlap = flapOf(file.data.flap, DEFAULT_FLAP);

  const errors: string[] = [];
  const compiled: CompiledRule[] = [];
  const ids = new Map<string, number>();
  const watched = new Set<string>();
  file.data.rules.forEach((rawRule, index) => {
    const idGuess = (rawRule as { id?: unknown } | null)?.id;
    const label = `rules.${index}`;
    const parsed = ruleSchema.safeParse(rawRule);
    if (!parsed.success) {
      const name = typeof idGuess === 'string' ? idGuess : '?';
      for (const problem of zodProblems(parsed.error)) errors.push(`${label} (${name}): ${problem}`);
      return;
    }
    const rule = parsed.data;
    const earlier = ids.get(rule.id);
    if (earlier !== undefined) {
      errors.push(`${label} (${rule.id}): duplicate rule id (also rules.${earlier})`);
      return;
    }
    ids.set(rule.id, index);
    if (rule.kind === 'threshold') watched.add(`${rule.profile}/${rule.field}`);
    const result = compileRule(rule, index, label, profiles, fileFlap, errors);
    if (result) compiled.push(result);
  });

  if (file.data.profileHints) {
    for (const profile of [...profiles.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      for (const point of profile.points) {
        const hints = point.alarm;
        if (!hints || THRESHOLD_KEYS.every((k) => hints[k] === undefined)) continue;
        if (watched.has(`${profile.name}/${point.name}`)) continue;
        const id = `${profile.name}.${point.name}`;
        if (ids.has(id)) continue;
        const rule: RuleInput = { id, kind: 'threshold', profile: profile.name, field: point.name };
        const result = compileRule(rule, -1, `profile ${profile.name} point ${point.name} alarm hints`, profiles, fileFlap, errors, true);
        if (result) compiled.push(result);
      }
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, rules: new CompiledRuleSet(source, compiled) };
}

/** Reads and compiles a rules file; a file that cannot be read is one more error. */
export async function loadRules(file: string, profiles: ReadonlyMap<string, ProfileForAlarms>): Promise<CompileResult> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${file}: cannot read: ${(err as Error).message}`] };
  }
  const result = compileRules(content, profiles, file);
  return result.ok ? result : { ok: false, errors: result.errors.map((e) => `${file}: ${e}`) };
}
