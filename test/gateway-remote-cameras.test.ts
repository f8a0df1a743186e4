// Cameras edited through the API reach a running gateway as its remote config, for real: the
// whole backend (broker with the registry's accounts, ingest with its snapshot store, the API
// with its SQLite registry), an ONVIF camera simulator, a Modbus simulator, and a gateway
// provisioned through the API. The file's camera runs until the registry manages the camera
// list; a camera added through the API shows in the status and its images reach the backend; a
// camera linked to an unknown device is refused (by the API, and by the gateway when a config
// says so) while the running cameras go on; a removed camera disappears; the pushed cameras
// survive a gateway restart; revoking the gateway removes its retained config (and with it the
// camera passwords) from the broker. And a revoke while the broker is unreachable still revokes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectConfigPublisher } from '../api/registry/config-publisher.js';
import { RegistryStore } from '../api/registry/registry-store.js';
import { registryRoutes } from '../api/registry/routes.js';
import { SecretBox } from '../api/registry/secret-box.js';
import type { RunningSystem } from '../cli/system.js';
import { APPLIED_CONFIG_FILE } from '../gateway/applied-config.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import type { DeviceProfile } from '../gateway/profile-schema.js';
import { silentLogger } from '../lib/logger.js';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { statusSchema, topics, type GatewayRef, type Status } from '../protocol/index.js';
import { startCameraSimulator, type CameraSimulator } from '../simulators/camera/index.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import { recordMessages, type Recorder } from './harness/mqtt-broker.js';
import { startTestSystem } from './harness/system.js';

const REF: GatewayRef = { site: 'nongjiang', gateway: 'gw-05' };
const CAMERA_PASSWORD = 'Onvif-Api-Pw-5530';
const BASE = `/v1/registry/gateways/${REF.site}/${REF.gateway}`;

let system: RunningSystem & { dataDir: string };
let profiles: Map<string, DeviceProfile>;
let sim: ModbusSimulator;
let camera: CameraSimulator;
let watcher: Recorder;
let backend: MqttClient;
let gatewayDir: string;
let gatewayLogin: { username: string; password: string };
let gateway: Gateway | undefined;

