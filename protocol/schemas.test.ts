import { describe, expect, it } from 'vitest';
import { decodeJson } from './decode.js';
import { MAX_CAMERA_SNAPSHOT_BYTES, MAX_TELEMETRY_BYTES, cameraListIssues, commandResultDataSchema, commandSchema, configSchema, statusSchema, telemetrySchema } from './schemas.js';
import { MAX_SNAPSHOT_IMAGE_BYTES } from './snapshot.js';

const ts = Date.UTC(2026, 0, 15, 3, 0, 0);
const good = { v: 1, measurement: 'weather', profile: 'th-transmitter', samples: [{ ts, seq: 1, values: { temperature: -31.2, humidity: 80 } }] };
const decode = (payload: string) => decodeJson(telemetrySchema, payload, MAX_TELEMETRY_BYTES);

describe('telemetry schema', () => {
  it('accepts the documented example', () => {
    const result = decode(JSON.stringify({ ...good, samples: [{ ...good.samples[0], quality: 'good' }] }));
    expect(result).toEqual({ ok: true, value: { ...good, samples: [{ ...good.samples[0], quality: 'good' }] } });
  });

  it.each([
    ['not JSON', 'hello', /not valid JSON/],
    ['empty', '', /empty payload/],
    ['NaN literal', JSON.stringify(good).replace('-31.2', 'NaN'), /not valid JSON/],
    ['string value', JSON.stringify({ ...good, samples: [{ ts, seq: 1, values: { temperature: '-31' } }] }), /samples\.0\.values\.temperature/],
    ['null value', JSON.stringify({ ...good, samples: [{ ts, seq: 1, values: { temperature: null } }] }), /samples\.0\.values\.temperature/],
    ['huge number (Infinity)', JSON.stringify(good).replace('-31.2', '1e999'), /samples\.0\.values\.temperature/],
    ['missing seq', JSON.stringify({ ...good, samples: [{ ts, values: { t: 1 } }] }), /samples\.0\.seq/],
    ['seconds instead of ms', JSON.stringify({ ...good, samples: [{ ts: 1764290000, seq: 1, values: { t: 1 } }] }), /before 2000/],
    ['fractional ts', JSON.stringify({ ...good, samples: [{ ts: ts + 0.5, seq: 1, values: { t: 1 } }] }), /integer/],
    ['no samples', JSON.stringify({ ...good, samples: [] }), /at least one sample/],
    ['empty values', JSON.stringify({ ...good, samples: [{ ts, seq: 1, values: {} }] }), /at least one value/],
    ['reserved field', JSON.stringify({ ...good, samples: [{ ts, seq: 1, values: { sb_seq: 1 } }] }), /reserved/],
    ['field called time', JSON.stringify({ ...good, samples: [{ ts, seq: 1, values: { time: 1 } }] }), /"time" is reserved/],
    ['upper-case field', JSON.stringify({ ...good, samples: [{ ts, seq: 1, values: { Temp: 1 } }] }), /field names/],
    ['wrong version', JSON.stringify({ ...good, v: 2 }), /^invalid message: v:/],
    ['extra key (site in payload)', JSON.stringify({ ...good, site: 'elsewhere' }), /site|Unrecognized/i],
    ['array root', '[1,2]', /\(root\)/],
    ['oversized', JSON.stringify({ ...good, profile: 'x'.repeat(MAX_TELEMETRY_BYTES) }), /exceeds the limit/],
  ])('rejects %s with a reason naming the problem', (_name, payload, reason) => {
    const result = decode(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('other v1 messages', () => {
  it('status: the last will has no timestamp', () => {
    expect(statusSchema.safeParse({ v: 1, state: 'offline', reason: 'connection lost' }).success).toBe(true);
    expect(statusSchema.safeParse({ v: 1, state: 'sleeping' }).success).toBe(false);
  });

  it('config: devices get default timings', () => {
    const parsed = configSchema.parse({ v: 1, version: 2, devices: [{ id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: 5020 }, unit: 1 }] });
    expect(parsed.devices[0]).toMatchObject({ pollIntervalMs: 5000, timeoutMs: 1000 });
    expect(configSchema.safeParse({ v: 1, version: 0, devices: [] }).success).toBe(false);
  });

  it('command: discriminated by type', () => {
    expect(commandSchema.safeParse({ v: 1, id: 'c1', ts, type: 'write', device: 'siren-1', point: 'siren', value: true }).success).toBe(true);
    expect(commandSchema.safeParse({ v: 1, id: 'c1', ts, type: 'launch', device: 'siren-1' }).success).toBe(false);
  });

  it.each([
    { command: { type: 'capture' }, ok: true },
    { command: { type: 'capture', device: 'gas-1', alarmId: 'a-9', reason: 'gas high' }, ok: true },
    { command: { type: 'capture', cameras: [] }, ok: false },
    { command: { type: 'capture', cameras: ['Cam 1'] }, ok: false },
    { command: { type: 'ptz', camera: 'cam-1', action: 'move', pan: 0.5, timeoutMs: 800 }, ok: true },
    { command: { type: 'ptz', camera: 'cam-1', action: 'move' }, ok: false, message: /needs at least one of pan, tilt, zoom/ },
    { command: { type: 'ptz', camera: 'cam-1', action: 'move', pan: 1.5 }, ok: false },
    { command: { type: 'ptz', camera: 'cam-1', action: 'preset' }, ok: false, message: /needs the preset token/ },
    { command: { type: 'ptz', camera: 'cam-1', action: 'preset', preset: '2' }, ok: true },
    { command: { type: 'ptz', camera: 'cam-1', action: 'stop' }, ok: true },
  ])('camera command $command.type $command.action → ok $ok', ({ command, ok, message }) => {
    const result = commandSchema.safeParse({ v: 1, id: 'c1', ts, ...command });
    expect(result.success).toBe(ok);
    if (message) expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });
});

describe('gateway status, config and command results (issue 3 additions, backward compatible)', () => {
  it('accepts a status from before the additions, and one with every new field', () => {
    expect(statusSchema.safeParse({ v: 1, state: 'online', ts, version: '0.1.0', uptimeS: 5, outboxDepth: 0, devices: { 'th-1': { online: true } } }).success).toBe(true);
    expect(statusSchema.parse({
      v: 1, state: 'online', ts, configVersion: 2, configError: 'config version 3 refused: …', outboxDepth: 10, outboxBytes: 2048,
      outboxOldestAgeS: 12.5, outboxDropped: 3, outboxDroppedByCause: { size: 3 }, outboxError: 'disk full', lastSeq: 99, devicesOnline: 1, devicesOffline: 0,
    })).toMatchObject({ outboxDroppedByCause: { size: 3 } });
    expect(statusSchema.safeParse({ v: 1, state: 'online', outboxDroppedByCause: { size: -1 } }).success).toBe(false);
  });

  it('refuses a config that lists one device id twice', () => {
    const device = { id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: 5020 }, unit: 1 };
    const result = configSchema.safeParse({ v: 1, version: 2, devices: [device, device] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['devices', 1, 'id'], message: 'duplicate device id "th-1"' });
  });

  it('config: cameras are optional (v1 configs without them stay valid) and checked against the devices', () => {
    const device = { id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: 5020 }, unit: 1 };
    const camera = { id: 'cam-1', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'onvif', password: 'pw', linkedDevices: ['th-1'] };
    expect(configSchema.parse({ v: 1, version: 2, devices: [device] }).cameras).toBeUndefined();
    expect(configSchema.parse({ v: 1, version: 2, devices: [device], cameras: [] }).cameras).toEqual([]);
    expect(configSchema.parse({ v: 1, version: 2, devices: [device], cameras: [camera] }).cameras?.[0]).toMatchObject({ id: 'cam-1', maxSnapshotBytes: 1024 * 1024 });
    const unlinked = configSchema.safeParse({ v: 1, version: 2, devices: [], cameras: [camera] });
    expect(unlinked.error?.issues[0]).toMatchObject({ path: ['cameras', 0, 'linkedDevices', 0] });
  });

  it.each([
    { what: 'a clean list', cameras: [{ id: 'a', linkedDevices: ['d-1'] }, { id: 'b' }], linked: true, expected: [] },
    { what: 'a duplicate', cameras: [{ id: 'a' }, { id: 'a' }], linked: false, expected: [['cameras', 1, 'id']] },
    { what: 'a camera named like a device', cameras: [{ id: 'd-1' }], linked: false, expected: [['cameras', 0, 'id']] },
    { what: 'an unknown link, checked', cameras: [{ id: 'a', linkedDevices: ['d-1', 'x'] }], linked: true, expected: [['cameras', 0, 'linkedDevices', 1]] },
    { what: 'an unknown link, not checked (the gateway file)', cameras: [{ id: 'a', linkedDevices: ['x'] }], linked: false, expected: [] },
  ])('cameraListIssues: $what', ({ cameras, linked, expected }) => {
    expect(cameraListIssues(cameras, ['d-1'], { linkedMustExist: linked }).map((issue) => issue.path)).toEqual(expected);
  });

  it('the camera snapshot limit is the backend\'s', () => {
    expect(MAX_CAMERA_SNAPSHOT_BYTES).toBe(MAX_SNAPSHOT_IMAGE_BYTES);
  });

  it('describes the data of a command-result event', () => {
    expect(commandResultDataSchema.parse({ id: 'c-1', command: 'write', ok: true, durationMs: 12.5, device: 'siren-1' })).toEqual({ id: 'c-1', command: 'write', ok: true, durationMs: 12.5 });
    expect(commandResultDataSchema.safeParse({ id: null, ok: false, error: 'malformed command: …', durationMs: 0 }).success).toBe(true);
    expect(commandResultDataSchema.safeParse({ id: 'c-1', ok: 'yes', durationMs: 1 }).success).toBe(false);
  });
});
