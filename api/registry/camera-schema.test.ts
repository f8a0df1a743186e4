// Camera PUT bodies are judged with the protocol's camera schema (what the gateway will run),
// with the password optional on updates; what is stored is the body as given, without defaults.
import { describe, expect, it } from 'vitest';
import { parseRegistryCamera } from './camera-schema.js';

const base = { id: 'cam-1', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'onvif' };

describe('parseRegistryCamera', () => {
  it.each([
    { what: 'a fixed address with a password', body: { ...base, password: 'pw' } },
    { what: 'an update without a password', body: base },
    { what: 'a camera found by discovery', body: { id: 'cam-2', discover: { name: 'Port Gate' }, username: 'u', password: 'p' } },
    { what: 'the finer settings of the gateway file', body: { ...base, healthIntervalMs: 5000, timeoutMs: 2000, events: false, snapshotOnMotion: true, maxSnapshotBytes: 512 * 1024, snapshotFailuresBeforeAlert: 5, profile: 'Profile_2' } },
  ])('takes $what, as given', ({ body }) => {
    expect(parseRegistryCamera(body)).toEqual({ ok: true, camera: body });
  });

  it.each([
    { what: 'neither xaddr nor discover', body: { id: 'cam-1', username: 'onvif' }, reason: /^xaddr: give exactly one of xaddr/ },
    { what: 'an rtsp address', body: { ...base, xaddr: 'rtsp://10.0.0.5/' }, reason: /^xaddr: must be an http\(s\) URL/ },
    { what: 'an empty password', body: { ...base, password: '' }, reason: /^password:/ },
    { what: 'an unknown setting', body: { ...base, snapshotEvery: 5 }, reason: /Unrecognized key.*snapshotEvery/ },
    { what: 'a health interval under 100 ms', body: { ...base, healthIntervalMs: 10 }, reason: /^healthIntervalMs:/ },
    { what: 'a bad linked device id', body: { ...base, linkedDevices: ['Level 1'] }, reason: /^linkedDevices\.0:/ },
    { what: 'not an object', body: ['cam-1'], reason: /a JSON object expected/ },
  ])('refuses $what, naming the field', ({ body, reason }) => {
    const result = parseRegistryCamera(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
