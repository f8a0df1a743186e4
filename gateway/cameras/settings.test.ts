// Camera settings in the gateway file: defaults, and errors that name the setting.
import { describe, expect, it } from 'vitest';
import { parseGatewaySettings } from '../config.js';

const base = {
  site: 'bacha', gateway: 'gw-1',
  mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'gw-1', password: 'secret' },
  devices: [{ id: 'level-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: 502 }, unit: 1 }],
};
const camera = { id: 'cam-gate', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'onvif', password: 'pw-12345' };

describe('camera settings', () => {
  it('applies defaults', () => {
    const settings = parseGatewaySettings({ ...base, cameras: [camera] });
    expect(settings.cameras[0]).toEqual({
      ...camera, snapshotIntervalMs: 300_000, maxSnapshotBytes: 1024 * 1024, healthIntervalMs: 30_000, timeoutMs: 5000,
      snapshotFailuresBeforeAlert: 3, linkedDevices: [], events: true, snapshotOnMotion: false,
    });
    expect(settings.cameraDiscovery).toEqual({ targets: ['239.255.255.250:3702'], timeoutMs: 3000, intervalMs: 60_000 });
    expect(parseGatewaySettings(base).cameras).toEqual([]);
  });

  it('takes a camera found by discovery, a profile by index, and no schedule', () => {
    const settings = parseGatewaySettings({
      ...base,
      cameras: [{ id: 'cam-2', discover: { name: 'Gate North' }, username: 'u', password: 'p', profile: 1, snapshotIntervalMs: 0 }],
      cameraDiscovery: { targets: ['127.255.255.255:37020', '192.168.1.255:3702'], timeoutMs: 500 },
    });
    expect(settings.cameras[0]).toMatchObject({ discover: { name: 'Gate North' }, profile: 1, snapshotIntervalMs: 0 });
    expect(settings.cameraDiscovery).toEqual({ targets: ['127.255.255.255:37020', '192.168.1.255:3702'], timeoutMs: 500, intervalMs: 60_000 });
  });

  it.each([
    { what: 'both xaddr and discover', cameras: [{ ...camera, discover: { name: 'x' } }], expected: /cameras\.0\.xaddr: give exactly one of xaddr/ },
    { what: 'neither xaddr nor discover', cameras: [{ id: 'c', username: 'u', password: 'p' }], expected: /cameras\.0\.xaddr: give exactly one/ },
    { what: 'an empty discover match', cameras: [{ id: 'c', username: 'u', password: 'p', discover: {} }], expected: /cameras\.0\.discover: give at least one of name, hardware, urn/ },
    { what: 'an rtsp xaddr', cameras: [{ ...camera, xaddr: 'rtsp://10.0.0.5/' }], expected: /cameras\.0\.xaddr: must be an http\(s\) URL/ },
    { what: 'a missing password', cameras: [{ id: 'c', xaddr: camera.xaddr, username: 'u' }], expected: /cameras\.0\.password/ },
    { what: 'an upper-case id', cameras: [{ ...camera, id: 'Cam1' }], expected: /cameras\.0\.id: must be lowercase/ },
    { what: 'a cap over the protocol limit', cameras: [{ ...camera, maxSnapshotBytes: 3 * 1024 * 1024 }], expected: /cameras\.0\.maxSnapshotBytes/ },
    { what: 'a 50 ms schedule', cameras: [{ ...camera, snapshotIntervalMs: 50 }], expected: /cameras\.0\.snapshotIntervalMs: must be 0 \(none\) or 100 ms/ },
    { what: 'duplicate camera ids', cameras: [camera, camera], expected: /cameras\.1\.id: duplicate camera id "cam-gate"/ },
    { what: 'a camera id that is a device id', cameras: [{ ...camera, id: 'level-1' }], expected: /cameras\.0\.id: camera id "level-1" is also a device id/ },
    { what: 'a bad linked device id', cameras: [{ ...camera, linkedDevices: ['Level 1'] }], expected: /cameras\.0\.linkedDevices\.0/ },
    { what: 'an unknown camera setting', cameras: [{ ...camera, fps: 5 }], expected: /cameras\.0: Unrecognized key: "fps"/ },
  ])('rejects $what, naming the setting', ({ cameras, expected }) => {
    expect(() => parseGatewaySettings({ ...base, cameras }, 'gw.yaml')).toThrow(expected);
  });

  it.each([
    { targets: ['239.255.255.250'], expected: /cameraDiscovery\.targets\.0: must be host:port/ },
    { targets: ['10.0.0.255:70000'], expected: /cameraDiscovery\.targets\.0: the port must be 1–65535/ },
    { targets: [], expected: /cameraDiscovery\.targets/ },
  ])('rejects discovery targets $targets', ({ targets, expected }) => {
    expect(() => parseGatewaySettings({ ...base, cameraDiscovery: { targets } })).toThrow(expected);
  });
});
