// Online/offline verdicts from poll outcomes: events on transitions only.
import { describe, expect, it } from 'vitest';
import { DeviceHealthTracker } from './device-health.js';

describe('DeviceHealthTracker', () => {
  it('announces online at the first success, then stays quiet', () => {
    const health = new DeviceHealthTracker(3);
    expect(health.succeeded(1000)).toBe('device-online');
    expect(health.succeeded(2000)).toBeUndefined();
    expect(health.snapshot()).toEqual({ online: true, pollsOk: 2, pollsFailed: 0, consecutiveFailures: 0, lastOkTs: 2000 });
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

  it('refuses a threshold below 1', () => {
    expect(() => new DeviceHealthTracker(0)).toThrow(RangeError);
  });
});
