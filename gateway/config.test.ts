// Gateway configuration: defaults, and errors that name the setting.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewaySettings, parseGatewaySettings } from './config.js';

const valid = {
  site: 'tongjiang-jiejinkou',
  gateway: 'gw-1',
  mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'gw-1', password: 'secret' },
  devices: [{ id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: 502 }, unit: 1 }],
};

describe('parseGatewaySettings', () => {
  it('applies defaults', () => {
    const settings = parseGatewaySettings(valid);
    expect(settings.statusIntervalMs).toBe(30_000);
    expect(settings.offlineAfterFailures).toBe(3);
    expect(settings.devices[0]).toMatchObject({ pollIntervalMs: 5000, timeoutMs: 1000 });
    expect(settings.mqtt).toMatchObject({ keepaliveS: 30, reconnectPeriodMs: 2000 });
  });

  it('bounds the outbox by default and lets the file set the bounds', () => {
    expect(parseGatewaySettings(valid).outbox).toEqual({
      maxBytes: 256 * 1024 * 1024, maxAgeMs: 7 * 86_400_000, window: 64, maxSamplesPerMessage: 1000,
      maxMessageBytes: 240 * 1024, maxSnapshotBytes: 64 * 1024 * 1024, synchronous: 'full', diskReserveBytes: 8 * 1024 * 1024, drainOnStopMs: 2000,
    });
    expect(parseGatewaySettings({ ...valid, outbox: { window: 8, synchronous: 'normal' } }).outbox).toMatchObject({ window: 8, synchronous: 'normal', maxSamplesPerMessage: 1000 });
    expect(parseGatewaySettings({ ...valid, devices: undefined }).devices).toEqual([]);
    expect(parseGatewaySettings(valid).commands).toEqual({ maxAgeMs: 300_000 });
  });

  it.each([
    { what: 'a bad unit id', patch: { devices: [{ ...valid.devices[0], unit: 300 }] }, expected: /devices\.0\.unit/ },
    { what: 'an upper-case site', patch: { site: 'Tongjiang' }, expected: /site: must be lowercase/ },
    { what: 'a missing password', patch: { mqtt: { url: 'mqtt://h:1883', username: 'u' } }, expected: /mqtt\.password/ },
    { what: 'an http url', patch: { mqtt: { ...valid.mqtt, url: 'http://h' } }, expected: /mqtt\.url: must be a broker URL/ },
    { what: 'duplicate device ids', patch: { devices: [valid.devices[0], valid.devices[0]] }, expected: /devices\.1\.id: duplicate device id "th-1"/ },
    { what: 'an unknown setting', patch: { pollEveryMs: 5 }, expected: /Unrecognized key: "pollEveryMs"/ },
    { what: 'batches over the protocol limit', patch: { outbox: { maxSamplesPerMessage: 5000 } }, expected: /outbox\.maxSamplesPerMessage/ },
    { what: 'an unknown sync mode', patch: { outbox: { synchronous: 'off' } }, expected: /outbox\.synchronous/ },
  ])('rejects $what, naming the setting', ({ patch, expected }) => {
    expect(() => parseGatewaySettings({ ...valid, ...patch }, 'gw.yaml')).toThrow(expected);
  });
});

describe('loadGatewaySettings', () => {
  it('reads YAML and names the file in errors', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-gwcfg-'));
    try {
      const good = path.join(dir, 'gw.yaml');
      await writeFile(good, 'site: s1\ngateway: g1\nmqtt: { url: "mqtt://127.0.0.1:1883", username: g1, password: p }\ndevices: []\n');
      expect((await loadGatewaySettings(good)).site).toBe('s1');
      const bad = path.join(dir, 'bad.yaml');
      await writeFile(bad, 'site: s1\ngateway: g1\nmqtt: { url: "mqtt://h", username: g1, password: p }\ndevices: []\nstatusIntervalMs: 5\n');
      await expect(loadGatewaySettings(bad)).rejects.toThrow(/bad\.yaml: statusIntervalMs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
