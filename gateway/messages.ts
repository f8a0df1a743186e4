// Building the gateway's outgoing MQTT payloads (telemetry, device events, status with its
// self-stats, camera health) in the protocol v1 shapes. Pure: the caller supplies times, sequence
// numbers and health.
import { PROTOCOL_VERSION, type CameraHealth, type DeviceHealth, type GatewayEvent, type Sample, type Status, type Telemetry } from '../protocol/index.js';

export interface ReadValues {
  values: Record<string, number | boolean | string>;
  /** Some points could not be read (Modbus exception): the sample is incomplete. */
  incomplete: boolean;
}

/**
 * One sample from the values a poll produced. Non-finite numbers (a float32 NaN a sensor
 * reports while warming up, ±Infinity) cannot travel in JSON or pass the schema: they are
 * left out and the sample is marked `uncertain`. Nothing left: no sample, and no sequence
 * number is used up (`nextSeq` is only called for a sample that will be sent).
 */
export function buildSample(read: ReadValues, ts: number, nextSeq: () => number): Sample | undefined {
  const values: Record<string, number | boolean> = {};
  let dropped = false;
  for (const [name, value] of Object.entries(read.values)) {
    // Text points (serial numbers, firmware versions) are device metadata, not readings:
    // telemetry v1 carries numbers and booleans only, so they stay out of samples.
    if (typeof value === 'string') continue;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      dropped = true;
      continue;
    }
    values[name] = value;
  }
  if (Object.keys(values).length === 0) return undefined;
  return { ts, seq: nextSeq(), values, quality: dropped || read.incomplete ? 'uncertain' : 'good' };
}

export function buildTelemetry(profile: { name: string; measurement: string }, samples: Sample[]): Telemetry {
  return { v: PROTOCOL_VERSION, measurement: profile.measurement, profile: profile.name, samples };
}

export type DeviceEventType = 'device-online' | 'device-offline';

export function buildDeviceEvent(type: DeviceEventType, ts: number, message: string, data: Record<string, unknown>): GatewayEvent {
  return { v: PROTOCOL_VERSION, ts, type, message: message.slice(0, 2000), data };
}

/** What the outbox reports in the status (outbox.ts OutboxStats, trimmed to the protocol). */
export interface OutboxFacts {
  depth: number;
  bytes: number;
  oldestAgeMs: number | undefined;
  dropped: Record<'age' | 'size' | 'diskFull' | 'refused', number>;
  droppedTotal: number;
  storageError: string | undefined;
  lowDisk?: boolean;
}

export interface StatusFacts {
  ts: number;
  startedAt: number;
  version?: string;
  devices: Record<string, DeviceHealth>;
  /** Absent on a gateway without cameras (the status then has no `cameras` map). */
  cameras?: Record<string, CameraHealth>;
  memoryRssBytes?: number;
  cpuPercent?: number;
  config?: { version: number; error?: string };
  outbox?: OutboxFacts;
  lastSeq?: number;
}

export function buildOnlineStatus(facts: StatusFacts): Status {
  const health = Object.values(facts.devices);
  const online = health.filter((d) => d.online).length;
  const { outbox, config } = facts;
  return {
    v: PROTOCOL_VERSION,
    state: 'online',
    ts: facts.ts,
    ...(facts.version !== undefined ? { version: facts.version } : {}),
    uptimeS: Math.max(0, Math.round((facts.ts - facts.startedAt) / 1000)),
    ...(config ? { configVersion: config.version, ...(config.error !== undefined ? { configError: config.error.slice(0, 2000) } : {}) } : {}),
    ...(outbox
      ? {
        outboxDepth: outbox.depth,
        outboxBytes: outbox.bytes,
        ...(outbox.oldestAgeMs !== undefined ? { outboxOldestAgeS: Math.round(outbox.oldestAgeMs / 100) / 10 } : {}),
        outboxDropped: outbox.droppedTotal,
        outboxDroppedByCause: { ...outbox.dropped },
        ...(outbox.storageError !== undefined ? { outboxError: outbox.storageError.slice(0, 500) } : {}),
        ...(outbox.lowDisk === true ? { outboxLowDisk: true as const } : {}),
      }
      : {}),
    ...(facts.lastSeq !== undefined ? { lastSeq: facts.lastSeq } : {}),
    devicesOnline: online,
    devicesOffline: health.length - online,
    devices: facts.devices,
    ...(facts.cameras !== undefined ? { cameras: facts.cameras } : {}),
    ...(facts.memoryRssBytes !== undefined ? { memoryRssBytes: facts.memoryRssBytes } : {}),
    ...(facts.cpuPercent !== undefined ? { cpuPercent: facts.cpuPercent } : {}),
  };
}

/** The last will, fixed at connect time: no timestamp, since nobody knows when it will fire. */
export function buildWillStatus(): Status {
  return { v: PROTOCOL_VERSION, state: 'offline', reason: 'connection lost' };
}

export function buildStoppedStatus(ts: number, reason: string): Status {
  return { v: PROTOCOL_VERSION, state: 'offline', ts, reason: reason.slice(0, 500) };
}
