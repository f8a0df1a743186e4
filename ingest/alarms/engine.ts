// The alarm engine: evaluates the compiled rules on readings and gateway health, and keeps
// each alarm's lifecycle (lifecycle.ts). Pure and deterministic: no clock, no timers, no I/O;
// times come from the samples, the health reports and tick(now). The ingest service stores,
// publishes and photographs what it returns (engine-types.ts is the seam).
//
// Clocks: sample and status times are the gateway's; `receivedAt` and tick's `now` are
// ingest's. Minimum durations of value rules run on the gateway's clock (a tick converts `now`
// with the offset seen on the device's last sample), so replays after an outage and a
// gateway's clock error neither raise early nor late; stale-data silence runs on ingest's clock.
import type { Alarm } from '../../protocol/index.js';
import {
  asRuleSet, paramsFor, type AccumulationParams, type CompiledRule, type CompiledRuleSet, type Level,
  type OfflineParams, type RateParams, type RuleParams, type StaleParams, type ThresholdParams,
} from './compiled-rules.js';
import type { AcknowledgeResult, AlarmChange, AlarmEngine, CompiledRules, GatewayHealth, ReadingSample } from './engine-types.js';
import { decideAccumulation, newAccumulationState, observeAccumulation, type AccumulationState } from './kinds/accumulation.js';
import { decideOffline, newOfflineState, observeOnline, type OfflineState } from './kinds/offline.js';
import { decideRate, newRateState, observeRate, type RateState } from './kinds/rate-of-rise.js';
import { backMessage, decideStale, newStaleState, observeStale, type StaleState } from './kinds/stale.js';
import { decideThreshold, newThresholdState, observeThreshold, thresholdPending, thresholdValue, type ThresholdState } from './kinds/threshold.js';
import { acknowledgeSlot, applyCondition, clear, newSlot, releaseHold, slotKey, type Condition, type Slot } from './lifecycle.js';
import { RULE_KINDS, type RuleKind } from './rules-schema.js';

export interface AlarmEngineOptions {
  /** Local time in messages, minutes east of UTC. Default 480 (China Standard Time, Tongjiang). */
  utcOffsetMinutes?: number;
  /** Cleared alarm ids remembered, so a late acknowledgement is told "cleared" rather than "unknown". */
  rememberCleared?: number;
}

type KindState = ThresholdState | RateState | AccumulationState | StaleState | OfflineState;
type Decision = { cond: Omit<Condition, 'ts'>; at: number } | undefined;

interface DeviceInfo {
  gateway: string;
  profile: string;
  /** Newest sample time seen (gateway clock); older samples do not drive value rules. */
  lastTs: number;
  /** receivedAt − ts of that sample: turns tick's `now` into the gateway's clock. */
  clockOffset: number;
}

function newState(kind: RuleKind): KindState {
  switch (kind) {
    case 'threshold': return newThresholdState();
    case 'rate-of-rise': return newRateState();
    case 'accumulation': return newAccumulationState();
    case 'stale': return newStaleState();
    case 'device-offline':
    case 'gateway-offline': return newOfflineState(kind);
  }
}

function resetTiming(state: KindState): void {
  if (state.kind === 'threshold') {
    state.gates.high.reset();
    state.gates.low.reset();
  } else if (state.kind !== 'stale') state.gate.reset();
}

function movedGates(state: KindState): void {
  if (state.kind === 'threshold') {
    state.gates.high.moved();
    state.gates.low.moved();
  } else if (state.kind !== 'stale') state.gate.moved();
}

function levelsOf(params: RuleParams): Level[] {
  switch (params.kind) {
    case 'threshold': return [...params.high, ...params.low];
    case 'rate-of-rise':
    case 'accumulation': return params.levels;
    default: return [];
  }
}

class Engine implements AlarmEngine {
  private ruleSet: CompiledRuleSet;
  private readonly slots = new Map<string, Slot>();
  private readonly states = new Map<string, KindState>();
  private readonly devices = new Map<string, DeviceInfo>();
  private readonly gatewaysOnline = new Map<string, boolean>();
  /** Active alarm id → slot key. */
  private readonly ids = new Map<string, string>();
  private readonly cleared = new Map<string, number>();
  private orphansToCheck = false;
  private readonly utcOffset: number;
  private readonly rememberCleared: number;

