// End to end, for real: Modbus simulator → gateway → Aedes broker → ingest → store
// (SQLite on disk, and a real InfluxDB 1.6) → HTTP API, checking that the API returns
// exactly the values the simulators served, and that an InfluxDB outage loses nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import type { RunningSystem } from '../cli/system.js';
import type { LatestReading, StoreConfig } from '../store/index.js';
import { startInfluxd, type InfluxdServer } from './harness/influxd.js';
import { fastSite, getJson, historyFromApi, sampleTimesByDevice, startTestSystem, storedSampleCount } from './harness/system.js';
import { describeWithTool } from './harness/tools.js';

const SITE = 'jiejinkou';

/** The run: collect a few samples per device, stop the gateway, compare the API's data with the simulators. */
async function checkPipeline(system: RunningSystem): Promise<void> {
  const startedAt = Date.now() - 1000;
  await waitFor(async () => {
    const times = await sampleTimesByDevice(system, SITE, startedAt);
    return times.size === 2 && [...times.values()].every((t) => t.length >= 5);
  }, { timeoutMs: 20_000, what: 'five samples of each device in the store' });

  const [site] = system.sites;
  await site!.gateway.stop();
  const taken = site!.gateway.stats.lastSeq;
  await waitFor(async () => (await storedSampleCount(system, SITE, startedAt)) === taken, { what: `all ${taken} samples taken to be stored` });

  const series = await historyFromApi(system, SITE, startedAt);
  expect(series.map((s) => `${s.measurement}/${s.device}/${s.field}`)).toEqual([
    'air/pm-1/pm10', 'air/pm-1/pm25', 'weather/th-1/humidity', 'weather/th-1/temperature',
  ]);
  let compared = 0;
  for (const s of series) {
    const simulator = site!.simulators.get(s.device)!;
    for (const [ts, value] of s.points) {
      expect({ device: s.device, field: s.field, ts, value }).toEqual({ device: s.device, field: s.field, ts, value: simulator.valueAt(s.field, ts) });
      compared++;
    }
  }
  expect(compared).toBe(taken * 2); // two fields per sample, every sample taken

  const { body } = await getJson<{ readings: LatestReading[] }>(`${system.apiUrl}/v1/readings/latest?site=${SITE}`);
  expect(body.readings).toHaveLength(4);
  for (const reading of body.readings) {
    const history = series.find((s) => s.device === reading.device && s.field === reading.field)!;
    expect([reading.ts, reading.value]).toEqual(history.points.at(-1));
  }

  const gateways = await getJson<{ gateways: Array<{ site: string; state: string }> }>(`${system.apiUrl}/v1/gateways`);
  expect(gateways.body.gateways).toEqual([expect.objectContaining({ site: SITE, gateway: 'gw-01', state: 'offline' })]);
}

describe('pipeline on the embedded SQLite store', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  beforeAll(async () => { system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` })); });
  afterAll(async () => { await system?.close(); });

  it('the API returns exactly the values the simulators served, every sample once', async () => {
    await checkPipeline(system);
  });
});

describeWithTool('influxd', 'pipeline on a real InfluxDB 1.6', () => {
  let influxd: InfluxdServer;
  const influxStore = (database: string): StoreConfig => ({ kind: 'influx', url: influxd.url, database });
  beforeAll(async () => { influxd = await startInfluxd(); });
  afterAll(async () => { await influxd?.cleanup(); });

  it('the API returns exactly the values the simulators served, every sample once', async () => {
    const system = await startTestSystem(influxStore('shaobing_e2e'));
    try {
      await checkPipeline(system);
    } finally {
      await system.close();
    }
  });

  it('loses nothing while InfluxDB is stopped and restarted under a flow of readings', async () => {
    const system = await startTestSystem(influxStore('shaobing_outage'), [fastSite(SITE, 100)]);
    try {
      const startedAt = Date.now() - 1000;
      const [site] = system.sites;
      await waitFor(async () => (await storedSampleCount(system, SITE, startedAt)) >= 6, { timeoutMs: 20_000, what: 'readings flowing' });

      await influxd.stop();
      const seqAtOutage = site!.gateway.stats.lastSeq;
      // Readings keep being taken and published; ingest holds them un-acked and retries.
      await waitFor(() => site!.gateway.stats.lastSeq >= seqAtOutage + 30 && system.ingest.stats().pending > 0, { timeoutMs: 20_000, what: '30 more readings during the outage' });
      const storedDuringOutage = system.ingest.stats().samplesWritten;

      await influxd.restart();
      await site!.gateway.stop();
      const taken = site!.gateway.stats.lastSeq;
      await waitFor(async () => (await storedSampleCount(system, SITE, startedAt)) === taken, { timeoutMs: 30_000, what: `all ${taken} readings in InfluxDB after the restart` });
      expect(taken).toBeGreaterThanOrEqual(seqAtOutage + 30);
      expect(system.ingest.stats().samplesWritten).toBeGreaterThan(storedDuringOutage);
      expect(system.ingest.stats().rejected).toBe(0);
      expect(system.deadLetters.count()).toBe(0);
    } finally {
      await system.close();
    }
  });
});
