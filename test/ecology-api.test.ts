// The ecology API over real HTTP and the real SQLite store: readings with chosen values at
// chosen times go in through the store, and the AQI and the summary come back as JSON; bad
// parameters are answered 400 naming the parameter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBaselines } from '../api/ecology/baselines.js';
import type { StoredSample } from '../store/types.js';
import { getJson, startTestSystem } from './harness/system.js';

const MIN = 60_000;
const H = 3_600_000;
// 14:30 in Tongjiang on 15 January 2026: the hourly report is 13:00–14:00 (UTC+8),
// the daily report 14 January (UTC+8), i.e. 2026-01-13T16:00Z – 2026-01-14T16:00Z.
const AT = Date.UTC(2026, 0, 15, 6, 30);
const HOUR_END = Date.UTC(2026, 0, 15, 6);
const DAY_START = Date.UTC(2026, 0, 13, 16);

/** One sample a minute in [from, to) with values from `values(ts)`. */
function minutes(key: Omit<StoredSample, 'ts' | 'seq' | 'values'>, from: number, to: number, values: (ts: number) => StoredSample['values']): StoredSample[] {
  const out: StoredSample[] = [];
  for (let ts = from, seq = 1; ts < to; ts += MIN, seq++) out.push({ ...key, ts: ts + 7000, seq, values: values(ts) });
  return out;
}

interface Indicator { id: string; concentration: number | null; iaqi: number | null; iaqiFrom?: string; coverage: { sufficient: boolean; have: number; need: number }; reason?: string }
interface Report {
  aqi: number | null; level: number | null; category: { zh: string; en: string } | null; colour: { rgb: number[]; hex: string } | null;
  primaryPollutants: Array<{ indicator: string; pollutant: string }>; exceedancePollutants: Array<{ indicator: string }>;
  complete: boolean; unavailable: Array<{ indicator: string; reason: string }>; note: string | null; indicators: Indicator[]; period: { from: string; to: string; label: string };
}
interface AqiBody { site: string; at: string; standard: { id: string; sources: string[]; caveats: string[] }; sources: Array<Record<string, string>>; missingPollutants: string[]; hourly: Report; daily: Report; validity: { rules: Record<string, string> } }

