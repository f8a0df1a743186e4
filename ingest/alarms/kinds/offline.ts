// Device-offline and gateway-offline rules, from what the gateways report (retained status and
// last will): a device that stops answering its gateway, a gateway whose connection is lost.
// raiseAfterS / clearAfterS ride out short drops of a flaky 4G link; flap suppression the rest.
import type { OfflineParams } from '../compiled-rules.js';
import { formatDuration, formatTime } from '../format.js';
import { DurationGate } from '../ladder.js';
import type { Condition, Slot } from '../lifecycle.js';

export interface OfflineState {
  kind: 'device-offline' | 'gateway-offline';
  gate: DurationGate;
  /** Since when it has been offline (gateway clock), while it is. */
  offlineSince?: number;
  /** When the last report said so (gateway clock). */
  lastTs?: number;
  /** Ingest's clock minus the gateway's, from the last report. */
  clockOffset: number;
  online?: boolean;
}

export function newOfflineState(kind: OfflineState['kind']): OfflineState {
  return { kind, gate: new DurationGate(), clockOffset: 0 };
}

export function observeOnline(state: OfflineState, slot: Slot, online: boolean, ts: number, receivedAt: number | undefined): void {
  if (state.lastTs !== undefined && ts < state.lastTs) return; // an older report than one already seen
  state.lastTs = ts;
  state.clockOffset = receivedAt !== undefined ? receivedAt - ts : 0;
  if (!online) state.offlineSince ??= ts;
  else delete state.offlineSince;
  state.online = online;
  state.gate.observe(online ? 0 : 1, slot.alarm ? slot.rank : 0, ts, 1);
}

export function decideOffline(
  state: OfflineState, params: OfflineParams, slot: Slot, subject: { site: string; id: string; gateway: string }, now: number, utcOffsetMinutes: number,
): { cond: Omit<Condition, 'ts'>; at: number } | undefined {
  if (state.online === undefined) return undefined;
  const decision = state.gate.decide(slot.alarm ? slot.rank : 0, now, params.raiseAfterMs, params.clearAfterMs);
  const gatewayKind = state.kind === 'gateway-offline';
  const name = gatewayKind ? `Gateway ${subject.id} at site ${subject.site}` : `Device ${subject.site}/${subject.id}`;
  if (decision.rank === 0) {
    const since = slot.alarm?.raisedAt;
    const was = since !== undefined ? ` (offline since ${formatTime(since, utcOffsetMinutes)}, ${formatDuration(Math.max(0, decision.at - since))})` : '';
    const back = gatewayKind ? 'is back online' : `answers its gateway ${subject.gateway} again`;
    return { cond: { rank: 0, message: `${name} ${back}${was}` }, at: decision.at };
  }
  const since = state.offlineSince ?? decision.at;
  const what = gatewayKind
    ? `is offline since ${formatTime(since, utcOffsetMinutes)}: no readings from its devices reach the centre`
    : `does not answer its gateway ${subject.gateway} since ${formatTime(since, utcOffsetMinutes)}`;
  return { cond: { rank: 1, severity: params.severity, level: 'offline', message: `${name} ${what}` }, at: decision.at };
}
