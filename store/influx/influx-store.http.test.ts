// InfluxStore against a scripted HTTP server on loopback: what it sends to servers we
// cannot run here (2.x), and how it behaves when a server answers badly or not at all.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../lib/net.js';
import { waitFor } from '../../lib/wait.js';
import { RejectedWriteError, type StoredSample } from '../types.js';
import { InfluxStore, type InfluxStoreOptions } from './influx-store.js';

const T0 = Date.UTC(2026, 10, 28);
const sample: StoredSample = {
  measurement: 'air', site: 'tj-north', gateway: 'gw-1', device: 'aqm-1', profile: 'sds011', ts: T0, seq: 7, values: { pm25: 12.5 },
};
const LINE = `air,device=aqm-1,gateway=gw-1,profile=sds011,site=tj-north pm25=12.5,sb_seq=7 ${T0}`;

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Reply = { status: number; json?: unknown } | 'hang';

interface FakeInflux {
  url: string;
  requests: Recorded[];
  /** Requests whose connection the client closed before we answered. */
  abandoned: number;
  close(): Promise<void>;
}

const servers: FakeInflux[] = [];
const stores: InfluxStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  vi.restoreAllMocks();
});

async function fakeInflux(version: string, reply: (req: Recorded) => Reply): Promise<FakeInflux> {
  const fake: FakeInflux = { url: '', requests: [], abandoned: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw).toString() : raw.toString();
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      if (recorded.url !== '/ping') fake.requests.push(recorded);
      res.setHeader('X-Influxdb-Version', version);
      const answer: Reply = recorded.url === '/ping' ? { status: 204 } : reply(recorded);
      if (answer === 'hang') {
        res.on('close', () => {
          fake.abandoned += 1;
        });
        return;
      }
      res.writeHead(answer.status, answer.json === undefined ? {} : { 'content-type': 'application/json' });
      res.end(answer.json === undefined ? undefined : JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  servers.push(fake);
  return fake;
}

function open(options: InfluxStoreOptions): InfluxStore {
  const store = new InfluxStore(options);
  stores.push(store);
  return store;
}

const fieldKeys = { results: [{ statement_id: 0, series: [{ name: 'air', columns: ['fieldKey', 'fieldType'], values: [['pm25', 'float'], ['sb_seq', 'float']] }] }] };
const lastPm25 = {
  results: [{ statement_id: 0, series: [{ name: 'air', tags: { site: 'tj-north', gateway: 'gw-1', device: 'aqm-1', profile: 'sds011' }, columns: ['time', 'last'], values: [[T0, 12.5]] }] }],
};

function queryReply(req: Recorded): Reply {
  const q = new URLSearchParams(req.body).get('q') ?? '';
  if (q.startsWith('SHOW FIELD KEYS')) return { status: 200, json: fieldKeys };
  if (q.startsWith('SELECT last(')) return { status: 200, json: lastPm25 };
  return { status: 200, json: { results: [{ statement_id: 0 }] } };
}

describe('InfluxStore over HTTP', () => {
  it('2.x: writes to /api/v2/write with Token auth, reads InfluxQL on /query, creates nothing', async () => {
    const fake = await fakeInflux('v2.7.4', (req) => (req.url.startsWith('/api/v2/write') ? { status: 204 } : queryReply(req)));
    const store = open({ url: fake.url, database: 'shaobing', retentionPolicy: 'one_year', org: 'tongjiang', token: 's3cret' });
    await store.init();
    await store.writeBatch([sample]);
    expect(await store.latest()).toEqual([
      { measurement: 'air', site: 'tj-north', gateway: 'gw-1', device: 'aqm-1', profile: 'sds011', field: 'pm25', ts: T0, value: 12.5 },
    ]);

    expect(fake.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['POST', '/api/v2/write?org=tongjiang&bucket=shaobing%2Fone_year&precision=ms', 'Token s3cret'],
      ['POST', '/query?db=shaobing&epoch=ms', 'Token s3cret'],
      ['POST', '/query?db=shaobing&epoch=ms', 'Token s3cret'],
    ]);
    expect(fake.requests[0]?.body).toBe(LINE);
    expect(new URLSearchParams(fake.requests[1]?.body).get('q')).toBe('SHOW FIELD KEYS FROM "one_year"./.*/');
    expect(new URLSearchParams(fake.requests[2]?.body).get('q')).toBe(
      'SELECT last("pm25"::field) FROM "one_year"."air" GROUP BY "site","gateway","device","profile"',
    );
  });

  it('1.6: creates the database and writes to /write with Basic auth and v1 precision', async () => {
    const fake = await fakeInflux('1.6.7~rc0', (req) => (req.url.startsWith('/write') ? { status: 204 } : queryReply(req)));
    const store = open({ url: fake.url, database: 'shaobing', retentionPolicy: 'one_year', username: 'ingest', password: 'pw' });
    await store.init();
    await store.writeBatch([sample]);
    const basic = `Basic ${Buffer.from('ingest:pw').toString('base64')}`;
    expect(fake.requests.map((r) => [r.url, r.headers.authorization, new URLSearchParams(r.body).get('q')])).toEqual([
      ['/query?db=shaobing&epoch=ms', basic, 'CREATE DATABASE "shaobing"'],
      ['/write?db=shaobing&rp=one_year&precision=ms', basic, null],
    ]);
    expect(fake.requests[1]?.body).toBe(LINE);
  });

  it('1.8: uses the v2 write endpoint, with Basic auth', async () => {
    const fake = await fakeInflux('1.8.10', (req) => (req.url.startsWith('/api/v2/write') ? { status: 204 } : queryReply(req)));
    const store = open({ url: fake.url, database: 'shaobing', username: 'ingest', password: 'pw' });
    await store.init();
    await store.writeBatch([sample]);
    expect(fake.requests.map((r) => r.url)).toEqual(['/query?db=shaobing&epoch=ms', '/api/v2/write?org=&bucket=shaobing&precision=ms']);
    expect(fake.requests[1]?.headers.authorization).toBe(`Basic ${Buffer.from('ingest:pw').toString('base64')}`);
  });

  it.each<[number, boolean, unknown, RegExp]>([
    [400, true, { error: 'unable to parse' }, /refused the data: HTTP 400: unable to parse/],
    [422, true, { code: 'unprocessable entity', message: 'points beyond retention policy' }, /HTTP 422: points beyond retention policy/],
    [401, false, { error: 'authorization failed' }, /write failed: HTTP 401: authorization failed/],
    [404, false, { error: 'database not found: "shaobing"' }, /write failed: HTTP 404: database not found/],
    [503, false, undefined, /write failed: HTTP 503/],
  ])('HTTP %i on write → RejectedWriteError: %s', async (status, refused, json, message) => {
    const fake = await fakeInflux('1.6.7', (req) => (req.url.startsWith('/write') ? { status, json } : queryReply(req)));
    const store = open({ url: fake.url, database: 'shaobing' });
    await store.init();
    const errorLog = vi.spyOn(console, 'error');
    const warnLog = vi.spyOn(console, 'warn');
    const err = await store.writeBatch([sample]).catch((e: unknown) => e);
    expect(err instanceof RejectedWriteError).toBe(refused);
    expect((err as Error).message).toMatch(message);
    // Exactly one attempt: the caller owns retries. And the library printed nothing.
    expect(fake.requests.filter((r) => r.url.startsWith('/write'))).toHaveLength(1);
    expect(errorLog).not.toHaveBeenCalled();
    expect(warnLog).not.toHaveBeenCalled();
  });

  it('gives up on a server that never answers after timeoutMs, and closes the connection', async () => {
    const fake = await fakeInflux('1.6.7', (req) => (req.url.startsWith('/write') || req.body.includes('SHOW') ? 'hang' : queryReply(req)));
    const store = open({ url: fake.url, database: 'shaobing', timeoutMs: 300 });
    await store.init();

    const started = Date.now();
    const err = await store.writeBatch([sample]).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).not.toBeInstanceOf(RejectedWriteError);
    expect((err as Error).message).toBe('InfluxDB write failed: no answer within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
    await waitFor(() => fake.abandoned === 1, { timeoutMs: 2000, what: 'the client to close the hung request' });

    await expect(store.latest()).rejects.toThrow('InfluxDB query failed: no answer within 300 ms');
  });

  it('init fails with the reason when nothing listens, and can be retried', async () => {
    const port = await freePort();
    const store = open({ url: `http://127.0.0.1:${port}`, database: 'shaobing', timeoutMs: 1000 });
    await expect(store.init()).rejects.toThrow(new RegExp(`InfluxDB at http://127\\.0\\.0\\.1:${port} did not answer /ping: .*ECONNREFUSED`));
    await expect(store.writeBatch([sample])).rejects.toThrow(/init\(\)/);
  });

  it('refuses options it cannot honour', () => {
    expect(() => new InfluxStore({ url: 'ftp://x', database: 'd' })).toThrow(/http/);
    expect(() => new InfluxStore({ url: 'http://127.0.0.1:1', database: '' })).toThrow(/database/);
    expect(() => new InfluxStore({ url: 'http://127.0.0.1:1', database: 'a/b' })).toThrow(/"\/"/);
    expect(() => new InfluxStore({ url: 'http://127.0.0.1:1', database: 'd', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