  constructor(rules: CompiledRules, options: AlarmEngineOptions) {
    this.ruleSet = asRuleSet(rules);
    this.utcOffset = options.utcOffsetMinutes ?? 480;
    this.rememberCleared = options.rememberCleared ?? 10_000;
  }

  // ---- inputs -------------------------------------------------------------------------------

  evaluate(sample: ReadingSample): AlarmChange[] {
    const where = `${sample.site}/${sample.device}`;
    const known = this.devices.get(where);
    const fresh = known === undefined || sample.ts > known.lastTs;
    const device: DeviceInfo = known ?? { gateway: sample.gateway, profile: sample.profile, lastTs: sample.ts, clockOffset: sample.receivedAt - sample.ts };
    device.gateway = sample.gateway;
    device.profile = sample.profile;
    if (fresh) {
      device.lastTs = sample.ts;
      device.clockOffset = sample.receivedAt - sample.ts;
    }
    this.devices.set(where, device);

    const changes: AlarmChange[] = [];
    for (const rule of this.ruleSet.forProfile(sample.profile)) {
      const params = paramsFor(rule, sample.site, sample.device);
      if (!params || params.kind === 'device-offline' || params.kind === 'gateway-offline') continue;
      if (params.kind === 'stale') {
        if (params.field !== undefined && !(params.field in sample.values)) continue;
        const { slot, state } = this.slotFor<StaleState>(sample.site, sample.device, rule, sample.gateway);
        const silence = state.lastReceivedAt !== undefined ? sample.receivedAt - state.lastReceivedAt : undefined;
        observeStale(state, sample.ts, sample.receivedAt);
        if (slot.alarm) changes.push(...this.apply(slot, state, params, { rank: 0, message: backMessage(where, silence), ts: sample.receivedAt, receivedAt: sample.receivedAt }));
        continue;
      }
      if (params.kind !== 'threshold' && params.kind !== 'rate-of-rise' && params.kind !== 'accumulation') continue;
      // Bad readings neither raise nor clear; replays older than what we have do not rewind rules.
      if (!fresh || sample.quality === 'bad') continue;
      const raw = sample.values[params.field];
      if (typeof raw !== 'number') continue;
      const { slot, state } = this.slotFor<KindState>(sample.site, sample.device, rule, sample.gateway);
      let decision: Decision;
      if (params.kind === 'threshold' && state.kind === 'threshold') {
        observeThreshold(state, params, slot, thresholdValue(params, raw)!, sample.ts);
        decision = decideThreshold(state, params, slot, where, sample.ts);
      } else if (params.kind === 'rate-of-rise' && state.kind === 'rate-of-rise') {
        observeRate(state, params, slot, raw * params.factor, sample.ts);
        decision = decideRate(state, params, slot, where, sample.ts);
      } else if (params.kind === 'accumulation' && state.kind === 'accumulation') {
        observeAccumulation(state, params, slot, raw, sample.ts);
        decision = decideAccumulation(state, params, slot, where, sample.ts);
      }
      if (decision) changes.push(...this.apply(slot, state, params, { ...decision.cond, ts: sample.ts, receivedAt: sample.receivedAt }));
    }
    return changes;
  }

  gatewayHealth(health: GatewayHealth): AlarmChange[] {
    const { site, gateway } = health;
    this.gatewaysOnline.set(`${site}/${gateway}`, health.online);
    const changes: AlarmChange[] = [];
    const report = (rule: CompiledRule, id: string, online: boolean) => {
      const params = paramsFor(rule, site, id) as OfflineParams | null;
      if (!params) return;
      const { slot, state } = this.slotFor<OfflineState>(site, id, rule, gateway);
      observeOnline(state, slot, online, health.ts, health.receivedAt);
      const decision = decideOffline(state, params, slot, { site, id, gateway }, health.ts, this.utcOffset);
      if (decision) changes.push(...this.apply(slot, state, params, { ...decision.cond, ts: health.ts }));
    };
    for (const rule of this.ruleSet.ofKind('gateway-offline')) report(rule, gateway, health.online);
    // An offline gateway's word on its devices is out of date: only an online one's counts.
    for (const [device, { online }] of Object.entries(health.online ? health.devices ?? {} : {})) {
      const profile = this.devices.get(`${site}/${device}`)?.profile;
      for (const rule of this.ruleSet.ofKind('device-offline')) {
        if (rule.profiles && (profile === undefined || !rule.profiles.has(profile))) continue;
        report(rule, device, online);
      }
    }
    return changes;
  }

