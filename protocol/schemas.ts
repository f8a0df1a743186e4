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

/**
 * Health of one camera, as the gateway sees it. The states are distinct because each needs a
 * different fix on site: `unreachable` (power, cable, IP), `auth-failed` (credentials),
 * `snapshot-failing` (ONVIF answers but the image endpoint does not), `starting` (not yet checked).
 */
export const cameraStateSchema = z.enum(['starting', 'online', 'auth-failed', 'unreachable', 'snapshot-failing']);

export const cameraProfileSchema = z.object({
  token: z.string().max(128),
  name: z.string().max(128).optional(),
  encoding: z.string().max(32).optional(),
  width: z.number().int().min(0).optional(),
  height: z.number().int().min(0).optional(),
});

export const cameraHealthSchema = z.object({
  state: cameraStateSchema,
  /** When the camera entered this state. */
  since: timestampSchema.optional(),
  lastError: z.string().max(500).optional(),
  /** The ONVIF device service address the gateway uses. */
  xaddr: z.string().max(500).optional(),
  manufacturer: z.string().max(128).optional(),
  model: z.string().max(128).optional(),
  firmware: z.string().max(128).optional(),
  serial: z.string().max(128).optional(),
  hardwareId: z.string().max(128).optional(),
  profiles: z.array(cameraProfileSchema).max(32).optional(),
  /** RTSP address of the profile in use. Sensitive: the API shows it only to roles allowed to watch video. */
  streamUri: z.string().max(1000).optional(),
  ptz: z.boolean().optional(),
  /** Sensor devices whose alarms this camera documents (alarm-linked capture). */
  linkedDevices: z.array(idSchema).max(256).optional(),
  lastSnapshotTs: timestampSchema.optional(),
  snapshotsOk: z.number().int().min(0).optional(),
  snapshotsFailed: z.number().int().min(0).optional(),
});

export const statusSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  state: z.enum(['online', 'offline']),
  /** Absent in the last-will message, which is fixed when the gateway connects. */
  ts: timestampSchema.optional(),
  reason: z.string().max(500).optional(),
  version: z.string().max(64).optional(),
  uptimeS: z.number().min(0).optional(),
  /** Version of the remote config running (0: the gateway's own file). */
  configVersion: z.number().int().min(0).optional(),
  /** Why the last remote config was refused; absent once a newer one is applied. */
  configError: z.string().max(2000).optional(),
  /** Readings and events stored on the gateway, not yet acknowledged by the broker. */
  outboxDepth: z.number().int().min(0).optional(),
  outboxBytes: z.number().int().min(0).optional(),
  /** Age of the oldest entry in the outbox, seconds. */
  outboxOldestAgeS: z.number().min(0).optional(),
  /** Entries dropped unsent since the outbox was created (oldest first when full or expired). */
  outboxDropped: z.number().int().min(0).optional(),
  outboxDroppedByCause: z
    .object({ age: z.number().int().min(0), size: z.number().int().min(0), diskFull: z.number().int().min(0), refused: z.number().int().min(0) })
    .partial()
    .optional(),
  /** A storage problem in force on the gateway (disk full, I/O error). */
  outboxError: z.string().max(500).optional(),
  /**
   * The gateway's disk filled: its outbox released its reserve and keeps to the space it has,
   * dropping the oldest entries to take new ones (counted as diskFull). Absent when not.
   */
  outboxLowDisk: z.literal(true).optional(),
  /** Last sample sequence number taken: with the stored seqs it shows what has not arrived yet. */
  lastSeq: z.number().int().min(0).optional(),
  devicesOnline: z.number().int().min(0).optional(),
  devicesOffline: z.number().int().min(0).optional(),
  devices: z.record(idSchema, deviceHealthSchema).optional(),
  cameras: z.record(idSchema, cameraHealthSchema).optional(),
  memoryRssBytes: z.number().min(0).optional(),
  /** CPU time of the gateway process over the last status interval, % of one core. */
  cpuPercent: z.number().min(0).optional(),
});

