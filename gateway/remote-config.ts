// Judging a config that arrives on the gateway's retained `config` topic: valid (its cameras
// linked only to its own devices), newer than the one running, naming only profiles this
// gateway has — or refused with a reason the status reports. Which cameras a config means
// (its own, or the file's when it carries none). Pure: applying and saving happen in
// config-updater.ts.
import { configSchema, decodeJson, type CameraConfig, type DeviceConfig, type GatewayConfig } from '../protocol/index.js';

/** A config of a few hundred devices is well under this. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface RunningConfig {
  /** 0: the devices of the gateway's own file, before any remote config. */
  version: number;
  devices: readonly DeviceConfig[];
  /** The cameras the config carries; undefined: the cameras of the gateway's own file. */
  cameras?: readonly CameraConfig[] | undefined;
}

export type ConfigDecision =
  | { action: 'apply'; config: GatewayConfig }
  /** Nothing to do (the retained copy of what runs, delivered again on every reconnect). */
  | { action: 'ignore'; reason: string }
  | { action: 'refuse'; reason: string };

export function sameDevices(a: readonly DeviceConfig[], b: readonly DeviceConfig[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Undefined (the file's cameras) differs from an empty list (no cameras at all). */
export function sameCameras(a: readonly CameraConfig[] | undefined, b: readonly CameraConfig[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The cameras a running config means: its own list when it carries one, else the file's. */
export function effectiveCameras(running: RunningConfig, fileCameras: readonly CameraConfig[]): readonly CameraConfig[] {
  return running.cameras ?? fileCameras;
}

/** What runs once `config` is applied. */
export function runningFrom(config: GatewayConfig): RunningConfig {
  return { version: config.version, devices: config.devices, ...(config.cameras !== undefined ? { cameras: config.cameras } : {}) };
}

/**
 * V8's JSON errors may quote the payload (`Unexpected token 's', "secret…" is not valid JSON`);
 * a config can hold camera passwords and the reason goes into the status and the log.
 */
function withoutExcerpts(reason: string): string {
  return reason.startsWith('not valid JSON') ? reason.replace(/"(?:[^"\\]|\\.)*"/g, '"…"') : reason;
}

function versionOf(payload: Buffer): number | undefined {
  try {
    const version = (JSON.parse(payload.toString('utf8')) as { version?: unknown }).version;
    return typeof version === 'number' ? version : undefined;
  } catch {
    return undefined;
  }
}

export function judgeRemoteConfig(payload: Buffer, running: RunningConfig, profiles: { has(name: string): boolean }): ConfigDecision {
  // An empty retained message clears the topic: the backend withdrew its config; keep running.
  if (payload.length === 0) return { action: 'ignore', reason: 'config topic cleared' };
  const decoded = decodeJson(configSchema, payload, MAX_CONFIG_BYTES);
  if (!decoded.ok) {
    const version = versionOf(payload);
    return { action: 'refuse', reason: `config${version === undefined ? '' : ` version ${version}`} refused: ${withoutExcerpts(decoded.reason)}` };
  }
  const config = decoded.value;
  if (config.version === running.version && sameDevices(config.devices, running.devices) && sameCameras(config.cameras, running.cameras)) {
    return { action: 'ignore', reason: `version ${config.version} is already running` };
  }
  if (config.version <= running.version) {
    return { action: 'refuse', reason: `config version ${config.version} refused: not newer than the running version ${running.version} (publish a higher version)` };
  }
  const unknown = config.devices
    .map((device, index) => ({ device, index }))
    .filter(({ device }) => !profiles.has(device.profile));
  if (unknown.length > 0) {
    const list = unknown.map(({ device, index }) => `devices.${index} (${device.id}): unknown profile "${device.profile}"`).join('; ');
    return { action: 'refuse', reason: `config version ${config.version} refused: ${list}` };
  }
  return { action: 'apply', config };
}

export interface StartupConfig {
  running: RunningConfig;
  source: 'file' | 'saved remote config';
  /** Set when a saved remote config exists but cannot be read. */
  error?: string;
}

/**
 * What runs at start: the saved remote config once one has been applied (it supersedes the
 * file's device list, and its camera list if it carries one), else the file's devices as version 0.
 */
export function startupConfig(fileDevices: readonly DeviceConfig[], saved: { ok: true; config: GatewayConfig | undefined } | { ok: false; reason: string }): StartupConfig {
  if (!saved.ok) {
    return { running: { version: 0, devices: fileDevices }, source: 'file', error: `saved remote config unreadable, running the file's devices: ${saved.reason}` };
  }
  if (saved.config === undefined) return { running: { version: 0, devices: fileDevices }, source: 'file' };
  return { running: runningFrom(saved.config), source: 'saved remote config' };
}
