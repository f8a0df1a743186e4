// InfluxStore against a real, throwaway InfluxDB 1.6 (Debian's influxd): the shared
// conformance suite, then what only this store promises: meta fields, refusals vs
// outages, surviving a server restart or crash, retention policies and Basic auth.
import { InfluxDB } from '@influxdata/influxdb-client';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startInfluxd, type InfluxdServer } from '../../test/harness/influxd.js';
import { describeWithTool } from '../../test/harness/tools.js';
import { describeStoreConformance } from '../conformance.js';
import { RejectedWriteError, type StoredSample } from '../types.js';
import { latestStatement, showFieldKeysStatement } from './influxql.js';
import { InfluxStore, type InfluxStoreOptions } from './influx-store.js';
import { adaptTransport } from './transport.js';

const T0 = Date.UTC(2026, 10, 28);
const key = { measurement: 'air', site: 'tj-north', gateway: 'gw-1', device: 'aqm-1', profile: 'sds011' };

let databaseCounter = 0;
function uniqueDatabase(): string {
  databaseCounter += 1;
  return `sb_test_${process.pid}_${databaseCounter}`;
}

function sample(ts: number, values: StoredSample['values'], seq = 1, quality?: StoredSample['quality']): StoredSample {
  return { ...key, ts, seq, values, ...(quality ? { quality } : {}) };
}

/** Raw InfluxQL over HTTP, to look at what the store wrote without going through it. */
async function influxql(url: string, q: string, params: Record<string, string> = {}, auth?: string): Promise<unknown> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ epoch: 'ms', ...params }).toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams({ q }).toString(),
  });
  return res.json();
}

async function rawWrite(url: string, db: string, lines: string): Promise<number> {
  const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body: lines });
  await res.arrayBuffer();
  return res.status;
}

