// Carbon accounting end to end: a month of 15-minute readings of a simulated Chint DDSU666
// energy meter and of a TUF-2000M totaliser on a boiler's diesel line (values from the Modbus
// simulator's value model, generated rather than waited for), published as telemetry through
// the real broker with a gateway account, written by the real ingest, read back by the API.
// The meter loses its readings for 8 h across a midnight, is replaced by a new meter that
// starts at 0, and once answers garbage. The API's daily emissions must match a hand
// calculation from the generated values: each day's first reading, the next day's first
// reading, and the events worked out one by one — never by calling the code under test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../cli/system.js';
import { defaultProfilesDir, loadProfile, type ProfilePoint } from '../gateway/index.js';
import { waitFor } from '../lib/wait.js';
import { topics } from '../protocol/index.js';
import { servedValue } from '../simulators/modbus/register-map.js';
import type { StoreConfig } from '../store/index.js';
import { startInfluxd, type InfluxdServer } from './harness/influxd.js';
import { getJson, startTestSystem } from './harness/system.js';
import { describeWithTool } from './harness/tools.js';

const SITE = 'tongjiang-town';
const GATEWAY = 'gw-07';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 15 * MIN;
/** Local (UTC+8) wall-clock time in March 2026. */
const local = (day: number, hour = 0, minute = 0) => Date.UTC(2026, 2, day, hour, minute) - 8 * HOUR;
const MARCH_1 = local(1);
const DAYS = 30; // 1–30 March, the last reading at 31 March 00:00

const GAP_AFTER = local(10, 20); // no readings between 10 March 20:00 and 11 March 04:00
const GAP_UNTIL = local(11, 4);
const OLD_METER_LAST = local(20, 10); // the meter is replaced at 10:05 on 20 March
const NEW_METER_FITTED = local(20, 10, 5);
const GARBLED_AT = local(25, 12); // one garbled read

interface Meter { device: string; profile: string; measurement: string; field: string; seed: number }
const ELECTRICITY: Meter = { device: 'meter-1', profile: 'chint-ddsu666', measurement: 'energy', field: 'import_energy', seed: 5 };
const DIESEL: Meter = { device: 'boiler-fuel', profile: 'tuf-2000m', measurement: 'water', field: 'positive_total', seed: 9 };

const times = Array.from({ length: DAYS * 96 + 1 }, (_, i) => MARCH_1 + i * STEP);

/** The readings each meter's gateway would publish: what a Modbus read of the simulator gives. */
function electricityReadings(point: ProfilePoint): Map<number, number> {
  const served = (t: number) => servedValue(point, ELECTRICITY.seed, t) as number;
  const atFitting = served(NEW_METER_FITTED);
  const readings = new Map<number, number>();
  for (const t of times) {
    if (t > GAP_AFTER && t < GAP_UNTIL) continue;
    // The new meter counts from 0 what the old one would have counted since it was fitted (a float32 register).
    readings.set(t, t <= OLD_METER_LAST ? served(t) : Math.fround(served(t) - atFitting));
  }
  return readings;
}

function dieselReadings(point: ProfilePoint): Map<number, number> {
  return new Map(times.map((t) => [t, servedValue(point, DIESEL.seed, t) as number]));
}

/** kWh per local day, by hand: next day's first reading minus this day's, with each event worked out. */
function handElectricity(r: Map<number, number>): number[] {
  return Array.from({ length: DAYS }, (_, d) => {
    const start = MARCH_1 + d * DAY;
    const end = start + DAY;
    if (start === local(10)) {
      const acrossGap = r.get(GAP_UNTIL)! - r.get(GAP_AFTER)!; // 8 h silent: 4 h of it were on the 10th
      return r.get(GAP_AFTER)! - r.get(start)! + acrossGap * (4 / 8);
    }
    if (start === local(11)) {
      const acrossGap = r.get(GAP_UNTIL)! - r.get(GAP_AFTER)!;
      return acrossGap * (4 / 8) + r.get(end)! - r.get(GAP_UNTIL)!;
    }
    if (start === local(20)) return r.get(OLD_METER_LAST)! - r.get(start)! + r.get(end)!; // old meter, then the new one from 0
    return r.get(end)! - r.get(start)!;
  });
}

function handDiesel(r: Map<number, number>): number[] {
  return Array.from({ length: DAYS }, (_, d) => r.get(MARCH_1 + (d + 1) * DAY)! - r.get(MARCH_1 + d * DAY)!);
}

