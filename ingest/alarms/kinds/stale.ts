// Stale-data rules: no reading from a device for `factor` × its expected interval (and at
// least `minSilenceMs`). The interval is configured, or learned: the median of the last
// intervals between its sample times (the gateway's polling period, whatever the network did).
// Silence is measured on ingest's clock (receive times and tick), so gateway clock errors do
// not matter. Not raised while the device's gateway is offline or the device itself is
// reported offline: those alarms already say why nothing arrives.
import type { StaleParams } from '../compiled-rules.js';
import { formatDuration, formatTime } from '../format.js';
import type { Condition } from '../lifecycle.js';

const LEARN_INTERVALS = 15;
/** Intervals needed before a learned interval is trusted. */
export const MIN_LEARNED_INTERVALS = 3;

export interface StaleState {
  kind: 'stale';
  intervals: number[];
  lastTs?: number;
  lastReceivedAt?: number;
}

export function newStaleState(): StaleState {
  return { kind: 'stale', intervals: [] };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function expectedInterval(state: StaleState, params: StaleParams): number | undefined {
  if (params.expectedIntervalMs !== undefined) return params.expectedIntervalMs;
  return state.intervals.length >= MIN_LEARNED_INTERVALS ? median(state.intervals) : undefined;
}

/** A reading arrived: learn the interval; the condition is normal again. */
export function observeStale(state: StaleState, ts: number, receivedAt: number): void {
  if (state.lastTs !== undefined && ts > state.lastTs) {
    state.intervals.push(ts - state.lastTs);
    if (state.intervals.length > LEARN_INTERVALS) state.intervals.shift();
  }
  if (state.lastTs === undefined || ts > state.lastTs) state.lastTs = ts;
  state.lastReceivedAt = Math.max(state.lastReceivedAt ?? receivedAt, receivedAt);
}

/** `silenceMs` undefined: the alarm was restored after a restart, the silence is not known here. */
export function backMessage(where: string, silenceMs: number | undefined): string {
  return `Readings from ${where} are arriving again${silenceMs !== undefined ? ` (after ${formatDuration(silenceMs)} without any)` : ''}`;
}

/** The stale condition at `now` (ingest's clock), or undefined when it cannot be told yet. */
export function decideStale(state: StaleState, params: StaleParams, where: string, now: number, utcOffsetMinutes: number): { cond: Omit<Condition, 'ts'>; at: number } | undefined {
  const last = state.lastReceivedAt;
  const interval = expectedInterval(state, params);
  if (last === undefined || interval === undefined) return undefined;
  const limit = Math.max(params.factor * interval, params.minSilenceMs) + params.raiseAfterMs;
  const silence = now - last;
  if (silence < limit) return undefined;
  return {
    cond: {
      rank: 1, severity: params.severity, level: 'no data',
      value: Math.round(silence / 1000), threshold: Math.round(limit / 1000), unit: 's',
      message: `No readings from ${where} for ${formatDuration(silence)} (expected every ${formatDuration(interval)}; last received ${formatTime(last, utcOffsetMinutes)})`,
    },
    at: last + limit,
  };
}
