// The event log: dedupe of redelivered events, queries newest first with filters from a
// read-only connection, retention by age.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, EventLogReader } from './event-log.js';

const T0 = Date.UTC(2026, 3, 2, 12, 0, 0);
const GW = { site: 'jiejinkou', gateway: 'gw-01' };

describe('EventLog', () => {
  let dir: string;
  let now: number;
  let log: EventLog;
  let reader: EventLogReader;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-events-'));
    now = T0;
    reader = new EventLogReader(path.join(dir, 'events.db'));
  });
  afterEach(() => {
    log?.close();
    reader.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores each event once, keeps different events of the same millisecond, and reads them back filtered', () => {
    expect(reader.query({ from: 0, to: T0, limit: 10 })).toEqual([]); // no file yet
    log = new EventLog(path.join(dir, 'events.db'), { clock: () => now, retentionIntervalMs: 0 });
    const motion = { ts: T0, type: 'motion', data: { active: true } };
    expect(log.add({ ...GW, device: 'cam-1' }, motion)).toBe(true);
    expect(log.add({ ...GW, device: 'cam-1' }, motion)).toBe(false); // redelivery
    expect(log.add({ ...GW, device: 'cam-1' }, { ...motion, data: { active: false } })).toBe(true);
    expect(log.add({ ...GW, device: 'th-1' }, { ts: T0 + 10, type: 'device-offline', message: 'no answer' })).toBe(true);
    expect(log.count()).toBe(3);

    expect(reader.query({ from: T0, to: T0 + 1000, limit: 10 }).map((e) => [e.device, e.type, e.ts])).toEqual([
      ['th-1', 'device-offline', T0 + 10], ['cam-1', 'motion', T0], ['cam-1', 'motion', T0],
    ]);
    expect(reader.query({ from: T0, to: T0 + 1000, limit: 10, type: 'device-offline' })).toEqual([
      { id: expect.any(Number), ...GW, device: 'th-1', ts: T0 + 10, type: 'device-offline', message: 'no answer', receivedAt: T0 },
    ]);
    expect(reader.query({ from: T0, to: T0 + 1000, limit: 10, device: 'cam-1' }).map((e) => e.data)).toEqual([{ active: false }, { active: true }]);
    expect(reader.query({ from: T0, to: T0 + 1000, limit: 1 })).toHaveLength(1);
    expect(reader.query({ from: T0 + 11, to: T0 + 1000, limit: 10 })).toEqual([]);
    expect(reader.query({ from: T0, to: T0 + 1000, limit: 10, site: 'elsewhere' })).toEqual([]);
  });

  it('deletes events older than the age limit', () => {
    log = new EventLog(path.join(dir, 'events.db'), { clock: () => now, maxAgeMs: 86_400_000, retentionIntervalMs: 0 });
    log.add({ ...GW, device: 'cam-1' }, { ts: T0, type: 'tamper', data: { active: true } });
    log.add({ ...GW, device: 'cam-1' }, { ts: T0 + 86_400_000, type: 'tamper', data: { active: false } });
    now = T0 + 1.5 * 86_400_000;
    expect(log.enforceRetention()).toBe(1);
    expect(reader.query({ from: 0, to: now, limit: 10 }).map((e) => e.ts)).toEqual([T0 + 86_400_000]);
  });
});
