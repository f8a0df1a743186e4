// Remote config and commands, for real: broker with accounts, ingest and the SQLite store,
// Modbus simulators, and a gateway whose config and commands come from a backend account over
// MQTT. A config adds and removes devices without a restart, an invalid one is refused and
// named in the status while the old one keeps running, the applied one is what runs after a
// restart without uplink, and a write command comes back as a command-result event.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../cli/system.js';
import { APPLIED_CONFIG_FILE } from '../gateway/applied-config.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import type { DeviceProfile } from '../gateway/profile-schema.js';
import { silentLogger } from '../lib/logger.js';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { commandResultDataSchema, eventSchema, statusSchema, topics, type DeviceConfigInput, type GatewayEvent, type GatewayRef, type Status } from '../protocol/index.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import { recordMessages, type Recorder } from './harness/mqtt-broker.js';
import { sampleTimesByDevice, startTestSystem } from './harness/system.js';

const REF: GatewayRef = { site: 'bacha', gateway: 'gw-03' };
const POLL_MS = 150;

let system: RunningSystem & { dataDir: string };
let profiles: Map<string, DeviceProfile>;
let gatewayLogin: { username: string; password: string };
const sims = new Map<string, ModbusSimulator>();
let watcher: Recorder;
let backend: MqttClient;
let dataDir: string;
let gateway: Gateway | undefined;
const testStart = Date.now() - 1000;

function deviceConfig(id: string): DeviceConfigInput {
  const sim = sims.get(id)!;
  return { id, profile: sim.profile.name, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unit: 1, pollIntervalMs: POLL_MS, timeoutMs: 500 };
}

function gatewaySettings(brokerUrl: string) {
  return {
    site: REF.site, gateway: REF.gateway,
    mqtt: { url: brokerUrl, ...gatewayLogin, reconnectPeriodMs: 200 },
    dataDir, statusIntervalMs: 60_000,
    devices: [deviceConfig('th-1')],
  };
}

const statuses = (): Status[] => watcher.messages.filter((m) => m.topic === topics.status(REF) && m.payload.length > 0).map((m) => statusSchema.parse(JSON.parse(m.payload.toString())));
const events = (): Array<{ device: string; event: GatewayEvent }> => watcher.messages
  .filter((m) => m.topic.startsWith(`sb/v1/gw/${REF.site}/${REF.gateway}/event/`))
  .map((m) => ({ device: m.topic.split('/').at(-1)!, event: eventSchema.parse(JSON.parse(m.payload.toString())) }));
const commandResult = (id: string) => events().find((e) => e.event.type === 'command-result' && (e.event.data as { id?: unknown }).id === id);

async function publishConfig(version: number, devices: unknown[]): Promise<void> {
  await backend.publishAsync(topics.config(REF), JSON.stringify({ v: 1, version, devices }), { qos: 1, retain: true });
}

const timesOf = async (device: string) => (await sampleTimesByDevice(system, REF.site, testStart)).get(device) ?? [];

