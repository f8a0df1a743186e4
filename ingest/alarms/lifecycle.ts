// One alarm's life, the same for every rule kind: raised → (acknowledged) → cleared, with
// escalation and de-escalation under the same id, and flap suppression. Pure: every change
// gets its time from the caller. Rule kinds decide the *condition* (which level, with what
// words); this module decides what that means for the alarm and which changes to publish.
import { createHash } from 'node:crypto';
import { PROTOCOL_VERSION, type Alarm, type AlarmSeverity } from '../../protocol/index.js';
import type { Flap } from './compiled-rules.js';
import type { AlarmChange } from './engine-types.js';
import { formatDuration } from './format.js';
import type { RuleKind } from './rules-schema.js';

const MAX_ID = 128;
const MAX_MESSAGE = 2000;

/** One (site, device, rule): at most one active alarm, plus what flap suppression remembers. */
export interface Slot {
  readonly key: string;
  readonly site: string;
  readonly device: string;
  readonly rule: string;
  readonly kind: RuleKind;
  readonly field?: string;
  gateway?: string;
  /** The active alarm (raised or acknowledged); undefined when none. */
  alarm?: Alarm;
  /** The active alarm's level rank (1 = lowest); 0 when none. */
  rank: number;
  /** Which ladder the active alarm is on (threshold rules: high or low side). */
  ladder?: string;
  /** Times of recent raises, for flap detection. */
  raises: number[];
  /** Flap hold: kept active though normal; `normalSince` while the condition stays normal. */
  hold?: { normalSince?: number; message: string; value?: number };
  lastId?: string;
}

/** What a rule kind found: the level reached (0: normal) and how to say it. */
export interface Condition {
  rank: number;
  ladder?: string;
  severity?: AlarmSeverity;
  level?: string;
  value?: number;
  threshold?: number;
  unit?: string;
  /** For rank > 0 what is wrong; for rank 0 that it is back to normal. Plain words for staff. */
  message: string;
  ts: number;
  receivedAt?: number;
}

export function slotKey(site: string, device: string, rule: string): string {
  return `${site}/${device}/${rule}`;
}

export function newSlot(site: string, device: string, rule: string, kind: RuleKind, field?: string, gateway?: string): Slot {
  return { key: slotKey(site, device, rule), site, device, rule, kind, raises: [], rank: 0, ...(field ? { field } : {}), ...(gateway ? { gateway } : {}) };
}

/**
 * `site:device:rule:raisedAt`, readable and unique (one slot raises at most one alarm per
 * millisecond). Longer than the protocol's 128 characters: the head is cut and a hash keeps it unique.
 */
export function alarmId(site: string, device: string, rule: string, raisedAt: number): string {
  const full = `${site}:${device}:${rule}:${raisedAt}`;
  if (full.length <= MAX_ID) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  const tail = `~${hash}:${raisedAt}`;
  return `${`${site}:${device}:${rule}`.slice(0, MAX_ID - tail.length)}${tail}`;
}

function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}

function describe(slot: Slot, cond: Condition, base: Partial<Alarm>): Alarm {
  const alarm: Alarm = {
    v: PROTOCOL_VERSION,
    id: base.id!,
    ts: cond.ts,
    site: slot.site,
    device: slot.device,
    rule: slot.rule,
    kind: slot.kind,
    severity: cond.severity ?? base.severity ?? 'warning',
    state: base.state ?? 'raised',
    message: clip(cond.message),
    raisedAt: base.raisedAt ?? cond.ts,
  };
  if (slot.gateway) alarm.gateway = slot.gateway;
  if (slot.field) alarm.field = slot.field;
  const level = cond.level ?? base.level;
  if (level !== undefined) alarm.level = level;
  const value = cond.value ?? base.value;
  if (value !== undefined) alarm.value = value;
  const threshold = cond.threshold ?? base.threshold;
  if (threshold !== undefined) alarm.threshold = threshold;
  const unit = cond.unit ?? base.unit;
  if (unit !== undefined) alarm.unit = unit;
  if (cond.receivedAt !== undefined) alarm.receivedAt = cond.receivedAt;
  if (base.by !== undefined) alarm.by = base.by;
  if (base.note !== undefined) alarm.note = base.note;
  return alarm;
}

function raise(slot: Slot, cond: Condition, flap: Flap | null, capture: boolean): AlarmChange {
  let id = alarmId(slot.site, slot.device, slot.rule, cond.ts);
  if (id === slot.lastId) id = alarmId(slot.site, slot.device, slot.rule, cond.ts + 1);
  slot.lastId = id;
  slot.alarm = describe(slot, cond, { id, state: 'raised', raisedAt: cond.ts });
  slot.rank = cond.rank;
  if (cond.ladder !== undefined) slot.ladder = cond.ladder;
  else delete slot.ladder;
  slot.raises.push(cond.ts);
  if (flap) slot.raises = slot.raises.filter((t) => t > cond.ts - flap.withinMs);
  else slot.raises = [cond.ts];
  return { alarm: slot.alarm, capture };
}