export const eventSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  ts: timestampSchema,
  /**
   * device-online, device-offline, command-result; for cameras: camera-online, camera-auth-failed,
   * camera-unreachable, camera-snapshot-failing (health changes), motion and tamper (ONVIF events,
   * `data.active` true when it starts and false when it ends).
   */
  type: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
  message: z.string().max(2000).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** `data` of a `command-result` event: which command, whether it worked, and how long it took. */
export const commandResultDataSchema = z.object({
  /** The command's id; null when the command was too malformed to carry one. */
  id: z.string().max(64).nullable(),
  /** The command's type when known (write, capture, ptz). */
  command: z.string().max(64).optional(),
  ok: z.boolean(),
  /** Why it failed or was refused. */
  error: z.string().max(2000).optional(),
  durationMs: z.number().min(0),
});

const hostSchema = z.string().min(1, 'host must not be empty').max(253);
const portSchema = z.number().int().min(1).max(65535);

/** Baud rates RS-485 devices offer; anything else is almost always a typo (9800 for 9600). */
export const BAUD_RATES = [1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200] as const;

/**
 * Silence the gateway keeps on a bus between the end of one transaction and the next request.
 * RTU needs at least 3.5 character times between frames (modbus-client-link.ts adds that by
 * itself); slow RS-485 transceivers and some converters need more. Default 0: only the minimum.
 */
const interRequestDelayMs = z.number().int().min(0).max(10_000).default(0);

/**
 * Where and how the gateway reaches one Modbus device. Devices with the same serial `path`, or
 * the same `host:port`, share one bus: one request at a time, so they must agree on these fields.
 */
export const modbusTransportSchema = z.discriminatedUnion('kind', [
  /** Modbus TCP (MBAP framing): a device, or a TCP gateway with RS-485 units behind it. */
  z.strictObject({ kind: z.literal('tcp'), host: hostSchema, port: portSchema.default(502), interRequestDelayMs }),
  /** Modbus RTU on a local serial port (RS-485 adapter), e.g. /dev/ttyUSB0 or /dev/serial/by-id/…. */
  z.strictObject({
    kind: z.literal('rtu'),
    path: z.string().min(1, 'path of the serial device, e.g. /dev/ttyUSB0'),
    baudRate: z
      .number()
      .int()
      .refine((b) => (BAUD_RATES as readonly number[]).includes(b), `baudRate must be one of ${BAUD_RATES.join(', ')}`)
      .default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    interRequestDelayMs,
  }),
  /** RTU frames (with CRC, no MBAP header) through a TCP serial server ("transparent" mode). */
  z.strictObject({ kind: z.literal('rtu-over-tcp'), host: hostSchema, port: portSchema, interRequestDelayMs }),
]);

export const deviceConfigSchema = z
  .strictObject({
    id: idSchema,
    profile: profileNameSchema,
    transport: modbusTransportSchema,
    /** Modbus unit (slave) id. RTU: 1–247. TCP: 0–255 (many TCP devices ignore it; 255 is common). */
    unit: z.number().int().min(0).max(255),
    pollIntervalMs: z.number().int().min(100).max(24 * 3600_000).default(5000),
    /** Per request: how long to wait for an answer. */
    timeoutMs: z.number().int().min(50).max(60_000).default(1000),
    /** Extra attempts after a failed poll (timeout, damaged frame, busy), spread out so other devices go first. */
    retries: z.number().int().min(0).max(5).default(1),
    /** First retry this long after the failure, doubling for each further retry. */
    retryDelayMs: z.number().int().min(0).max(60_000).default(100),
    /** How often an offline device is probed (one request, no retries) until it answers again. */
    offlinePollIntervalMs: z.number().int().min(1000).max(24 * 3600_000).default(30_000),
    /** Registers per read request (≤ 125); some devices refuse long reads. */
    maxRegistersPerRequest: z.number().int().min(1).max(125).default(125),
    /** Bits per coil/discrete read request (≤ 2000). */
    maxBitsPerRequest: z.number().int().min(1).max(2000).default(2000),
    /**
     * Unused registers one request may read through to join points (0: only adjacent points).
     * If the device refuses such a read (illegal data address), the gateway splits it by itself.
     */
    maxGapRegisters: z.number().int().min(0).max(124).default(0),
    maxGapBits: z.number().int().min(0).max(1999).default(0),
  })
  .superRefine((device, ctx) => {
    if (device.transport.kind !== 'tcp' && (device.unit < 1 || device.unit > 247)) {
      ctx.addIssue({ code: 'custom', path: ['unit'], message: 'an RTU unit id is 1–247 (0 is broadcast, nobody answers it; 248–255 are reserved)' });
    }
  });