beforeAll(async () => {
  system = await startTestSystem((dir) => ({ kind: 'sqlite', path: path.join(dir, 'shaobing.db') }), []);
  gatewayLogin = await system.addGatewayAccount(REF.site, REF.gateway);
  profiles = await loadProfileLibrary(defaultProfilesDir());
  for (const [id, profile, seed] of [['th-1', 'th-transmitter', 31], ['pm-1', 'pm-sensor', 32], ['gas-1', 'generic-lel-gas-detector', 33]] as const) {
    sims.set(id, await startModbusSimulator({ profile: profiles.get(profile)!, seed }));
  }
  watcher = await recordMessages(system.brokerUrl, system.serviceLogin, 'test-backend-watch', [topics.status(REF), `sb/v1/gw/${REF.site}/${REF.gateway}/event/+`]);
  backend = await connectAsync(system.brokerUrl, { ...system.serviceLogin, clientId: 'test-backend-pub', protocolVersion: 4, reconnectPeriod: 0 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-gw-remote-'));
  gateway = await startGateway(gatewaySettings(system.brokerUrl), { logger: silentLogger(), profiles });
});

afterAll(async () => {
  await gateway?.stop();
  await backend?.endAsync(true);
  await watcher?.close();
  await Promise.all([...sims.values()].map((sim) => sim.close()));
  await system?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('remote config', () => {
  it('adds and removes devices without a restart, and reports the new version', async () => {
    await waitFor(async () => (await timesOf('th-1')).length >= 3, { timeoutMs: 15_000, what: 'th-1 readings in the store' });
    expect(statuses().at(-1)).toMatchObject({ state: 'online', configVersion: 0, devices: { 'th-1': expect.anything() } });
    const startedAt = gateway!.stats.startedAt;

    await publishConfig(1, [deviceConfig('pm-1'), deviceConfig('gas-1')]);
    const applied = await waitFor(() => statuses().find((s) => s.configVersion === 1), { what: 'a status with config version 1' });
    expect(Object.keys(applied.devices ?? {}).sort()).toEqual(['gas-1', 'pm-1']);
    expect(applied.configError).toBeUndefined();
    expect(gateway!.stats.startedAt).toBe(startedAt); // same process, same gateway

    await waitFor(async () => (await timesOf('pm-1')).filter((ts) => ts > applied.ts!).length >= 3, { timeoutMs: 15_000, what: 'pm-1 readings after the change' });
    await waitFor(async () => (await timesOf('gas-1')).filter((ts) => ts > applied.ts!).length >= 3, { what: 'gas-1 readings after the change' });
    // th-1 stopped before the status went out: none of its samples is later.
    expect((await timesOf('th-1')).filter((ts) => ts > applied.ts!)).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, APPLIED_CONFIG_FILE), 'utf8'))).toMatchObject({ config: { version: 1 } });
  });

  it('refuses an invalid config with the reason in the status, and keeps running the old one', async () => {
    await publishConfig(2, [deviceConfig('pm-1'), { ...deviceConfig('gas-1'), profile: 'no-such-detector' }]);
    const refused = await waitFor(() => statuses().find((s) => s.configError !== undefined), { what: 'a status with configError' });
    expect(refused).toMatchObject({ configVersion: 1, configError: 'config version 2 refused: devices.1 (gas-1): unknown profile "no-such-detector"' });
    expect(Object.keys(refused.devices ?? {}).sort()).toEqual(['gas-1', 'pm-1']);
    await waitFor(async () => (await timesOf('pm-1')).filter((ts) => ts > refused.ts!).length >= 2, { what: 'pm-1 still polled' });

    await publishConfig(3, [{ ...deviceConfig('pm-1'), pollIntervalMs: 10 }]);
    const schemaError = await waitFor(() => statuses().find((s) => s.configError?.startsWith('config version 3')), { what: 'the schema error' });
    expect(schemaError.configError).toMatch(/^config version 3 refused: invalid message: devices\.0\.pollIntervalMs/);
    expect(gateway!.stats).toMatchObject({ configVersion: 1 });
  });

  it('runs the applied config after a restart with no uplink, then takes a newer one', async () => {
    await gateway!.stop();
    const deadBroker = `mqtt://127.0.0.1:${await freePort()}`;
    const offline = await startGateway(gatewaySettings(deadBroker), { logger: silentLogger(), profiles });
    try {
      expect(offline.stats.configVersion).toBe(1);
      expect(Object.keys(offline.stats.devices).sort()).toEqual(['gas-1', 'pm-1']); // not the file's th-1
      await waitFor(() => offline.stats.devices['pm-1']!.pollsOk >= 2, { what: 'pm-1 polled without uplink' });
    } finally {
      await offline.stop();
    }

    gateway = await startGateway(gatewaySettings(system.brokerUrl), { logger: silentLogger(), profiles });
    await publishConfig(4, [{ ...deviceConfig('pm-1'), pollIntervalMs: 300 }, deviceConfig('gas-1')]);
    const retimed = await waitFor(() => statuses().find((s) => s.configVersion === 4), { what: 'version 4 applied' });
    expect(retimed.configError).toBeUndefined();

    // After the broker drops the connection the gateway subscribes again and takes new configs.
    const before = statuses().length;
    expect(system.broker.disconnectUser(gatewayLogin.username)).toBe(1);
    await waitFor(() => statuses().slice(before).some((s) => s.state === 'online'), { what: 'the gateway back online' });
    await publishConfig(5, [deviceConfig('pm-1'), deviceConfig('gas-1')]);
    await waitFor(() => statuses().find((s) => s.configVersion === 5), { what: 'version 5 applied after the reconnect' });
  });
});