const EXPECTED_FLAGS: Record<string, string[]> = { '2026-03-10': ['gap'], '2026-03-11': ['gap'], '2026-03-20': ['reset'], '2026-03-25': ['implausible'] };
/** 3.1451 t CO2/t (43.33 GJ/t × 0.0202 tC/GJ × 98 % × 44/12, to 4 decimals) × 0.84 kg/L. */
const DIESEL_KG_PER_L = Number((43.33 * 0.0202 * 0.98 * 44 / 12).toFixed(4)) * 0.84;
const NORTHEAST_2023 = 0.5122;

async function publishMonth(system: RunningSystem, electricity: Map<number, number>, diesel: Map<number, number>): Promise<void> {
  const login = await system.addGatewayAccount(SITE, GATEWAY);
  const client = await mqtt.connectAsync(system.brokerUrl, { ...login, clientId: `${SITE}.${GATEWAY}`, protocolVersion: 4, reconnectPeriod: 0 });
  try {
    let seq = 0;
    const publish = async (meter: Meter, readings: Array<[number, number]>) => {
      for (let i = 0; i < readings.length; i += 96) {
        const samples = readings.slice(i, i + 96).map(([ts, value]) => ({ ts, seq: ++seq, values: { [meter.field]: value } }));
        const payload = JSON.stringify({ v: 1, measurement: meter.measurement, profile: meter.profile, samples });
        await client.publishAsync(topics.telemetry({ site: SITE, gateway: GATEWAY }, meter.device), payload, { qos: 1 });
      }
    };
    const withGarbage = [...electricity].map(([ts, v]): [number, number] => [ts, ts === GARBLED_AT ? 99_999 : v]);
    await publish(ELECTRICITY, withGarbage);
    await publish(DIESEL, [...diesel]);
  } finally {
    await client.endAsync();
  }
  const expected = electricity.size + diesel.size;
  await waitFor(async () => {
    const stored = await system.store.history({ site: SITE, from: MARCH_1, to: MARCH_1 + 31 * DAY });
    return stored.reduce((n, s) => n + s.points.length, 0) === expected;
  }, { timeoutMs: 30_000, what: `all ${expected} readings stored` });
}

interface Bucket { period: string; activity: number | null; co2Kg: number | null; coverage: number; flags: string[] }
interface Report {
  factorSet: { id: string; grid: string; electricityTCO2PerMWh: number };
  sources: Array<{ device: string; kind: string; unit: string; scope: number; factor: { kgCO2PerUnit: number }; resolution: string; buckets: Bucket[]; totals: { activity: number; co2Kg: number } }>;
  sites: Array<{ site: string; buckets: Array<{ period: string; scope1Kg: number; scope2Kg: number; totalKg: number; flags: string[] }> }>;
  totals: { scope1Kg: number; scope2Kg: number; totalKg: number };
}

