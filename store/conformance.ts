// The one conformance suite every TelemetryStore must pass (SQLite and InfluxDB alike).
// Expected values are written out by hand, so both stores are held to the same exact
// numbers and the same ordering, and a reader can check them without running code.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RejectedWriteError,
  type HistorySeries,
  type LatestReading,
  type SeriesKey,
  type StoredSample,
  type TelemetryStore,
} from './types.js';

export interface StoreUnderTest {
  /** A fresh, empty store, not yet initialised (the suite calls init()). */
  store: TelemetryStore;
  /** Closes the store (it may already be closed) and removes what the test created. */
  cleanup: () => Promise<void>;
}

/** 2026-11-28T00:00:00Z: on a whole minute, but 5 s past a multiple of 7 s. */
const T0 = Date.UTC(2026, 10, 28);
const S = 1000;
const M = 60 * S;

const airNorth1: SeriesKey = { measurement: 'air', site: 'tj-north', gateway: 'gw-1', device: 'aqm-1', profile: 'sds011' };
const airNorth2: SeriesKey = { ...airNorth1, device: 'aqm-2' };
const airNorthGw2: SeriesKey = { ...airNorth1, gateway: 'gw-2', device: 'aqm-3' };
const waterNorth: SeriesKey = { measurement: 'water', site: 'tj-north', gateway: 'gw-1', device: 'wq-1', profile: 'wq-probe' };
const airSouth: SeriesKey = { ...airNorth1, site: 'tj-south', gateway: 'gw-9' };

let nextSeq = 1;
function sample(key: SeriesKey, ts: number, values: StoredSample['values'], quality?: StoredSample['quality']): StoredSample {
  return { ...key, ts, seq: nextSeq++, values, ...(quality ? { quality } : {}) };
}

function reading(key: SeriesKey, field: string, ts: number, value: number): LatestReading {
  return { ...key, field, ts, value };
}

function series(key: SeriesKey, field: string, points: Array<[number, number]>): HistorySeries {
  return { ...key, field, points };
}

