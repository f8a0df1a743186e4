// Judging remote configs, and which config runs at start: a table of cases.
import { describe, expect, it } from 'vitest';
import { cameraConfigSchema, deviceConfigSchema, type CameraConfig, type DeviceConfig } from '../protocol/index.js';
import { effectiveCameras, judgeRemoteConfig, startupConfig } from './remote-config.js';

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
    { what: 'not JSON, without quoting it', input: Buffer.from('cam-password-77 {"v":1}'), reason: /^config refused: not valid JSON: Unexpected token 'c', "…"(\.\.\.)? is not valid JSON$/ },
  ])('refuses $what, saying why', ({ input, reason }) => {
    const decision = judgeRemoteConfig(input, running, profiles);
    expect(decision.action).toBe('refuse');
    if (decision.action === 'refuse') expect(decision.reason).toMatch(reason);
  });
});

const cameraInput = (id: string, extra: Record<string, unknown> = {}) => ({ id, xaddr: 'http://10.0.0.9/onvif/device_service', username: 'onvif', password: 'Cam-pw-1', ...extra });
const camera = (id: string, extra: Record<string, unknown> = {}): CameraConfig => cameraConfigSchema.parse(cameraInput(id, extra));
const withCameras = (version: number, devices: unknown[], cameras: unknown[]) => payload({ v: 1, version, devices, cameras });

describe('judgeRemoteConfig with cameras', () => {
  const runningWithCamera = { version: 3, devices: [device('th-1')], cameras: [camera('cam-1', { linkedDevices: ['th-1'] })] };

  it.each([
    { what: 'a camera list, defaults filled in', input: withCameras(4, [device('th-1')], [cameraInput('cam-1', { linkedDevices: ['th-1'] })]), cameras: [{ id: 'cam-1', linkedDevices: ['th-1'], snapshotIntervalMs: 300_000, events: true }] },
    { what: 'an empty list (no cameras at all)', input: withCameras(4, [device('th-1')], []), cameras: [] },
    { what: 'no list (the file’s cameras)', input: raw(4, [device('th-1')]), cameras: undefined },
    { what: 'a camera found by discovery', input: withCameras(4, [], [{ id: 'cam-2', discover: { name: 'Port Gate' }, username: 'u', password: 'p' }]), cameras: [{ id: 'cam-2', discover: { name: 'Port Gate' } }] },
  ])('applies $what', ({ input, cameras }) => {
    const decision = judgeRemoteConfig(input, runningWithCamera, profiles);
    expect(decision.action).toBe('apply');
    if (decision.action === 'apply') expect(decision.config.cameras).toEqual(cameras === undefined ? undefined : cameras.map((c) => expect.objectContaining(c)));
  });

  it('ignores the retained copy of what runs, cameras included, but not the same version with other cameras', () => {
    const same = withCameras(3, [device('th-1')], [cameraInput('cam-1', { linkedDevices: ['th-1'] })]);
    expect(judgeRemoteConfig(same, runningWithCamera, profiles)).toMatchObject({ action: 'ignore' });
    expect(judgeRemoteConfig(raw(3, [device('th-1')]), runningWithCamera, profiles)).toMatchObject({ action: 'refuse', reason: /not newer than the running version 3/ });
  });

  it.each([
    { what: 'a camera linked to an unknown device', cameras: [cameraInput('cam-1', { linkedDevices: ['th-1', 'level-9'] })], reason: 'config version 4 refused: invalid message: cameras.0.linkedDevices.1: camera "cam-1" is linked to device "level-9", which this config does not have' },
    { what: 'duplicate camera ids', cameras: [cameraInput('cam-1'), cameraInput('cam-1')], reason: /cameras\.1\.id: duplicate camera id "cam-1"/ },
    { what: 'a camera named like a device', cameras: [cameraInput('th-1')], reason: /cameras\.0\.id: camera id "th-1" is also a device id/ },
    { what: 'both xaddr and discover', cameras: [cameraInput('cam-1', { discover: { name: 'x' } })], reason: /cameras\.0\.xaddr: give exactly one of xaddr/ },
    { what: 'no password', cameras: [{ id: 'cam-1', xaddr: 'http://10.0.0.9/onvif/device_service', username: 'onvif' }], reason: /cameras\.0\.password/ },
    { what: 'an ftp address', cameras: [cameraInput('cam-1', { xaddr: 'ftp://10.0.0.9/' })], reason: /cameras\.0\.xaddr: must be an http\(s\) URL/ },
    { what: 'an unknown camera setting', cameras: [cameraInput('cam-1', { snapshotEveryMs: 100 })], reason: /cameras\.0: Unrecognized key/ },
    { what: 'too short a snapshot interval', cameras: [cameraInput('cam-1', { snapshotIntervalMs: 50 })], reason: /cameras\.0\.snapshotIntervalMs: must be 0 \(none\) or 100 ms/ },
  ])('refuses $what, saying why', ({ cameras, reason }) => {
    const decision = judgeRemoteConfig(withCameras(4, [device('th-1')], cameras), runningWithCamera, profiles);
    expect(decision.action).toBe('refuse');
    if (decision.action === 'refuse') {
      expect(decision.reason).toMatch(reason);
      expect(decision.reason).not.toContain('Cam-pw-1'); // the reason goes into the status and the log
    }
  });
});

describe('effectiveCameras', () => {
  const fileCameras = [camera('file-cam')];
  it.each([
    { what: 'the file’s cameras when the config has none', cameras: undefined, expected: ['file-cam'] },
    { what: 'the config’s cameras instead of the file’s', cameras: [camera('remote-cam')], expected: ['remote-cam'] },
    { what: 'none when the config says none', cameras: [], expected: [] },
  ])('runs $what', ({ cameras, expected }) => {
    expect(effectiveCameras({ version: 2, devices: [], ...(cameras ? { cameras } : {}) }, fileCameras).map((c) => c.id)).toEqual(expected);
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

  it('runs the saved config’s cameras when it carries them', () => {
    const config = { v: 1 as const, version: 8, devices: [device('remote-1')], cameras: [camera('cam-1')] };
    expect(startupConfig(fileDevices, { ok: true, config }).running).toEqual({ version: 8, devices: config.devices, cameras: config.cameras });
  });

  it('falls back to the file when the saved config is unreadable, saying so', () => {
    expect(startupConfig(fileDevices, { ok: false, reason: 'applied-config.json: not valid JSON' })).toEqual({
      running: { version: 0, devices: fileDevices }, source: 'file',
      error: "saved remote config unreadable, running the file's devices: applied-config.json: not valid JSON",
    });
  });
});
