// The HTTP API over a real store and broker: parameters, errors that name the
// parameter, aggregation through the API, OpenAPI docs, health and metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { getJson, startTestSystem } from './harness/system.js';

const T0 = Date.UTC(2026, 0, 15, 0, 0, 0); // a January night in Tongjiang
const base = { measurement: 'water', site: 'bachahe', gateway: 'gw-01', device: 'gauge-1', profile: 'radar-level' };

describe('API', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }));
    // One reading a minute for an hour: level rises 10 mm a minute from 2000 mm.
    await system.store.writeBatch(Array.from({ length: 60 }, (_, i) => ({ ...base, ts: T0 + i * 60_000, seq: i + 1, values: { level: 2000 + 10 * i, ice: i >= 30 } })));
  });
  afterAll(async () => { await system?.close(); });

  it('history: windowed aggregates computed by the store, windows aligned to the epoch', async () => {
    const url = (aggregate: string) => `${system.apiUrl}/v1/readings/history?site=bachahe&field=level&from=${new Date(T0).toISOString()}&to=${T0 + 3_600_000}&window=15m&aggregate=${aggregate}`;
    const mean = await getJson<{ series: Array<{ field: string; points: number[][] }>; window: string; aggregate: string }>(url('mean'));
    expect(mean.status).toBe(200);
    expect(mean.body.window).toBe('15m');
    expect(mean.body.series).toEqual([expect.objectContaining({ ...base, field: 'level', points: [[T0, 2070], [T0 + 900_000, 2220], [T0 + 1_800_000, 2370], [T0 + 2_700_000, 2520]] })]);
    const max = await getJson<{ series: Array<{ points: number[][] }> }>(url('max'));
    expect(max.body.series[0]!.points.map((p) => p[1])).toEqual([2140, 2290, 2440, 2590]);
  });

  it('history: raw samples with a limit, booleans as 1/0, relative times', async () => {
    const { body } = await getJson<{ series: Array<{ field: string; points: number[][] }> }>(
      `${system.apiUrl}/v1/readings/history?device=gauge-1&field=ice&from=${T0 + 29 * 60_000}&to=${T0 + 32 * 60_000}&limit=2`,
    );
    expect(body.series).toEqual([expect.objectContaining({ field: 'ice', points: [[T0 + 29 * 60_000, 0], [T0 + 30 * 60_000, 1]] })]);
  });

  it('latest: filters by site, device, measurement and fields', async () => {
    const { body } = await getJson<{ readings: Array<{ field: string; value: number; ts: number; time: string }> }>(
      `${system.apiUrl}/v1/readings/latest?site=bachahe&measurement=water&field=level,ice`,
    );
    expect(body.readings).toEqual([
      expect.objectContaining({ field: 'ice', value: 1, ts: T0 + 59 * 60_000, time: '2026-01-15T00:59:00.000Z' }),
      expect.objectContaining({ field: 'level', value: 2590, ts: T0 + 59 * 60_000 }),
    ]);
    const none = await getJson<{ readings: unknown[] }>(`${system.apiUrl}/v1/readings/latest?site=nowhere`);
    expect(none).toEqual({ status: 200, body: { readings: [] } });
  });

  it.each([
    ['/v1/readings/latest?site=Bad%20Site', 'site'],
    ['/v1/readings/latest?site=x%27%3B%20DROP%20TABLE%20readings%3B--', 'site'],
    ['/v1/readings/latest?colour=red', 'colour'],
    ['/v1/readings/latest?field=Temp', 'field'],
    ['/v1/readings/history?from=yesterday', 'from'],
    ['/v1/readings/history?to=2026-01-15T00:00:00', 'to'],
    ['/v1/readings/history?from=-1h&to=-2h', 'from'],
    ['/v1/readings/history?window=5x', 'window'],
    ['/v1/readings/history?window=500ms', 'window'],
    ['/v1/readings/history?from=-30d&window=1s', 'window'],
    ['/v1/readings/history?aggregate=median&window=1m', 'aggregate'],
    ['/v1/readings/history?aggregate=max', 'aggregate'],
    ['/v1/readings/history?limit=0', 'limit'],
    ['/v1/readings/history?limit=NaN', 'limit'],
    ['/v1/gateways?state=sleeping', 'state'],
  ])('GET %s → 400 naming "%s"', async (path, parameter) => {
    const { status, body } = await getJson<{ error: string; message: string; parameter: string }>(`${system.apiUrl}${path}`);
    expect({ status, parameter: body.parameter }).toEqual({ status: 400, parameter });
    expect(body.message).toContain(`"${parameter}"`);
  });

  it('serves OpenAPI docs for every route', async () => {
    const { status, body } = await getJson<{ openapi: string; paths: Record<string, unknown> }>(`${system.apiUrl}/docs/json`);
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths).sort()).toEqual([
      '/healthz', '/metrics', '/v1/alarms', '/v1/alarms/history', '/v1/alarms/{id}', '/v1/alarms/{id}/ack', '/v1/audit', '/v1/cameras', '/v1/cameras/{site}/{gateway}/{camera}', '/v1/cameras/{site}/{gateway}/{camera}/capture',
      '/v1/cameras/{site}/{gateway}/{camera}/ptz', '/v1/cameras/{site}/{gateway}/{camera}/snapshots',
      '/v1/cameras/{site}/{gateway}/{camera}/snapshots/latest', '/v1/cameras/{site}/{gateway}/{camera}/stream',
      '/v1/carbon/emissions', '/v1/carbon/factor-sets', '/v1/ecology/aqi', '/v1/ecology/summary', '/v1/events', '/v1/gateways', '/v1/live', '/v1/readings/history', '/v1/readings/latest',
      '/v1/registry/gateways', '/v1/registry/gateways/{site}/{gateway}', '/v1/registry/gateways/{site}/{gateway}/cameras',
      '/v1/registry/gateways/{site}/{gateway}/cameras/{camera}', '/v1/registry/gateways/{site}/{gateway}/config/push',
      '/v1/registry/gateways/{site}/{gateway}/devices', '/v1/registry/gateways/{site}/{gateway}/devices/{device}',
      '/v1/registry/gateways/{site}/{gateway}/revoke', '/v1/registry/sites', '/v1/snapshots/{sha256}',
    ]);
    const html = await fetch(`${system.apiUrl}/docs/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('healthz reports the store and broker, metrics are Prometheus text', async () => {
    expect(await getJson(`${system.apiUrl}/healthz`)).toEqual({ status: 200, body: { status: 'ok', store: 'sqlite', checks: { store: 'ok', broker: 'ok' } } });
    const metrics = await fetch(`${system.apiUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^shaobing_ingest_samples_written_total \d+/m);
    expect(text).toMatch(/^shaobing_api_requests_total\{route="\/v1\/readings\/latest",status="400"\} \d+/m);
  });

  it('gateways: online with device health from the retained status', async () => {
    // The gateway publishes its first status with device health after its first polls: wait for it.
    const body = await waitFor(async () => {
      const { body: found } = await getJson<{ gateways: Array<Record<string, unknown>> }>(`${system.apiUrl}/v1/gateways?site=jiejinkou`);
      return found.gateways.length > 0 && found.gateways.every((g) => g.devices !== undefined) && found;
    }, { what: 'the gateway\'s status with its devices' });
    expect(body.gateways).toEqual([expect.objectContaining({
      site: 'jiejinkou', gateway: 'gw-01', state: 'online',
      devices: { 'th-1': expect.objectContaining({ online: expect.any(Boolean) }), 'pm-1': expect.objectContaining({ online: expect.any(Boolean) }) },
    })]);
  });
});
