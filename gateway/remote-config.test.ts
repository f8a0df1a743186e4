// Judging remote configs, and which config runs at start: a table of cases.
import { describe, expect, it } from 'vitest';
import { deviceConfigSchema, type DeviceConfig } from '../protocol/index.js';
import { judgeRemoteConfig, startupConfig } from './remote-config.js';

const device = (id: string, profile = 'th-transmitter'): DeviceConfig =>
  deviceConfigSchema.parse({ id, profile, transport: { kind: 'tcp', host: '127.0.0.1', port: 5020 }, unit: 1 });
const profiles = new Set(['th-transmitter', 'pm-sensor']);
const running = { version: 3, devices: [device('th-1')] };
const payload = (config: unknown) => Buffer.from(JSON.stringify(config));
const raw = (version: number, devices: unknown[]) => payload({ v: 1, version, devices });

describe('judgeRemoteConfig', () => {
  it('applies a newer valid config, with defaults filled in', () => {
    const decision = judgeRemoteConfig(raw(4, [{ id: 'pm-1', profile: 'pm-sensor', transport: { kind: 'tcp', host: '10.0.0.5', port: 502 }, unit: 2 }]), running, profiles);
    expect(decision).toMatchObject({ action: 'apply', config: { version: 4, devices: [{ id: 'pm-1', pollIntervalMs: 5000 }] } });
  });

  it('ignores the retained copy of what runs, and a cleared topic', () => {
    expect(judgeRemoteConfig(raw(3, [device('th-1')]), running, profiles)).toMatchObject({ action: 'ignore' });
    expect(judgeRemoteConfig(Buffer.alloc(0), running, profiles)).toMatchObject({ action: 'ignore', reason: 'config topic cleared' });
  });

  it.each([
    { what: 'an older version', input: raw(2, []), reason: 'config version 2 refused: not newer than the running version 3 (publish a higher version)' },
    { what: 'the same version with other devices', input: raw(3, []), reason: /version 3 refused: not newer than the running version 3/ },
    { what: 'an unknown profile', input: raw(4, [device('x-1', 'th-transmiter')]), reason: 'config version 4 refused: devices.0 (x-1): unknown profile "th-transmiter"' },
    { what: 'a schema error', input: raw(5, [{ ...device('th-1'), unit: 999 }]), reason: /^config version 5 refused: invalid message: devices\.0\.unit/ },
    { what: 'duplicate ids', input: raw(5, [device('th-1'), device('th-1')]), reason: /devices\.1\.id: duplicate device id "th-1"/ },
    { what: 'no version', input: payload({ v: 1, devices: [] }), reason: /^config refused: invalid message: version/ },
    { what: 'not JSON', input: Buffer.from('{"v":1'), reason: /^config refused: not valid JSON/ },
  ])('refuses $what, saying why', ({ input, reason }) => {
    const decision = judgeRemoteConfig(input, running, profiles);
    expect(decision.action).toBe('refuse');
    if (decision.action === 'refuse') expect(decision.reason).toMatch(reason);
  });
});

describe('startupConfig', () => {
  const fileDevices = [device('file-1')];

  it('runs the file’s devices as version 0 until a remote config was applied', () => {
    expect(startupConfig(fileDevices, { ok: true, config: undefined })).toEqual({ running: { version: 0, devices: fileDevices }, source: 'file' });
  });

  it('runs the saved remote config instead of the file’s devices', () => {
    const config = { v: 1 as const, version: 7, devices: [device('remote-1')] };
    expect(startupConfig(fileDevices, { ok: true, config })).toEqual({ running: { version: 7, devices: config.devices }, source: 'saved remote config' });
  });

  it('falls back to the file when the saved config is unreadable, saying so', () => {
    expect(startupConfig(fileDevices, { ok: false, reason: 'applied-config.json: not valid JSON' })).toEqual({
      running: { version: 0, devices: fileDevices }, source: 'file',
      error: "saved remote config unreadable, running the file's devices: applied-config.json: not valid JSON",
    });
  });
});