describeWithTool('influxd', 'InfluxStore on InfluxDB 1.6', () => {
  let server: InfluxdServer;
  const opened: InfluxStore[] = [];

  function newStore(options: Partial<InfluxStoreOptions> = {}): InfluxStore {
    const store = new InfluxStore({ url: server.url, database: uniqueDatabase(), timeoutMs: 5000, ...options });
    opened.push(store);
    return store;
  }

  beforeAll(async () => {
    server = await startInfluxd();
  });

  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await server?.cleanup();
  });

  describeStoreConformance('InfluxStore', async () => {
    const store = newStore();
    return { store, cleanup: () => store.close() };
  });

  it('detects 1.6 and creates the database on init', async () => {
    const store = newStore({ database: 'sb_created_by_init' });
    await store.init();
    expect(store.serverVersion).toMatch(/^1\.6\./);
    expect(JSON.stringify(await influxql(server.url, 'SHOW DATABASES'))).toContain('"sb_created_by_init"');
  });

  it('writes every value as a float plus sb_seq and sb_quality, and leaves the meta fields out of reads', async () => {
    const database = uniqueDatabase();
    const store = newStore({ database });
    await store.init();
    await store.writeBatch([sample(T0, { pm25: 12, on: true }, 1042, 'uncertain'), sample(T0 + 1000, { pm25: 13 }, 1043)]);

    expect(await influxql(server.url, 'SHOW FIELD KEYS FROM "air"', { db: database })).toEqual({
      results: [{
        statement_id: 0,
        series: [{ name: 'air', columns: ['fieldKey', 'fieldType'], values: [['on', 'float'], ['pm25', 'float'], ['sb_quality', 'string'], ['sb_seq', 'float']] }],
      }],
    });
    expect(await influxql(server.url, 'SELECT "pm25", "sb_seq", "sb_quality" FROM "air"', { db: database })).toEqual({
      results: [{
        statement_id: 0,
        series: [{ name: 'air', columns: ['time', 'pm25', 'sb_seq', 'sb_quality'], values: [[T0, 12, 1042, 'uncertain'], [T0 + 1000, 13, 1043, null]] }],
      }],
    });
    expect((await store.latest()).map((r) => r.field)).toEqual(['on', 'pm25']);
  });

  it('throws RejectedWriteError when InfluxDB refuses the data (field type conflict)', async () => {
    const database = uniqueDatabase();
    const store = newStore({ database });
    await store.init();
    expect(await rawWrite(server.url, database, `air,site=tj-north status="text" ${T0}`)).toBe(204);

    const err = await store.writeBatch([sample(T0 + 1000, { status: 1 })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RejectedWriteError);
    expect((err as Error).message).toMatch(/HTTP 400: partial write: field type conflict: input field "status"/);
  });

  it('fails the whole writeBatch when one request of a large batch is refused', async () => {
    const database = uniqueDatabase();
    const store = newStore({ database });
    await store.init();
    // 12 000 samples go out as three requests (5 000 lines each); the library on its own
    // would send 1 000-line chunks and swallow their errors.
    const good = Array.from({ length: 12_000 }, (_, i) => sample(T0 + i * 1000, { pm25: i }, i));
    await store.writeBatch(good);
    expect((await store.history({ from: T0, to: T0 + 12_000_000 }))[0]?.points).toHaveLength(12_000);

    expect(await rawWrite(server.url, database, `air,site=tj-north status="text" ${T0}`)).toBe(204);
    const withConflict = good.map((s, i) => (i === 7000 ? { ...s, values: { status: 1 } } : s));
    await expect(store.writeBatch(withConflict)).rejects.toBeInstanceOf(RejectedWriteError);
  });

  it('reports an outage as an ordinary Error, and the same batch succeeds after a restart', async () => {
    const store = newStore({ timeoutMs: 2000 });
    await store.init();
    await store.writeBatch([sample(T0, { pm25: 1 })]);

    await server.stop();
    const batch = [sample(T0 + 1000, { pm25: 2 })];
    const err = await store.writeBatch(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(RejectedWriteError);
    expect((err as Error).message).toMatch(/InfluxDB write failed: .*(ECONNREFUSED|ECONNRESET|socket hang up)/);
    await expect(store.latest()).rejects.toThrow(/InfluxDB query failed/);

    await server.restart();
    await store.writeBatch(batch);
    expect(await store.history({ from: T0, to: T0 + 2000 })).toEqual([{ ...key, field: 'pm25', points: [[T0, 1], [T0 + 1000, 2]] }]);
  });

  it('keeps acknowledged writes when the server is killed (SIGKILL) and restarted', async () => {
    const store = newStore();
    await store.init();
    const batch = Array.from({ length: 100 }, (_, i) => sample(T0 + i, { pm25: i / 4 }));
    await store.writeBatch(batch);
    await server.kill();
    await server.restart();
    expect((await store.history({ from: T0, to: T0 + 100 }))[0]?.points).toEqual(batch.map((s) => [s.ts, s.values.pm25]));
  });

  it('writes to and reads from a named retention policy', async () => {
    const database = uniqueDatabase();
    const store = newStore({ database, retentionPolicy: 'one_year' });
    await store.init();
    await influxql(server.url, `CREATE RETENTION POLICY "one_year" ON "${database}" DURATION 52w REPLICATION 1`);
    await store.writeBatch([sample(T0, { pm25: 7 })]);

    expect(await store.latest()).toEqual([{ ...key, field: 'pm25', ts: T0, value: 7 }]);
    expect(await store.history({ from: T0, to: T0 + 1, windowMs: 60_000, aggregate: 'max' })).toEqual([{ ...key, field: 'pm25', points: [[T0, 7]] }]);
    // The point is in one_year, not in the default policy.
    expect(await influxql(server.url, 'SELECT "pm25" FROM "autogen"."air"', { db: database })).toEqual({ results: [{ statement_id: 0 }] });
  });

  it('escaped names and values reach InfluxDB 1.6 as literals, hostile or not', async () => {
    // The stores answer [] for filter values no stored name can have before asking the
    // database, so this checks the escaping itself against the real parser.
    const database = uniqueDatabase();
    await influxql(server.url, `CREATE DATABASE "${database}"`);
    const odd = `it's "q" back\\slash`;
    expect(await rawWrite(server.url, database, `m"x,site=it's\\ "q"\\ back\\slash v=1 ${T0}\nm"x,site=plain v=2 ${T0}`)).toBe(204);
    const target = { database };
    expect(await influxql(server.url, latestStatement('m"x', 'v', { site: odd }, target), { db: database })).toEqual({
      results: [{ statement_id: 0, series: [{ name: 'm"x', tags: { site: odd, gateway: '', device: '', profile: '' }, columns: ['time', 'last'], values: [[T0, 1]] }] }],
    });
    for (const hostile of ["x' OR site != '", "x\\' OR 1=1 --", 'x"; DROP DATABASE "' + database, 'x\n; DROP DATABASE x']) {
      expect(await influxql(server.url, latestStatement('m"x', 'v', { site: hostile }, target), { db: database })).toEqual({ results: [{ statement_id: 0 }] });
      expect(await influxql(server.url, latestStatement(hostile, hostile, {}, target), { db: database })).toEqual({ results: [{ statement_id: 0 }] });
      expect(await influxql(server.url, showFieldKeysStatement(hostile, target), { db: database })).toEqual({ results: [{ statement_id: 0 }] });
    }
    expect(JSON.stringify(await influxql(server.url, 'SHOW DATABASES'))).toContain(`"${database}"`);
  });

  it('maps microsecond precision to 1.6\'s "u" (1.6 would read "us" as nanoseconds)', async () => {
    const database = uniqueDatabase();
    await influxql(server.url, `CREATE DATABASE "${database}"`);
    const base = new InfluxDB({ url: server.url }).transport;
    const client = new InfluxDB({ url: server.url, transport: adaptTransport(base, { useV1WriteEndpoint: true, timeoutMs: 5000 }) });
    const writeApi = client.getWriteApi('', database, 'us', { flushInterval: 0, maxRetries: 0, writeFailed: (e: Error) => Promise.reject(e) });
    writeApi.writeRecord(`m v=1 ${T0 * 1000 + 5}`);
    await writeApi.close();
    expect(await influxql(server.url, 'SELECT "v" FROM "m"', { db: database, epoch: 'u' })).toEqual({
      results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'v'], values: [[T0 * 1000 + 5, 1]] }] }],
    });
  });
});

