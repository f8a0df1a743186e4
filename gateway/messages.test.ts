// Outgoing payloads match the protocol v1 schemas, and samples leave out what JSON cannot carry.
import { describe, expect, it } from 'vitest';
import { eventSchema, statusSchema, telemetrySchema } from '../protocol/index.js';
import { buildDeviceEvent, buildOnlineStatus, buildSample, buildStoppedStatus, buildTelemetry, buildWillStatus } from './messages.js';

const TS = Date.UTC(2026, 0, 15, 21, 0, 0);

describe('buildSample', () => {
  it('builds a good sample and uses one sequence number', () => {
    let seq = 41;
    const sample = buildSample({ values: { temperature: -22.4, humidity: 81.3 }, incomplete: false }, TS, () => ++seq);
    expect(sample).toEqual({ ts: TS, seq: 42, values: { temperature: -22.4, humidity: 81.3 }, quality: 'good' });
    expect(telemetrySchema.parse(buildTelemetry({ name: 'th-transmitter', measurement: 'weather' }, [sample!]))).toBeTruthy();
  });

  it('leaves out NaN and infinities and marks the sample uncertain', () => {
    const sample = buildSample({ values: { voltage: NaN, current: Infinity, ok: true, power: 1.5 }, incomplete: false }, TS, () => 1);
    expect(sample).toEqual({ ts: TS, seq: 1, values: { ok: true, power: 1.5 }, quality: 'uncertain' });
    expect(telemetrySchema.safeParse(buildTelemetry({ name: 'x', measurement: 'energy' }, [sample!])).success).toBe(true);
  });

  it('keeps text points (serial numbers) out of telemetry, which carries numbers and booleans only', () => {
    const sample = buildSample({ values: { serial: 'TJ-0042', level: 3.41 }, incomplete: false }, TS, () => 1);
    expect(sample).toEqual({ ts: TS, seq: 1, values: { level: 3.41 }, quality: 'good' });
  });

  it('marks an incomplete read uncertain', () => {
    expect(buildSample({ values: { pm25: 35 }, incomplete: true }, TS, () => 1)?.quality).toBe('uncertain');
  });

  it('gives no sample, and spends no sequence number, when nothing is left', () => {
    let calls = 0;
    expect(buildSample({ values: { voltage: NaN }, incomplete: false }, TS, () => ++calls)).toBeUndefined();
    expect(calls).toBe(0);
  });
});

describe('events and status', () => {
  it('device events match the event schema', () => {
    const event = buildDeviceEvent('device-offline', TS, 'th-1 is not answering', { error: 'ECONNREFUSED', consecutiveFailures: 3 });
    expect(eventSchema.parse(event)).toEqual({ v: 1, ts: TS, type: 'device-offline', message: 'th-1 is not answering', data: { error: 'ECONNREFUSED', consecutiveFailures: 3 } });
  });

  it('online status carries uptime and device health', () => {
    const status = buildOnlineStatus({ ts: TS + 90_500, startedAt: TS, version: '0.1.0', devices: { 'th-1': { online: true, pollsOk: 3, pollsFailed: 0 } }, memoryRssBytes: 1e8 });
    expect(statusSchema.parse(status)).toMatchObject({ state: 'online', uptimeS: 91, devices: { 'th-1': { online: true } } });
  });

  it('online status carries the cameras when the gateway has some', () => {
    const camera = {
      state: 'unreachable' as const, since: TS - 5000, lastError: 'health check: Network Error: connect ECONNREFUSED 10.0.0.5:80',
      xaddr: 'http://10.0.0.5/onvif/device_service', manufacturer: 'Hikvision', model: 'DS-2DE4425IW-DE', ptz: true,
      profiles: [{ token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 2560, height: 1440 }],
      linkedDevices: ['level-1'], lastSnapshotTs: TS - 60_000, snapshotsOk: 12, snapshotsFailed: 1,
    };
    const status = buildOnlineStatus({ ts: TS, startedAt: TS, devices: {}, cameras: { 'cam-bridge': camera } });
    expect(statusSchema.parse(status).cameras).toEqual({ 'cam-bridge': camera });
    expect(buildOnlineStatus({ ts: TS, startedAt: TS, devices: {} })).not.toHaveProperty('cameras');
  });

  it('online status carries the config version and error, the outbox and the self-stats', () => {
    const status = buildOnlineStatus({
      ts: TS, startedAt: TS - 3_600_000, version: '0.1.0',
      devices: { 'th-1': { online: true, pollsOk: 3, pollsFailed: 0 }, 'pm-1': { online: false, pollsOk: 0, pollsFailed: 4, lastError: 'timed out' } },
      memoryRssBytes: 5e7, cpuPercent: 1.5, lastSeq: 1042,
      config: { version: 3, error: 'config version 4 refused: devices.0 (x-1): unknown profile "x"' },
      outbox: { depth: 120, bytes: 24_000, oldestAgeMs: 61_234, dropped: { age: 0, size: 7, diskFull: 0, refused: 0 }, droppedTotal: 7, storageError: undefined },
    });
    expect(statusSchema.parse(status)).toEqual({
      v: 1, state: 'online', ts: TS, version: '0.1.0', uptimeS: 3600,
      configVersion: 3, configError: 'config version 4 refused: devices.0 (x-1): unknown profile "x"',
      outboxDepth: 120, outboxBytes: 24_000, outboxOldestAgeS: 61.2, outboxDropped: 7,
      outboxDroppedByCause: { age: 0, size: 7, diskFull: 0, refused: 0 },
      lastSeq: 1042, devicesOnline: 1, devicesOffline: 1,
      devices: status.devices, memoryRssBytes: 5e7, cpuPercent: 1.5,
    });
  });

  it('a full disk shows in the status: the storage error, if any, and low-disk mode', () => {
    const outbox = { depth: 5000, bytes: 900_000, oldestAgeMs: 1000, dropped: { age: 0, size: 0, diskFull: 812, refused: 0 }, droppedTotal: 812 };
    const low = statusSchema.parse(buildOnlineStatus({ ts: TS, startedAt: TS, devices: {}, outbox: { ...outbox, storageError: undefined, lowDisk: true } }));
    expect(low).toMatchObject({ outboxLowDisk: true, outboxDroppedByCause: { diskFull: 812 } });
    expect(low).not.toHaveProperty('outboxError');
    const refusing = statusSchema.parse(buildOnlineStatus({ ts: TS, startedAt: TS, devices: {}, outbox: { ...outbox, storageError: 'disk full: database or disk is full', lowDisk: false } }));
    expect(refusing).toMatchObject({ outboxError: 'disk full: database or disk is full' });
    expect(refusing).not.toHaveProperty('outboxLowDisk');
  });

  it('the last will has no time; the stopped status has one', () => {
    expect(statusSchema.parse(buildWillStatus())).toEqual({ v: 1, state: 'offline', reason: 'connection lost' });
    expect(statusSchema.parse(buildStoppedStatus(TS, 'gateway stopped'))).toEqual({ v: 1, state: 'offline', ts: TS, reason: 'gateway stopped' });
  });
});