describe('ecology API', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  const aqi = (query: string) => getJson<AqiBody>(`${system.apiUrl}/v1/ecology/aqi?${query}`);

  beforeAll(async () => {
    const baselines = parseBaselines({
      baselines: [
        { site: 'bachahe', field: 'dose_rate', value: 0.1, unit: 'µSv/h', source: 'Heilongjiang background survey (example)', note: 'dry weather' },
        { site: 'bachahe', device: 'gauge-1', field: 'water_level', value: 3, unit: 'm', source: 'gauge commissioning record (example)' },
      ],
    }, 'test-baselines.yaml');
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [], { ecologyBaselines: baselines });
    const air = { measurement: 'air', site: 'tongjiang-town', gateway: 'gw-01' };
    await system.store.writeBatch([
      // PM2.5 100 and PM10 150 all along, from the start of the day before to the end of the hour.
      ...minutes({ ...air, device: 'pm-1', profile: 'pm-sensor' }, DAY_START - 24 * H, HOUR_END, () => ({ pm25: 100, pm10: 150 })),
      // O3 180 all along; SO2 only for 30 minutes of the report hour (not enough for an hourly value).
      ...minutes({ ...air, device: 'gas-1', profile: 'aqi-gas-analyser' }, DAY_START - 24 * H, HOUR_END, (ts): StoredSample['values'] => (ts >= HOUR_END - 30 * MIN ? { o3: 180, so2: 20 } : { o3: 180 })),
      // A CO2 sensor is not an AQI pollutant, and a plant's toxic-gas detector (measurement gas) must not count.
      ...minutes({ ...air, device: 'co2-1', profile: 'senseair-s8' }, HOUR_END - H, HOUR_END, () => ({ co2: 450 })),
      ...minutes({ measurement: 'gas', site: 'tongjiang-town', gateway: 'gw-01', device: 'tox-1', profile: 'toxic' }, HOUR_END - H, HOUR_END, () => ({ co: 80 })),
      // Gappy: PM2.5 44 minutes in the report hour.
      ...minutes({ ...air, site: 'gappy', device: 'pm-1', profile: 'pm-sensor' }, HOUR_END - 44 * MIN, HOUR_END, () => ({ pm25: 50 })),
    ]);
    const bachahe = { site: 'bachahe', gateway: 'gw-01' };
    const S = Date.UTC(2026, 0, 15, 6); // summary time
    await system.store.writeBatch([
      // Dose rate 0.09 for an hour, then 0.15 for an hour, then (after S) 0.5 which must not count.
      ...minutes({ ...bachahe, measurement: 'radiation', device: 'rad-1', profile: 'generic-gamma-dose-rate' }, S - 2 * H, S, (ts) => ({ dose_rate: ts < S - H ? 0.09 : 0.15, fault: false })),
      { ...bachahe, measurement: 'radiation', device: 'rad-1', profile: 'generic-gamma-dose-rate', ts: S + 10 * MIN, seq: 999, values: { dose_rate: 0.5 } },
      // A second monitor last heard three days ago.
      { ...bachahe, measurement: 'radiation', device: 'rad-2', profile: 'generic-gamma-dose-rate', ts: S - 3 * 24 * H, seq: 1, values: { dose_rate: 0.11 } },
      ...minutes({ ...bachahe, measurement: 'water', device: 'gauge-1', profile: 'hlk-ld8001h' }, S - 30 * MIN, S, (ts) => ({ water_level: 3100 + (ts - (S - 30 * MIN)) / MIN * 10, air_gap: 8000 })),
      ...minutes({ ...bachahe, measurement: 'soil', device: 'soil-1', profile: 'jxct-soil-7in1' }, S - 10 * MIN, S, () => ({ moisture: 14.2, temperature: -8 })),
    ]);
  });
  afterAll(async () => { await system?.close(); });

  it('AQI of a site under the default standard (HJ 633-2026)', async () => {
    const { status, body } = await aqi(`site=tongjiang-town&at=${new Date(AT).toISOString()}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ site: 'tongjiang-town', at: '2026-01-15T06:30:00.000Z', standard: { id: 'HJ633-2026' }, missingPollutants: ['no2', 'co'] });
    expect(body.standard.caveats.join(' ')).toMatch(/not checked against the primary text/);
    expect(body.sources.map((s) => `${s.pollutant}:${s.device}.${s.field}`).sort()).toEqual(['o3:gas-1.o3', 'pm10:pm-1.pm10', 'pm25:pm-1.pm25', 'so2:gas-1.so2']);
    expect(body.hourly.period).toEqual({ from: '2026-01-15T05:00:00.000Z', to: '2026-01-15T06:00:00.000Z', label: 'hour ending 2026-01-15T14:00:00+08:00' });
    const hourly = Object.fromEntries(body.hourly.indicators.map((i) => [i.id, i.iaqi]));
    expect(hourly).toEqual({ so2_1h: null, o3_1h: 75, o3_8h: 119, pm10_1h: 112, pm25_1h: 137, pm10_24h: 112, pm25_24h: 137, so2_24h: null });
    expect(body.hourly).toMatchObject({
      aqi: 137, level: 3, category: { zh: '轻度污染', en: 'Lightly polluted' }, colour: { rgb: [255, 126, 0], hex: '#FF7E00' },
      primaryPollutants: [{ indicator: 'pm25_1h', pollutant: 'pm25' }], complete: false,
      unavailable: [{ indicator: 'so2_1h', reason: 'insufficient data: 30 of 60 minutes; an hourly mean needs at least 45' }],
    });
    expect(body.hourly.exceedancePollutants.map((p) => p.indicator)).toEqual(['o3_8h', 'pm10_1h', 'pm25_1h']);
    expect(body.hourly.note).toMatch(/lower bound/);
    expect(body.daily.period.label).toBe('day 2026-01-14 (UTC+8)');
    expect(Object.fromEntries(body.daily.indicators.map((i) => [i.id, i.iaqi]))).toEqual({
      so2_24h: null, pm10_24h: 112, pm25_24h: 137, o3_1h_max: 75, o3_8h_max: 119,
    });
    expect(body.daily.indicators.find((i) => i.id === 'so2_24h')).toMatchObject({ concentration: null, coverage: { sufficient: false, have: 0, need: 20 } });
    expect(body.daily).toMatchObject({ aqi: 137, primaryPollutants: [{ indicator: 'pm25_24h' }] });
    expect(body.validity.rules.hour).toMatch(/^45 of 60 minutes: GB 3095-2012/);
  });

  it('the same air under HJ 633-2012', async () => {
    const { status, body } = await aqi(`site=tongjiang-town&at=${AT}&standard=HJ633-2012`);
    expect(status).toBe(200);
    expect(body.standard.id).toBe('HJ633-2012');
    expect(body.hourly).toMatchObject({ aqi: 132, level: 3, primaryPollutants: [{ indicator: 'pm25_1h' }] });
    expect(body.hourly.exceedancePollutants.map((p) => p.indicator)).toEqual(['o3_8h', 'pm25_1h']);
    expect(body.hourly.indicators.find((i) => i.id === 'pm10_1h')).toMatchObject({ concentration: 150, iaqi: 100 });
  });

  it('filters by device', async () => {
    const { body } = await aqi(`site=tongjiang-town&at=${AT}&device=gas-1`);
    expect(body.missingPollutants).toEqual(['no2', 'co', 'pm10', 'pm25']);
    expect(body.hourly).toMatchObject({ aqi: 119, primaryPollutants: [{ indicator: 'o3_8h' }] });
  });

  it('too little data: no number, a reason', async () => {
    const { body } = await aqi(`site=gappy&at=${AT}`);
    expect(body.hourly).toMatchObject({ aqi: null, level: null, colour: null, primaryPollutants: [] });
    expect(body.hourly.indicators.find((i) => i.id === 'pm25_1h')).toMatchObject({ iaqi: null, concentration: null, coverage: { have: 44, need: 45 } });
    expect(body.hourly.note).toMatch(/no indicator had enough data/);
  });

  it('a site without air readings: no AQI, and says so', async () => {
    const { status, body } = await aqi('site=nowhere');
    expect(status).toBe(200);
    expect(body.missingPollutants).toEqual(['so2', 'no2', 'co', 'o3', 'pm10', 'pm25']);
    expect(body.hourly).toMatchObject({ aqi: null, indicators: [] });
    expect(body.hourly.note).toMatch(/none of the six pollutants/);
  });

  it('summary: latest, 24-hour figures and deviation from the baselines', async () => {
    const { status, body } = await getJson<{ site: string; baselinesFile: string; devices: Array<Record<string, unknown> & { device: string; notes: string[] }> }>(
      `${system.apiUrl}/v1/ecology/summary?site=bachahe&at=2026-01-15T14:00:00%2B08:00`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ site: 'bachahe', baselinesFile: 'test-baselines.yaml' });
    expect(body.devices.map((d) => `${d.measurement}/${d.device}/${d.field}`)).toEqual(['radiation/rad-1/dose_rate', 'radiation/rad-2/dose_rate', 'soil/soil-1/moisture', 'water/gauge-1/water_level']);
    const [rad1, rad2, soil, water] = body.devices;
    expect(rad1).toMatchObject({
      unit: 'µSv/h', latest: { value: 0.15, time: '2026-01-15T05:59:07.000Z', ageSeconds: 53 },
      last24h: { min: 0.09, mean: 0.12, max: 0.15, minutesWithData: 120, minutes: 1440 },
      baseline: { value: 0.1, unit: 'µSv/h', source: 'Heilongjiang background survey (example)', note: 'dry weather' },
      deviation: { latest: { absolute: 0.05, percent: 50 }, mean24h: { absolute: 0.02, percent: 20 } },
    });
    expect(rad2).toMatchObject({ latest: { value: 0.11, ageSeconds: 3 * 86_400 }, last24h: null, deviation: { latest: { absolute: 0.01, percent: 10 }, mean24h: null } });
    expect(rad2!.notes.join(' ')).toMatch(/no reading in the 24 hours/);
    expect(soil).toMatchObject({ latest: { value: 14.2 }, baseline: null, deviation: null });
    expect(soil!.notes).toContain('no baseline configured for site bachahe, device soil-1, field moisture: no deviation');
    expect(water).toMatchObject({
      unit: 'mm', latest: { value: 3390 }, last24h: { min: 3100, max: 3390, mean: 3245 },
      baseline: { value: 3, unit: 'm', valueInReadingUnit: 3000 }, deviation: { latest: { absolute: 390, percent: 13 } },
    });
  });

  it('summary now: the reading after the earlier `at` is the latest', async () => {
    const { body } = await getJson<{ devices: Array<{ device: string; latest: { value: number } | null }> }>(`${system.apiUrl}/v1/ecology/summary?site=bachahe&device=rad-1`);
    expect(body.devices).toEqual([expect.objectContaining({ device: 'rad-1', latest: expect.objectContaining({ value: 0.5 }) })]);
  });

  it.each([
    ['/v1/ecology/aqi', 'site'],
    ['/v1/ecology/aqi?site=Tongjiang%20Town', 'site'],
    ['/v1/ecology/aqi?site=tongjiang-town&standard=HJ633-2020', 'standard'],
    ['/v1/ecology/aqi?site=tongjiang-town&at=yesterday', 'at'],
    ['/v1/ecology/aqi?site=tongjiang-town&at=2026-01-15T14:00:00', 'at'],
    ['/v1/ecology/aqi?site=tongjiang-town&at=2999-01-01T00:00:00Z', 'at'],
    ['/v1/ecology/aqi?site=tongjiang-town&device=PM_1', 'device'],
    ['/v1/ecology/aqi?site=tongjiang-town&gateway=gw%2F1', 'gateway'],
    ['/v1/ecology/aqi?site=tongjiang-town&pollutant=pm25', 'pollutant'],
    ['/v1/ecology/summary', 'site'],
    ['/v1/ecology/summary?site=bachahe&at=-1x', 'at'],
    ['/v1/ecology/summary?site=bachahe&standard=HJ633-2026', 'standard'],
  ])('GET %s → 400 naming "%s"', async (path, parameter) => {
    const { status, body } = await getJson<{ message: string; parameter: string }>(`${system.apiUrl}${path}`);
    expect({ status, parameter: body.parameter }).toEqual({ status: 400, parameter });
    expect(body.message).toContain(`"${parameter}"`);
  });

  it('is documented in the OpenAPI description', async () => {
    const { body } = await getJson<{ paths: Record<string, unknown> }>(`${system.apiUrl}/docs/json`);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/v1/ecology/aqi', '/v1/ecology/summary']));
  });
});