async function api(method: string, url: string, body?: unknown, role: 'technician' | 'viewer' = 'technician'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${system.apiUrl}${url}`, {
    method, headers: { authorization: `Bearer ${system.apiTokens[role]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const statuses = (): Status[] => watcher.messages
  .filter((m) => m.topic === topics.status(REF) && m.payload.length > 0)
  .map((m) => statusSchema.parse(JSON.parse(m.payload.toString())));

function gatewaySettings() {
  return {
    site: REF.site, gateway: REF.gateway,
    mqtt: { url: system.brokerUrl, ...gatewayLogin, reconnectPeriodMs: 200 },
    dataDir: gatewayDir, statusIntervalMs: 60_000,
    // The file's own camera: it runs until the registry takes over the camera list.
    cameras: [{ id: 'cam-file', xaddr: camera.xaddr, username: 'onvif', password: CAMERA_PASSWORD, snapshotIntervalMs: 0, events: false }],
  };
}

/** What the broker keeps retained on the gateway's config topic (its own store: no account may read another's config). */
async function retainedConfig(): Promise<Buffer[]> {
  const persistence = (system.broker.aedes as unknown as { persistence: { createRetainedStream(pattern: string): AsyncIterable<{ payload: Buffer | string }> } }).persistence;
  const found: Buffer[] = [];
  for await (const packet of persistence.createRetainedStream(topics.config(REF))) found.push(Buffer.from(packet.payload));
  return found;
}

const cameraBody = (extra: Record<string, unknown> = {}) => ({
  xaddr: camera.xaddr, username: 'onvif', password: CAMERA_PASSWORD, linkedDevices: ['th-1'], snapshotIntervalMs: 400, ...extra,
});

beforeAll(async () => {
  system = await startTestSystem((dir) => ({ kind: 'sqlite', path: path.join(dir, 'shaobing.db') }), []);
  profiles = await loadProfileLibrary(defaultProfilesDir());
  sim = await startModbusSimulator({ profile: profiles.get('th-transmitter')!, seed: 55 });
  camera = await startCameraSimulator({ name: 'Nongjiang Dyke', username: 'onvif', password: CAMERA_PASSWORD });
  gatewayDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-gw-remote-cams-'));
  watcher = await recordMessages(system.brokerUrl, system.serviceLogin, 'test-remote-cameras-watch', [topics.status(REF)]);
  backend = await connectAsync(system.brokerUrl, { ...system.serviceLogin, clientId: 'test-remote-cameras-pub', protocolVersion: 4, reconnectPeriod: 0 });

  expect((await api('POST', '/v1/registry/sites', { id: REF.site })).status).toBe(201);
  const created = await api('POST', '/v1/registry/gateways', { site: REF.site, gateway: REF.gateway });
  expect(created.status).toBe(201);
  gatewayLogin = created.body.mqtt as { username: string; password: string };
  system.registrySync.refresh(); // the broker would notice within its poll interval; now is sooner
  gateway = await startGateway(gatewaySettings(), { logger: silentLogger(), profiles });
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
  await backend?.endAsync(true);
  await watcher?.close();
  await Promise.all([sim?.close(), camera?.close()]);
  await system?.close();
  if (gatewayDir) fs.rmSync(gatewayDir, { recursive: true, force: true });
});

describe('cameras edited through the API', () => {
  it('a device-only config keeps the cameras of the gateway file', async () => {
    await waitFor(() => statuses().find((s) => s.cameras?.['cam-file']?.state === 'online'), { what: 'the file camera online' });
    const put = await api('PUT', `${BASE}/devices/th-1`, { profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unit: 1, pollIntervalMs: 300 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const applied = await waitFor(() => statuses().find((s) => s.configVersion === 1), { what: 'config version 1 applied' });
    expect(applied.configError).toBeUndefined();
    expect(Object.keys(applied.cameras ?? {})).toEqual(['cam-file']);
    expect(Object.keys(applied.devices ?? {})).toEqual(['th-1']);
  });

  it('a camera added through the API runs on the gateway, without a restart, and its images reach the backend', async () => {
    const startedAt = gateway!.stats.startedAt;
    const put = await api('PUT', `${BASE}/cameras/cam-api`, cameraBody());
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body).toEqual({ camera: { id: 'cam-api', ...cameraBody(), password: 'set' }, config: { version: 2, pushed: true } });
    const second = await api('PUT', `${BASE}/cameras/cam-gate`, cameraBody({ snapshotIntervalMs: 0, linkedDevices: [] }));
    expect(second.body.config).toEqual({ version: 3, pushed: true });

    const running = await waitFor(() => statuses().find((s) => s.configVersion === 3 && s.cameras?.['cam-api']?.state === 'online' && s.cameras['cam-gate']?.state === 'online'),
      { what: 'both API cameras online under config version 3' });
    // The registry owns the camera list now: the file's camera is stopped.
    expect(Object.keys(running.cameras!).sort()).toEqual(['cam-api', 'cam-gate']);
    expect(running.cameras!['cam-api']).toMatchObject({ xaddr: camera.xaddr, linkedDevices: ['th-1'], model: camera.identity.model });
    expect(gateway!.stats.startedAt).toBe(startedAt);

    // A scheduled image of the new camera, stored by ingest and served by the API byte for byte.
    const image = await waitFor(async () => {
      const response = await fetch(`${system.apiUrl}/v1/cameras/${REF.site}/${REF.gateway}/cam-api/snapshots/latest`, { headers: { authorization: `Bearer ${system.apiTokens.viewer}` } });
      return response.status === 200 ? Buffer.from(await response.arrayBuffer()) : undefined;
    }, { timeoutMs: 15_000, what: 'a cam-api snapshot in the backend' });
    expect(camera.servedSnapshots).toContain(createHash('sha256').update(image).digest('hex'));

    // Reading the registry never shows the password; the gateway got it in its config.
    const list = await api('GET', `${BASE}/cameras`);
    expect(JSON.stringify(list.body)).not.toContain(CAMERA_PASSWORD);
    expect(list.body.cameras).toEqual([{ id: 'cam-api', ...cameraBody(), password: 'set' }, { id: 'cam-gate', ...cameraBody({ snapshotIntervalMs: 0, linkedDevices: [] }), password: 'set' }]);
    const saved = fs.readFileSync(path.join(gatewayDir, APPLIED_CONFIG_FILE));
    expect(saved.includes(CAMERA_PASSWORD)).toBe(true);
    expect(fs.statSync(path.join(gatewayDir, APPLIED_CONFIG_FILE)).mode & 0o777).toBe(0o600);
  });

  it('refuses a camera linked to an unknown device: the API at once, the gateway with a configError while its cameras go on', async () => {
    const refusedByApi = await api('PUT', `${BASE}/cameras/cam-api`, cameraBody({ linkedDevices: ['level-9'] }));
    expect(refusedByApi.status).toBe(409);
    expect(refusedByApi.body.message).toMatch(/camera "cam-api" is linked to device "level-9"/);
    expect((await api('GET', `${BASE}`)).body.configVersion).toBe(3); // nothing stored, no version used

    // A config from elsewhere (another tool, an older API) that the gateway must judge itself.
    const current = JSON.parse((await retainedConfig())[0]!.toString()) as { cameras: Array<Record<string, unknown>> };
    const bad = { ...current, version: 4, cameras: [{ ...current.cameras[0], linkedDevices: ['level-9'] }] };
    await backend.publishAsync(topics.config(REF), JSON.stringify(bad), { qos: 1, retain: true });
    const refused = await waitFor(() => statuses().find((s) => s.configError !== undefined), { what: 'a status with configError' });
    expect(refused.configError).toBe('config version 4 refused: invalid message: cameras.0.linkedDevices.0: camera "cam-api" is linked to device "level-9", which this config does not have');
    expect(refused.configVersion).toBe(3);
    expect(Object.keys(refused.cameras ?? {}).sort()).toEqual(['cam-api', 'cam-gate']);
    const okAtRefusal = gateway!.stats.cameras['cam-api']!.snapshotsOk ?? 0;
    await waitFor(() => (gateway!.stats.cameras['cam-api']!.snapshotsOk ?? 0) >= okAtRefusal + 2, { what: 'cam-api still taking snapshots after the refusal' });
  });

  it('a camera removed through the API disappears from the gateway', async () => {
    const removed = await api('DELETE', `${BASE}/cameras/cam-gate`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body).toEqual({ config: { version: 4, pushed: true } });
    const after = await waitFor(() => statuses().find((s) => s.configVersion === 4), { what: 'config version 4 applied' });
    expect(after.configError).toBeUndefined();
    expect(Object.keys(after.cameras ?? {})).toEqual(['cam-api']);
    expect(Object.keys(gateway!.stats.cameras)).toEqual(['cam-api']);
  });

  it('config/push sends devices and cameras again; after a restart the pushed cameras still run', async () => {
    const pushed = await api('POST', `${BASE}/config/push`);
    expect(pushed.body).toEqual({ config: { version: 4, pushed: true } });
    const retained = JSON.parse((await retainedConfig())[0]!.toString()) as { version: number; devices: Array<{ id: string }>; cameras: Array<{ id: string; password: string }> };
    expect(retained).toMatchObject({ version: 4, devices: [{ id: 'th-1' }], cameras: [{ id: 'cam-api', password: CAMERA_PASSWORD }] });

    await gateway!.stop();
    gateway = undefined;
    // Restarted with no uplink: what runs comes from the saved config, not the file's cam-file.
    const offline = await startGateway({ ...gatewaySettings(), mqtt: { ...gatewaySettings().mqtt, url: `mqtt://127.0.0.1:${await freePort()}` } }, { logger: silentLogger(), profiles });
    try {
      expect(offline.stats.configVersion).toBe(4);
      expect(Object.keys(offline.stats.cameras)).toEqual(['cam-api']);
      await waitFor(() => (offline.stats.cameras['cam-api']?.snapshotsOk ?? 0) >= 1, { what: 'cam-api photographed after the restart' });
    } finally {
      await offline.stop();
    }
    gateway = await startGateway(gatewaySettings(), { logger: silentLogger(), profiles });
    const before = statuses().length;
    const back = await waitFor(() => statuses().slice(before).find((s) => s.state === 'online' && s.cameras?.['cam-api']?.state === 'online'), { what: 'the restarted gateway online with cam-api' });
    expect(back.configVersion).toBe(4);
    expect(Object.keys(back.cameras!)).toEqual(['cam-api']);
  });

  it('revoking the gateway clears its retained config from the broker', async () => {
    const before = await retainedConfig();
    expect(before).toHaveLength(1);
    expect(before[0]!.includes(CAMERA_PASSWORD)).toBe(true);
    const revoked = await api('POST', `${BASE}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: 'revoked', configCleared: true });
    expect(await retainedConfig()).toEqual([]);
  });
});

describe('revoking while the broker is unreachable', () => {
  it('still revokes, and says the retained config was not cleared', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-revoke-offline-'));
    const registry = new RegistryStore(path.join(dir, 'registry.db'), SecretBox.fromKeyFile(path.join(dir, 'registry.key')));
    const logLines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(chunk.toString()); done(); } }));
    // A real MQTT.js client aimed at a port where no broker listens.
    const publisher = connectConfigPublisher({ url: `mqtt://127.0.0.1:${await freePort()}`, username: 'api', password: 'x', clientId: 'test-dead-publisher' }, logger);
    const app = Fastify({ loggerInstance: logger });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    try {
      await app.register(registryRoutes, { registry, publisher });
      registry.createSite(REF.site);
      registry.createGateway({ site: REF.site, gateway: REF.gateway, passwordHash: 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
      const response = await app.inject({ method: 'POST', url: `${BASE}/revoke` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ state: 'revoked', configCleared: false });
      expect(registry.getGateway(REF.site, REF.gateway).state).toBe('revoked');
      const warning = logLines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: string }).find((entry) => /retained config not cleared/.test(entry.msg));
      expect(warning).toMatchObject({ level: 40, err: 'the API is not connected to the broker' });
    } finally {
      await app.close();
      await publisher.close();
      registry.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