const CAMERA_MIB = 1024 * 1024;
const CAMERA_DAY_MS = 86_400_000;
/**
 * snapshot.ts's MAX_SNAPSHOT_IMAGE_BYTES, written out because snapshot.ts imports this module
 * (importing it back would evaluate snapshot.ts first, before our exports exist).
 * schemas.test.ts checks the two agree.
 */
export const MAX_CAMERA_SNAPSHOT_BYTES = 2 * CAMERA_MIB;

/**
 * How a camera without a fixed address is found by WS-Discovery: by the name or hardware scope
 * it announces (`onvif://www.onvif.org/name/…`), or by its endpoint URN (stable across IP changes).
 */
export const discoverMatchSchema = z
  .strictObject({
    name: z.string().min(1).max(128).optional(),
    hardware: z.string().min(1).max(128).optional(),
    urn: z.string().min(1).max(256).optional(),
  })
  .refine((match) => match.name !== undefined || match.hardware !== undefined || match.urn !== undefined, 'give at least one of name, hardware, urn');

/**
 * One ONVIF camera of a gateway: the same entry in the gateway's own file (`cameras`) and in a
 * remote config. It holds the camera's password, so a remote config is as sensitive as the
 * gateway file (docs/SECURITY.md).
 */
export const cameraConfigSchema = z
  .strictObject({
    id: idSchema,
    /** The ONVIF device service, e.g. http://10.0.0.5/onvif/device_service. */
    xaddr: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://10.0.0.5/onvif/device_service' }).optional(),
    /** Found by WS-Discovery instead of a fixed xaddr. */
    discover: discoverMatchSchema.optional(),
    /** An ONVIF user on the camera (not necessarily its web admin). */
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(128),
    /** Media profile: its token, or its index in the camera's list; default the first. */
    profile: z.union([z.string().min(1).max(64), z.number().int().min(0).max(31)]).optional(),
    /** Scheduled snapshots; 0 turns them off (alarm and command captures still work). */
    snapshotIntervalMs: z.number().int().refine((ms) => ms === 0 || (ms >= 100 && ms <= CAMERA_DAY_MS), 'must be 0 (none) or 100 ms – 24 h').default(300_000),
    /** Larger images are refused (the backend takes at most MAX_SNAPSHOT_IMAGE_BYTES). */
    maxSnapshotBytes: z.number().int().min(1024).max(MAX_CAMERA_SNAPSHOT_BYTES).default(CAMERA_MIB),
    /** How often the camera is checked with an authenticated ONVIF call. */
    healthIntervalMs: z.number().int().min(100).max(CAMERA_DAY_MS).default(30_000),
    /** Per ONVIF request and per snapshot download. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Consecutive failed snapshots (while ONVIF answers) before the camera is `snapshot-failing`. */
    snapshotFailuresBeforeAlert: z.number().int().min(1).max(100).default(3),
    /** Sensor devices whose alarms this camera documents (capture commands with `device`). */
    linkedDevices: z.array(idSchema).max(256).default([]),
    /** Subscribe to the camera's motion and tamper events (ONVIF PullPoint). */
    events: z.boolean().default(true),
    /** Take a snapshot (trigger `motion`) when motion starts. */
    snapshotOnMotion: z.boolean().default(false),
  })
  .superRefine((camera, ctx) => {
    if ((camera.xaddr === undefined) === (camera.discover === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['xaddr'], message: 'give exactly one of xaddr (fixed address) and discover (found by WS-Discovery)' });
    }
  });

