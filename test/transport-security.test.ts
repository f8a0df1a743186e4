// Transport security over real loopback sockets: `shaobing pki` makes a site CA and its
// certificates; the broker serves MQTT over TLS (optionally mutual); a gateway connects over
// mqtts with the site CA and publishes; a client trusting another CA is refused; plain MQTT on
// a non-loopback address refuses to start; the API answers over HTTPS with the issued cert.
import { X509Certificate, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AccountStore, hashPassword, startBroker, type RunningBroker } from '../broker/index.js';
import { isLoopbackHost } from '../broker/server.js';
import { loadBackendConfig } from '../cli/backend-config.js';
import { ConfigError } from '../lib/config.js';
import { parseGatewaySettings, startGateway, type Gateway } from '../gateway/index.js';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { topics } from '../protocol/index.js';
import { runCli, type CliProcess } from './harness/processes.js';

const logger = pino({ level: 'silent' });
const GW = { site: 'tj-east', gateway: 'gw-1' };
const gatewayLogin = { username: 'tj-east.gw-1', password: randomBytes(18).toString('base64url') };
const ingestLogin = { username: 'ingest', password: randomBytes(18).toString('base64url') };
const apiLogin = { username: 'api', password: randomBytes(18).toString('base64url') };

let dir: string;
let pkiDir: string;
let otherPkiDir: string;
let accounts: AccountStore;
const outputs: Record<string, string> = {};
const clients: MqttClient[] = [];
const brokers: RunningBroker[] = [];
const processes: CliProcess[] = [];

const pki = (name: string) => path.join(pkiDir, name);
const read = (file: string) => fs.readFileSync(file);

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | string; output: string }> {
  const run = runCli(args, env);
  const code = await run.exited;
  return { code, output: run.output() };
}

async function mqttsClient(url: string, login: { username: string; password: string }, extra: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    ...login, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clientId: `t-${randomBytes(4).toString('hex')}`, ...extra,
  }, false);
  clients.push(client);
  return client;
}