describeWithTool('influxd', 'InfluxStore on InfluxDB 1.6 with authentication', () => {
  let server: InfluxdServer;
  const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const admin = basic('admin', 'admin-pw');

  beforeAll(async () => {
    server = await startInfluxd({ authEnabled: true });
    // With no users yet, 1.x lets anyone create the first admin.
    await influxql(server.url, "CREATE USER \"admin\" WITH PASSWORD 'admin-pw' WITH ALL PRIVILEGES");
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it('uses Basic auth: an admin creates the database, writes and reads', async () => {
    const store = new InfluxStore({ url: server.url, database: 'sb_auth', username: 'admin', password: 'admin-pw' });
    try {
      await store.init();
      await store.writeBatch([sample(T0, { pm25: 3.5 })]);
      expect(await store.latest()).toEqual([{ ...key, field: 'pm25', ts: T0, value: 3.5 }]);
    } finally {
      await store.close();
    }
  });

  it('fails init with wrong credentials (not a refusal of data)', async () => {
    const store = new InfluxStore({ url: server.url, database: 'sb_auth', username: 'admin', password: 'wrong' });
    try {
      await expect(store.init()).rejects.toThrow(/HTTP 401/);
    } finally {
      await store.close();
    }
  });

  it('lets a non-admin user with write and read rights work on an existing database', async () => {
    await influxql(server.url, 'CREATE DATABASE "sb_ingest"', {}, admin);
    await influxql(server.url, "CREATE USER \"ingest\" WITH PASSWORD 'ingest-pw'", {}, admin);
    await influxql(server.url, 'GRANT ALL ON "sb_ingest" TO "ingest"', {}, admin);
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
    const store = new InfluxStore({ url: server.url, database: 'sb_ingest', username: 'ingest', password: 'ingest-pw', logger });
    try {
      await store.init();
      // CREATE DATABASE needs admin rights: init says so and carries on.
      expect(logged.join('')).toMatch(/not allowed to create the InfluxDB database; assuming it exists/);
      await store.writeBatch([sample(T0, { pm25: 8 })]);
      expect(await store.latest()).toEqual([{ ...key, field: 'pm25', ts: T0, value: 8 }]);
    } finally {
      await store.close();
    }
  });
});