/** Clears the active alarm (rule removed, flap hold released, condition normal). */
export function clear(slot: Slot, message: string, ts: number, value?: number, receivedAt?: number): AlarmChange {
  const active = slot.alarm!;
  const alarm: Alarm = { ...active, state: 'cleared', ts, message: clip(message) };
  if (value !== undefined) alarm.value = value;
  if (receivedAt !== undefined) alarm.receivedAt = receivedAt;
  else delete alarm.receivedAt;
  delete slot.alarm;
  delete slot.hold;
  delete slot.ladder;
  slot.rank = 0;
  return { alarm, previous: active.state, capture: false };
}

/**
 * Applies a condition to the slot. `capture` says whether raises and escalations ask for
 * pictures (not for gateway-offline: the gateway's cameras are out of reach too).
 */
export function applyCondition(slot: Slot, cond: Condition, flap: Flap | null, capture = true): AlarmChange[] {
  const active = slot.alarm;
  if (!active) return cond.rank > 0 ? [raise(slot, cond, flap, capture)] : [];

  if (cond.rank > 0 && cond.ladder !== slot.ladder) {
    // From one side of a threshold straight to the other: a different alarm.
    const cleared = clear(slot, `No longer at the ${active.level ?? 'alarm level'}: ${cond.message}`, cond.ts, cond.value, cond.receivedAt);
    return [cleared, raise(slot, cond, flap, capture)];
  }

  if (cond.rank === 0) {
    if (slot.hold) {
      slot.hold.normalSince ??= cond.ts;
      slot.hold.message = cond.message;
      if (cond.value !== undefined) slot.hold.value = cond.value;
      else delete slot.hold.value;
      return releaseHold(slot, cond.ts, flap, cond.receivedAt);
    }
    const recent = flap ? slot.raises.filter((t) => t > cond.ts - flap.withinMs).length : 0;
    if (flap && recent >= flap.raises) {
      slot.hold = { normalSince: cond.ts, message: cond.message, ...(cond.value !== undefined ? { value: cond.value } : {}) };
      const note = `${cond.message}. But this alarm was raised ${recent} times in ${formatDuration(flap.withinMs)}: it stays active (flapping) until normal for ${formatDuration(flap.stableMs)}`;
      const alarm: Alarm = { ...active, ts: cond.ts, message: clip(note) };
      if (cond.value !== undefined) alarm.value = cond.value;
      slot.alarm = alarm;
      if (flap.stableMs === 0) return releaseHold(slot, cond.ts, flap, cond.receivedAt);
      return [{ alarm, previous: active.state, capture: false }];
    }
    return [clear(slot, cond.message, cond.ts, cond.value, cond.receivedAt)];
  }

  if (slot.hold) delete slot.hold.normalSince;
  if (cond.rank === slot.rank) return [];
  const escalation = cond.rank > slot.rank;
  // An escalation needs a new acknowledgement; a de-escalation keeps the one it has.
  const base: Partial<Alarm> = escalation ? { ...active, state: 'raised' } : { ...active };
  if (escalation) {
    delete base.by;
    delete base.note;
  }
  const alarm = describe(slot, cond, base);
  slot.alarm = alarm;
  slot.rank = cond.rank;
  return [{ alarm, previous: active.state, capture: escalation && capture }];
}

/** Ends a flap hold once the condition has been normal for `stableMs` (from a sample or a tick). */
export function releaseHold(slot: Slot, now: number, flap: Flap | null, receivedAt?: number): AlarmChange[] {
  const hold = slot.hold;
  if (!slot.alarm || !hold || hold.normalSince === undefined) return [];
  const stableMs = flap?.stableMs ?? 0;
  if (now - hold.normalSince < stableMs) return [];
  // From a reading: that reading's time. From a tick: the moment the hold ran out.
  const at = receivedAt !== undefined ? now : hold.normalSince + stableMs;
  const message = stableMs > 0 ? `${hold.message}. Normal for ${formatDuration(stableMs)} after flapping: cleared` : hold.message;
  return [clear(slot, message, at, hold.value, receivedAt)];
}

export type AckOutcome =
  | { ok: true; change: AlarmChange }
  | { ok: false; reason: 'already-acknowledged'; message: string };

export function acknowledgeSlot(slot: Slot, by: string, note: string | undefined, ts: number): AckOutcome {
  const active = slot.alarm!;
  if (active.state === 'acknowledged') {
    return { ok: false, reason: 'already-acknowledged', message: `alarm ${active.id} was already acknowledged by ${active.by ?? 'someone'}` };
  }
  const alarm: Alarm = { ...active, state: 'acknowledged', ts, by };
  delete alarm.receivedAt;
  if (note !== undefined) alarm.note = note;
  else delete alarm.note;
  slot.alarm = alarm;
  return { ok: true, change: { alarm, previous: active.state, capture: false } };
}
