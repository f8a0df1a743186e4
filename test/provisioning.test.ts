// Provisioning for real: a running system (broker, ingest, api with its registry), the
// `shaobing provision gateway` command as a separate process, and the gateway started from the
// file it wrote (`shaobing gateway --config`). The new gateway connects without a broker
// restart; a device added through the API reaches it as remote config and is polled; a camera
// password is sealed in the registry file while the camera reaches the gateway in its config;
// revoking disconnects the gateway within 5 s, clears its retained config, and the broker
// refuses its credentials afterwards.
import fs from 'node:fs';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../cli/system.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import { waitFor } from '../lib/wait.js';
import { statusSchema, topics, type GatewayRef, type Status } from '../protocol/index.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import { recordMessages, type Recorder } from './harness/mqtt-broker.js';
import { runCli, type CliProcess } from './harness/processes.js';
import { sampleTimesByDevice, startTestSystem } from './harness/system.js';

const REF: GatewayRef = { site: 'fuyuan', gateway: 'gw-07' };
// The broker prefixes client ids with the account's username (broker/access-hooks.ts).
const CLIENT_ID = `fuyuan.gw-07:sb-gw-${REF.site}-${REF.gateway}`;

let system: RunningSystem & { dataDir: string };
let sim: ModbusSimulator;
let watcher: Recorder;
let gatewayProcess: CliProcess | undefined;
let configFile: string;
const testStart = Date.now() - 1000;

async function api(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${system.apiUrl}${url}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: response.status === 204 ? {} : (await response.json()) as Record<string, unknown> };
}

const statuses = (): Status[] => watcher.messages
  .filter((m) => m.topic === topics.status(REF) && m.payload.length > 0)
  .map((m) => statusSchema.parse(JSON.parse(m.payload.toString())));

function provision(extra: string[] = []): CliProcess {
  return runCli(['provision', 'gateway', '--site', REF.site, '--id', REF.gateway, '--api', system.apiUrl, '--out', configFile, ...extra],
    { SB_API_TOKEN: system.apiTokens.technician });
}

beforeAll(async () => {
  system = await startTestSystem((dir) => ({ kind: 'sqlite', path: path.join(dir, 'shaobing.db') }), []);
  configFile = path.join(system.dataDir, 'gw-07.yaml');
  const profiles = await loadProfileLibrary(defaultProfilesDir());
  sim = await startModbusSimulator({ profile: profiles.get('th-transmitter')!, seed: 41 });
  watcher = await recordMessages(system.brokerUrl, system.serviceLogin, 'test-provisioning-watch', [topics.status(REF)]);
});

afterAll(async () => {
  await gatewayProcess?.stop();
  await watcher?.close();
  await sim?.close();
  await system?.close();
});

