// Test fixtures: small profiles shaped like the real ones, a compile helper that fails loudly,
// and sample/health builders with fixed times.
import { expect } from 'vitest';
import { alarmSchema } from '../../../protocol/index.js';
import { compileRules, type ProfileForAlarms } from '../compile-rules.js';
import type { CompiledRuleSet } from '../compiled-rules.js';
import type { AlarmChange, GatewayHealth, ReadingSample } from '../engine-types.js';

export const T0 = Date.UTC(2026, 3, 10, 0, 0, 0); // 2026-04-10 08:00 in Tongjiang: ice-jam season
export const S = 1000;
export const MIN = 60_000;
export const H = 3_600_000;

export const PROFILES = new Map<string, ProfileForAlarms>([
  ['generic-lel-gas-detector', { name: 'generic-lel-gas-detector', measurement: 'gas', points: [
    { name: 'concentration', unit: '%LEL', alarm: { high: 25, highHigh: 50, source: 'GB/T 50493-2019 §5.5' } },
    { name: 'alarm_low' },
  ] }],
  ['hlk-ld8001h', { name: 'hlk-ld8001h', measurement: 'water', points: [{ name: 'air_gap', unit: 'mm' }, { name: 'water_level', unit: 'mm' }] }],
  ['xunchip-xm9505-rain', { name: 'xunchip-xm9505-rain', measurement: 'weather', points: [{ name: 'rainfall', unit: 'mm' }] }],
  ['th-transmitter', { name: 'th-transmitter', measurement: 'weather', points: [{ name: 'temperature', unit: '°C', alarm: { lowLow: -45, low: -40, high: 35 } }] }],
]);

export function compiled(yaml: string): CompiledRuleSet {
  const result = compileRules(yaml, PROFILES);
  if (!result.ok) throw new Error(`rules refused:\n${result.errors.join('\n')}`);
  return result.rules;
}

export function errorsOf(yaml: string): string[] {
  const result = compileRules(yaml, PROFILES);
  if (result.ok) throw new Error('rules were accepted');
  return result.errors;
}

const PROFILE_OF: Record<string, string> = { gas: 'generic-lel-gas-detector', level: 'hlk-ld8001h', rain: 'xunchip-xm9505-rain', th: 'th-transmitter' };

/** A sample of device `gas-1`/`level-1`/… (profile from the name's prefix) at site `s1`, received 200 ms later. */
export function reading(device: string, ts: number, values: Record<string, number | boolean>, extra: Partial<ReadingSample> = {}): ReadingSample {
  const profile = PROFILE_OF[device.split('-')[0]!] ?? 'th-transmitter';
  return { site: 's1', gateway: 'gw-1', device, measurement: 'x', profile, ts, values, receivedAt: ts + 200, ...extra };
}

export function health(ts: number, online: boolean, devices?: Record<string, boolean>, extra: Partial<GatewayHealth> = {}): GatewayHealth {
  return {
    site: 's1', gateway: 'gw-1', online, ts,
    ...(devices ? { devices: Object.fromEntries(Object.entries(devices).map(([d, o]) => [d, { online: o }])) } : {}),
    ...extra,
  };
}

/** `raised major warning level`, `cleared`, … : what staff would see change. */
export function summary(change: AlarmChange): string {
  const a = change.alarm;
  return a.state === 'cleared' ? 'cleared' : [a.state, a.severity, a.level].filter(Boolean).join(' ');
}

/** Every alarm the engine produces must be a valid protocol message. */
export function checked(changes: AlarmChange[]): AlarmChange[] {
  for (const change of changes) expect(alarmSchema.safeParse(change.alarm).error).toBeUndefined();
  return changes;
}

/** One step of a scenario: a reading `[s, value]` (optionally bad), a tick, or an acknowledgement, at T0 + s seconds. */
export type Step =
  | [seconds: number, value: number]
  | [seconds: number, value: number, quality: 'bad' | 'uncertain']
  | ['tick', seconds: number]
  | ['ack', seconds: number];

export interface Played {
  /** `<s>: <summary>` per change, s = seconds after T0 of the change's ts. */
  log: string[];
  changes: AlarmChange[];
}

export function play(engine: import('../engine-types.js').AlarmEngine, device: string, field: string, steps: readonly Step[]): Played {
  const changes: AlarmChange[] = [];
  for (const step of steps) {
    if (step[0] === 'tick') changes.push(...checked(engine.tick(T0 + step[1] * S + 200)));
    else if (step[0] === 'ack') {
      const id = engine.active().find((a) => a.device === device)?.id ?? 'none';
      const result = engine.acknowledge(id, 'duty officer', 'crew on the way', T0 + step[1] * S);
      if (result.ok) changes.push(...checked([result.change]));
    } else {
      const [seconds, value, quality] = step;
      changes.push(...checked(engine.evaluate(reading(device, T0 + seconds * S, { [field]: value }, quality ? { quality } : {}))));
    }
  }
  return { changes, log: changes.map((c) => `${(c.alarm.ts - T0) / S}: ${summary(c)}`) };
}