/** The error of a connection attempt that must fail (at the TLS handshake). */
async function refusal(url: string, extra: IClientOptions): Promise<Error> {
  return mqttsClient(url, ingestLogin, extra).then(
    () => { throw new Error('the connection was accepted'); },
    (err: Error) => err,
  );
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-tls-'));
  pkiDir = path.join(dir, 'pki');
  otherPkiDir = path.join(dir, 'other-pki');
  for (const [name, args] of [
    ['init', ['pki', 'init', '--dir', pkiDir, '--name', 'Tongjiang sensing CA']],
    ['server', ['pki', 'issue', '--dir', pkiDir, '--server', '--name', 'localhost', '--ip', '127.0.0.1']],
    ['gateway', ['pki', 'issue', '--dir', pkiDir, '--gateway', '--site', GW.site, '--id', GW.gateway]],
    ['other', ['pki', 'init', '--dir', otherPkiDir, '--name', 'Impostor CA', '--key-type', 'rsa']],
    ['otherGateway', ['pki', 'issue', '--dir', otherPkiDir, '--gateway', '--site', GW.site, '--id', GW.gateway]],
  ] as const) {
    const { code, output } = await cli([...args]);
    if (code !== 0) throw new Error(`shaobing ${args.join(' ')} failed (${code}): ${output}`);
    outputs[name] = output;
  }
  accounts = new AccountStore([
    { role: 'gateway', username: gatewayLogin.username, passwordHash: await hashPassword(gatewayLogin.password), ...GW },
    { role: 'ingest', username: ingestLogin.username, passwordHash: await hashPassword(ingestLogin.password) },
    { role: 'api', username: apiLogin.username, passwordHash: await hashPassword(apiLogin.password) },
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await Promise.all(brokers.map((b) => b.close()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('shaobing pki', () => {
  it('creates a site CA and issues server and gateway certificates, keys readable by the owner only', () => {
    expect(outputs.init).toContain('Site CA "Tongjiang sensing CA" created (EC P-256');
    expect(outputs.init).toContain(pki('ca.crt'));
    expect(outputs.server).toContain(pki('localhost.key'));
    for (const key of ['ca.key', 'localhost.key', 'gateway-tj-east-gw-1.key']) {
      expect(fs.statSync(pki(key)).mode & 0o777, key).toBe(0o600);
    }
    const ca = new X509Certificate(read(pki('ca.crt')));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('CN=Tongjiang sensing CA');
    const tenYears = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / 86_400_000;
    expect(tenYears).toBeGreaterThanOrEqual(3649);

    const server = new X509Certificate(read(pki('localhost.crt')));
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(server.ca).toBe(false);

    const gateway = new X509Certificate(read(pki('gateway-tj-east-gw-1.crt')));
    expect(gateway.verify(ca.publicKey)).toBe(true);
    expect(gateway.subject).toContain('CN=tj-east.gw-1'); // the broker username
    expect(gateway.subjectAltName).toBe('URI:urn:shaobing:gateway:tj-east:gw-1');
    expect(outputs.other).toContain('(RSA 3072');
  });

  it('refuses to overwrite a CA or a key, and names bad arguments', async () => {
    const again = await cli(['pki', 'init', '--dir', pkiDir, '--name', 'Second CA']);
    expect(again.code).toBe(1);
    expect(again.output).toContain('exists already');
    const badIp = await cli(['pki', 'issue', '--dir', pkiDir, '--server', '--name', 'broker', '--ip', '10.0.0.300', '--out', 'x']);
    expect(badIp.code).toBe(1);
    expect(badIp.output).toContain('--ip "10.0.0.300" is not an IP address');
    const both = await cli(['pki', 'issue', '--dir', pkiDir, '--server', '--gateway', '--name', 'x']);
    expect(both.output).toContain('choose one of --server');
  });
});

describe('MQTT over TLS', () => {
  let broker: RunningBroker;
  let tlsUrl: string;

  beforeAll(async () => {
    broker = await startBroker({
      port: 0, accounts, logger,
      tls: { port: 0, cert: read(pki('localhost.crt')), key: read(pki('localhost.key')), ca: read(pki('ca.crt')) },
    });
    brokers.push(broker);
    tlsUrl = broker.tlsUrl!;
  });

  it('a gateway with the site CA connects over mqtts and publishes; a subscriber receives it', async () => {
    expect(tlsUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const ingest = await mqttsClient(tlsUrl, ingestLogin, { ca: read(pki('ca.crt')) });
    const statuses: string[] = [];
    ingest.on('message', (topic, payload) => { if (topic === topics.status(GW)) statuses.push(payload.toString()); });
    await ingest.subscribeAsync(topics.status(GW), { qos: 1 });

    const settings = parseGatewaySettings({
      ...GW, mqtt: { url: tlsUrl, ...gatewayLogin, caFile: pki('ca.crt') }, statusIntervalMs: 60_000,
    });
    const gateway: Gateway = await startGateway(settings, { logger });
    try {
      const online = await waitFor(() => statuses.map((s) => JSON.parse(s) as { state: string }).find((s) => s.state === 'online'), { what: 'online status over TLS' });
      expect(online.state).toBe('online');
    } finally {
      await gateway.stop();
    }
    expect(broker.stats().connectionsTotal).toBeGreaterThanOrEqual(2);
  });

  it('a client that trusts another CA (or only the system CAs) is refused at the handshake', async () => {
    const wrongCa = await refusal(tlsUrl, { ca: read(path.join(otherPkiDir, 'ca.crt')) });
    expect(wrongCa.message).toMatch(/self[- ]signed|unable to (get|verify)|certificate/i);
    const systemCas = await refusal(tlsUrl, {});
    expect(systemCas.message).toMatch(/self[- ]signed|unable to (get|verify)|certificate/i);
  });

  it('the gateway config refuses a CA file on a plain mqtt:// URL, and an unreadable CA file stops the start', async () => {
    expect(() => parseGatewaySettings({ ...GW, mqtt: { url: 'mqtt://127.0.0.1:1883', ...gatewayLogin, caFile: pki('ca.crt') } }))
      .toThrow(/mqtt\.url: .*not mqtts/);
    await expect(startGateway({ ...GW, mqtt: { url: tlsUrl, ...gatewayLogin, caFile: path.join(dir, 'missing.crt') } }, { logger }))
      .rejects.toThrow(/mqtt\.caFile: cannot read/);
  });
});

describe('mutual TLS (broker.tls.requireClientCert)', () => {
  let tlsUrl: string;

  beforeAll(async () => {
    const broker = await startBroker({
      port: 0, accounts, logger,
      tls: { port: 0, cert: read(pki('localhost.crt')), key: read(pki('localhost.key')), ca: read(pki('ca.crt')), requireClientCert: true },
    });
    brokers.push(broker);
    tlsUrl = broker.tlsUrl!;
  });

  it('accepts a gateway certificate of the site CA and refuses no certificate or another CA\'s', async () => {
    const ca = read(pki('ca.crt'));
    const client = await mqttsClient(tlsUrl, gatewayLogin, { ca, cert: read(pki('gateway-tj-east-gw-1.crt')), key: read(pki('gateway-tj-east-gw-1.key')) });
    await client.publishAsync(topics.status(GW), JSON.stringify({ v: 1, state: 'offline' }), { qos: 1 });

    await expect(mqttsClient(tlsUrl, gatewayLogin, { ca })).rejects.toThrow();
    await expect(mqttsClient(tlsUrl, gatewayLogin, {
      ca, cert: read(path.join(otherPkiDir, 'gateway-tj-east-gw-1.crt')), key: read(path.join(otherPkiDir, 'gateway-tj-east-gw-1.key')),
    })).rejects.toThrow();
  });
});

describe('plain MQTT off loopback', () => {
  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['[::1]', true], ['localhost', true], ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false], ['::', false], ['10.0.0.2', false], ['broker.tongjiang.local', false], ['128.0.0.1', false],
  ])('isLoopbackHost(%s) is %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('the backend configuration names a bad TLS setting', () => {
    const load = (env: Record<string, string>) => () => loadBackendConfig(undefined, env);
    expect(load({ SB_BROKER_TLS_PORT: '8883' })).toThrow(ConfigError);
    expect(load({ SB_BROKER_TLS_PORT: '8883' })).toThrow(/broker\.tls\.cert/);
    expect(load({ SB_BROKER_TLS_CERT: 'a.crt', SB_BROKER_TLS_KEY: 'a.key', SB_BROKER_TLS_REQUIRE_CLIENT_CERT: 'true' })).toThrow(/broker\.tls\.ca/);
    expect(load({ SB_MQTT_URL: 'mqtt://10.0.0.2:1883', SB_MQTT_CA_FILE: 'ca.crt' })).toThrow(/mqtt\.url/);
    expect(load({ SB_API_TLS_CERT: 'a.crt' })).toThrow(/api\.tls\.key/);
    const config = loadBackendConfig(undefined, { SB_BROKER_TLS_CERT: 'a.crt', SB_BROKER_TLS_KEY: 'a.key', SB_BROKER_ALLOW_PLAIN_TCP: 'true' });
    expect(config.broker.tls).toEqual({ port: 8883, cert: 'a.crt', key: 'a.key', requireClientCert: false, requireGatewayIdentity: true });
    expect(config.broker.allowPlainTcp).toBe(true);
    const optional = loadBackendConfig(undefined, { SB_BROKER_TLS_CERT: 'a.crt', SB_BROKER_TLS_KEY: 'a.key', SB_BROKER_TLS_REQUIRE_GATEWAY_IDENTITY: 'false' });
    expect(optional.broker.tls?.requireGatewayIdentity).toBe(false);
  });

  it('startBroker refuses a non-loopback host without allowPlainTcp, naming the setting', async () => {
    await expect(startBroker({ host: '0.0.0.0', port: 0, accounts, logger })).rejects.toThrow(/broker\.allowPlainTcp/);
  });

  it('startBroker refuses TLS material that does not fit, naming the settings', async () => {
    const tls = { port: 0, cert: read(pki('localhost.crt')), key: read(pki('gateway-tj-east-gw-1.key')) };
    await expect(startBroker({ port: 0, accounts, logger, tls })).rejects.toThrow(/broker\.tls\.cert\/key\/ca/);
    await expect(startBroker({ port: 0, accounts, logger, tls: { ...tls, cert: Buffer.from('not a certificate') } })).rejects.toThrow(ConfigError);
  });

  it('`shaobing broker` on 0.0.0.0 without broker.allowPlainTcp stops with a clear message', async () => {
    const accountsFile = path.join(dir, 'accounts.yaml');
    fs.writeFileSync(accountsFile, stringify({ services: [{ username: 'ingest', role: 'ingest', passwordHash: await hashPassword(ingestLogin.password) }] }));
    const { code, output } = await cli(['broker'], { SB_BROKER_HOST: '0.0.0.0', SB_BROKER_PORT: String(await freePort()), SB_BROKER_ACCOUNTS: accountsFile, SB_DATA_DIR: dir });
    expect(code).toBe(1);
    expect(output).toContain('refusing plain (unencrypted) MQTT on 0.0.0.0');
    expect(output).toContain('broker.allowPlainTcp: true');
  });
});

describe('the API over HTTPS, the services over mqtts (separate processes)', () => {
  it('answers with the issued certificate, and its MQTT link runs over TLS', async () => {
    const accountsFile = path.join(dir, 'accounts-services.yaml');
    fs.writeFileSync(accountsFile, stringify({ services: [{ username: apiLogin.username, role: 'api', passwordHash: await hashPassword(apiLogin.password) }] }));
    const [brokerPort, tlsPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      SB_DATA_DIR: dir, SB_SQLITE_PATH: path.join(dir, 'shaobing.db'),
      SB_BROKER_PORT: String(brokerPort), SB_BROKER_ACCOUNTS: accountsFile,
      SB_BROKER_TLS_PORT: String(tlsPort), SB_BROKER_TLS_CERT: pki('localhost.crt'), SB_BROKER_TLS_KEY: pki('localhost.key'),
      SB_MQTT_URL: `mqtts://localhost:${tlsPort}`, SB_MQTT_CA_FILE: pki('ca.crt'),
      SB_API_PORT: String(apiPort), SB_API_TLS_CERT: pki('localhost.crt'), SB_API_TLS_KEY: pki('localhost.key'),
    };
    const broker = runCli(['broker'], env);
    processes.push(broker);
    await waitFor(() => broker.output().includes('broker listening'), { what: 'broker to listen', timeoutMs: 20_000 })
      .catch((err: Error) => { throw new Error(`${err.message}; broker output: ${broker.output()}`); });
    expect(broker.output()).toContain(`mqtts://127.0.0.1:${tlsPort}`);
    const api = runCli(['api'], { ...env, SB_MQTT_USERNAME: apiLogin.username, SB_MQTT_PASSWORD: apiLogin.password });
    processes.push(api);

    const health = await waitFor(async () => {
      const response = await httpsGet(`https://localhost:${apiPort}/healthz`, read(pki('ca.crt'))).catch(() => undefined);
      return response?.status === 200 ? response : undefined;
    }, { what: `a healthy API over HTTPS (api output: ${api.output().slice(-1500)})`, timeoutMs: 20_000 });
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', checks: { broker: 'ok' } });
    expect(api.output()).toContain(`https://127.0.0.1:${apiPort}`);

    // Another CA's clients do not trust it; plain HTTP gets no answer from the TLS port.
    await expect(httpsGet(`https://localhost:${apiPort}/healthz`, read(path.join(otherPkiDir, 'ca.crt')))).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
  }, 60_000);
});
