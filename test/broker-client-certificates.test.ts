// Mutual TLS at the broker over real loopback sockets, with certificates made by our own PKI
// code (cli/pki.ts): a gateway's certificate is bound to its account (another gateway's
// password with it is refused "not authorized", counted and logged with both identities), and
// the per-IP connection limits act on the TCP socket before any TLS handshake work: a flood of
// ClientHellos from one address gets no ServerHello beyond the burst, while a good gateway connects.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore, hashPassword, startBroker, type BrokerLimits, type RunningBroker } from '../broker/index.js';
import { registerBrokerMetrics } from '../broker/metrics.js';
import { initSiteCa, issueCertificate } from '../cli/pki.js';
import { createLogger, silentLogger, type Logger } from '../lib/logger.js';
import { createRegistry } from '../lib/metrics.js';
import { waitFor } from '../lib/wait.js';
import { topics } from '../protocol/index.js';

/** Figures for docs/SECURITY.md, printed with the test output. */
const report = (line: string) => void process.stdout.write(`${line}\n`);

const A = { site: 'tj-east', gateway: 'gw-1' };
const B = { site: 'tj-east', gateway: 'gw-2' };
const FLOOD_SOURCE = '127.0.0.2';

interface Login { username: string; password: string }
interface KeyPair { cert: Buffer; key: Buffer }

let dir: string;
let ca: Buffer;
let server: KeyPair;
const certs: Record<'a' | 'b', KeyPair> = {} as Record<'a' | 'b', KeyPair>;
const logins: Record<'a' | 'b' | 'ingest', Login> = {} as Record<'a' | 'b' | 'ingest', Login>;
let accounts: AccountStore;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-mtls-'));
  await initSiteCa({ dir, name: 'Test site CA' });
  const issued = async (request: Parameters<typeof issueCertificate>[0]['request']): Promise<KeyPair> => {
    const { certFile, keyFile } = await issueCertificate({ dir, request });
    return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  };
  ca = fs.readFileSync(path.join(dir, 'ca.crt'));
  server = await issued({ kind: 'server', name: 'localhost', ips: ['127.0.0.1'] });
  certs.a = await issued({ kind: 'gateway', ...A });
  certs.b = await issued({ kind: 'gateway', ...B });
  const login = (username: string): Login => ({ username, password: randomBytes(18).toString('base64url') });
  logins.a = login(`${A.site}.${A.gateway}`);
  logins.b = login(`${B.site}.${B.gateway}`);
  logins.ingest = login('ingest');
  accounts = new AccountStore([
    { role: 'gateway', username: logins.a.username, passwordHash: await hashPassword(logins.a.password), ...A },
    { role: 'gateway', username: logins.b.username, passwordHash: await hashPassword(logins.b.password), ...B },
    { role: 'ingest', username: logins.ingest.username, passwordHash: await hashPassword(logins.ingest.password) },
  ]);
}, 60_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function mutualTlsBroker(logger: Logger, limits: Partial<BrokerLimits> = {}, requireGatewayIdentity?: boolean): Promise<RunningBroker> {
  const broker = await startBroker({
    port: 0, accounts, logger, limits,
    tls: { port: 0, ...server, ca, requireClientCert: true, ...(requireGatewayIdentity !== undefined ? { requireGatewayIdentity } : {}) },
  });
  cleanups.push(() => broker.close());
  return broker;
}

async function connect(url: string, login: Login, keyPair?: KeyPair): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    ...login, ca, ...keyPair, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clientId: `t-${randomBytes(4).toString('hex')}`,
  }, false);
  cleanups.push(() => client.endAsync(true));
  return client;
}

/** The error of a CONNECT that must be refused. */
function refusal(url: string, login: Login, keyPair?: KeyPair): Promise<Error & { code?: number }> {
  return connect(url, login, keyPair).then(
    () => { throw new Error(`${login.username} was admitted`); },
    (err: Error) => err,
  );
}