export const MAX_CAMERAS_PER_GATEWAY = 64;

export interface CameraListIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * Problems across a camera list and the device ids beside it: duplicate camera ids, a camera
 * named like a device (both publish on `event/{id}`: one name must mean one thing), and, with
 * `linkedMustExist`, a linked device that is not in the list (a typo would silently fall back
 * to photographing the whole site on that device's alarms). Pure; paths start at `cameras`.
 */
export function cameraListIssues(
  cameras: ReadonlyArray<{ id: string; linkedDevices?: readonly string[] | undefined }>,
  deviceIds: readonly string[],
  { linkedMustExist }: { linkedMustExist: boolean },
): CameraListIssue[] {
  const issues: CameraListIssue[] = [];
  const seen = new Set<string>();
  const devices = new Set(deviceIds);
  cameras.forEach((camera, index) => {
    if (seen.has(camera.id)) issues.push({ path: ['cameras', index, 'id'], message: `duplicate camera id "${camera.id}"` });
    if (devices.has(camera.id)) issues.push({ path: ['cameras', index, 'id'], message: `camera id "${camera.id}" is also a device id` });
    seen.add(camera.id);
    if (!linkedMustExist) return;
    (camera.linkedDevices ?? []).forEach((device, linkIndex) => {
      if (!devices.has(device)) {
        issues.push({ path: ['cameras', index, 'linkedDevices', linkIndex], message: `camera "${camera.id}" is linked to device "${device}", which this config does not have` });
      }
    });
  });
  return issues;
}

/**
 * Desired gateway configuration, retained on the gateway's `config` topic. `cameras` absent:
 * the gateway runs the cameras of its own file (what every v1 config before cameras meant);
 * present, even empty, it replaces them.
 */
export const configSchema = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    version: z.number().int().min(1),
    devices: z.array(deviceConfigSchema),
    cameras: z.array(cameraConfigSchema).max(MAX_CAMERAS_PER_GATEWAY).optional(),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.devices.forEach((device, index) => {
      if (seen.has(device.id)) ctx.addIssue({ code: 'custom', path: ['devices', index, 'id'], message: `duplicate device id "${device.id}"` });
      seen.add(device.id);
    });
    if (config.cameras === undefined) return;
    for (const issue of cameraListIssues(config.cameras, config.devices.map((device) => device.id), { linkedMustExist: true })) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
  });

/** Fields every command carries: its id (echoed in the command-result event) and when it was issued. */
const commandHead = { v: z.literal(PROTOCOL_VERSION), id: z.string().min(1).max(64), ts: timestampSchema };

export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...commandHead, type: z.literal('write'), device: idSchema, point: fieldNameSchema, value: readingValueSchema }),
  /**
   * Snapshot now. Which cameras: `cameras` if given; else those linked to `device` (a sensor that
   * raised an alarm), falling back to every camera of the gateway (the site) when none is linked
   * to it; else every camera. `alarmId` ties the images to the alarm they document.
   */
  z.strictObject({
    ...commandHead, type: z.literal('capture'), cameras: z.array(idSchema).min(1).max(64).optional(),
    device: idSchema.optional(), alarmId: z.string().min(1).max(128).optional(), reason: z.string().max(500).optional(),
  }),
  /**
   * Pan/tilt/zoom. `move`: continuous move at the given speeds (−1…1) for `timeoutMs` (the camera
   * stops by itself, so a lost `stop` cannot leave it turning); `stop`; `preset`: go to a preset token.
   */
  z.strictObject({
    ...commandHead, type: z.literal('ptz'), camera: idSchema, action: z.enum(['move', 'stop', 'preset']),
    pan: z.number().min(-1).max(1).optional(), tilt: z.number().min(-1).max(1).optional(),
    zoom: z.number().min(-1).max(1).optional(), preset: z.string().min(1).max(64).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).optional(),
  }).superRefine((command, ctx) => {
    if (command.action === 'move' && command.pan === undefined && command.tilt === undefined && command.zoom === undefined) {
      ctx.addIssue({ code: 'custom', path: ['pan'], message: 'a move needs at least one of pan, tilt, zoom' });
    }
    if (command.action === 'preset' && command.preset === undefined) {
      ctx.addIssue({ code: 'custom', path: ['preset'], message: 'a preset move needs the preset token' });
    }
  }),
]);