export function describeStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`${name}: TelemetryStore conformance`, () => {
    let store: TelemetryStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
      await store.init();
    });

    afterEach(async () => {
      await cleanup();
    });

    it('reads back exactly what was written: negative, fractional, large, tiny and boolean values', async () => {
      await store.writeBatch([
        sample(airNorth1, T0, {
          temperature: -31.25,
          humidity: 0.1,
          pm25: 12.3456789,
          pressure: 101325,
          offset: -273.15,
          counter: 9007199254740991,
          tiny: 1.5e-7,
          huge: 1e21,
          zero: -0,
          alarm: true,
          door: false,
        }, 'good'),
        // Two samples 1 ms apart stay two points: the write precision is milliseconds.
        sample(airNorth1, T0 + 1, { humidity: 0.2 }),
      ]);

      expect(await store.history({ from: T0, to: T0 + 2 })).toEqual([
        series(airNorth1, 'alarm', [[T0, 1]]),
        series(airNorth1, 'counter', [[T0, 9007199254740991]]),
        series(airNorth1, 'door', [[T0, 0]]),
        series(airNorth1, 'huge', [[T0, 1e21]]),
        series(airNorth1, 'humidity', [[T0, 0.1], [T0 + 1, 0.2]]),
        series(airNorth1, 'offset', [[T0, -273.15]]),
        series(airNorth1, 'pm25', [[T0, 12.3456789]]),
        series(airNorth1, 'pressure', [[T0, 101325]]),
        series(airNorth1, 'temperature', [[T0, -31.25]]),
        series(airNorth1, 'tiny', [[T0, 1.5e-7]]),
        series(airNorth1, 'zero', [[T0, 0]]),
      ]);
      expect(await store.latest()).toEqual([
        reading(airNorth1, 'alarm', T0, 1),
        reading(airNorth1, 'counter', T0, 9007199254740991),
        reading(airNorth1, 'door', T0, 0),
        reading(airNorth1, 'huge', T0, 1e21),
        reading(airNorth1, 'humidity', T0 + 1, 0.2),
        reading(airNorth1, 'offset', T0, -273.15),
        reading(airNorth1, 'pm25', T0, 12.3456789),
        reading(airNorth1, 'pressure', T0, 101325),
        reading(airNorth1, 'temperature', T0, -31.25),
        reading(airNorth1, 'tiny', T0, 1.5e-7),
        reading(airNorth1, 'zero', T0, 0),
      ]);
    });

    it('latest gives the newest value of each field with that field\'s own timestamp', async () => {
      await store.writeBatch([sample(airNorth1, T0, { pm25: 10, pm10: 20 }), sample(airNorth1, T0 + M, { pm25: 11 })]);
      // A late replay of older data must not replace the newest values.
      await store.writeBatch([sample(airNorth1, T0 - M, { pm25: 9, pm10: 19 })]);

      expect(await store.latest()).toEqual([
        reading(airNorth1, 'pm10', T0, 20),
        reading(airNorth1, 'pm25', T0 + M, 11),
      ]);
    });

    describe('with several sites, gateways, devices and measurements', () => {
      beforeEach(async () => {
        // Written out of order on purpose: results must come back sorted anyway.
        await store.writeBatch([
          sample(waterNorth, T0, { ph: 7.25 }),
          sample(airSouth, T0 + S, { pm25: 4 }),
          sample(airNorthGw2, T0 + 2 * S, { pm25: 8 }),
          sample(airNorth2, T0 + 3 * S, { pm25: 6 }),
          sample(airNorth1, T0 + 4 * S, { pm25: 5, pm10: 7 }),
        ]);
      });

      it('latest without a filter returns every field of every series, sorted', async () => {
        expect(await store.latest()).toEqual([
          reading(airNorth1, 'pm10', T0 + 4 * S, 7),
          reading(airNorth1, 'pm25', T0 + 4 * S, 5),
          reading(airNorth2, 'pm25', T0 + 3 * S, 6),
          reading(airNorthGw2, 'pm25', T0 + 2 * S, 8),
          reading(airSouth, 'pm25', T0 + S, 4),
          reading(waterNorth, 'ph', T0, 7.25),
        ]);
        expect(await store.latest({ fields: [] })).toHaveLength(6);
      });

      it('latest filters by site, gateway, device, measurement and fields', async () => {
        expect(await store.latest({ site: 'tj-south' })).toEqual([reading(airSouth, 'pm25', T0 + S, 4)]);
        expect(await store.latest({ site: 'tj-north', gateway: 'gw-1' })).toEqual([
          reading(airNorth1, 'pm10', T0 + 4 * S, 7),
          reading(airNorth1, 'pm25', T0 + 4 * S, 5),
          reading(airNorth2, 'pm25', T0 + 3 * S, 6),
          reading(waterNorth, 'ph', T0, 7.25),
        ]);
        expect(await store.latest({ device: 'aqm-1' })).toEqual([
          reading(airNorth1, 'pm10', T0 + 4 * S, 7),
          reading(airNorth1, 'pm25', T0 + 4 * S, 5),
          reading(airSouth, 'pm25', T0 + S, 4),
        ]);
        expect(await store.latest({ measurement: 'water' })).toEqual([reading(waterNorth, 'ph', T0, 7.25)]);
        expect(await store.latest({ fields: ['pm10', 'ph'] })).toEqual([
          reading(airNorth1, 'pm10', T0 + 4 * S, 7),
          reading(waterNorth, 'ph', T0, 7.25),
        ]);
        expect(await store.latest({ site: 'tj-north', measurement: 'air', device: 'aqm-3', fields: ['pm25'] })).toEqual([
          reading(airNorthGw2, 'pm25', T0 + 2 * S, 8),
        ]);
      });

      it('latest and history return [] when nothing matches', async () => {
        expect(await store.latest({ site: 'nowhere' })).toEqual([]);
        expect(await store.latest({ measurement: 'soil' })).toEqual([]);
        expect(await store.latest({ measurement: 'air', fields: ['ph'] })).toEqual([]);
        expect(await store.latest({ site: '' })).toEqual([]);
        expect(await store.history({ from: T0, to: T0 + M, fields: ['nope'] })).toEqual([]);
        expect(await store.history({ from: T0 + M, to: T0 + 2 * M })).toEqual([]);
        expect(await store.history({ from: T0 + M, to: T0 })).toEqual([]);
        expect(await store.history({ from: T0, to: T0 + M, windowMs: M, site: 'nowhere' })).toEqual([]);
      });

      it('history filters like latest and sorts the same way', async () => {
        expect(await store.history({ from: T0, to: T0 + M, site: 'tj-north', gateway: 'gw-1' })).toEqual([
          series(airNorth1, 'pm10', [[T0 + 4 * S, 7]]),
          series(airNorth1, 'pm25', [[T0 + 4 * S, 5]]),
          series(airNorth2, 'pm25', [[T0 + 3 * S, 6]]),
          series(waterNorth, 'ph', [[T0, 7.25]]),
        ]);
        expect(await store.history({ from: T0, to: T0 + M, device: 'aqm-1', fields: ['pm25'], windowMs: M, aggregate: 'max' })).toEqual([
          series(airNorth1, 'pm25', [[T0, 5]]),
          series(airSouth, 'pm25', [[T0, 4]]),
        ]);
      });

      it('filter values are data, never query text', async () => {
        const hostile = [
          "tj-north' OR site != 'x",
          'tj-north" OR "site" != "x',
          "tj-north\\' OR 1=1 --",
          'tj-north\n; DROP DATABASE x',
          'tj-north\r',
        ];
        for (const value of hostile) {
          expect(await store.latest({ site: value })).toEqual([]);
          expect(await store.latest({ gateway: value })).toEqual([]);
          expect(await store.latest({ measurement: value })).toEqual([]);
          expect(await store.latest({ fields: [value] })).toEqual([]);
          expect(await store.history({ from: T0, to: T0 + M, device: value })).toEqual([]);
          expect(await store.history({ from: T0, to: T0 + M, measurement: value, windowMs: M })).toEqual([]);
        }
        // ...and the data is all still there.
        expect(await store.latest()).toHaveLength(6);
      });
    });

    it('sorts by measurement, site, gateway, device, profile, then field', async () => {
      const k = (measurement: string, site: string, profile: string): SeriesKey =>
        ({ measurement, site, gateway: 'gw-1', device: 'dev-1', profile });
      await store.writeBatch([
        sample(k('weather', 'a-site', 'p-1'), T0, { wind: 1 }),
        sample(k('energy', 'b-site', 'p-2'), T0, { voltage: 230, current: 2 }),
        sample(k('energy', 'b-site', 'p-1'), T0, { voltage: 229 }),
        sample(k('energy', 'a-site', 'p-9'), T0, { voltage: 231 }),
      ]);
      const expected = [
        reading(k('energy', 'a-site', 'p-9'), 'voltage', T0, 231),
        reading(k('energy', 'b-site', 'p-1'), 'voltage', T0, 229),
        reading(k('energy', 'b-site', 'p-2'), 'current', T0, 2),
        reading(k('energy', 'b-site', 'p-2'), 'voltage', T0, 230),
        reading(k('weather', 'a-site', 'p-1'), 'wind', T0, 1),
      ];
      expect(await store.latest()).toEqual(expected);
      expect(await store.history({ from: T0, to: T0 + 1 })).toEqual(
        expected.map(({ ts, value, ...rest }) => ({ ...rest, points: [[ts, value]] })),
      );
    });

    it('replays are idempotent: the same series and timestamp overwrite', async () => {
      const batch = [sample(airNorth1, T0, { pm25: 10 }), sample(airNorth1, T0 + S, { pm25: 11 })];
      await store.writeBatch(batch);
      await store.writeBatch(batch);
      expect(await store.history({ from: T0, to: T0 + M })).toEqual([series(airNorth1, 'pm25', [[T0, 10], [T0 + S, 11]])]);

      await store.writeBatch([sample(airNorth1, T0 + S, { pm25: 12 })]);
      await store.writeBatch([sample(airNorth1, T0, { pm25: 9.5 })]);
      expect(await store.history({ from: T0, to: T0 + M })).toEqual([series(airNorth1, 'pm25', [[T0, 9.5], [T0 + S, 12]])]);
      expect(await store.latest()).toEqual([reading(airNorth1, 'pm25', T0 + S, 12)]);

      // Within one batch the later sample wins.
      await store.writeBatch([sample(airNorth1, T0 + 2 * S, { pm25: 1 }), sample(airNorth1, T0 + 2 * S, { pm25: 2 })]);
      expect(await store.latest()).toEqual([reading(airNorth1, 'pm25', T0 + 2 * S, 2)]);
    });

    it('history raw: from inclusive, to exclusive, points ascending', async () => {
      await store.writeBatch([
        sample(airNorth1, T0 + 30 * S, { pm25: 4 }),
        sample(airNorth1, T0, { pm25: 1 }),
        sample(airNorth1, T0 + 20 * S, { pm25: 3 }),
        sample(airNorth1, T0 + 10 * S, { pm25: 2 }),
      ]);
      expect(await store.history({ from: T0 + 10 * S, to: T0 + 30 * S })).toEqual([
        series(airNorth1, 'pm25', [[T0 + 10 * S, 2], [T0 + 20 * S, 3]]),
      ]);
      expect(await store.history({ from: 0, to: Number.MAX_SAFE_INTEGER })).toEqual([
        series(airNorth1, 'pm25', [[T0, 1], [T0 + 10 * S, 2], [T0 + 20 * S, 3], [T0 + 30 * S, 4]]),
      ]);
    });

    it('history limit counts the points of each series and field, oldest first', async () => {
      const samples: StoredSample[] = [];
      for (let i = 0; i < 5; i++) {
        samples.push(sample(airNorth1, T0 + i * 10 * S, i >= 3 ? { pm25: i, pm10: 100 + i } : { pm25: i }));
        samples.push(sample(airNorth2, T0 + i * 10 * S, { pm25: -i - 0.5 }));
      }
      await store.writeBatch(samples);
      expect(await store.history({ from: T0, to: T0 + M, limit: 2 })).toEqual([
        // pm10 exists only from the fourth sample on: its limit is its own.
        series(airNorth1, 'pm10', [[T0 + 30 * S, 103], [T0 + 40 * S, 104]]),
        series(airNorth1, 'pm25', [[T0, 0], [T0 + 10 * S, 1]]),
        series(airNorth2, 'pm25', [[T0, -0.5], [T0 + 10 * S, -1.5]]),
      ]);
    });

    describe('history over windows', () => {
      beforeEach(async () => {
        await store.writeBatch([
          sample(airNorth1, T0, { pm25: 1 }),
          sample(airNorth1, T0 + 20 * S, { pm25: 2 }),
          sample(airNorth1, T0 + 40 * S, { pm25: 4 }),
          sample(airNorth1, T0 + 60 * S, { pm25: 10 }),
          sample(airNorth1, T0 + 90 * S, { pm25: -5 }),
          sample(airNorth1, T0 + 150 * S, { pm25: 3 }),
        ]);
      });

      it('mean, min, max and last per window; window timestamps are window starts', async () => {
        const range = { from: T0 + 20 * S, to: T0 + 150 * S, windowMs: M };
        expect(await store.history({ ...range, aggregate: 'mean' })).toEqual([series(airNorth1, 'pm25', [[T0, 3], [T0 + M, 2.5]])]);
        expect(await store.history({ ...range, aggregate: 'min' })).toEqual([series(airNorth1, 'pm25', [[T0, 2], [T0 + M, -5]])]);
        expect(await store.history({ ...range, aggregate: 'max' })).toEqual([series(airNorth1, 'pm25', [[T0, 4], [T0 + M, 10]])]);
        expect(await store.history({ ...range, aggregate: 'last' })).toEqual([series(airNorth1, 'pm25', [[T0, 4], [T0 + M, -5]])]);
      });

      it('defaults to the mean, leaves out empty windows and honours limit', async () => {
        expect(await store.history({ from: T0, to: T0 + 3 * M, windowMs: M })).toEqual([
          series(airNorth1, 'pm25', [[T0, 7 / 3], [T0 + M, 2.5], [T0 + 2 * M, 3]]),
        ]);
        expect(await store.history({ from: T0, to: T0 + 10 * M, windowMs: 30 * S, aggregate: 'max' })).toEqual([
          series(airNorth1, 'pm25', [[T0, 2], [T0 + 30 * S, 4], [T0 + 60 * S, 10], [T0 + 90 * S, -5], [T0 + 150 * S, 3]]),
        ]);
        expect(await store.history({ from: T0, to: T0 + 3 * M, windowMs: M, aggregate: 'min', limit: 2 })).toEqual([
          series(airNorth1, 'pm25', [[T0, 1], [T0 + M, -5]]),
        ]);
      });

      it('aligns windows to the epoch, not to the start of the query', async () => {
        await store.writeBatch([
          sample(airSouth, T0, { pm25: 1 }),
          sample(airSouth, T0 + 1500, { pm25: 2 }),
          sample(airSouth, T0 + 2000, { pm25: 3 }),
          sample(airSouth, T0 + 8999, { pm25: 4 }),
          sample(airSouth, T0 + 9000, { pm25: 5 }),
        ]);
        // T0 is 5 s past a multiple of 7 s: 7 s windows start at T0 − 5 s, T0 + 2 s, T0 + 9 s.
        expect(await store.history({ from: T0, to: T0 + 10 * S, windowMs: 7 * S, site: 'tj-south' })).toEqual([
          series(airSouth, 'pm25', [[T0 - 5000, 1.5], [T0 + 2000, 3.5], [T0 + 9000, 5]]),
        ]);
      });
    });

    it('refuses a batch it cannot store, as a whole, with RejectedWriteError', async () => {
      const good = sample(airNorth1, T0, { pm25: 1 });
      const bad: StoredSample[] = [
        sample(airNorth1, T0 + S, { pm25: Number.NaN }),
        sample(airNorth1, T0 + S, { pm25: Number.POSITIVE_INFINITY }),
        sample(airNorth1, T0 + S, { time: 1 }),
        sample(airNorth1, T0 + S, { sb_seq: 1 }),
        sample(airNorth1, T0 + S, {}),
        sample({ ...airNorth1, site: 'Tj North' }, T0 + S, { pm25: 1 }),
        sample({ ...airNorth1, measurement: 'air,x=1' }, T0 + S, { pm25: 1 }),
        sample(airNorth1, T0 + 0.5, { pm25: 1 }),
      ];
      for (const b of bad) {
        await expect(store.writeBatch([good, b]), JSON.stringify(b)).rejects.toBeInstanceOf(RejectedWriteError);
      }
      expect(await store.latest()).toEqual([]);
    });

    it('refuses malformed history queries', async () => {
      await expect(store.history({ from: T0, to: T0 + M, windowMs: 0 })).rejects.toThrow(/windowMs/);
      await expect(store.history({ from: T0, to: T0 + M, windowMs: 1.5 })).rejects.toThrow(/windowMs/);
      await expect(store.history({ from: T0, to: T0 + M, limit: 0 })).rejects.toThrow(/limit/);
    });

    it('accepts an empty batch and repeated init()', async () => {
      await store.writeBatch([]);
      await store.writeBatch([sample(airNorth1, T0, { pm25: 1 })]);
      await store.init();
      expect(await store.latest()).toEqual([reading(airNorth1, 'pm25', T0, 1)]);
    });

    it('close() can be called twice; the store refuses work afterwards', async () => {
      await store.writeBatch([sample(airNorth1, T0, { pm25: 1 })]);
      await store.close();
      await store.close();
      await expect(store.latest()).rejects.toThrow(/closed/);
      await expect(store.history({ from: T0, to: T0 + M })).rejects.toThrow(/closed/);
      await expect(store.writeBatch([sample(airNorth1, T0, { pm25: 2 })])).rejects.toThrow(/closed/);
    });
  });
}