/** A logger whose JSON lines the test reads. */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('broker-test', { level: 'info' }, { write: (line: string) => { lines.push(line); } }), lines };
}

describe('a gateway certificate is bound to its account', () => {
  it('admits a gateway with its own certificate and password', async () => {
    const broker = await mutualTlsBroker(silentLogger());
    const a = await connect(broker.tlsUrl!, logins.a, certs.a);
    await a.publishAsync(topics.status(A), JSON.stringify({ v: 1, state: 'online' }), { qos: 1 });
    const b = await connect(broker.tlsUrl!, logins.b, certs.b);
    expect(a.connected && b.connected).toBe(true);
    expect(broker.stats().authFailuresTotal).toBe(0);
    expect(broker.stats().socketsOpen).toBe(2);
    // A TLS connection that ends gives its slot back to the per-IP limits (else the caps would leak).
    await Promise.all([a.endAsync(), b.endAsync()]);
    await waitFor(() => broker.stats().socketsOpen === 0, { what: 'both sockets released' });
  });

  it('refuses gateway A\'s certificate with gateway B\'s username and password: "not authorized", counted, logged with both identities', async () => {
    const { logger, lines } = recordingLogger();
    const broker = await mutualTlsBroker(logger);
    const registry = createRegistry({ processMetrics: false });
    registerBrokerMetrics(registry, broker);

    const err = await refusal(broker.tlsUrl!, logins.b, certs.a);
    expect(err.message).toMatch(/not authorized/i);
    expect(err.code).toBe(5);
    const stats = broker.stats();
    expect(stats.authFailuresByReason['certificate-mismatch']).toBe(1);
    expect(stats.certificateRefusalsByCause['other-gateway']).toBe(1);
    expect(stats.tlsHandshakeFailuresTotal).toBe(0); // the certificate is valid: the refusal is the binding's
    expect(stats.passwordChecksTotal).toBe(0); // refused before B's password was hashed
    expect(await registry.metrics()).toMatch(/^shaobing_broker_certificate_refusals_total\{cause="other-gateway"\} 1$/m);

    const refused = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'connection refused');
    expect(refused).toMatchObject({
      username: logins.b.username, reason: 'certificate-mismatch',
      certificateRefusal: { cause: 'other-gateway', account: 'gateway tj-east/gw-2', certificate: 'gateway tj-east/gw-1 (CN tj-east.gw-1)' },
    });
    expect(lines.join('\n')).not.toContain(logins.b.password);

    // B's account itself is fine: with its own certificate it connects.
    const b = await connect(broker.tlsUrl!, logins.b, certs.b);
    expect(b.connected).toBe(true);
  });

  it('refuses a service account presenting a gateway certificate', async () => {
    const broker = await mutualTlsBroker(silentLogger());
    const err = await refusal(broker.tlsUrl!, logins.ingest, certs.a);
    expect(err.message).toMatch(/not authorized/i);
    expect(broker.stats().certificateRefusalsByCause['gateway-certificate-for-service']).toBe(1);
    // The plain loopback port has no certificate to bind: ingest and api connect there as before.
    const ingest = await connect(broker.url, logins.ingest);
    expect(ingest.connected).toBe(true);
  });
});

/** The bytes a TLS client sends first (its ClientHello), made by Node's own TLS client. */
function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        callback();
        // No server will answer: the client is dropped once it has spoken.
        setImmediate(() => client.destroy());
        resolve(chunk);
      },
    });
    const client = tls.connect({ socket: wire, servername: 'localhost', ca });
    client.on('error', () => {});
  });
}

/** A TCP socket from `localAddress` that sends `hello` and records what the server answers. */
function helloSocket(port: number, localAddress: string, hello: Buffer): { socket: net.Socket; state: { bytes: number; closed: boolean } } {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  const state = { bytes: 0, closed: false };
  socket.on('error', () => {});
  socket.once('connect', () => socket.write(hello));
  socket.on('data', (chunk: Buffer) => { state.bytes += chunk.length; });
  socket.once('close', () => { state.closed = true; });
  return { socket, state };
}