export const alarmSeveritySchema = z.enum(['info', 'warning', 'major', 'critical']);
export const alarmStateSchema = z.enum(['raised', 'acknowledged', 'cleared']);

/**
 * An alarm's state change, on `sb/v1/alarm/{site}/{device}`. Ingest publishes `raised`
 * (also when the severity changes while active: same id, new severity) and `cleared`; the API
 * publishes `acknowledged` (with `by` and `note`), which ingest records.
 */
export const alarmSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  /** Stable for one alarm from raise to clear. */
  id: z.string().min(1).max(128),
  /** When this change happened (for a raise: the time of the reading that raised it). */
  ts: timestampSchema,
  site: idSchema,
  /** The sensor device; for a gateway-offline alarm the gateway id. */
  device: idSchema,
  gateway: idSchema.optional(),
  /** The rule's id, e.g. `water-level` or `gas-lel`. */
  rule: z.string().min(1).max(128),
  /** The reading field the rule watches, when it watches one. */
  field: fieldNameSchema.optional(),
  /** The rule kind: threshold, rate-of-rise, accumulation, stale, device-offline, gateway-offline. */
  kind: z.string().max(64).optional(),
  severity: alarmSeveritySchema,
  /** The level's name as staff know it (e.g. "warning level", "guarantee level", "25 %LEL"). */
  level: z.string().max(128).optional(),
  state: alarmStateSchema,
  value: z.number().optional(),
  threshold: z.number().optional(),
  unit: z.string().max(32).optional(),
  message: z.string().max(2000),
  /** When the alarm was first raised (kept through acknowledge and clear). */
  raisedAt: timestampSchema.optional(),
  /** When ingest received the reading that caused this change (for the latency metric). */
  receivedAt: timestampSchema.optional(),
  by: z.string().max(128).optional(),
  note: z.string().max(2000).optional(),
});

export type Quality = z.infer<typeof qualitySchema>;
export type ReadingValue = z.infer<typeof readingValueSchema>;
export type Sample = z.infer<typeof sampleSchema>;
export type Telemetry = z.infer<typeof telemetrySchema>;
export type Status = z.infer<typeof statusSchema>;
export type DeviceHealth = z.infer<typeof deviceHealthSchema>;
export type CameraState = z.infer<typeof cameraStateSchema>;
export type CameraProfile = z.infer<typeof cameraProfileSchema>;
export type CameraHealth = z.infer<typeof cameraHealthSchema>;
export type GatewayEvent = z.infer<typeof eventSchema>;
export type CommandResultData = z.infer<typeof commandResultDataSchema>;
export type ModbusTransport = z.infer<typeof modbusTransportSchema>;
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
export type DeviceConfigInput = z.input<typeof deviceConfigSchema>;
export type GatewayConfig = z.infer<typeof configSchema>;
export type GatewayConfigInput = z.input<typeof configSchema>;
export type CameraConfig = z.infer<typeof cameraConfigSchema>;
export type CameraConfigInput = z.input<typeof cameraConfigSchema>;
export type DiscoverMatch = z.infer<typeof discoverMatchSchema>;
export type Command = z.infer<typeof commandSchema>;
export type Alarm = z.infer<typeof alarmSchema>;
export type AlarmSeverity = z.infer<typeof alarmSeveritySchema>;
export type AlarmState = z.infer<typeof alarmStateSchema>;
