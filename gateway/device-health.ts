// Whether a device is online, from the outcomes of its polls: counts, last error, faults by
// kind, and the transitions that deserve a device-online / device-offline event. Pure state.
import type { DeviceHealth } from '../protocol/index.js';
import type { DeviceEventType } from './messages.js';
import type { ModbusFaultKind } from './modbus-errors.js';

/**
 * - unknown: no verdict yet (neither event sent).
 * - online: the last poll read every point.
 * - degraded: answering, but the last poll missed points (refused, unreadable) or polls have
 *   started failing without reaching the offline threshold yet.
 * - offline: `offlineAfterFailures` polls in a row produced nothing.
 */
export type DeviceState = 'unknown' | 'online' | 'degraded' | 'offline';

export type FaultCounts = Record<ModbusFaultKind, number>;

export interface DeviceHealthSnapshot {
  /** undefined until the first verdict: neither event has been sent yet. */
  online: boolean | undefined;
  state: DeviceState;
  /** Poll cycles (a poll and its retries) that produced a sample / nothing. */
  pollsOk: number;
  pollsFailed: number;
  consecutiveFailures: number;
  /** Failed attempts by kind, retries included: which fault a flaky line has. */
  faults: FaultCounts;
  /** Cycles that succeeded only on a retry. */
  recoveredByRetry: number;
  lastError?: string;
  lastFault?: ModbusFaultKind;
  lastOkTs?: number;
  /** Duration of the last successful poll (all its requests), ms. */
  lastLatencyMs?: number;
  /** Whether the last sample lacked points the device refused or sent unreadable. */
  lastIncomplete?: boolean;
}

const NO_FAULTS: FaultCounts = { timeout: 0, crc: 0, exception: 0, connection: 0, protocol: 0 };

function stateOf(online: boolean | undefined, consecutiveFailures: number, incomplete: boolean | undefined): DeviceState {
  if (online === undefined) return 'unknown';
  if (!online) return 'offline';
  return consecutiveFailures > 0 || incomplete ? 'degraded' : 'online';
}

export class DeviceHealthTracker {
  private state: Omit<DeviceHealthSnapshot, 'state'> = { online: undefined, pollsOk: 0, pollsFailed: 0, consecutiveFailures: 0, faults: { ...NO_FAULTS }, recoveredByRetry: 0 };

  /**
   * @param offlineAfterFailures consecutive failed polls before the device counts as offline,
   *   so one garbled RS-485 frame does not flap events.
   */
  constructor(private readonly offlineAfterFailures: number) {
    if (!Number.isInteger(offlineAfterFailures) || offlineAfterFailures < 1) throw new RangeError('offlineAfterFailures must be an integer ≥ 1');
  }

  get offline(): boolean {
    return this.state.online === false;
  }

  /** Records one failed attempt (a retry may still follow); counts it by kind. */
  attemptFailed(kind: ModbusFaultKind, error: string): void {
    this.state = { ...this.state, faults: { ...this.state.faults, [kind]: this.state.faults[kind] + 1 }, lastFault: kind, lastError: error };
  }

  /** Records a poll that produced readings; returns the event to publish, if any. */
  succeeded(ts: number, detail: { latencyMs?: number; incomplete?: boolean; retried?: boolean } = {}): DeviceEventType | undefined {
    const wasOnline = this.state.online;
    this.state = {
      ...this.state,
      online: true,
      pollsOk: this.state.pollsOk + 1,
      consecutiveFailures: 0,
      lastOkTs: ts,
      recoveredByRetry: this.state.recoveredByRetry + (detail.retried ? 1 : 0),
      ...(detail.latencyMs !== undefined ? { lastLatencyMs: detail.latencyMs } : {}),
      lastIncomplete: detail.incomplete ?? false,
    };
    return wasOnline === true ? undefined : 'device-online';
  }

  /** Records a poll cycle that produced nothing; returns the event to publish, if any. */
  failed(error: string, kind?: ModbusFaultKind): DeviceEventType | undefined {
    const consecutiveFailures = this.state.consecutiveFailures + 1;
    const wasOnline = this.state.online;
    const goesOffline = wasOnline !== false && consecutiveFailures >= this.offlineAfterFailures;
    this.state = {
      ...this.state,
      online: goesOffline ? false : wasOnline,
      pollsFailed: this.state.pollsFailed + 1,
      consecutiveFailures,
      lastError: error,
      ...(kind ? { lastFault: kind } : {}),
    };
    return goesOffline ? 'device-offline' : undefined;
  }

  snapshot(): DeviceHealthSnapshot {
    const s = this.state;
    return { ...s, faults: { ...s.faults }, state: stateOf(s.online, s.consecutiveFailures, s.lastIncomplete) };
  }

  /** The protocol's per-device status entry. A device without a verdict yet counts as not online. */
  toStatus(): DeviceHealth {
    const { online, pollsOk, pollsFailed, lastError } = this.state;
    return { online: online === true, pollsOk, pollsFailed, ...(lastError !== undefined ? { lastError: lastError.slice(0, 500) } : {}) };
  }
}
