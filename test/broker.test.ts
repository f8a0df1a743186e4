// Integration tests of the broker: the real Aedes server on a free loopback port,
// real MQTT.js clients, accounts loaded from a real file. No mocks, no fixed sleeps.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type IPublishPacket, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { topics } from '../protocol/index.js';
import { AccountStore, formatAccounts, hashPassword, loadAccounts, startBroker, type Account, type RunningBroker } from '../broker/index.js';

const EAST1 = { site: 'tj-east', gateway: 'gw-1' };
const EAST2 = { site: 'tj-east', gateway: 'gw-2' };
const WEST1 = { site: 'tj-west', gateway: 'gw-1' };

const users = {
  east1: { username: 'gw-tj-east-1', password: randomBytes(18).toString('base64url'), ...EAST1 },
  east2: { username: 'gw-tj-east-2', password: randomBytes(18).toString('base64url'), ...EAST2 },
  west1: { username: 'gw-tj-west-1', password: randomBytes(18).toString('base64url'), ...WEST1 },
  ingest: { username: 'svc-ingest', password: randomBytes(18).toString('base64url'), role: 'ingest' as const },
  api: { username: 'svc-api', password: randomBytes(18).toString('base64url'), role: 'api' as const },
};
type User = (typeof users)[keyof typeof users];

interface Received { topic: string; payload: string; retain: boolean }

/** Log lines the broker wrote, parsed. */
const logLines: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });

let dir: string;
let accountsFile: string;
let broker: RunningBroker;
const openClients: MqttClient[] = [];
let clientCounter = 0;

async function accountOf(user: User): Promise<Account> {
  const passwordHash = await hashPassword(user.password);
  return 'role' in user
    ? { role: user.role, username: user.username, passwordHash }
    : { role: 'gateway', username: user.username, passwordHash, site: user.site, gateway: user.gateway };
}

