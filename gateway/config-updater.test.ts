// Applying remote configs in order, keeping the running one when refused, and saving the
// applied one on disk so that it is what runs after a restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { deviceConfigSchema, type DeviceConfig } from '../protocol/index.js';
import { APPLIED_CONFIG_FILE, fileConfigStore } from './applied-config.js';
import { ConfigUpdater, type ConfigState } from './config-updater.js';

const device = (id: string, profile = 'th-transmitter'): DeviceConfig =>
  deviceConfigSchema.parse({ id, profile, transport: { kind: 'tcp', host: '127.0.0.1', port: 5020 }, unit: 1 });
const raw = (version: number, devices: DeviceConfig[]) => Buffer.from(JSON.stringify({ v: 1, version, devices }));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setup(options: { failApply?: (devices: readonly DeviceConfig[]) => string | undefined } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cfg-'));
  dirs.push(dir);
  const applied: string[][] = [];
  const changes: ConfigState[] = [];
  const cameras: Array<string[] | undefined> = [];
  const store = fileConfigStore(dir);
  const updater = new ConfigUpdater({
    running: { version: 0, devices: [device('file-1')] },
    profiles: new Set(['th-transmitter', 'pm-sensor']),
    apply: async (config) => {
      const problem = options.failApply?.(config.devices);
      if (problem) throw new Error(problem);
      applied.push(config.devices.map((d) => d.id));
      cameras.push(config.cameras?.map((c) => c.id));
    },
    store, clock: () => 1_764_290_000_000, logger: silentLogger(),
    onChange: (state) => changes.push(state),
  });
  return { dir, store, updater, applied, cameras, changes };
}

describe('ConfigUpdater', () => {
  it('applies newer configs in arrival order and saves the last one', async () => {
    const { dir, store, updater, applied, changes } = setup();
    updater.submit(raw(1, [device('a-1')]));
    updater.submit(raw(2, [device('a-1'), device('b-1', 'pm-sensor')]));
    updater.submit(raw(2, [device('a-1'), device('b-1', 'pm-sensor')])); // the retained copy again
    await updater.idle();
    expect(applied).toEqual([['a-1'], ['a-1', 'b-1']]);
    expect(changes).toEqual([{ version: 1 }, { version: 2 }]);
    expect(updater.state()).toEqual({ version: 2 });
    const saved = store.load();
    expect(saved.ok && saved.saved?.config.version).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([APPLIED_CONFIG_FILE]); // no temp file left behind
  });

  it('keeps the running config when one is refused, with the reason, until a good one comes', async () => {
    const { store, updater, applied } = setup({ failApply: (devices) => (devices.some((d) => d.id === 'bad-1') ? 'bus setting conflicts on tcp://127.0.0.1:5020' : undefined) });
    updater.submit(raw(1, [device('a-1')]));
    updater.submit(raw(2, [device('x-1', 'no-such-profile')]));
    await updater.idle();
    expect(updater.state()).toEqual({ version: 1, error: 'config version 2 refused: devices.0 (x-1): unknown profile "no-such-profile"' });
    updater.submit(raw(3, [device('bad-1')]));
    await updater.idle();
    expect(updater.state()).toEqual({ version: 1, error: 'config version 3 refused: bus setting conflicts on tcp://127.0.0.1:5020' });
    updater.submit(raw(4, [device('a-1'), device('c-1')]));
    await updater.idle();
    expect(updater.state()).toEqual({ version: 4 });
    expect(applied).toEqual([['a-1'], ['a-1', 'c-1']]);
    const saved = store.load();
    expect(saved.ok && saved.saved?.config.devices.map((d) => d.id)).toEqual(['a-1', 'c-1']);
  });

  it('hands over the cameras a config carries, keeps them in the saved file (0600), and refuses a bad link', async () => {
    const { dir, store, updater, applied, cameras } = setup();
    const camera = { id: 'cam-1', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'onvif', password: 'Secret-1', linkedDevices: ['a-1'] };
    const withCameras = (version: number, list: unknown[]) => Buffer.from(JSON.stringify({ v: 1, version, devices: [device('a-1')], cameras: list }));
    updater.submit(withCameras(1, [camera]));
    updater.submit(withCameras(2, [{ ...camera, linkedDevices: ['nobody-1'] }]));
    await updater.idle();
    expect(applied).toEqual([['a-1']]);
    expect(cameras).toEqual([['cam-1']]);
    expect(updater.state()).toEqual({ version: 1, error: expect.stringMatching(/^config version 2 refused: invalid message: cameras\.0\.linkedDevices\.0: camera "cam-1" is linked to device "nobody-1"/) });
    const saved = store.load();
    expect(saved.ok && saved.saved?.config.cameras).toEqual([expect.objectContaining({ id: 'cam-1', password: 'Secret-1', snapshotIntervalMs: 300_000 })]);
    expect(fs.statSync(path.join(dir, APPLIED_CONFIG_FILE)).mode & 0o777).toBe(0o600);
    // A later config without cameras goes back to the file's (undefined here), and is applied.
    updater.submit(raw(3, [device('a-1')]));
    await updater.idle();
    expect(cameras).toEqual([['cam-1'], undefined]);
    expect(updater.state()).toEqual({ version: 3 });
  });

  it('reports a saved config it cannot read', () => {
    const { dir, store } = setup();
    fs.writeFileSync(path.join(dir, APPLIED_CONFIG_FILE), '{"appliedAt": 1, "config": {"v": 1}}');
    expect(store.load()).toMatchObject({ ok: false, reason: expect.stringMatching(/applied-config\.json: config\.version/) });
  });
});
