// The alarm store on disk: lifecycle rows and change history, a redelivered change stored once,
// the outbox of unpublished changes, queries from a read-only connection (filters, order,
// time range, limits), the open alarms for a restart, and retention of old cleared alarms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alarm } from '../../protocol/index.js';
import { AlarmStore, AlarmStoreReader } from './alarm-store.js';

const T0 = Date.UTC(2026, 3, 2, 12, 0, 0);
const DAY = 86_400_000;

function alarm(overrides: Partial<Alarm> & Pick<Alarm, 'id' | 'ts' | 'state'>): Alarm {
  return {
    v: 1, site: 'jiejinkou', gateway: 'gw-01', device: 'gauge-1', rule: 'water-level', field: 'level', kind: 'threshold',
    severity: 'warning', level: 'warning level', value: 3.2, threshold: 3, unit: 'm', message: 'water level 3.2 m above 3 m',
    ...overrides,
  };
}

describe('AlarmStore', () => {
  let dir: string;
  let now: number;
  let store: AlarmStore;
  let reader: AlarmStoreReader;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-alarms-'));
    now = T0;
    reader = new AlarmStoreReader(path.join(dir, 'alarms.db'));
  });
  afterEach(() => {
    store?.close();
    reader.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const open = (maxAgeMs?: number) => {
    store = new AlarmStore(path.join(dir, 'alarms.db'), { clock: () => now, retentionIntervalMs: 0, maxAgeMs });
    return store;
  };

  it('keeps the current state with its lifecycle times and every change as published', () => {
    expect(reader.active()).toEqual([]); // no file yet
    expect(reader.get('a-1')).toBeUndefined();
    open();
    const raised = alarm({ id: 'a-1', ts: T0, state: 'raised', raisedAt: T0, receivedAt: T0 + 40 });
    const first = store.record(raised);
    expect(first).toEqual({ stored: true, seq: expect.any(Number), current: { ...raised, raisedAt: T0, updatedAt: T0 } });
    const escalated = alarm({ id: 'a-1', ts: T0 + 60_000, state: 'raised', severity: 'major', value: 3.6, threshold: 3.5, raisedAt: T0 });
    expect(store.record(escalated).before).toEqual({ ...raised, raisedAt: T0, updatedAt: T0 });
    const acked = alarm({ id: 'a-1', ts: T0 + 90_000, state: 'acknowledged', severity: 'major', raisedAt: T0, by: 'duty-officer', note: 'crew sent' });
    store.record(acked);
    expect(reader.get('a-1')).toEqual({ ...acked, raisedAt: T0, updatedAt: T0 + 90_000, ackedAt: T0 + 90_000 });
    const cleared = alarm({ id: 'a-1', ts: T0 + 300_000, state: 'cleared', severity: 'major', value: 2.8, raisedAt: T0, message: 'back below 3 m' });
    store.record(cleared);
    expect(reader.get('a-1')).toEqual({
      ...cleared, by: 'duty-officer', note: 'crew sent', raisedAt: T0, updatedAt: T0 + 300_000, ackedAt: T0 + 90_000, clearedAt: T0 + 300_000,
    });
    expect(reader.changes('a-1')).toEqual([raised, escalated, acked, cleared]);
    expect(reader.active()).toEqual([]);
    expect(store.openAlarms()).toEqual([]);
  });

  it('stores a redelivered change once and keeps unpublished changes as an outbox', () => {
    open();
    const raised = alarm({ id: 'a-1', ts: T0, state: 'raised' });
    const first = store.record(raised);
    const again = store.record(raised);
    expect(again).toEqual({ stored: false, seq: first.seq, current: expect.objectContaining({ id: 'a-1', state: 'raised' }) });
    const acked = store.record(alarm({ id: 'a-1', ts: T0 + 5, state: 'acknowledged', by: 'li' }));
    expect(store.unpublished().map((c) => [c.seq, c.alarm.state])).toEqual([[first.seq, 'raised'], [acked.seq, 'acknowledged']]);
    store.markPublished(first.seq);
    expect(store.unpublished().map((c) => c.seq)).toEqual([acked.seq]);
    expect(reader.changes('a-1')).toHaveLength(2);
    expect(() => store.record({ ...raised, id: 'a-2', site: 'Bad Site' })).toThrow();
    expect(reader.get('a-2')).toBeUndefined();
  });

  it('lists active alarms most severe first, then newest, filtered; history by time range and state', () => {
    open();
    store.record(alarm({ id: 'warn-old', ts: T0, state: 'raised' }));
    store.record(alarm({ id: 'warn-new', ts: T0 + 10, state: 'raised', device: 'gauge-2' }));
    store.record(alarm({ id: 'crit', ts: T0 + 5, state: 'raised', severity: 'critical', rule: 'gas-lel', site: 'tongjiang-town' }));
    store.record(alarm({ id: 'info', ts: T0 + 20, state: 'raised', severity: 'info' }));
    store.record(alarm({ id: 'info', ts: T0 + 25, state: 'acknowledged', severity: 'info', by: 'li' }));
    store.record(alarm({ id: 'gone', ts: T0 - DAY, state: 'raised' }));
    store.record(alarm({ id: 'gone', ts: T0 - DAY / 2, state: 'cleared' }));

    const ids = (alarms: Array<{ id: string }>) => alarms.map((a) => a.id);
    expect(ids(reader.active())).toEqual(['crit', 'warn-new', 'warn-old', 'info']);
    expect(ids(reader.active({ minSeverity: 'warning' }))).toEqual(['crit', 'warn-new', 'warn-old']);
    expect(ids(reader.active({ site: 'jiejinkou', device: 'gauge-1' }))).toEqual(['warn-old', 'info']);
    expect(ids(reader.active({ rule: 'gas-lel' }))).toEqual(['crit']);
    expect(ids(reader.active({ limit: 1 }))).toEqual(['crit']);
    expect(ids(store.active({ gateway: 'gw-01' }))).toEqual(['crit', 'warn-new', 'warn-old', 'info']);

    expect(ids(reader.history({}))).toEqual(['info', 'warn-new', 'crit', 'warn-old', 'gone']);
    expect(ids(reader.history({ state: ['acknowledged', 'cleared'] }))).toEqual(['info', 'gone']);
    // Active in [from, to]: raised before `to`, not cleared before `from`.
    expect(ids(reader.history({ from: T0 - DAY, to: T0 - DAY / 2 }))).toEqual(['gone']);
    expect(ids(reader.history({ from: T0 - DAY / 4, to: T0 + 7 }))).toEqual(['crit', 'warn-old']);
    expect(ids(reader.history({ from: T0 - DAY / 4 }))).toEqual(['info', 'warn-new', 'crit', 'warn-old']);
    expect(ids(reader.history({ limit: 2 }))).toEqual(['info', 'warn-new']);
    expect(ids(reader.history({ limit: 0 }))).toEqual(['info']); // at least one
    expect(ids(store.openAlarms())).toEqual(['warn-old', 'crit', 'warn-new', 'info']);
    expect(store.openAlarms().find((a) => a.id === 'info')).toEqual(expect.objectContaining({ state: 'acknowledged', by: 'li', raisedAt: T0 + 20 }));
  });

  it('survives a reopen and deletes cleared alarms older than the age limit with their changes', () => {
    open(30 * DAY);
    store.record(alarm({ id: 'old', ts: T0, state: 'raised' }));
    store.record(alarm({ id: 'old', ts: T0 + DAY, state: 'cleared' }));
    store.record(alarm({ id: 'recent', ts: T0 + 20 * DAY, state: 'raised' }));
    store.record(alarm({ id: 'recent', ts: T0 + 21 * DAY, state: 'cleared' }));
    store.record(alarm({ id: 'open', ts: T0, state: 'raised' }));
    store.close();
    open(30 * DAY);
    now = T0 + 40 * DAY;
    expect(store.enforceRetention()).toBe(1);
    expect(reader.get('old')).toBeUndefined();
    expect(reader.changes('old')).toEqual([]);
    expect(reader.history({}).map((a) => a.id).sort()).toEqual(['open', 'recent']);
    expect(reader.active().map((a) => a.id)).toEqual(['open']); // never deleted while open
  });
});
