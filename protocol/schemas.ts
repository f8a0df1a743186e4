// zod schemas of every v1 message (ARCHITECTURE.md, "Contract: MQTT topics and
// messages"), and their TypeScript types. Every payload is validated on receipt;
// these schemas are the single definition both the gateway and the backend use.
import { z } from 'zod';
import { ID_PATTERN } from './topics.js';

export const PROTOCOL_VERSION = 1;

/** Earliest sample time we accept: nothing was measured by Shaobing before 2000. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
/** Largest payload the backend accepts on a telemetry topic (bytes). */
export const MAX_TELEMETRY_BYTES = 256 * 1024;
export const MAX_SAMPLES_PER_MESSAGE = 1000;
export const MAX_FIELDS_PER_SAMPLE = 128;

export const idSchema = z.string().regex(ID_PATTERN, 'must be lowercase letters, digits or "-", 1–64 characters');

/** Field names become InfluxDB field keys and SQL values: keep them plain. `sb_` is ours. */
export const fieldNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'field names are lowercase letters, digits and "_", starting with a letter, ≤ 64 chars')
  .refine((name) => !name.startsWith('sb_'), 'field names starting with "sb_" are reserved')
  // InfluxDB refuses a field called "time" (it is the timestamp column in InfluxQL).
  .refine((name) => name !== 'time', 'the field name "time" is reserved');

export const measurementSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'measurement names are lowercase letters, digits and "_", starting with a letter');

export const profileNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'profile names are lowercase letters, digits, ".", "_" or "-"');

export const timestampSchema = z
  .number()
  .int('timestamps are integer milliseconds since the epoch')
  .min(MIN_TIMESTAMP_MS, 'timestamp is before 2000-01-01: milliseconds since the epoch expected');

export const qualitySchema = z.enum(['good', 'uncertain', 'bad']);

/** A reading is a finite number (zod 4 refuses NaN and ±Infinity) or a boolean (coils, alarm bits). */
export const readingValueSchema = z.union([z.number(), z.boolean()]);

export const sampleSchema = z.strictObject({
  ts: timestampSchema,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  values: z
    .record(fieldNameSchema, readingValueSchema)
    .refine((v) => Object.keys(v).length > 0, 'a sample needs at least one value')
    .refine((v) => Object.keys(v).length <= MAX_FIELDS_PER_SAMPLE, `a sample holds at most ${MAX_FIELDS_PER_SAMPLE} values`),
  quality: qualitySchema.optional(),
});

export const telemetrySchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  measurement: measurementSchema,
  profile: profileNameSchema,
  samples: z.array(sampleSchema).min(1, 'at least one sample').max(MAX_SAMPLES_PER_MESSAGE),
});

export const deviceHealthSchema = z.object({
  online: z.boolean(),
  pollsOk: z.number().int().min(0).optional(),
  pollsFailed: z.number().int().min(0).optional(),
  lastError: z.string().max(500).optional(),
});

export const statusSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  state: z.enum(['online', 'offline']),
  /** Absent in the last-will message, which is fixed when the gateway connects. */
  ts: timestampSchema.optional(),
  reason: z.string().max(500).optional(),
  version: z.string().max(64).optional(),
  uptimeS: z.number().min(0).optional(),
  configVersion: z.number().int().min(0).optional(),
  configError: z.string().max(2000).optional(),
  outboxDepth: z.number().int().min(0).optional(),
  devices: z.record(idSchema, deviceHealthSchema).optional(),
  memoryRssBytes: z.number().min(0).optional(),
  cpuPercent: z.number().min(0).optional(),
});

export const eventSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  ts: timestampSchema,
  /** e.g. device-online, device-offline, command-result, motion, tamper. */
  type: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
  message: z.string().max(2000).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** Where and how the gateway reaches one Modbus device. */
export const modbusTransportSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('tcp'), host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
]);

export const deviceConfigSchema = z.strictObject({
  id: idSchema,
  profile: profileNameSchema,
  transport: modbusTransportSchema,
  unit: z.number().int().min(0).max(255),
  pollIntervalMs: z.number().int().min(100).max(24 * 3600_000).default(5000),
  timeoutMs: z.number().int().min(50).max(60_000).default(1000),
});

/** Desired gateway configuration, retained on the gateway's `config` topic. */
export const configSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  version: z.number().int().min(1),
  devices: z.array(deviceConfigSchema),
});

/** Fields every command carries: its id (echoed in the command-result event) and when it was issued. */
const commandHead = { v: z.literal(PROTOCOL_VERSION), id: z.string().min(1).max(64), ts: timestampSchema };

export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...commandHead, type: z.literal('write'), device: idSchema, point: fieldNameSchema, value: readingValueSchema }),
  z.strictObject({ ...commandHead, type: z.literal('capture'), cameras: z.array(idSchema).optional(), reason: z.string().max(500).optional() }),
  z.strictObject({
    ...commandHead, type: z.literal('ptz'), camera: idSchema, action: z.enum(['move', 'stop', 'preset']),
    pan: z.number().min(-1).max(1).optional(), tilt: z.number().min(-1).max(1).optional(),
    zoom: z.number().min(-1).max(1).optional(), preset: z.string().max(64).optional(),
  }),
]);

export const alarmSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: z.string().min(1).max(128),
  ts: timestampSchema,
  site: idSchema,
  device: idSchema,
  rule: z.string().min(1).max(128),
  severity: z.enum(['info', 'warning', 'major', 'critical']),
  state: z.enum(['raised', 'acknowledged', 'cleared']),
  value: z.number().optional(),
  message: z.string().max(2000),
  by: z.string().max(128).optional(),
  note: z.string().max(2000).optional(),
});

export type Quality = z.infer<typeof qualitySchema>;
export type ReadingValue = z.infer<typeof readingValueSchema>;
export type Sample = z.infer<typeof sampleSchema>;
export type Telemetry = z.infer<typeof telemetrySchema>;
export type Status = z.infer<typeof statusSchema>;
export type DeviceHealth = z.infer<typeof deviceHealthSchema>;
export type GatewayEvent = z.infer<typeof eventSchema>;
export type ModbusTransport = z.infer<typeof modbusTransportSchema>;
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
export type DeviceConfigInput = z.input<typeof deviceConfigSchema>;
export type GatewayConfig = z.infer<typeof configSchema>;
export type Command = z.infer<typeof commandSchema>;
export type Alarm = z.infer<typeof alarmSchema>;