  tick(now: number): AlarmChange[] {
    const changes: AlarmChange[] = [];
    if (this.orphansToCheck) {
      this.orphansToCheck = false;
      changes.push(...this.dropInapplicable(now));
    }
    for (const [key, state] of this.states) {
      const slot = this.slots.get(key)!;
      const rule = this.ruleSet.rule(slot.rule);
      const params = rule ? paramsFor(rule, slot.site, slot.device) : null;
      if (!params) continue;
      const where = `${slot.site}/${slot.device}`;
      switch (state.kind) {
        case 'stale': {
          if (!slot.alarm && !this.staleSuppressed(slot)) {
            const decision = decideStale(state, params as StaleParams, where, now, this.utcOffset);
            if (decision) changes.push(...this.apply(slot, state, params, { ...decision.cond, ts: decision.at }));
          }
          if (slot.hold) changes.push(...this.record(releaseHold(slot, now, params.flap)));
          break;
        }
        case 'device-offline':
        case 'gateway-offline': {
          const gatewayNow = Math.max(now - state.clockOffset, state.lastTs ?? -Infinity);
          if (state.gate.pending(slot.alarm ? slot.rank : 0)) {
            const decision = decideOffline(state, params as OfflineParams, slot, { site: slot.site, id: slot.device, gateway: slot.gateway ?? slot.device }, gatewayNow, this.utcOffset);
            if (decision) changes.push(...this.apply(slot, state, params, { ...decision.cond, ts: decision.at }));
          }
          if (slot.hold) changes.push(...this.record(releaseHold(slot, gatewayNow, params.flap)));
          break;
        }
        default: {
          const device = this.devices.get(where);
          if (!device) break;
          const deviceNow = Math.max(now - device.clockOffset, device.lastTs);
          const pending = state.kind === 'threshold' ? thresholdPending(state, slot) : state.gate.pending(slot.alarm ? slot.rank : 0);
          if (pending) {
            let decision: Decision;
            if (state.kind === 'threshold') decision = decideThreshold(state, params as ThresholdParams, slot, where, deviceNow);
            else if (state.kind === 'rate-of-rise') decision = decideRate(state, params as RateParams, slot, where, deviceNow);
            else decision = decideAccumulation(state, params as AccumulationParams, slot, where, deviceNow);
            if (decision) changes.push(...this.apply(slot, state, params, { ...decision.cond, ts: decision.at }));
          }
          if (slot.hold) changes.push(...this.record(releaseHold(slot, deviceNow, params.flap)));
        }
      }
    }
    return changes;
  }

  acknowledge(id: string, by: string, note: string | undefined, ts: number): AcknowledgeResult {
    const key = this.ids.get(id);
    const slot = key !== undefined ? this.slots.get(key) : undefined;
    if (!slot?.alarm || slot.alarm.id !== id) {
      return this.cleared.has(id)
        ? { ok: false, reason: 'cleared', message: `alarm ${id} is already cleared` }
        : { ok: false, reason: 'unknown', message: `no active alarm ${id}` };
    }
    const outcome = acknowledgeSlot(slot, by, note, ts);
    if (outcome.ok) this.record([outcome.change]);
    return outcome;
  }

  replaceRules(rules: CompiledRules, now: number): AlarmChange[] {
    this.ruleSet = asRuleSet(rules);
    for (const state of this.states.values()) resetTiming(state);
    return this.dropInapplicable(now);
  }

  active(): Alarm[] {
    return [...this.slots.values()].flatMap((slot) => (slot.alarm ? [slot.alarm] : []));
  }

  restore(active: readonly Alarm[]): void {
    for (const alarm of active) {
      if (alarm.state === 'cleared') continue;
      const key = slotKey(alarm.site, alarm.device, alarm.rule);
      if (this.slots.get(key)?.alarm) continue; // raised again since the start: keep the live one
      const rule = this.ruleSet.rule(alarm.rule);
      const kind: RuleKind = (RULE_KINDS as readonly string[]).includes(alarm.kind ?? '') ? (alarm.kind as RuleKind) : rule?.kind ?? 'threshold';
      const slot = this.slots.get(key) ?? newSlot(alarm.site, alarm.device, alarm.rule, kind, alarm.field, alarm.gateway);
      this.slots.set(key, slot);
      if (!this.states.has(key)) this.states.set(key, newState(kind));
      const params = rule ? paramsFor(rule, alarm.site, alarm.device) : null;
      const levels = params ? levelsOf(params) : [];
      const level = levels.find((l) => l.label === alarm.level) ?? levels.find((l) => l.severity === alarm.severity);
      slot.alarm = alarm;
      slot.rank = level?.rank ?? 1;
      if (kind === 'threshold') slot.ladder = level?.op === 'below' ? 'low' : 'high';
      slot.lastId = alarm.id;
      slot.raises = [alarm.raisedAt ?? alarm.ts];
      this.ids.set(alarm.id, key);
    }
    this.orphansToCheck = true;
  }

