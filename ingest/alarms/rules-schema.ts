// The alarm rules file (YAML), as zod schemas. Pure, no I/O. What each field means, with a
// worked example, is in docs/alarms.md and config/alarm-rules.example.yaml.
//
//   version: 1
//   profileHints: true            # default threshold rules from the profiles' `alarm:` hints
//   flap: { raises: 3, withinS: 1800, stableS: 900 }   # flap suppression default (or false)
//   rules:
//     - id: water-level            # unique; appears in alarm ids and messages
//       kind: threshold            # threshold | rate-of-rise | accumulation | stale | device-offline | gateway-offline
//       profile: hlk-ld8001h       # which devices (by profile); field: which reading
//       field: water_level
//       unit: m                    # unit the levels are written in (readings are converted)
//       …tunables…                 # kind-specific, see below
//       sites:   { jiejinkou: { high: 3.1, highHigh: 3.6 } }          # per-site overrides
//       devices: { jiejinkou/level-1: { high: 3.2 }, fuyuan/level-9: { enabled: false } }
//
// Tunables may be overridden per site and per device (`site/device`; for gateway-offline
// `site/gateway`): the device's entry is laid over its site's, which is laid over the rule's.
// Each rule is checked on its own, so one typo does not hide another rule's problem.
import { z } from 'zod';
import { alarmSeveritySchema, idSchema, profileNameSchema, fieldNameSchema } from '../../protocol/index.js';

export const RULE_KINDS = ['threshold', 'rate-of-rise', 'accumulation', 'stale', 'device-offline', 'gateway-offline'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const THRESHOLD_KEYS = ['lowLow', 'low', 'high', 'highHigh'] as const;
export type ThresholdKey = (typeof THRESHOLD_KEYS)[number];

const WEEK_S = 7 * 24 * 3600;

export const ruleIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'rule ids are lowercase letters, digits, ".", "_" or "-", at most 64 characters');

const secondsSchema = z.number().min(0, 'must be ≥ 0 seconds').max(WEEK_S, 'must be at most a week');
const positiveSecondsSchema = z.number().gt(0, 'must be more than 0 seconds').max(WEEK_S, 'must be at most a week');

/** Flap suppression: more than `raises` raises within `withinS` keep the alarm active until normal for `stableS`. */
export const flapSchema = z.union([
  z.literal(false),
  z.strictObject({
    raises: z.number().int().min(2, 'raises must be at least 2'),
    withinS: positiveSecondsSchema,
    stableS: secondsSchema,
  }),
]);
export type FlapSetting = z.infer<typeof flapSchema>;

const levelName = z.string().min(1).max(128);

/** Tunables every kind has. */
const commonTunables = {
  enabled: z.boolean().optional(),
  /** The condition must hold this long before the alarm is raised (or escalated). */
  raiseAfterS: secondsSchema.optional(),
  /** The condition must have ended this long before the alarm is cleared (or de-escalated). */
  clearAfterS: secondsSchema.optional(),
  flap: flapSchema.optional(),
  /** What the reading is called in messages ("Water level"); default: the field name. */
  name: z.string().min(1).max(64).optional(),
  /** Decimals shown in messages; default depends on the size of the number. */
  decimals: z.number().int().min(0).max(6).optional(),
};

const thresholdTunables = z.strictObject({
  ...commonTunables,
  lowLow: z.number().nullable().optional(),
  low: z.number().nullable().optional(),
  high: z.number().nullable().optional(),
  highHigh: z.number().nullable().optional(),
  labels: z.partialRecord(z.enum(THRESHOLD_KEYS), levelName).optional(),
  severities: z.partialRecord(z.enum(THRESHOLD_KEYS), alarmSeveritySchema).optional(),
  /** Hysteresis: clear (or de-escalate) only once the reading is back past the level by this much. */
  deadband: z.number().min(0, 'deadband must be ≥ 0').optional(),
  /** Added to the (converted) reading: e.g. the gauge zero's elevation, so levels are in the station's datum. */
  offset: z.number().optional(),
});

const rateLevel = z.strictObject({ name: levelName, atLeast: z.number().gt(0, 'atLeast must be > 0'), severity: alarmSeveritySchema });
const rateTunables = z.strictObject({
  ...commonTunables,
  /** Sliding window the rate is computed over. */
  windowS: positiveSecondsSchema.optional(),
  /** The samples in the window must span at least this long (default half the window). */
  minSpanS: secondsSchema.optional(),
  minSamples: z.number().int().min(2).optional(),
  method: z.enum(['least-squares', 'endpoints']).optional(),
  /** Hysteresis, in the rate's unit per hour. */
  deadband: z.number().min(0).optional(),
  levels: z.array(rateLevel).min(1, 'at least one level').max(8).optional(),
});

