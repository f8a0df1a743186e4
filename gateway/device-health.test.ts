// Online/offline verdicts from poll outcomes: events on transitions only.
import { describe, expect, it } from 'vitest';
import { DeviceHealthTracker } from './device-health.js';

describe('DeviceHealthTracker', () => {
  it('announces online at the first success, then stays quiet', () => {
    const health = new DeviceHealthTracker(3);
    expect(health.succeeded(1000)).toBe('device-online');
    expect(health.succeeded(2000)).toBeUndefined();
    expect(health.snapshot()).toEqual({
      online: true,
      state: 'online',
      pollsOk: 2,
      pollsFailed: 0,
      consecutiveFailures: 0,
      lastOkTs: 2000,
      lastIncomplete: false,
      recoveredByRetry: 0,
      faults: { timeout: 0, crc: 0, exception: 0, connection: 0, protocol: 0 },
    });
  });

  it('goes offline after N consecutive failures, once, and back online on recovery', () => {
    const health = new DeviceHealthTracker(3);
    health.succeeded(1000);
    expect(health.failed('timeout')).toBeUndefined();
    expect(health.failed('timeout')).toBeUndefined();
    expect(health.failed('ECONNREFUSED')).toBe('device-offline');
    expect(health.failed('ECONNREFUSED')).toBeUndefined();
    expect(health.snapshot()).toMatchObject({ online: false, consecutiveFailures: 4, pollsFailed: 4, lastError: 'ECONNREFUSED', lastOkTs: 1000 });
    expect(health.succeeded(9000)).toBe('device-online');
    expect(health.snapshot().consecutiveFailures).toBe(0);
  });

  it('a failure streak shorter than N does not flap', () => {
    const health = new DeviceHealthTracker(2);
    health.succeeded(1);
    expect(health.failed('crc')).toBeUndefined();
    expect(health.succeeded(2)).toBeUndefined();
    expect(health.failed('crc')).toBeUndefined();
  });

  it('a device that never answered is announced offline', () => {
    const health = new DeviceHealthTracker(1);
    expect(health.failed('ECONNREFUSED')).toBe('device-offline');
    expect(health.toStatus()).toEqual({ online: false, pollsOk: 0, pollsFailed: 1, lastError: 'ECONNREFUSED' });
  });

  it('states: unknown, online, degraded (failing or incomplete), offline', () => {
    const health = new DeviceHealthTracker(2);
    const states: string[] = [health.snapshot().state];
    health.succeeded(1);
    states.push(health.snapshot().state);
    health.failed('timeout', 'timeout');
    states.push(health.snapshot().state);
    health.failed('timeout', 'timeout');
    states.push(health.snapshot().state);
    health.succeeded(2, { incomplete: true });
    states.push(health.snapshot().state);
    health.succeeded(3);
    states.push(health.snapshot().state);
    expect(states).toEqual(['unknown', 'online', 'degraded', 'offline', 'degraded', 'online']);
  });

  it('counts failed attempts by kind, retries included, without deciding online/offline', () => {
    const health = new DeviceHealthTracker(1);
    health.attemptFailed('crc', 'crc: damaged answer');
    health.attemptFailed('timeout', 'timeout: no answer');
    expect(health.snapshot()).toMatchObject({ online: undefined, pollsFailed: 0, faults: { crc: 1, timeout: 1 }, lastFault: 'timeout', lastError: 'timeout: no answer' });
    health.succeeded(5, { retried: true, latencyMs: 42 });
    expect(health.snapshot()).toMatchObject({ recoveredByRetry: 1, lastLatencyMs: 42 });
  });

  it('refuses a threshold below 1', () => {
    expect(() => new DeviceHealthTracker(0)).toThrow(RangeError);
  });
});
