// SqliteStore: the shared conformance suite (in memory and on disk), plus what only
// the embedded store promises: a file that survives reopening, WAL, metadata rows,
// a shareable connection and the write rate ingest needs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStoreConformance } from './conformance.js';
import { SqliteStore } from './sqlite-store.js';
import type { StoredSample } from './types.js';

const T0 = Date.UTC(2026, 10, 28);

describeStoreConformance('SqliteStore (:memory:)', async () => {
  const store = new SqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

describeStoreConformance('SqliteStore (file)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sqlite-'));
  const store = new SqliteStore(path.join(dir, 'store.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sqlite-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const key = { measurement: 'energy', site: 'tj-port', gateway: 'gw-1', device: 'meter-1', profile: 'chint-ddsu666' };

  it('creates parent directories, uses WAL, and keeps data across reopening', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'store.db');
    const first = new SqliteStore(file);
    await first.init();
    expect(first.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(first.database.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(first.database.pragma('busy_timeout', { simple: true })).toBe(5000);
    await first.writeBatch([{ ...key, ts: T0, seq: 7, quality: 'uncertain', values: { voltage: 229.7 } }]);
    await first.close();

    const second = new SqliteStore(file);
    await second.init();
    expect(await second.latest()).toEqual([{ ...key, field: 'voltage', ts: T0, value: 229.7 }]);
    await second.close();
  });

  it('keeps seq and quality per sample; a replay updates seq and keeps a known quality', async () => {
    const store = new SqliteStore(path.join(dir, 'store.db'));
    await store.init();
    await store.writeBatch([
      { ...key, ts: T0, seq: 41, quality: 'bad', values: { voltage: 1 } },
      { ...key, ts: T0 + 1000, seq: 42, values: { voltage: 2 } },
    ]);
    await store.writeBatch([{ ...key, ts: T0, seq: 43, values: { voltage: 1 } }]);
    expect(store.database.prepare('SELECT ts, seq, quality FROM samples ORDER BY ts').all()).toEqual([
      { ts: T0, seq: 43, quality: 'bad' },
      { ts: T0 + 1000, seq: 42, quality: null },
    ]);
    await store.close();
  });

  it('shares its connection for other tables in the same file', async () => {
    const store = new SqliteStore(path.join(dir, 'store.db'));
    await store.init();
    store.database.exec('CREATE TABLE IF NOT EXISTS alarms (id TEXT PRIMARY KEY, state TEXT NOT NULL)');
    store.database.prepare('INSERT INTO alarms VALUES (?, ?)').run('a-1', 'raised');
    expect(store.database.prepare('SELECT state FROM alarms').pluck().get()).toBe('raised');
    await store.close();
    expect(() => store.database).toThrow(/closed/);
  });

  it('refuses to work before init() and rolls back a failed batch completely', async () => {
    const store = new SqliteStore(path.join(dir, 'store.db'));
    await expect(store.latest()).rejects.toThrow(/init\(\)/);
    await store.init();
    // A trigger that fails on the third reading stands in for a disk error mid-batch.
    store.database.exec(`CREATE TRIGGER fail_third AFTER INSERT ON readings WHEN (SELECT count(*) FROM readings) >= 3
      BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`);
    const batch: StoredSample[] = [1, 2, 3].map((i) => ({ ...key, device: `meter-${i}`, ts: T0, seq: i, values: { voltage: i } }));
    await expect(store.writeBatch(batch)).rejects.toThrow(/simulated failure/);
    expect(await store.latest()).toEqual([]);
    store.database.exec('DROP TRIGGER fail_third');
    // Series rows created inside the rolled-back transaction are gone; the store must not reuse their ids.
    await store.writeBatch(batch);
    expect((await store.latest()).map((r) => [r.device, r.value])).toEqual([['meter-1', 1], ['meter-2', 2], ['meter-3', 3]]);
    await store.close();
  });

  // Each commit rewrites every page it touched, and readings are clustered by
  // (series, field): batches of 100 samples (ingest batches messages) from 20 devices
  // run at ~120k values/s on a 2-core VM; 20k leaves room for slow CI machines.
  it('writes well over 20 000 values per second in batches of 100 samples', async () => {
    const store = new SqliteStore(path.join(dir, 'store.db'));
    await store.init();
    const devices = 20;
    const fields = 10;
    const samplesPerDevice = 500;
    const samplesPerBatch = 100;
    const all: StoredSample[] = [];
    for (let i = 0; i < samplesPerDevice; i++) {
      for (let d = 0; d < devices; d++) {
        const values: Record<string, number> = {};
        for (let f = 0; f < fields; f++) values[`f${f}`] = i + f / 10;
        all.push({ ...key, device: `meter-${d}`, ts: T0 + i * 1000, seq: i, values });
      }
    }
    const batches: StoredSample[][] = [];
    for (let i = 0; i < all.length; i += samplesPerBatch) batches.push(all.slice(i, i + samplesPerBatch));
    const started = performance.now();
    for (const batch of batches) await store.writeBatch(batch);
    const seconds = (performance.now() - started) / 1000;
    const total = devices * fields * samplesPerDevice;
    expect(total / seconds).toBeGreaterThan(20_000);
    expect(store.database.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(total);
    await store.close();
  });
});