const accumulationLevel = z.strictObject({
  name: levelName,
  windowH: z.number().gt(0, 'windowH must be > 0').max(72, 'windowH must be at most 72 hours'),
  atLeast: z.number().gt(0, 'atLeast must be > 0'),
  severity: alarmSeveritySchema,
});
const accumulationTunables = z.strictObject({
  ...commonTunables,
  /** The counter's range in engineering units (it goes back to 0 after this), e.g. 65536 tips × 0.1 mm. */
  wrapAt: z.number().gt(0).optional(),
  /** Increments across a longer gap in the data are not trusted (see counterIncrements). */
  maxGapS: positiveSecondsSchema.optional(),
  /** Increments faster than this (unit per hour) are a counter fault, not rain. */
  maxRatePerHour: z.number().gt(0).optional(),
  deadband: z.number().min(0).optional(),
  levels: z.array(accumulationLevel).min(1, 'at least one level').max(8).optional(),
});

const staleTunables = z.strictObject({
  ...commonTunables,
  /** The device's reporting interval; learned from the data when not given. */
  expectedIntervalS: positiveSecondsSchema.optional(),
  /** Stale after this many expected intervals without a reading. */
  factor: z.number().min(1, 'factor must be at least 1').max(1000).optional(),
  /** Never stale before this much silence, however fast the device reports. */
  minSilenceS: secondsSchema.optional(),
  severity: alarmSeveritySchema.optional(),
});

const offlineTunables = z.strictObject({ ...commonTunables, severity: alarmSeveritySchema.optional() });

export type ThresholdTunables = z.infer<typeof thresholdTunables>;
export type RateTunables = z.infer<typeof rateTunables>;
export type AccumulationTunables = z.infer<typeof accumulationTunables>;
export type StaleTunables = z.infer<typeof staleTunables>;
export type OfflineTunables = z.infer<typeof offlineTunables>;

const deviceKeySchema = z
  .string()
  .regex(/^[a-z0-9-]{1,64}\/[a-z0-9-]{1,64}$/, 'device keys are "site/device" (for gateway-offline "site/gateway")');

function overridable<T extends z.ZodType>(tunables: T) {
  return {
    sites: z.record(idSchema, tunables).optional(),
    devices: z.record(deviceKeySchema, tunables).optional(),
  };
}

const head = {
  id: ruleIdSchema,
  description: z.string().max(500).optional(),
};
const profileList = z.union([profileNameSchema, z.array(profileNameSchema).min(1)]);

export const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...head, kind: z.literal('threshold'), profile: profileNameSchema, field: fieldNameSchema, unit: z.string().max(32).optional(),
    ...thresholdTunables.shape, ...overridable(thresholdTunables),
  }),
  z.strictObject({
    ...head, kind: z.literal('rate-of-rise'), profile: profileNameSchema, field: fieldNameSchema, unit: z.string().max(32).optional(),
    ...rateTunables.shape, ...overridable(rateTunables),
  }),
  z.strictObject({
    ...head, kind: z.literal('accumulation'), profile: profileNameSchema, field: fieldNameSchema, unit: z.string().max(32).optional(),
    ...accumulationTunables.shape, ...overridable(accumulationTunables),
  }),
  z.strictObject({
    ...head, kind: z.literal('stale'), profile: profileList.optional(), field: fieldNameSchema.optional(),
    ...staleTunables.shape, ...overridable(staleTunables),
  }),
  z.strictObject({ ...head, kind: z.literal('device-offline'), profile: profileList.optional(), ...offlineTunables.shape, ...overridable(offlineTunables) }),
  z.strictObject({ ...head, kind: z.literal('gateway-offline'), ...offlineTunables.shape, ...overridable(offlineTunables) }),
]);
export type RuleInput = z.infer<typeof ruleSchema>;

export const rulesFileSchema = z.strictObject({
  version: z.literal(1, 'version: 1 expected'),
  profileHints: z.boolean().default(true),
  flap: flapSchema.optional(),
  /** Checked one by one with ruleSchema, so each rule's errors are reported under its own name. */
  rules: z.array(z.unknown()).default([]),
});
