// Rate-of-rise rules (ice-jam floods: the river rising tens of cm per hour matters before any
// level is reached). The rate is the least-squares slope of the samples in a sliding window
// (robust to the radar's few-mm noise) or, if the rule says `endpoints`, (last − first) / span.
// It is only computed once the window holds `minSamples` spanning at least `minSpanMs`;
// until then the alarm keeps the level it has.
import type { RateParams } from '../compiled-rules.js';
import { formatDuration, withUnit } from '../format.js';
import { DurationGate, rankOf } from '../ladder.js';
import type { Condition, Slot } from '../lifecycle.js';

const HOUR_MS = 3_600_000;

export interface RateState {
  kind: 'rate-of-rise';
  gate: DurationGate;
  window: { ts: number; value: number }[];
  rate?: number;
}

export function newRateState(): RateState {
  return { kind: 'rate-of-rise', gate: new DurationGate(), window: [] };
}

/** Units per hour over the samples, or undefined when they are too few or too close together. */
export function rateOf(samples: readonly { ts: number; value: number }[], method: RateParams['method'], minSamples: number, minSpanMs: number): number | undefined {
  if (samples.length < Math.max(2, minSamples)) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const span = last.ts - first.ts;
  if (span <= 0 || span < minSpanMs) return undefined;
  if (method === 'endpoints') return ((last.value - first.value) / span) * HOUR_MS;
  // Least squares, times relative to the first sample (hours) for precision.
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const s of samples) {
    const x = (s.ts - first.ts) / HOUR_MS;
    sx += x; sy += s.value; sxx += x * x; sxy += x * s.value;
  }
  const n = samples.length;
  const denominator = n * sxx - sx * sx;
  return denominator === 0 ? undefined : (n * sxy - sx * sy) / denominator;
}

export function observeRate(state: RateState, params: RateParams, slot: Slot, value: number, ts: number): void {
  state.window.push({ ts, value });
  const start = ts - params.windowMs;
  while (state.window.length > 0 && state.window[0]!.ts < start) state.window.shift();
  const rate = rateOf(state.window, params.method, params.minSamples, params.minSpanMs);
  if (rate === undefined) return;
  state.rate = rate;
  const current = slot.alarm ? slot.rank : 0;
  state.gate.observe(rankOf(params.levels, () => rate, current, params.deadband), current, ts, params.levels.length);
}

export function decideRate(state: RateState, params: RateParams, slot: Slot, where: string, now: number): { cond: Omit<Condition, 'ts'>; at: number } | undefined {
  if (state.rate === undefined) return undefined;
  const rate = state.rate;
  const decision = state.gate.decide(slot.alarm ? slot.rank : 0, now, params.raiseAfterMs, params.clearAfterMs);
  const perHour = params.unit ? `${params.unit}/h` : 'per hour';
  const r = withUnit(rate, perHour, params.decimals);
  const over = `over the last ${formatDuration(params.windowMs)}`;
  const moving = rate >= 0 ? `rising ${r}` : `falling ${withUnit(-rate, perHour, params.decimals)}`;
  if (decision.rank === 0) {
    const first = params.levels[0]!;
    return { cond: { rank: 0, value: rate, message: `${params.name} at ${where} is ${moving} ${over}, below the ${first.label} of ${withUnit(first.value, perHour, params.decimals)}` }, at: decision.at };
  }
  const level = params.levels.find((l) => l.rank === decision.rank) ?? params.levels[params.levels.length - 1]!;
  return {
    cond: {
      rank: level.rank, severity: level.severity, level: level.label, value: rate, threshold: level.value, unit: perHour,
      message: `${params.name} at ${where} is ${moving} ${over}: ${level.label} (${withUnit(level.value, perHour, params.decimals)} or more)`,
    },
    at: decision.at,
  };
}
