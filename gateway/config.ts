// The gateway's start-up configuration (YAML/JSON file), validated with zod: which site and
// gateway it is, how it reaches the broker, and which Modbus devices it polls.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { deviceConfigSchema, describeIssues, idSchema } from '../protocol/index.js';

export const mqttSettingsSchema = z.strictObject({
  url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'must be a broker URL such as mqtt://host:1883'),
  username: z.string().min(1),
  password: z.string().min(1),
  /** Defaults to `sb-gw-{site}-{gateway}`, so a second copy of a gateway takes over the session. */
  clientId: z.string().min(1).max(128).optional(),
  keepaliveS: z.number().int().min(5).max(3600).default(30),
  reconnectPeriodMs: z.number().int().min(100).max(600_000).default(2000),
});

export const gatewaySettingsSchema = z
  .strictObject({
    site: idSchema,
    gateway: idSchema,
    mqtt: mqttSettingsSchema,
    /** Device profile library; defaults to the package's device-profiles/. */
    profilesDir: z.string().min(1).optional(),
    devices: z.array(deviceConfigSchema),
    /** How often the retained online status is refreshed (it is also sent on every connect). */
    statusIntervalMs: z.number().int().min(100).max(24 * 3600_000).default(30_000),
    /** Consecutive failed polls before a device-offline event. */
    offlineAfterFailures: z.number().int().min(1).max(1000).default(3),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.devices.forEach((device, index) => {
      if (seen.has(device.id)) ctx.addIssue({ code: 'custom', path: ['devices', index, 'id'], message: `duplicate device id "${device.id}"` });
      seen.add(device.id);
    });
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
