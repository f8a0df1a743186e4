import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alarmStorePath, apiRateLimits, auditLogPath, loadBackendConfig } from './backend-config.js';

describe('backend configuration', () => {
  it('defaults to the embedded SQLite store on loopback', () => {
    const config = loadBackendConfig(undefined, {});
    expect(config.store).toEqual({ kind: 'sqlite', path: 'data/shaobing.db' });
    expect(config.api).toEqual({
      host: '127.0.0.1', port: 8080, tokens: [], anonymousRole: 'viewer', commandTimeoutMs: 10_000,
      rateLimit: { windowS: 60, perClient: 1200, commands: 30, authFailures: 10 },
    });
    expect(apiRateLimits(config)).toEqual({ windowMs: 60_000, perClient: 1200, commands: 30, authFailures: 10 });
    expect(auditLogPath(config)).toBe('data/audit.db');
    const strict = loadBackendConfig(undefined, {
      SB_API_ANONYMOUS_ROLE: 'none', SB_API_RATE_LIMIT: '300', SB_API_COMMAND_RATE_LIMIT: '5', SB_API_AUTH_FAILURE_LIMIT: '3',
      SB_API_RATE_LIMIT_WINDOW_S: '30', SB_API_AUDIT_PATH: '/var/lib/shaobing/audit.db',
    });
    expect(apiRateLimits(strict)).toEqual({ windowMs: 30_000, perClient: 300, commands: 5, authFailures: 3 });
    expect([strict.api.anonymousRole, auditLogPath(strict)]).toEqual(['none', '/var/lib/shaobing/audit.db']);
    expect(loadBackendConfig(undefined, { SB_API_ANONYMOUS_ROLE: 'technician' }).api.anonymousRole).toBe('technician');
    expect(config.snapshots).toEqual({ maxAgeDays: 30, maxBytes: 10 * 1024 ** 3, retentionIntervalS: 600 });
    expect(config.events).toEqual({ maxAgeDays: 90 });
    expect(config.alarms).toEqual({ maxAgeDays: 365 });
    expect(alarmStorePath(config)).toBe('data/alarms.db');
    const alarms = loadBackendConfig(undefined, { SB_ALARM_RULES: '/etc/shaobing/alarm-rules.yaml', SB_ALARM_STORE: '/var/lib/shaobing/alarms.db', SB_ALARM_MAX_AGE_DAYS: '730' });
    expect(alarms.alarms).toEqual({ rulesFile: '/etc/shaobing/alarm-rules.yaml', storePath: '/var/lib/shaobing/alarms.db', maxAgeDays: 730 });
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
  });

  it('a SQLite path alone selects the SQLite store', () => {
    expect(loadBackendConfig(undefined, { SB_SQLITE_PATH: '/var/lib/shaobing/site.db' }).store).toEqual({ kind: 'sqlite', path: '/var/lib/shaobing/site.db' });
  });

  it('environment overrides the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-config-'));
    const file = path.join(dir, 'backend.yaml');
    fs.writeFileSync(file, 'api:\n  port: 9000\nstore:\n  kind: influx\n  url: http://127.0.0.1:8086\n');
    const config = loadBackendConfig(file, { SB_API_PORT: '9100', SB_INFLUX_DB: 'tongjiang' });
    expect(config.api.port).toBe(9100);
    expect(config.store).toMatchObject({ kind: 'influx', url: 'http://127.0.0.1:8086', database: 'tongjiang' });
    fs.rmSync(dir, { recursive: true });
  });

  it.each([
    [{ SB_API_PORT: 'eighty' }, /SB_API_PORT="eighty": expected a number \(setting api.port\)/],
    [{ SB_API_PORT: '70000' }, /setting api.port \(SB_API_PORT\)/],
    [{ SB_STORE: 'mongo' }, /setting store.kind \(SB_STORE\)/],
    [{ SB_STORE: 'influx' }, /setting store.url \(SB_INFLUX_URL\)/],
    [{ SB_STORE: 'influx', SB_INFLUX_URL: 'not a url' }, /setting store.url \(SB_INFLUX_URL\): must be a URL/],
    [{ SB_MQTT_URL: 'http://x' }, /setting mqtt.url \(SB_MQTT_URL\)/],
    [{ SB_API_ANONYMOUS_ROLE: 'guest' }, /setting api.anonymousRole \(SB_API_ANONYMOUS_ROLE\)/],
    [{ SB_API_RATE_LIMIT: '-1' }, /setting api.rateLimit.perClient \(SB_API_RATE_LIMIT\)/],
    [{ SB_API_AUTH_FAILURE_LIMIT: 'many' }, /SB_API_AUTH_FAILURE_LIMIT="many": expected a number/],
    [{ SB_SNAPSHOT_MAX_BYTES: '1000' }, /setting snapshots.maxBytes \(SB_SNAPSHOT_MAX_BYTES\): at least 1 MiB/],
    [{ SB_SNAPSHOT_MAX_AGE_DAYS: '0' }, /setting snapshots.maxAgeDays \(SB_SNAPSHOT_MAX_AGE_DAYS\)/],
    [{ SB_ALARM_MAX_AGE_DAYS: '-1' }, /setting alarms.maxAgeDays \(SB_ALARM_MAX_AGE_DAYS\)/],
    [{ SB_EVENT_MAX_AGE_DAYS: 'forever' }, /SB_EVENT_MAX_AGE_DAYS="forever": expected a number/],
  ])('refuses %j naming the setting', (env, message) => {
    expect(() => loadBackendConfig(undefined, env)).toThrow(message);
  });

  it('names an unknown key in the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-config-'));
    const file = path.join(dir, 'backend.yaml');
    fs.writeFileSync(file, 'api:\n  prot: 9000\n');
    expect(() => loadBackendConfig(file, {})).toThrow(/in .*backend.yaml:\n {2}setting api: Unrecognized key: "prot"/);
    fs.rmSync(dir, { recursive: true });
  });
});