describe('commands', () => {
  it('a write command comes back as a command-result event with the command id and duration', async () => {
    await backend.publishAsync(topics.command(REF), JSON.stringify({ v: 1, id: 'cmd-setpoint-1', ts: Date.now(), type: 'write', device: 'gas-1', point: 'alarm_low_setpoint', value: 30 }), { qos: 1 });
    const result = await waitFor(() => commandResult('cmd-setpoint-1'), { what: 'the command result' });
    expect(result.device).toBe('gas-1');
    const data = commandResultDataSchema.parse(result.event.data);
    expect(data).toMatchObject({ id: 'cmd-setpoint-1', command: 'write', ok: true });
    expect(data.durationMs).toBeGreaterThan(0);
    // The device now serves the written value, and the next poll reports it.
    await waitFor(async () => {
      const [series] = await system.store.history({ site: REF.site, device: 'gas-1', fields: ['alarm_low_setpoint'], from: result.event.ts, to: Date.now() + 60_000 });
      return series?.points.some(([, value]) => value === 30);
    }, { what: 'the new set point in the store' });
  });

  it('answers a refused write, a malformed command and a camera command, and ignores a duplicate id', async () => {
    const send = (command: unknown) => backend.publishAsync(topics.command(REF), typeof command === 'string' ? command : JSON.stringify(command), { qos: 1 });
    await send({ v: 1, id: 'cmd-ro', ts: Date.now(), type: 'write', device: 'gas-1', point: 'concentration', value: 1 });
    await send({ v: 1, id: 'cmd-bad', ts: Date.now(), type: 'write', device: 'gas-1', point: 'alarm_low_setpoint' });
    await send({ v: 1, id: 'cmd-cam', ts: Date.now(), type: 'capture' });
    await send({ v: 1, id: 'cmd-setpoint-1', ts: Date.now(), type: 'write', device: 'gas-1', point: 'alarm_low_setpoint', value: 99 });
    await send({ v: 1, id: 'cmd-last', ts: Date.now(), type: 'write', device: 'nobody-1', point: 'siren', value: true });
    await waitFor(() => commandResult('cmd-last'), { what: 'the last result' }); // commands run in order
    const data = (id: string) => commandResultDataSchema.parse(commandResult(id)!.event.data);
    expect(data('cmd-ro')).toMatchObject({ ok: false, error: expect.stringMatching(/concentration/) });
    expect(data('cmd-bad')).toMatchObject({ ok: false, error: expect.stringMatching(/^malformed command: invalid message: .*value/) });
    expect(data('cmd-cam')).toMatchObject({ ok: false, error: 'not supported on this gateway (no cameras)' });
    expect(commandResult('cmd-cam')!.device).toBe(REF.gateway);
    expect(data('cmd-last')).toMatchObject({ ok: false, error: expect.stringMatching(/nobody-1/) });
    expect(events().filter((e) => e.event.type === 'command-result' && (e.event.data as { id?: unknown }).id === 'cmd-setpoint-1')).toHaveLength(1);
  });
});
