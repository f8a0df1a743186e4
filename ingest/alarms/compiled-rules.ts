// The rules in force, after compileRules: every rule with its settings resolved for the rule
// itself, each site it names and each device it names, all validated. The engine asks
// `paramsFor(rule, site, device)` and never merges or checks anything itself.
import type { AlarmSeverity } from '../../protocol/index.js';
import type { CompiledRules } from './engine-types.js';
import type { RuleKind, ThresholdKey } from './rules-schema.js';

export interface Flap {
  raises: number;
  withinMs: number;
  stableMs: number;
}

/** One level of a ladder: the alarm reaches `rank` when the measure is past `value`. */
export interface Level {
  rank: number;
  /** `above`: measure ≥ value; `below`: measure ≤ value. */
  op: 'above' | 'below';
  value: number;
  /** As staff know it: "warning level", "25 %LEL", "orange rainstorm signal". */
  label: string;
  severity: AlarmSeverity;
  /** Accumulation only: the sliding window this level sums over. */
  windowMs?: number;
  /** Threshold only: which of lowLow/low/high/highHigh. */
  key?: ThresholdKey;
}

interface CommonParams {
  raiseAfterMs: number;
  clearAfterMs: number;
  flap: Flap | null;
  /** The reading's name in messages. */
  name: string;
  decimals?: number;
}

export interface ThresholdParams extends CommonParams {
  kind: 'threshold';
  field: string;
  unit?: string;
  /** reading × factor + offset = the value compared with the levels. */
  factor: number;
  offset: number;
  deadband: number;
  /** Ascending rank: high then highHigh. */
  high: Level[];
  /** Ascending rank: low then lowLow. */
  low: Level[];
}

export interface RateParams extends CommonParams {
  kind: 'rate-of-rise';
  field: string;
  unit?: string;
  factor: number;
  windowMs: number;
  minSpanMs: number;
  minSamples: number;
  method: 'least-squares' | 'endpoints';
  deadband: number;
  levels: Level[];
}

export interface AccumulationParams extends CommonParams {
  kind: 'accumulation';
  field: string;
  unit?: string;
  factor: number;
  wrapAt?: number;
  maxGapMs?: number;
  maxRatePerHour?: number;
  deadband: number;
  levels: Level[];
  /** The longest level window: how much history to keep. */
  maxWindowMs: number;
}

export interface StaleParams extends CommonParams {
  kind: 'stale';
  field?: string;
  expectedIntervalMs?: number;
  factor: number;
  minSilenceMs: number;
  severity: AlarmSeverity;
}

export interface OfflineParams extends CommonParams {
  kind: 'device-offline' | 'gateway-offline';
  severity: AlarmSeverity;
}

export type RuleParams = ThresholdParams | RateParams | AccumulationParams | StaleParams | OfflineParams;

export interface CompiledRule {
  /** Position in the rules file (-1 for a default rule made from a profile's alarm hints). */
  index: number;
  id: string;
  kind: RuleKind;
  /** Profiles it applies to; undefined: every device (stale, device-offline) or every gateway. */
  profiles?: ReadonlySet<string>;
  field?: string;
  /** Resolved settings; null where the rule is disabled. */
  base: RuleParams | null;
  sites: ReadonlyMap<string, RuleParams | null>;
  /** Keyed `site/device` (gateway-offline: `site/gateway`). */
  devices: ReadonlyMap<string, RuleParams | null>;
}

export class CompiledRuleSet implements CompiledRules {
  readonly count: number;
  private readonly byId = new Map<string, CompiledRule>();

  constructor(
    readonly source: string,
    readonly rules: readonly CompiledRule[],
  ) {
    this.count = rules.length;
    for (const rule of rules) this.byId.set(rule.id, rule);
  }

  rule(id: string): CompiledRule | undefined {
    return this.byId.get(id);
  }

  /** Rules watching the readings of devices with this profile (every kind but gateway-offline). */
  forProfile(profile: string): CompiledRule[] {
    return this.rules.filter((r) => r.kind !== 'gateway-offline' && (r.profiles === undefined || r.profiles.has(profile)));
  }

  ofKind(kind: RuleKind): CompiledRule[] {
    return this.rules.filter((r) => r.kind === kind);
  }
}

/** The settings of `rule` for one device (or gateway), or null when the rule is disabled for it. */
export function paramsFor(rule: CompiledRule, site: string, device: string): RuleParams | null {
  const forDevice = rule.devices.get(`${site}/${device}`);
  if (forDevice !== undefined) return forDevice;
  const forSite = rule.sites.get(site);
  if (forSite !== undefined) return forSite;
  return rule.base;
}

export function asRuleSet(rules: CompiledRules): CompiledRuleSet {
  if (!(rules instanceof CompiledRuleSet)) throw new TypeError('alarm rules must come from compileRules() or loadRules()');
  return rules;
}
