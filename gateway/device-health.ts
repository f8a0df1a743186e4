// Whether a device is online, from the outcomes of its polls: counts, last error and the
// transitions that deserve a device-online / device-offline event. Pure state, no I/O.
import type { DeviceHealth } from '../protocol/index.js';
import type { DeviceEventType } from './messages.js';

export interface DeviceHealthSnapshot {
  /** undefined until the first verdict: neither event has been sent yet. */
  online: boolean | undefined;
  pollsOk: number;
  pollsFailed: number;
  consecutiveFailures: number;
  lastError?: string;
  lastOkTs?: number;
}

export class DeviceHealthTracker {
  private state: DeviceHealthSnapshot = { online: undefined, pollsOk: 0, pollsFailed: 0, consecutiveFailures: 0 };

  /**
   * @param offlineAfterFailures consecutive failed polls before the device counts as offline,
   *   so one garbled RS-485 frame does not flap events.
   */
  constructor(private readonly offlineAfterFailures: number) {
    if (!Number.isInteger(offlineAfterFailures) || offlineAfterFailures < 1) throw new RangeError('offlineAfterFailures must be an integer ≥ 1');
  }

  /** Records a poll that produced readings; returns the event to publish, if any. */
  succeeded(ts: number): DeviceEventType | undefined {
    const wasOnline = this.state.online;
    this.state = { ...this.state, online: true, pollsOk: this.state.pollsOk + 1, consecutiveFailures: 0, lastOkTs: ts };
    return wasOnline === true ? undefined : 'device-online';
  }

  /** Records a poll that produced nothing; returns the event to publish, if any. */
  failed(error: string): DeviceEventType | undefined {
    const consecutiveFailures = this.state.consecutiveFailures + 1;
    const wasOnline = this.state.online;
    const goesOffline = wasOnline !== false && consecutiveFailures >= this.offlineAfterFailures;
    this.state = {
      ...this.state,
      online: goesOffline ? false : wasOnline,
      pollsFailed: this.state.pollsFailed + 1,
      consecutiveFailures,
      lastError: error,
    };
    return goesOffline ? 'device-offline' : undefined;
  }

  snapshot(): DeviceHealthSnapshot {
    return { ...this.state };
  }

  /** The protocol's per-device status entry. A device without a verdict yet counts as not online. */
  toStatus(): DeviceHealth {
    const { online, pollsOk, pollsFailed, lastError } = this.state;
    return { online: online === true, pollsOk, pollsFailed, ...(lastError !== undefined ? { lastError: lastError.slice(0, 500) } : {}) };
  }
}
