// Each part runs alone from the CLI, as separate processes wired by configuration:
// broker, ingest, api, a Modbus simulator and a gateway, as an installation would run them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateToken, hashToken } from '../api/auth.js';
import { hashPassword } from '../broker/index.js';
import { encodeSnapshot, sha256Hex, topics } from '../protocol/index.js';
import { makeJpeg } from './harness/jpeg.js';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { runCli, type CliProcess } from './harness/processes.js';

describe('shaobing commands as separate processes', () => {
  const running: CliProcess[] = [];
  let dir: string;
  let env: Record<string, string>;
  let apiPort: number;
  let brokerPort: number;
  const gatewayPassword = 'gateway-password-1';
  const operatorToken = generateToken();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cli-'));
    brokerPort = await freePort();
    const simPort = await freePort();
    apiPort = await freePort();
    const passwords = { ingest: 'ingest-password-1', api: 'api-password-123', gw: gatewayPassword };
    fs.writeFileSync(path.join(dir, 'api-tokens.yaml'), stringify({ tokens: [{ name: 'duty-officer', role: 'emergency', sha256: hashToken(operatorToken) }] }));
    fs.writeFileSync(path.join(dir, 'accounts.yaml'), stringify({
      services: [
        { username: 'ingest', role: 'ingest', passwordHash: await hashPassword(passwords.ingest) },
        { username: 'api', role: 'api', passwordHash: await hashPassword(passwords.api) },
      ],
      gateways: [{ username: 'fuchuan.gw-01', site: 'fuchuan', gateway: 'gw-01', passwordHash: await hashPassword(passwords.gw) }],
    }));
    fs.writeFileSync(path.join(dir, 'gw.yaml'), stringify({
      site: 'fuchuan', gateway: 'gw-01',
      mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, username: 'fuchuan.gw-01', password: passwords.gw },
      dataDir: path.join(dir, 'gateway'),
      devices: [{ id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: simPort }, unit: 1, pollIntervalMs: 300 }],
    }));
    env = {
      SB_DATA_DIR: dir, SB_SQLITE_PATH: path.join(dir, 'shaobing.db'),
      SB_BROKER_PORT: String(brokerPort), SB_BROKER_ACCOUNTS: path.join(dir, 'accounts.yaml'),
      SB_MQTT_URL: `mqtt://127.0.0.1:${brokerPort}`, SB_API_PORT: String(apiPort),
      SB_API_TOKENS_FILE: path.join(dir, 'api-tokens.yaml'),
    };
    const broker = runCli(['broker'], env);
    running.push(broker);
    await waitFor(() => broker.output().includes('broker listening'), { what: 'broker to listen', timeoutMs: 20_000 }).catch((err: Error) => { throw new Error(`${err.message}; broker output: ${broker.output()}`); });
    running.push(runCli(['ingest'], { ...env, SB_MQTT_USERNAME: 'ingest', SB_MQTT_PASSWORD: passwords.ingest }));
    running.push(runCli(['api'], { ...env, SB_MQTT_USERNAME: 'api', SB_MQTT_PASSWORD: passwords.api }));
    running.push(runCli(['sim', 'modbus', '--profile', 'th-transmitter', '--port', String(simPort)]));
    running.push(runCli(['gateway', '--config', path.join(dir, 'gw.yaml')]));
  });

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('readings flow from the simulator through the gateway, broker and ingest to the API', async () => {
    const readings = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/v1/readings/latest?site=fuchuan`);
      const body = (await response.json()) as { readings: Array<{ field: string; value: number }> };
      return body.readings.length === 2 ? body.readings : undefined;
    // Generous bounds: five Node processes start cold here, and a loaded 2-core CI runner is slow at that.
    }, { timeoutMs: 45_000, what: `readings from the API (outputs: ${running.map((p) => p.output().slice(-300)).join(' | ')})` });
    expect(readings.map((r) => r.field)).toEqual(['humidity', 'temperature']);
    const gateways = await waitFor(async () => {
      const body = (await (await fetch(`http://127.0.0.1:${apiPort}/v1/gateways`)).json()) as { gateways: Array<{ site: string; state: string }> };
      return body.gateways.length > 0 ? body.gateways : undefined;
    }, { timeoutMs: 15_000, what: `gateway status in the API (api output: ${running[2]!.output().slice(-2000)})` });
    expect(gateways).toEqual([expect.objectContaining({ site: 'fuchuan', state: 'online' })]);
  }, 90_000);

  it('ingest and api share the snapshot directory and event log across processes; the api reads its tokens file', async () => {
    const ref = { site: 'fuchuan', gateway: 'gw-01' };
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { username: 'fuchuan.gw-01', password: gatewayPassword, clientId: 'fuchuan-test-camera', reconnectPeriod: 0 });
    try {
      const image = makeJpeg(5);
      const ts = Date.now() - 1000;
      await client.publishAsync(topics.snapshot(ref, 'cam-1'), encodeSnapshot({ ts, trigger: 'schedule' }, image), { qos: 1 });
      await client.publishAsync(topics.event(ref, 'cam-1'), JSON.stringify({ v: 1, ts, type: 'motion', data: { active: true } }), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const etag = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/v1/cameras/fuchuan/gw-01/cam-1/snapshots/latest`);
      return response.status === 200 ? response.headers.get('etag') : undefined;
    }, { timeoutMs: 25_000, what: `the snapshot through the api process (outputs: ${running.slice(1, 3).map((p) => p.output().slice(-500)).join(' | ')})` });
    expect(etag).toBe(`"${sha256Hex(makeJpeg(5))}"`);
    const events = await waitFor(async () => {
      const body = (await (await fetch(`http://127.0.0.1:${apiPort}/v1/events?device=cam-1`)).json()) as { events: Array<{ type: string }> };
      return body.events.length > 0 ? body.events : undefined;
    }, { timeoutMs: 25_000, what: 'the motion event through the api process' });
    expect(events.map((e) => e.type)).toEqual(['motion']);
    const stream = (token?: string) => fetch(`http://127.0.0.1:${apiPort}/v1/cameras/fuchuan/gw-01/cam-1/stream`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await stream()).status).toBe(403);
    expect((await stream(operatorToken)).status).toBe(404); // allowed; this gateway reports no cameras
  }, 90_000);

  it('services log pino JSON with no password in it', () => {
    const lines = running.slice(0, 3).flatMap((p) => p.output().split('\n').filter((l) => l.startsWith('{')));
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(running.map((p) => p.output()).join('\n')).not.toMatch(/password-1/);
  });

  it.each([
    [['api'], { SB_API_PORT: 'eighty' }, /SB_API_PORT="eighty": expected a number \(setting api.port\)/],
    [['ingest'], { SB_STORE: 'influx' }, /setting store.url \(SB_INFLUX_URL\)/],
    [['ingest'], {}, /needs broker credentials: set mqtt.username and mqtt.password/],
    [['broker'], { SB_BROKER_ACCOUNTS: '/nonexistent/accounts.yaml' }, /accounts.yaml/],
    [['gateway', '--config', '/nonexistent/gw.yaml'], {}, /gw.yaml/],
    [['sim', 'modbus', '--profile', 'no-such-device'], {}, /unknown profile "no-such-device"/],
  ])('%j with a bad setting stops with a message naming it', async (args, badEnv, message) => {
    const cli = runCli(args, { SB_DATA_DIR: dir, SB_SQLITE_PATH: path.join(dir, 'bad.db'), ...badEnv });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(message);
  });
});