  // ---- internals ----------------------------------------------------------------------------

  private slotFor<S extends KindState>(site: string, device: string, rule: CompiledRule, gateway: string): { slot: Slot; state: S } {
    const key = slotKey(site, device, rule.id);
    let slot = this.slots.get(key);
    if (!slot || slot.kind !== rule.kind) {
      slot = newSlot(site, device, rule.id, rule.kind, rule.field, gateway);
      this.slots.set(key, slot);
      this.states.set(key, newState(rule.kind));
    }
    slot.gateway = gateway;
    let state = this.states.get(key);
    if (!state || state.kind !== rule.kind) {
      state = newState(rule.kind);
      this.states.set(key, state);
    }
    return { slot, state: state as S };
  }

  private apply(slot: Slot, state: KindState, params: RuleParams, cond: Condition): AlarmChange[] {
    const before = slot.rank;
    const changes = applyCondition(slot, cond, params.flap, slot.kind !== 'gateway-offline');
    if (slot.rank !== before) movedGates(state);
    return this.record(changes);
  }

  /** Keeps the id index and the recently-cleared list in step with the changes. */
  private record(changes: AlarmChange[]): AlarmChange[] {
    for (const { alarm } of changes) {
      if (alarm.state === 'cleared') {
        this.ids.delete(alarm.id);
        this.cleared.set(alarm.id, alarm.ts);
        if (this.cleared.size > this.rememberCleared) this.cleared.delete(this.cleared.keys().next().value!);
      } else this.ids.set(alarm.id, slotKey(alarm.site, alarm.device, alarm.rule));
    }
    return changes;
  }

  private staleSuppressed(slot: Slot): boolean {
    const device = this.devices.get(`${slot.site}/${slot.device}`);
    if (device && this.gatewaysOnline.get(`${slot.site}/${device.gateway}`) === false) return true;
    return this.ruleSet.ofKind('device-offline').some((rule) => this.slots.get(slotKey(slot.site, slot.device, rule.id))?.alarm !== undefined);
  }

  /** Clears alarms whose rule is gone, disabled for the device, or no longer watches that reading. */
  private dropInapplicable(now: number): AlarmChange[] {
    const changes: AlarmChange[] = [];
    for (const [key, slot] of this.slots) {
      const rule = this.ruleSet.rule(slot.rule);
      let params = rule && rule.kind === slot.kind && rule.field === slot.field ? paramsFor(rule, slot.site, slot.device) : null;
      const profile = this.devices.get(`${slot.site}/${slot.device}`)?.profile;
      if (params && rule?.profiles && slot.kind !== 'gateway-offline' && profile !== undefined && !rule.profiles.has(profile)) params = null;
      let maxRank = Infinity;
      if (params && (params.kind === 'threshold' || params.kind === 'rate-of-rise' || params.kind === 'accumulation')) {
        maxRank = params.kind === 'threshold' ? (slot.ladder === 'low' ? params.low : params.high).length : params.levels.length;
      }
      if (params && maxRank > 0) {
        if (slot.alarm && slot.rank > maxRank) slot.rank = maxRank;
        continue;
      }
      if (slot.alarm) {
        const where = `${slot.site}/${slot.device}`;
        const why = !rule ? 'was removed from the alarm rules' : params ? 'has no level on this side any more' : 'no longer applies to this device';
        changes.push(clear(slot, `Alarm rule "${slot.rule}" ${why}: alarm at ${where} cleared (it was: ${slot.alarm.message})`, now));
      }
      this.slots.delete(key);
      this.states.delete(key);
    }
    return this.record(changes);
  }
}

export function createAlarmEngine(rules: CompiledRules, options: AlarmEngineOptions = {}): AlarmEngine {
  return new Engine(rules, options);
}
