// Threshold rules: a reading above high/highHigh or below low/lowLow, with hysteresis
// (deadband) and minimum durations. One alarm per device and rule; its level moves up and
// down the ladder of the side it is on (the high side: high → highHigh).
import type { Level, ThresholdParams } from '../compiled-rules.js';
import { withUnit } from '../format.js';
import { DurationGate, rankOf } from '../ladder.js';
import type { Condition, Slot } from '../lifecycle.js';

type Side = 'high' | 'low';

export interface ThresholdState {
  kind: 'threshold';
  gates: Record<Side, DurationGate>;
  last?: { value: number; ts: number };
}

export function newThresholdState(): ThresholdState {
  return { kind: 'threshold', gates: { high: new DurationGate(), low: new DurationGate() } };
}

function current(slot: Slot, side: Side): number {
  return slot.alarm && slot.ladder === side ? slot.rank : 0;
}

/** The reading converted to the rule's unit and datum, or undefined when the sample lacks it. */
export function thresholdValue(params: ThresholdParams, raw: number | boolean | undefined): number | undefined {
  return typeof raw === 'number' ? raw * params.factor + params.offset : undefined;
}

export function observeThreshold(state: ThresholdState, params: ThresholdParams, slot: Slot, value: number, ts: number): void {
  state.last = { value, ts };
  for (const side of ['high', 'low'] as const) {
    const levels = params[side];
    const now = current(slot, side);
    state.gates[side].observe(rankOf(levels, () => value, now, params.deadband), now, ts, levels.length);
  }
}

function sentence(params: ThresholdParams, where: string, value: number, level: Level): string {
  const v = withUnit(value, params.unit, params.decimals);
  const l = withUnit(level.value, params.unit, params.decimals);
  const verb = level.op === 'above' ? (value > level.value ? 'is above' : 'has reached') : value < level.value ? 'is below' : 'has fallen to';
  return `${params.name} ${v} at ${where} ${verb} the ${level.label} ${l}`;
}

function normalSentence(params: ThresholdParams, where: string, value: number, side: Side): string {
  const first = params[side][0] ?? params.high[0] ?? params.low[0];
  const v = withUnit(value, params.unit, params.decimals);
  if (!first) return `${params.name} ${v} at ${where} is back to normal`;
  const l = withUnit(first.value, params.unit, params.decimals);
  return `${params.name} ${v} at ${where} is back ${first.op === 'above' ? 'below' : 'above'} the ${first.label} ${l}`;
}

/**
 * The condition the rule is in at `now`, after the minimum durations: one condition, to be
 * applied to the slot (the lifecycle ignores one that changes nothing). `at` is when it became due.
 */
export function decideThreshold(state: ThresholdState, params: ThresholdParams, slot: Slot, where: string, now: number): { cond: Omit<Condition, 'ts'>; at: number } | undefined {
  const last = state.last;
  if (!last) return undefined;
  const decide = (side: Side) => state.gates[side].decide(current(slot, side), now, params.raiseAfterMs, params.clearAfterMs);
  const high = decide('high');
  const low = decide('low');
  const activeSide: Side | undefined = slot.alarm ? (slot.ladder === 'low' ? 'low' : 'high') : undefined;
  let side: Side;
  let decision: { rank: number; at: number };
  if (activeSide === undefined) {
    [side, decision] = high.rank > 0 ? ['high', high] : low.rank > 0 ? ['low', low] : ['high', { rank: 0, at: now }];
  } else {
    const other: Side = activeSide === 'high' ? 'low' : 'high';
    const otherDecision = other === 'high' ? high : low;
    [side, decision] = otherDecision.rank > 0 ? [other, otherDecision] : [activeSide, activeSide === 'high' ? high : low];
  }
  if (decision.rank === 0) {
    return { cond: { rank: 0, value: last.value, message: normalSentence(params, where, last.value, activeSide ?? 'high') }, at: decision.at };
  }
  const level = params[side].find((l) => l.rank === decision.rank) ?? params[side][params[side].length - 1]!;
  return {
    cond: {
      rank: level.rank, ladder: side, severity: level.severity, level: level.label, value: last.value, threshold: level.value,
      ...(params.unit ? { unit: params.unit } : {}), message: sentence(params, where, last.value, level),
    },
    at: decision.at,
  };
}

export function thresholdPending(state: ThresholdState, slot: Slot): boolean {
  return state.gates.high.pending(current(slot, 'high')) || state.gates.low.pending(current(slot, 'low'));
}