function options(user: User | undefined, extra: IClientOptions = {}): IClientOptions {
  return {
    clientId: `test-${++clientCounter}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(user ? { username: user.username, password: user.password } : {}),
    ...extra,
  };
}

async function connect(url: string, user: User | undefined, extra: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, options(user, extra), false);
  openClients.push(client);
  return client;
}

/** The CONNACK return code of a refused connection. */
async function refusalCode(url: string, user: User | undefined, extra: IClientOptions = {}): Promise<number> {
  const error = await mqtt.connectAsync(url, options(user, extra), false).then(
    (client) => { openClients.push(client); throw new Error('connection was accepted'); },
    (err: Error & { code?: number }) => err,
  );
  return error.code ?? -1;
}

/** Granted QoS per filter, 128 for a refused one (MQTT.js rejects the promise then). */
async function subscribe(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    const granted: ISubscriptionGrant[] = await client.subscribeAsync(filters, { qos });
    return granted.map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted: number[] } }).packet;
    if (packet === undefined) throw err;
    return packet.granted;
  }
}

function collect(client: MqttClient): Received[] {
  const received: Received[] = [];
  client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
    received.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  return received;
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

/** Publishes at QoS 1: a PUBACK means the broker took it; a refused PUBLISH ends the connection (MQTT 3.1.1). */
function publishOutcome(client: MqttClient, topic: string, payload: string, retain = false): Promise<'acknowledged' | 'disconnected' | 'failed'> {
  return Promise.race([
    client.publishAsync(topic, payload, { qos: 1, retain }).then(() => 'acknowledged' as const, () => 'failed' as const),
    closed(client).then(() => 'disconnected' as const),
  ]);
}

function logsWith(msg: string): Array<Record<string, unknown>> {
  return logLines.filter((line) => line.msg === msg);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-broker-'));
  accountsFile = path.join(dir, 'accounts.yaml');
  const accounts = await Promise.all(Object.values(users).map(accountOf));
  await writeFile(accountsFile, formatAccounts(accounts));
  broker = await startBroker({ port: 0, accounts: await AccountStore.fromFile(accountsFile), logger });
});

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((client) => client.endAsync(true)));
  // The next test starts from a broker without sessions left over from this one.
  await waitFor(() => broker.stats().clientsConnected === 0, { what: 'the broker to see every client gone' });
});

afterAll(async () => {
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('refuses an anonymous connection', async () => {
    const before = broker.stats().authFailuresByReason.anonymous;
    expect(await refusalCode(broker.url, undefined)).toBe(5);
    expect(broker.stats().authFailuresByReason.anonymous).toBe(before + 1);
  });

  it('refuses a wrong password and an unknown user, without logging the password', async () => {
    const wrong = { ...users.east1, password: 'not-the-password' };
    expect(await refusalCode(broker.url, wrong)).toBe(4);
    expect(await refusalCode(broker.url, { ...users.east1, username: 'gw-nobody' })).toBe(4);
    const stats = broker.stats();
    expect(stats.authFailuresByReason['bad-password']).toBeGreaterThanOrEqual(1);
    expect(stats.authFailuresByReason['unknown-user']).toBeGreaterThanOrEqual(1);
    const refusals = logsWith('connection refused');
    expect(refusals).toContainEqual(expect.objectContaining({ username: users.east1.username, reason: 'bad-password' }));
    expect(refusals).toContainEqual(expect.objectContaining({ username: 'gw-nobody', reason: 'unknown-user' }));
    expect(JSON.stringify(logLines)).not.toContain('not-the-password');
  });

  it('accepts the right password, and admits a quick reconnect from the cache without scrypt', async () => {
    const first = await connect(broker.url, users.east2);
    expect(first.connected).toBe(true);
    await first.endAsync();
    const { passwordChecksTotal, credentialCacheHitsTotal } = broker.stats();
    const again = await connect(broker.url, users.east2);
    expect(again.connected).toBe(true);
    expect(broker.stats().passwordChecksTotal).toBe(passwordChecksTotal);
    expect(broker.stats().credentialCacheHitsTotal).toBe(credentialCacheHitsTotal + 1);
  });

  it('keeps client ids apart per account: another account cannot take over a session', async () => {
    const victim = await connect(broker.url, users.east1, { clientId: 'shared-id' });
    const intruder = await connect(broker.url, users.east2, { clientId: 'shared-id' });
    expect(intruder.connected).toBe(true);
    // The victim still has its connection: a QoS 1 publish is acknowledged on it.
    expect(await publishOutcome(victim, topics.telemetry(EAST1, 'meter-1'), '{}')).toBe('acknowledged');
    // The same account reconnecting with the same id still takes its own session over.
    const replaced = closed(victim);
    await connect(broker.url, users.east1, { clientId: 'shared-id' });
    await replaced;
  });
});

describe('publish ACL', () => {
  it("disconnects a gateway publishing under another gateway's topic; subscribers never see it", async () => {
    const ingest = await connect(broker.url, users.ingest);
    expect(await subscribe(ingest, ['sb/v1/gw/+/+/telemetry/+'])).toEqual([1]);
    const received = collect(ingest);
    const deniedBefore = broker.stats().publishDeniedTotal;

    const forger = await connect(broker.url, users.east1);
    expect(await publishOutcome(forger, topics.telemetry(EAST2, 'meter-1'), 'forged')).toBe('disconnected');
    expect(broker.stats().publishDeniedTotal).toBe(deniedBefore + 1);

    // Proof of delivery after the forgery: the real gateway's reading arrives, the forged one never did.
    const owner = await connect(broker.url, users.east2);
    await owner.publishAsync(topics.telemetry(EAST2, 'meter-1'), 'genuine', { qos: 1 });
    await waitFor(() => received.some((m) => m.payload === 'genuine'), { what: 'genuine telemetry at ingest' });
    expect(received.map((m) => m.payload)).not.toContain('forged');
    expect(logsWith('publish denied')).toContainEqual(expect.objectContaining({
      username: users.east1.username, topic: topics.telemetry(EAST2, 'meter-1'), reason: "another gateway's topic",
    }));
  });

  it('refuses a gateway publishing to config or command, even its own', async () => {
    for (const topic of [topics.config(EAST1), topics.command(EAST1)]) {
      const gateway = await connect(broker.url, users.east1);
      expect(await publishOutcome(gateway, topic, '{}'), topic).toBe('disconnected');
    }
  });

  it('refuses publishing outside sb/v1/ and to $SYS', async () => {
    for (const [user, topic] of [[users.api, 'other/topic'], [users.ingest, '$SYS/fake'], [users.east1, 'sb/v2/gw/tj-east/gw-1/status']] as const) {
      const client = await connect(broker.url, user);
      expect(await publishOutcome(client, topic, 'x'), topic).toBe('disconnected');
    }
  });
});

describe('subscribe ACL', () => {
  it("refuses a gateway subscribing to another gateway's config (0x80) and lets it use its own", async () => {
    const gateway = await connect(broker.url, users.west1);
    const received = collect(gateway);
    expect(await subscribe(gateway, [topics.config(EAST1)])).toEqual([128]);
    expect(await subscribe(gateway, ['sb/v1/gw/tj-west/+/config'])).toEqual([128]);
    expect(await subscribe(gateway, [topics.config(WEST1), topics.command(WEST1)])).toEqual([1, 1]);
    expect(gateway.connected).toBe(true); // a refused subscription does not end the connection

    const api = await connect(broker.url, users.api);
    await api.publishAsync(topics.config(EAST1), 'config-for-east-1', { qos: 1, retain: true });
    await api.publishAsync(topics.config(WEST1), 'config-for-west-1', { qos: 1, retain: true });
    await api.publishAsync(topics.command(WEST1), 'capture-now', { qos: 1 });
    await waitFor(() => received.length >= 2, { what: "the gateway's config and command" });
    expect(received.map((m) => m.payload).sort()).toEqual(['capture-now', 'config-for-west-1']);
    expect(logsWith('subscribe denied')).toContainEqual(expect.objectContaining({
      username: users.west1.username, topic: topics.config(EAST1), reason: "another gateway's topic",
    }));
  });

  it('delivers a retained config to a gateway that subscribes later', async () => {
    const api = await connect(broker.url, users.api);
    await api.publishAsync(topics.config(EAST2), 'config-v7', { qos: 1, retain: true });
    const gateway = await connect(broker.url, users.east2);
    const received = collect(gateway);
    await subscribe(gateway, [topics.config(EAST2)]);
    await waitFor(() => received.find((m) => m.payload === 'config-v7'), { what: 'retained config' });
    expect(received[0]?.retain).toBe(true);
  });
});

describe('retained status and last will', () => {
  it('delivers a retained status to a late subscriber', async () => {
    const gateway = await connect(broker.url, users.east1);
    await gateway.publishAsync(topics.status(EAST1), 'online', { qos: 1, retain: true });
    const api = await connect(broker.url, users.api);
    const received = collect(api);
    await subscribe(api, ['sb/v1/gw/+/+/status']);
    const status = await waitFor(() => received.find((m) => m.topic === topics.status(EAST1)), { what: 'retained status' });
    expect(status).toEqual({ topic: topics.status(EAST1), payload: 'online', retain: true });
  });

  it('publishes and retains the will "offline" when the gateway socket is destroyed', async () => {
    const will = { topic: topics.status(WEST1), payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const gateway = await connect(broker.url, users.west1, { will });
    await gateway.publishAsync(topics.status(WEST1), 'online', { qos: 1, retain: true });
    const watcher = await connect(broker.url, users.api);
    const live = collect(watcher);
    await subscribe(watcher, [topics.status(WEST1)]);
    await waitFor(() => live.some((m) => m.payload === 'online'), { what: 'online status' });

    gateway.stream.destroy(); // no DISCONNECT: as if power or uplink failed
    await waitFor(() => live.some((m) => m.payload === 'offline'), { what: 'the will at a live subscriber' });

    const late = await connect(broker.url, users.ingest);
    const retained = collect(late);
    await subscribe(late, ['sb/v1/gw/+/+/status']);
    const status = await waitFor(() => retained.find((m) => m.topic === topics.status(WEST1)), { what: 'retained will' });
    expect(status).toEqual({ topic: topics.status(WEST1), payload: 'offline', retain: true });
  });

  it("refuses a CONNECT whose will targets another gateway's status", async () => {
    const will = { topic: topics.status(EAST2), payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    expect(await refusalCode(broker.url, users.east1, { will })).toBe(5);
    expect(logsWith('connection refused')).toContainEqual(expect.objectContaining({ username: users.east1.username, reason: 'will-denied' }));
  });
});

describe('service accounts', () => {
  it('ingest reads gateway data and alarm acknowledgements, not config or commands, and publishes alarms and capture commands', async () => {
    const ingest = await connect(broker.url, users.ingest);
    expect(await subscribe(ingest, [
      'sb/v1/gw/+/+/telemetry/+', 'sb/v1/gw/+/+/status', 'sb/v1/gw/+/+/event/+', 'sb/v1/gw/+/+/snapshot/+', 'sb/v1/gw/tj-east/gw-1/telemetry/meter-1',
      'sb/v1/alarm/+/+',
    ])).toEqual([1, 1, 1, 1, 1, 1]);
    for (const filter of ['sb/v1/gw/+/+/config', 'sb/v1/gw/+/+/command', 'sb/v1/#', '#', 'sb/v1/gw/+/+/+']) {
      expect(await subscribe(ingest, [filter]), filter).toEqual([128]);
    }
    const api = await connect(broker.url, users.api);
    const alarms = collect(api);
    expect(await subscribe(api, ['sb/v1/alarm/+/+'])).toEqual([1]);
    await ingest.publishAsync(topics.alarm('tj-east', 'river-gauge-3'), 'raised', { qos: 1 });
    await waitFor(() => alarms.find((m) => m.payload === 'raised'), { what: 'alarm at api' });
    const gateway = await connect(broker.url, users.east1);
    const commands = collect(gateway);
    await subscribe(gateway, [topics.command(EAST1)]);
    await ingest.publishAsync(topics.command(EAST1), 'capture', { qos: 1 });
    await waitFor(() => commands.find((m) => m.payload === 'capture'), { what: 'capture command at gateway' });

    expect(await publishOutcome(ingest, topics.config(EAST1), 'not yours', true)).toBe('disconnected');
  });

  it('api reads status, events, alarms and telemetry (live stream), and sends config and commands, but not retained commands', async () => {
    const api = await connect(broker.url, users.api);
    expect(await subscribe(api, ['sb/v1/gw/+/+/status', 'sb/v1/gw/+/+/event/+', 'sb/v1/alarm/+/+', 'sb/v1/gw/+/+/telemetry/+'])).toEqual([1, 1, 1, 1]);
    for (const filter of ['sb/v1/gw/+/+/config', 'sb/v1/gw/+/+/snapshot/+', '$SYS/#']) {
      expect(await subscribe(api, [filter]), filter).toEqual([128]);
    }
    const gateway = await connect(broker.url, users.east1);
    const commands = collect(gateway);
    await subscribe(gateway, [topics.command(EAST1)]);
    await api.publishAsync(topics.command(EAST1), 'ptz-home', { qos: 1 });
    await waitFor(() => commands.find((m) => m.payload === 'ptz-home'), { what: 'command at gateway' });

    expect(await publishOutcome(api, topics.command(EAST1), 'replayed-on-every-reconnect', true)).toBe('disconnected');
    expect(logsWith('publish denied')).toContainEqual(expect.objectContaining({ username: users.api.username, reason: 'retain not allowed on command' }));
  });
});

describe('accounts file', () => {
  it('holds scrypt hashes, never the passwords', async () => {
    const text = await readFile(accountsFile, 'utf8');
    for (const user of Object.values(users)) expect(text).not.toContain(user.password);
    const accounts = await loadAccounts(accountsFile);
    expect(accounts).toHaveLength(Object.keys(users).length);
    for (const account of accounts) expect(account.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  });

  it('refuses a file with a plaintext password, naming the entry and field', async () => {
    const file = path.join(dir, 'plaintext.yaml');
    await writeFile(file, 'gateways:\n  - username: gw-x\n    password: hunter2\n    site: tj-east\n    gateway: gw-9\n');
    await expect(loadAccounts(file)).rejects.toThrow(/gateways\[0\] \(username "gw-x"\) field (password|passwordHash)/);
  });
});

describe('limits and lifecycle', () => {
  it('cuts a connection whose packet exceeds maxPacketSize before anything is delivered', async () => {
    const small = await startBroker({ port: 0, accounts: await AccountStore.fromFile(accountsFile), logger, maxPacketSize: 1024 });
    try {
      const ingest = await connect(small.url, users.ingest);
      const received = collect(ingest);
      await subscribe(ingest, ['sb/v1/gw/+/+/telemetry/+']);
      const gateway = await connect(small.url, users.east1);
      const gone = closed(gateway).then(() => 'disconnected');
      gateway.publish(topics.telemetry(EAST1, 'meter-1'), 'x'.repeat(2000), { qos: 0 });
      const delivered = waitFor(() => received.length > 0 && 'delivered', { what: 'the oversized message', timeoutMs: 5_000 });
      expect(await Promise.race([gone, delivered.catch(() => 'neither')])).toBe('disconnected');
      expect(small.stats().oversizedPacketsTotal).toBe(1);
      const again = await connect(small.url, users.east1);
      await again.publishAsync(topics.telemetry(EAST1, 'meter-1'), 'fits', { qos: 1 });
      await waitFor(() => received.some((m) => m.payload === 'fits'), { what: 'a message under the limit' });
      expect(received.map((m) => m.payload.length)).toEqual([4]);
    } finally {
      await small.close();
    }
  });

  it('disconnects the sessions of one account on demand', async () => {
    const gateway = await connect(broker.url, users.east2);
    const other = await connect(broker.url, users.east1);
    const gone = closed(gateway);
    expect(broker.disconnectUser(users.east2.username)).toBe(1);
    await gone;
    expect(other.connected).toBe(true);
  });

  it('close() ends clients, half-open sockets and the listener', async () => {
    const own = await startBroker({ port: 0, accounts: await AccountStore.fromFile(accountsFile), logger });
    const client = await connect(own.url, users.api);
    const raw = net.connect(own.port, '127.0.0.1'); // never sends CONNECT
    await new Promise((resolve) => raw.once('connect', resolve));
    const rawClosed = new Promise((resolve) => raw.once('close', resolve));
    await waitFor(() => own.stats().socketsOpen === 2, { what: 'both sockets at the broker' });
    const clientClosed = closed(client);

    await own.close();
    await Promise.all([clientClosed, rawClosed]);
    const refused = await new Promise<string>((resolve) => {
      net.connect(own.port, '127.0.0.1').once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? '')).once('connect', () => resolve('connected'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await own.close(); // idempotent
  });
});

describe('logs', () => {
  // Runs last in this file, over everything the broker logged above.
  it('never contain a password, and name every refusal', () => {
    const logText = JSON.stringify(logLines);
    for (const user of Object.values(users)) expect(logText).not.toContain(user.password);
    for (const line of [...logsWith('publish denied'), ...logsWith('subscribe denied')]) {
      expect(line).toEqual(expect.objectContaining({ username: expect.any(String), topic: expect.any(String), reason: expect.any(String) }));
    }
  });
});