describe('provisioning a gateway', () => {
  it('refuses roles without the provision permission', async () => {
    for (const role of ['viewer', 'emergency'] as const) {
      const refused = await api('POST', '/v1/registry/sites', system.apiTokens[role], { id: REF.site });
      expect(refused.status).toBe(403);
    }
    expect((await api('POST', '/v1/registry/sites', system.apiTokens.technician, { id: REF.site, name: 'Fuyuan' })).status).toBe(201);
  });

  it('provisions through the CLI: a 0600 config file, the password only there, and no overwrite without --force', async () => {
    const run = provision();
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toMatch(/Gateway fuyuan\/gw-07 provisioned/);
    expect(run.output()).toMatch(/shaobing gateway --config gw-07\.yaml/);
    expect(fs.statSync(configFile).mode & 0o777).toBe(0o600);
    const written = parseYaml(fs.readFileSync(configFile, 'utf8')) as { mqtt: { url: string; username: string; password: string } };
    expect(written).toMatchObject({ site: REF.site, gateway: REF.gateway, mqtt: { url: system.brokerUrl, username: 'fuyuan.gw-07' } });
    expect(written.mqtt.password.length).toBeGreaterThanOrEqual(32);
    // The registry holds the hash only.
    const registryBytes = Buffer.concat(fs.readdirSync(system.dataDir).filter((f) => f.startsWith('registry.db')).map((f) => fs.readFileSync(path.join(system.dataDir, f))));
    expect(registryBytes.includes(written.mqtt.password)).toBe(false);

    const again = provision();
    expect(await again.exited).toBe(1);
    expect(again.output()).toMatch(/refusing to overwrite/);
    expect(system.provisioning.listGateways(REF.site)).toHaveLength(1); // refused before asking the API
  }, 60_000);

  it('the gateway started from the written file connects and publishes, without a broker restart', async () => {
    const brokerConnectionsBefore = system.broker.stats().connectionsTotal;
    gatewayProcess = runCli(['gateway', '--config', configFile]);
    const online = await waitFor(() => statuses().find((s) => s.state === 'online'), { timeoutMs: 20_000, what: 'the new gateway online' })
      .catch((err: Error) => { throw new Error(`${err.message}; gateway output: ${gatewayProcess!.output()}`); });
    expect(online.configVersion).toBe(0);
    expect(system.broker.stats().connectionsTotal).toBeGreaterThan(brokerConnectionsBefore);
  }, 60_000);

  it('a device added through the API arrives as remote config and is polled', async () => {
    const token = system.apiTokens.technician;
    const bad = await api('PUT', `/v1/registry/gateways/${REF.site}/${REF.gateway}/devices/th-1`, token, { profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unit: 1, pollIntervalMs: 10 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/pollIntervalMs/);

    const put = await api('PUT', `/v1/registry/gateways/${REF.site}/${REF.gateway}/devices/th-1`, token, {
      profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unit: 1, pollIntervalMs: 200,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.config).toEqual({ version: 1, pushed: true });
    const applied = await waitFor(() => statuses().find((s) => s.configVersion === 1), { timeoutMs: 15_000, what: 'config version 1 applied' });
    expect(applied.configError).toBeUndefined();
    await waitFor(async () => ((await sampleTimesByDevice(system, REF.site, testStart)).get('th-1') ?? []).length >= 3, { timeoutMs: 15_000, what: 'th-1 readings in the store' });
  });

  it('stores a camera password encrypted and never returns it', async () => {
    const password = 'Cam-Plaintext-Secret-2026';
    const put = await api('PUT', `/v1/registry/gateways/${REF.site}/${REF.gateway}/cameras/cam-1`, system.apiTokens.technician, {
      xaddr: 'http://127.0.0.1:9/onvif/device_service', username: 'onvif', password,
    });
    expect(put.status).toBe(201);
    expect(JSON.stringify(put.body)).not.toContain(password);
    // The camera goes to the gateway as config version 2 (devices and cameras), reported in its status.
    expect(put.body.config).toEqual({ version: 2, pushed: true });
    const applied = await waitFor(() => statuses().find((s) => s.configVersion === 2), { timeoutMs: 15_000, what: 'config version 2 applied' });
    expect(applied.configError).toBeUndefined();
    expect(Object.keys(applied.cameras ?? {})).toEqual(['cam-1']);
    const list = await api('GET', `/v1/registry/gateways/${REF.site}/${REF.gateway}/cameras`, system.apiTokens.technician);
    expect(list.body.cameras).toEqual([{ id: 'cam-1', xaddr: 'http://127.0.0.1:9/onvif/device_service', username: 'onvif', password: 'set' }]);
    const files = fs.readdirSync(system.dataDir).filter((f) => f.startsWith('registry.db'));
    expect(files).toContain('registry.db');
    for (const file of files) expect(fs.readFileSync(path.join(system.dataDir, file)).includes(password), file).toBe(false);
    // Nor any other file of the backend (the audit log records the PUT with the password redacted).
    await waitFor(() => fs.existsSync(path.join(system.dataDir, 'audit.db')), { what: 'the audit log' });
    for (const file of fs.readdirSync(system.dataDir, { withFileTypes: true }).filter((f) => f.isFile())) {
      expect(fs.readFileSync(path.join(system.dataDir, file.name)).includes(password), file.name).toBe(false);
    }
    expect(system.provisioning.cameraWithPassword(REF.site, REF.gateway, 'cam-1').password).toBe(password);
  });

  it('revoking disconnects the gateway within 5 s and refuses it afterwards', async () => {
    const credentials = (parseYaml(fs.readFileSync(configFile, 'utf8')) as { mqtt: { username: string; password: string } }).mqtt;
    let disconnectedAt: number | undefined;
    system.broker.aedes.on('clientDisconnect', (client) => {
      if (client.id === CLIENT_ID) disconnectedAt ??= Date.now();
    });
    const started = Date.now();
    const revoked = await api('POST', `/v1/registry/gateways/${REF.site}/${REF.gateway}/revoke`, system.apiTokens.technician);
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe('revoked');
    // Its retained config (with the camera password pushed above) is gone from the broker.
    expect(revoked.body.configCleared).toBe(true);
    await waitFor(() => disconnectedAt, { timeoutMs: 5000, intervalMs: 10, what: 'the revoked gateway disconnected' });
    const elapsedMs = disconnectedAt! - started;
    process.stdout.write(`provisioning figures: ${JSON.stringify({ revocationDisconnectMs: elapsedMs })}\n`);
    expect(elapsedMs).toBeLessThan(5000);

    await expect(connectAsync(system.brokerUrl, { ...credentials, clientId: 'test-revoked', protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 }))
      .rejects.toThrow(/Not authorized|Bad username or password/i);
    // The gateway keeps trying and is refused each time: it never comes back.
    const before = system.broker.stats().authFailuresTotal;
    await waitFor(() => system.broker.stats().authFailuresTotal > before, { timeoutMs: 10_000, what: 'the gateway refused on reconnect' });
    expect((await api('PUT', `/v1/registry/gateways/${REF.site}/${REF.gateway}/devices/th-2`, system.apiTokens.technician, {
      profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unit: 1,
    })).status).toBe(409);
  });
});
