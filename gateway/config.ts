// The gateway's start-up configuration (YAML/JSON file), validated with zod: which site and
// gateway it is, how it reaches the broker, where it keeps local state (outbox, applied remote
// config), the bounds of its outbox, which Modbus devices it polls until a remote config
// supersedes them, and its ONVIF cameras (gateway/cameras/settings.ts).
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { deviceConfigSchema, describeIssues, idSchema, MAX_SAMPLES_PER_MESSAGE, MAX_TELEMETRY_BYTES } from '../protocol/index.js';
import { mqttTlsFileSettings, mqttTlsProblem } from '../lib/mqtt-tls.js';
import { cameraDiscoverySettingsSchema, cameraSettingsSchema, checkCameraList } from './cameras/settings.js';

export const mqttSettingsSchema = z.strictObject({
  url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'must be a broker URL such as mqtt://host:1883'),
  username: z.string().min(1),
  password: z.string().min(1),
  /** Defaults to `sb-gw-{site}-{gateway}`, so a second copy of a gateway takes over the session. */
  clientId: z.string().min(1).max(128).optional(),
  keepaliveS: z.number().int().min(5).max(3600).default(30),
  reconnectPeriodMs: z.number().int().min(100).max(600_000).default(2000),
  /** mqtts:// only: the site CA (`shaobing pki init`), and the gateway's certificate for mutual TLS. */
  ...mqttTlsFileSettings,
}).superRefine((mqtt, ctx) => {
  const problem = mqttTlsProblem(mqtt.url, mqtt);
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.setting], message: problem.message });
});

const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;

/** Store-and-forward bounds (gateway/outbox.ts). */
export const outboxSettingsSchema = z.strictObject({
  /** Stored bytes (payloads + a per-row estimate) before the oldest entries are dropped. */
  maxBytes: z.number().int().min(64 * 1024).max(64 * 1024 * MIB).default(256 * MIB),
  /** Entries older than this are dropped. */
  maxAgeMs: z.number().int().min(60_000).max(365 * DAY_MS).default(7 * DAY_MS),
  /** Messages published and awaiting the broker's PUBACK. */
  window: z.number().int().min(1).max(1000).default(64),
  /** Samples of one device per telemetry message when a backlog is sent. */
  maxSamplesPerMessage: z.number().int().min(1).max(MAX_SAMPLES_PER_MESSAGE).default(MAX_SAMPLES_PER_MESSAGE),
  /** Payload bytes per telemetry message (below ingest's limit). */
  maxMessageBytes: z.number().int().min(4096).max(MAX_TELEMETRY_BYTES).default(MAX_TELEMETRY_BYTES - 16 * 1024),
  /** Bytes of camera snapshots the outbox keeps within maxBytes; past it the oldest snapshots go, never readings. */
  maxSnapshotBytes: z.number().int().min(0).max(64 * 1024 * MIB).default(64 * MIB),
  /** `full`: fsync every commit (survives a power cut); `normal`: survives a killed process and a clean reboot, faster on slow flash. */
  synchronous: z.enum(['full', 'normal']).default('full'),
  /**
   * Disk space held in a spare file next to the outbox and given back when the disk fills, so
   * the outbox can still drop its oldest rows and keep the newest (0: no reserve).
   */
  diskReserveBytes: z.number().int().min(0).max(1024 * MIB).default(8 * MIB),
  /** On stop, how long to wait for the outbox to empty while the uplink is up (the rest waits on disk). */
  drainOnStopMs: z.number().int().min(0).max(60_000).default(2000),
});

export const commandSettingsSchema = z.strictObject({
  /** Commands issued longer ago than this (their `ts`) are refused as expired. */
  maxAgeMs: z.number().int().min(1000).max(DAY_MS).default(300_000),
});

export const gatewaySettingsSchema = z
  .strictObject({
    site: idSchema,
    gateway: idSchema,
    mqtt: mqttSettingsSchema,
    /** Device profile library; defaults to the package's device-profiles/. */
    profilesDir: z.string().min(1).optional(),
    /**
     * Local state: the outbox (outbox.db) and the last applied remote config. Without it the
     * outbox lives in memory (in-process demos and tests); `shaobing gateway` always sets one.
     */
    dataDir: z.string().min(1).optional(),
    /** The devices polled until a remote config is applied; that one then supersedes this list. */
    devices: z.array(deviceConfigSchema).default([]),
    outbox: outboxSettingsSchema.default(() => outboxSettingsSchema.parse({})),
    commands: commandSettingsSchema.default(() => commandSettingsSchema.parse({})),
    /** How often the retained online status is refreshed (it is also sent on every connect). */
    statusIntervalMs: z.number().int().min(100).max(24 * 3600_000).default(30_000),
    /** Consecutive failed polls before a device-offline event. */
    offlineAfterFailures: z.number().int().min(1).max(1000).default(3),
    /** ONVIF cameras (docs/cameras.md). */
    cameras: z.array(cameraSettingsSchema).max(64).default([]),
    /** Where and how often cameras configured with `discover` are looked for. */
    cameraDiscovery: cameraDiscoverySettingsSchema.default(() => cameraDiscoverySettingsSchema.parse({})),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.devices.forEach((device, index) => {
      if (seen.has(device.id)) ctx.addIssue({ code: 'custom', path: ['devices', index, 'id'], message: `duplicate device id "${device.id}"` });
      seen.add(device.id);
    });
    checkCameraList(config.cameras, config.devices.map((device) => device.id), (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  });

export type GatewaySettings = z.infer<typeof gatewaySettingsSchema>;
export type GatewaySettingsInput = z.input<typeof gatewaySettingsSchema>;

export class GatewayConfigError extends Error {
  constructor(readonly source: string, detail: string) {
    super(`${source}: ${detail}`);
    this.name = 'GatewayConfigError';
  }
}

/** Validates parsed settings; the error names the setting (`devices.0.unit: …`). */
export function parseGatewaySettings(raw: unknown, source = 'gateway config'): GatewaySettings {
  const result = gatewaySettingsSchema.safeParse(raw);
  if (!result.success) throw new GatewayConfigError(source, describeIssues(result.error));
  return result.data;
}

export async function loadGatewaySettings(file: string): Promise<GatewaySettings> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new GatewayConfigError(file, (err as Error).message);
  }
  return parseGatewaySettings(raw, file);
}