describe('the connection limits act before the TLS handshake', () => {
  it('answers no ClientHello of a flood from one IP beyond the burst, while a good gateway connects', async () => {
    const broker = await mutualTlsBroker(silentLogger(), { connectRatePerIp: 20, connectBurstPerIp: 50, connectTimeoutMs: 5000 });
    const hello = await clientHello();
    expect(hello[0]).toBe(0x16); // a TLS handshake record
    expect(hello.readUInt16BE(3) + 5).toBe(hello.length); // one whole record: the ClientHello

    const FLOOD = 200;
    const startedAt = Date.now();
    const flood = Array.from({ length: FLOOD }, () => helloSocket(broker.tlsPort!, FLOOD_SOURCE, hello));
    cleanups.push(async () => { for (const { socket } of flood) socket.destroy(); });
    // Judged: the server either answered (a ServerHello: handshake work) or closed without a byte.
    const answered = () => flood.filter(({ state }) => state.bytes > 0).length;
    const shut = () => flood.filter(({ state }) => state.closed && state.bytes === 0).length;
    await waitFor(() => answered() + shut() === FLOOD, { what: 'the broker to answer or close every flood socket', timeoutMs: 30_000, intervalMs: 10 });
    const elapsedS = (Date.now() - startedAt) / 1000;
    const stats = broker.stats();
    report(`TLS handshake flood: ${FLOOD} ClientHellos from ${FLOOD_SOURCE} judged in ${elapsedS.toFixed(2)} s: ${answered()} answered, ${shut()} closed unanswered (refused: ${stats.connectionsRefusedByReason.rate})`);

    // Every refusal is a socket that never got a byte of TLS, and each unanswered socket is a refusal.
    expect(stats.connectionsRefusedByReason.rate).toBe(shut());
    expect(answered()).toBeGreaterThanOrEqual(50);
    expect(answered()).toBeLessThanOrEqual(50 + Math.ceil(20 * elapsedS) + 1);

    // Meanwhile a gateway from another address connects, with its certificate.
    const a = await connect(broker.tlsUrl!, logins.a, certs.a);
    expect(a.connected).toBe(true);
  });

  it('counts sockets still in their handshake against the per-IP cap, and closes them at the handshake timeout', async () => {
    const broker = await mutualTlsBroker(silentLogger(), { maxConnectionsPerIp: 3, connectTimeoutMs: 2000 });
    const silent = () => {
      const socket = net.connect({ host: '127.0.0.1', port: broker.tlsPort!, localAddress: FLOOD_SOURCE });
      const state = { closed: false, connected: false };
      socket.on('error', () => {});
      socket.once('connect', () => { state.connected = true; });
      socket.once('close', () => { state.closed = true; });
      cleanups.push(async () => socket.destroy());
      return state;
    };
    const held = [silent(), silent(), silent()];
    await waitFor(() => broker.stats().socketsOpen === 3, { what: 'three sockets in their handshake' });
    const fourth = silent();
    await waitFor(() => fourth.closed, { what: 'the fourth socket closed at accept' });
    expect(broker.stats().connectionsRefusedByReason['per-ip']).toBe(1);
    expect(held.some((s) => s.closed)).toBe(false);

    // Another address is not affected.
    const a = await connect(broker.tlsUrl!, logins.a, certs.a);
    expect(a.connected).toBe(true);

    // The handshake timeout still ends the silent ones, each logged as a failed handshake.
    await waitFor(() => held.every((s) => s.closed), { what: 'the silent sockets closed at the handshake timeout', timeoutMs: 15_000 });
    await waitFor(() => broker.stats().tlsHandshakeFailuresTotal === 3, { what: 'three failed handshakes counted' });
    expect(broker.stats().socketsOpen).toBe(1);
  });
});
