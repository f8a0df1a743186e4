import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMqttTls, mqttTlsClientOptions, mqttTlsProblem } from './mqtt-tls.js';

describe('mqttTlsProblem', () => {
  it.each([
    ['mqtts://broker:8883', {}, undefined],
    ['mqtts://broker:8883', { caFile: 'ca.crt' }, undefined],
    ['mqtts://broker:8883', { caFile: 'ca.crt', certFile: 'gw.crt', keyFile: 'gw.key' }, undefined],
    ['mqtt://127.0.0.1:1883', {}, undefined],
    ['mqtts://broker:8883', { certFile: 'gw.crt' }, 'keyFile'],
    ['mqtts://broker:8883', { keyFile: 'gw.key' }, 'certFile'],
    ['mqtt://broker:1883', { caFile: 'ca.crt' }, 'url'],
  ])('%s %j → %s', (url, files, setting) => {
    expect(mqttTlsProblem(url, files)?.setting).toBe(setting);
  });
});

describe('loadMqttTls', () => {
  it('reads the files of an mqtts:// URL, nothing for plain mqtt://, and names an unreadable file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-mqtt-tls-'));
    try {
      fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA PEM');
      expect(loadMqttTls('mqtts://b:8883', { caFile: path.join(dir, 'ca.crt') })).toEqual({ ca: Buffer.from('CA PEM') });
      expect(loadMqttTls('mqtt://127.0.0.1:1883', {})).toBeUndefined();
      expect(() => loadMqttTls('mqtts://b:8883', { caFile: path.join(dir, 'missing.crt') })).toThrow(/^mqtt\.caFile: cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never turns certificate verification off', () => {
    expect(mqttTlsClientOptions(undefined).rejectUnauthorized).toBe(true);
    expect(mqttTlsClientOptions({ ca: Buffer.from('x') })).toEqual({ ca: Buffer.from('x'), rejectUnauthorized: true });
  });
});
