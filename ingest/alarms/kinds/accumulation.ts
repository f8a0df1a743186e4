// Accumulation rules: totals of a cumulative counter over sliding windows (rainstorm signals:
// 50 mm in 12 h blue … 100 mm in 3 h red), one alarm per device whose level escalates.
// Increments come from counterIncrements (lib/), which handles wraps, resets to 0 after a
// power failure, lone spikes and implausible jumps; an increment spanning the window's start
// (or a gap in the data) counts pro rata for the part inside the window.
import { counterIncrements, type CounterIncrement } from '../../../lib/counter-increments.js';
import type { AccumulationParams, Level } from '../compiled-rules.js';
import { formatDuration, withUnit } from '../format.js';
import { DurationGate, rankOf } from '../ladder.js';
import type { Condition, Slot } from '../lifecycle.js';

/** Unchanged readings closer together than this are thinned out (only the newest is kept). */
const THIN_MS = 5 * 60_000;

export interface AccumulationState {
  kind: 'accumulation';
  gate: DurationGate;
  readings: [number, number][];
  /** Total per level (by rank) at the last sample. */
  totals?: Map<number, number>;
}

export function newAccumulationState(): AccumulationState {
  return { kind: 'accumulation', gate: new DurationGate(), readings: [] };
}

/** What the increments add up to over [start, end], each counted for the share of its interval inside. */
export function totalIn(increments: readonly CounterIncrement[], start: number, end: number): number {
  let total = 0;
  for (const inc of increments) {
    if (inc.increment === 0 || inc.to <= start || inc.from >= end) continue;
    const span = inc.to - inc.from;
    const inside = Math.min(inc.to, end) - Math.max(inc.from, start);
    total += span > 0 ? (inc.increment * inside) / span : inc.increment;
  }
  return total;
}

function remember(readings: [number, number][], ts: number, value: number, keepFrom: number): void {
  const n = readings.length;
  const last = readings[n - 1];
  const before = readings[n - 2];
  if (last && before && last[1] === value && before[1] === value && ts - before[0] <= THIN_MS) readings[n - 1] = [ts, value];
  else readings.push([ts, value]);
  // Keep one reading at or before the window's start, so the interval across it counts.
  while (readings.length > 2 && readings[1]![0] <= keepFrom) readings.shift();
}

export function observeAccumulation(state: AccumulationState, params: AccumulationParams, slot: Slot, raw: number, ts: number): void {
  remember(state.readings, ts, raw, ts - params.maxWindowMs);
  const increments = counterIncrements(state.readings, {
    ...(params.wrapAt !== undefined ? { wrapAt: params.wrapAt } : {}),
    ...(params.maxGapMs !== undefined ? { maxGapMs: params.maxGapMs } : {}),
    ...(params.maxRatePerHour !== undefined ? { maxRatePerHour: params.maxRatePerHour } : {}),
  });
  const totals = new Map<number, number>();
  for (const level of params.levels) totals.set(level.rank, totalIn(increments, ts - level.windowMs!, ts) * params.factor);
  state.totals = totals;
  const current = slot.alarm ? slot.rank : 0;
  state.gate.observe(rankOf(params.levels, (l) => totals.get(l.rank), current, params.deadband), current, ts, params.levels.length);
}

function describeLevel(level: Level, unit: string | undefined, decimals: number | undefined): string {
  return `${withUnit(level.value, unit, decimals)} in ${formatDuration(level.windowMs!)}`;
}

export function decideAccumulation(state: AccumulationState, params: AccumulationParams, slot: Slot, where: string, now: number): { cond: Omit<Condition, 'ts'>; at: number } | undefined {
  const totals = state.totals;
  if (!totals) return undefined;
  const decision = state.gate.decide(slot.alarm ? slot.rank : 0, now, params.raiseAfterMs, params.clearAfterMs);
  if (decision.rank === 0) {
    const first = params.levels[0]!;
    const total = totals.get(first.rank) ?? 0;
    return {
      cond: { rank: 0, value: total, message: `${params.name} at ${where}: ${withUnit(total, params.unit, params.decimals)} in the last ${formatDuration(first.windowMs!)}, below the ${first.label} (${describeLevel(first, params.unit, params.decimals)})` },
      at: decision.at,
    };
  }
  const level = params.levels.find((l) => l.rank === decision.rank) ?? params.levels[params.levels.length - 1]!;
  const total = totals.get(level.rank) ?? 0;
  return {
    cond: {
      rank: level.rank, severity: level.severity, level: level.label, value: total, threshold: level.value,
      ...(params.unit ? { unit: params.unit } : {}),
      message: `${params.name} at ${where}: ${withUnit(total, params.unit, params.decimals)} in the last ${formatDuration(level.windowMs!)}: ${level.label} (${describeLevel(level, params.unit, params.decimals)})`,
    },
    at: decision.at,
  };
}