function carbonSuite(store: (dir: string) => StoreConfig) {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let sourcesDir: string;
  let kWh: number[];
  let litres: number[];
  const url = (query: string) => `${system.apiUrl}/v1/carbon/emissions?site=${SITE}&${query}`;

  beforeAll(async () => {
    sourcesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-carbon-'));
    const sourcesFile = path.join(sourcesDir, 'carbon-sources.yaml');
    // The TUF-2000M is a water meter by default; this one is on the boiler's diesel line, totalising litres (menu M31).
    fs.writeFileSync(sourcesFile, [
      'devices:',
      `  - { site: ${SITE}, device: ${DIESEL.device}, field: ${DIESEL.field}, kind: diesel, unit: L, maxRatePerHour: 200 }`,
    ].join('\n'));
    system = await startTestSystem(store, [], { carbon: { sourcesFile } });
    const profiles = defaultProfilesDir();
    const electricityPoint = (await loadProfile(path.join(profiles, 'chint-ddsu666.yaml'))).points.find((p) => p.name === ELECTRICITY.field)!;
    const dieselPoint = (await loadProfile(path.join(profiles, 'tuf-2000m.yaml'))).points.find((p) => p.name === DIESEL.field)!;
    const electricity = electricityReadings(electricityPoint);
    const diesel = dieselReadings(dieselPoint);
    kWh = handElectricity(electricity);
    litres = handDiesel(diesel);
    await publishMonth(system, electricity, diesel);
  });
  afterAll(async () => {
    await system?.close();
    if (sourcesDir) fs.rmSync(sourcesDir, { recursive: true, force: true });
  });

  it('daily electricity (scope 2) and diesel (scope 1) match the hand calculation, with the events flagged', async () => {
    const { status, body } = await getJson<Report>(url('from=2026-03-01&to=2026-03-31&interval=day'));
    expect(status).toBe(200);
    expect(body.factorSet).toEqual(expect.objectContaining({ id: 'mee-2023', grid: 'northeast', electricityTCO2PerMWh: NORTHEAST_2023 }));
    expect(body.sources.map((s) => [s.device, s.kind, s.unit, s.scope, s.resolution])).toEqual([
      ['boiler-fuel', 'diesel', 'L', 1, 'raw'], ['meter-1', 'electricity', 'kWh', 2, 'raw'],
    ]);
    const [fuel, meter] = body.sources;
    expect(meter!.factor.kgCO2PerUnit).toBe(NORTHEAST_2023);
    expect(fuel!.factor.kgCO2PerUnit).toBeCloseTo(DIESEL_KG_PER_L, 9);

    expect(meter!.buckets.map((b) => b.period)).toEqual(Array.from({ length: DAYS }, (_, d) => `2026-03-${String(d + 1).padStart(2, '0')}`));
    meter!.buckets.forEach((bucket, d) => {
      const where = `electricity on ${bucket.period}`;
      expect(bucket.activity, where).toBeCloseTo(kWh[d]!, 2); // within 0.005 kWh: float sums in another order, 3-decimal rounding
      expect(Math.abs(bucket.activity! - kWh[d]!), where).toBeLessThan(0.0015);
      expect(Math.abs(bucket.co2Kg! - kWh[d]! * NORTHEAST_2023), where).toBeLessThan(0.0015);
      expect(bucket.coverage, where).toBe(1);
      expect(bucket.flags, where).toEqual(EXPECTED_FLAGS[bucket.period] ?? []);
    });
    fuel!.buckets.forEach((bucket, d) => {
      const where = `diesel on ${bucket.period}`;
      expect(bucket.activity, where).toBe(litres[d]); // whole litres: exact
      expect(Math.abs(bucket.co2Kg! - litres[d]! * DIESEL_KG_PER_L), where).toBeLessThan(0.0006);
      expect(bucket.flags, where).toEqual([]);
    });

    // The site: scope 1 is the diesel, scope 2 the electricity, bucket by bucket.
    const [site] = body.sites;
    site!.buckets.forEach((bucket, d) => {
      expect([bucket.scope1Kg, bucket.scope2Kg]).toEqual([fuel!.buckets[d]!.co2Kg, meter!.buckets[d]!.co2Kg]);
      expect(bucket.totalKg).toBeCloseTo(bucket.scope1Kg + bucket.scope2Kg, 6);
    });
    const handTotal = kWh.reduce((s, v) => s + v * NORTHEAST_2023, 0) + litres.reduce((s, v) => s + v * DIESEL_KG_PER_L, 0);
    expect(Math.abs(body.totals.totalKg - handTotal)).toBeLessThan(0.05);

    // The replaced meter's day: what the old meter counted plus what the new one counted from 0,
    // so a naive last-minus-first (new reading minus old) would be hugely negative.
    expect(meter!.buckets[19]!.activity).toBeGreaterThan(0);
  });

  it('a month: one bucket, widened to the whole of March, so the missing 31st shows as incomplete', async () => {
    const { body } = await getJson<Report>(url('from=2026-03-01&to=2026-03-31&interval=month'));
    const [fuel, meter] = body.sources;
    expect(meter!.buckets).toEqual([expect.objectContaining({ period: '2026-03', coverage: Number((30 / 31).toFixed(4)), flags: ['reset', 'gap', 'implausible', 'incomplete'] })]);
    expect(Math.abs(meter!.buckets[0]!.activity! - kWh.reduce((s, v) => s + v, 0))).toBeLessThan(0.002);
    expect(fuel!.buckets[0]!.activity).toBe(litres.reduce((s, v) => s + v, 0));
  });

  it('reproducible: the same data and factor set give the same bytes; another set gives other numbers, named', async () => {
    const first = await fetch(url('from=2026-03-01&to=2026-03-31'));
    const second = await fetch(url('from=2026-03-01&to=2026-03-31'));
    expect(await second.text()).toBe(await first.text());
    const { body } = await getJson<Report>(url('from=2026-03-01&to=2026-03-31&factorSet=mee-2022&grid=national'));
    expect(body.factorSet).toEqual(expect.objectContaining({ id: 'mee-2022', grid: 'national', electricityTCO2PerMWh: 0.5366 }));
    expect(body.sources[1]!.buckets[0]!.co2Kg).toBeCloseTo(body.sources[1]!.buckets[0]!.activity! * 0.5366, 3);
  });

  it('CSV export, by format=csv or by Accept: text/csv', async () => {
    const response = await fetch(url('from=2026-03-01&to=2026-03-31&format=csv'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="carbon-emissions_${SITE}_2026-03-01_2026-03-30_mee-2023.csv"`);
    const rows = (await response.text()).trimEnd().split('\r\n');
    expect(rows).toHaveLength(1 + 2 * DAYS);
    expect(rows[0]).toMatch(/^factor_set,grid,site,gateway,device,profile,field,kind,scope,period,/);
    const replaced = rows.find((r) => r.includes(',meter-1,') && r.includes(',2026-03-20,'))!;
    expect(replaced).toMatch(/^mee-2023,northeast,tongjiang-town,gw-07,meter-1,chint-ddsu666,import_energy,electricity,2,2026-03-20,2026-03-20T00:00:00\+08:00,2026-03-21T00:00:00\+08:00,[\d.]+,kWh,0\.5122,[\d.]+,1,0,reset$/);
    const byAccept = await fetch(url('from=2026-03-01&to=2026-03-31'), { headers: { accept: 'text/csv' } });
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await byAccept.text()).toBe(rows.join('\r\n') + '\r\n');
  });

  it('a counter read every 30 s: too dense to read raw, so the last reading per window, said in `resolution`', async () => {
    // 20 days at 1.2 kWh/h, written straight into the store: 57 601 readings, more than the raw limit.
    const base = { measurement: 'energy', site: 'jiejinkou', gateway: 'gw-01', device: 'meter-9', profile: 'chint-ddsu666' };
    const samples = Array.from({ length: 20 * 2880 + 1 }, (_, i) => ({ ...base, ts: MARCH_1 + i * 30_000, seq: i + 1, values: { import_energy: 1000 + i * 0.01 } }));
    for (let i = 0; i < samples.length; i += 10_000) await system.store.writeBatch(samples.slice(i, i + 10_000));
    const { body } = await getJson<Report>(`${system.apiUrl}/v1/carbon/emissions?site=jiejinkou&from=2026-03-01&to=2026-03-21`);
    const [meter] = body.sources;
    expect(meter!.resolution).toBe('120s'); // 24 days read (range + 2 days each side) in at most 25 000 windows
    meter!.buckets.slice(1).forEach((bucket) => {
      expect(Math.abs(bucket.activity! - 28.8), bucket.period).toBeLessThanOrEqual(0.04 + 1e-9); // off by at most one window's use
      expect(bucket.flags).toEqual([]);
    });
    // The first window's reading is dated at its end (00:02), so the first 2 minutes are not covered.
    expect(meter!.buckets[0]).toEqual(expect.objectContaining({ coverage: Number((1 - 2 / 1440).toFixed(4)), flags: ['incomplete'] }));
  });

  it.each([
    ['factorSet=mee-1999', 'factorSet'],
    ['factorSet=mee-2021&grid=northeast', 'grid'],
    ['interval=week', 'interval'],
    ['format=xml', 'format'],
    ['from=2026-02-30', 'from'],
    ['from=2026-03-10&to=2026-03-01', 'from'],
    ['from=2020-01-01&to=2026-03-01', 'from'],
    ['to=2026-03-01T00:00:00', 'to'],
    ['device=Meter_1', 'device'],
  ])('GET ?%s → 400 naming "%s"', async (query, parameter) => {
    const { status, body } = await getJson<{ parameter: string; message: string }>(url(query));
    expect({ status, parameter: body.parameter }).toEqual({ status: 400, parameter });
    expect(body.message).toContain(`"${parameter}"`);
  });
}

describe('carbon accounting on the embedded SQLite store', () => {
  carbonSuite((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }));
});

describeWithTool('influxd', 'carbon accounting on a real InfluxDB 1.6', () => {
  let influxd: InfluxdServer;
  beforeAll(async () => { influxd = await startInfluxd(); });
  afterAll(async () => { await influxd?.cleanup(); });
  carbonSuite(() => ({ kind: 'influx', url: influxd.url, database: 'shaobing_carbon' }));
});
