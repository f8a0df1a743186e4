// Settings of the backend services (broker, ingest, api), from a YAML/JSON file
// and/or SB_* environment variables. Each setting's variable is listed in
// docs/configuration.md; a bad one stops the process with a message naming it.
import { z } from 'zod';
import { anonymousRoleSchema, apiTokenSchema } from '../api/auth.js';
import { loadConfig, type EnvBinding } from '../lib/config.js';

const port = z.number().int().min(0).max(65535);

export const storeConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sqlite'), path: z.string().min(1).default('data/shaobing.db') }),
  z.strictObject({
    kind: z.literal('influx'),
    url: z.url({ error: 'must be a URL such as http://127.0.0.1:8086' }),
    database: z.string().min(1).default('shaobing'),
    retentionPolicy: z.string().min(1).optional(),
    org: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    timeoutMs: z.number().int().min(100).default(10_000),
  }),
]);

export const backendConfigSchema = z.strictObject({
  dataDir: z.string().min(1).default('data'),
  mqtt: z.strictObject({
    url: z.string().regex(/^mqtts?:\/\/[^/]+$/, 'must look like mqtt://host:port').default('mqtt://127.0.0.1:1883'),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
  }).prefault({}),
  // SQLite unless told otherwise, also when only SB_SQLITE_PATH (store.path) is given.
  store: z.preprocess(
    (value) => (value === undefined ? { kind: 'sqlite' } : typeof value === 'object' && value !== null && !('kind' in value) ? { kind: 'sqlite', ...value } : value),
    storeConfigSchema,
  ),
  broker: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: port.default(1883),
    accounts: z.string().min(1).optional(),
  }).prefault({}),
  ingest: z.strictObject({
    clientId: z.string().min(1).default('shaobing-ingest'),
    deadLetterPath: z.string().min(1).optional(),
    maxBatchSamples: z.number().int().min(1).max(100_000).default(5000),
    maxBatchDelayMs: z.number().int().min(0).max(10_000).default(20),
  }).prefault({}),
  // Written by ingest, read by the api: both must see the same directory and file (same host).
  snapshots: z.strictObject({
    dir: z.string().min(1).optional(),
    maxAgeDays: z.number().positive().max(36_500).default(30),
    maxBytes: z.number().int().min(1024 * 1024, 'at least 1 MiB (1048576)').default(10 * 1024 ** 3),
    retentionIntervalS: z.number().int().min(10).max(86_400).default(600),
  }).prefault({}),
  events: z.strictObject({
    path: z.string().min(1).optional(),
    maxAgeDays: z.number().positive().max(36_500).default(90),
  }).prefault({}),
  // The alarm store is written by ingest and read by the api (same host, same path).
  alarms: z.strictObject({
    /** YAML rules (docs/alarms.md); without it: the profiles' alarm hints plus device- and gateway-offline rules. */
    rulesFile: z.string().min(1).optional(),
    storePath: z.string().min(1).optional(),
    /** Device profiles whose alarm hints become default rules (default: the bundled device-profiles/). */
    profilesDir: z.string().min(1).optional(),
    /** Cleared alarms are kept this long. */
    maxAgeDays: z.number().positive().max(36_500).default(365),
  }).prefault({}),
  // Read by the api at start: baselines of the ecology summary (docs/ecology.md).
  ecology: z.strictObject({
    baselinesFile: z.string().min(1).optional(),
  }).prefault({}),
  api: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: port.default(8080),
    tokensFile: z.string().min(1).optional(),
    tokens: z.array(apiTokenSchema).default([]),
    anonymousRole: anonymousRoleSchema.default('viewer'),
    commandTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
  }).prefault({}),
  carbon: z.strictObject({
    sourcesFile: z.string().min(1).optional(),
    factorsDir: z.string().min(1).optional(),
    defaultFactorSet: z.string().min(1).optional(),
  }).prefault({}),
});

export type BackendConfig = z.infer<typeof backendConfigSchema>;
export type StoreConfig = z.infer<typeof storeConfigSchema>;

export const BACKEND_ENV: EnvBinding[] = [
  { env: 'SB_DATA_DIR', path: 'dataDir' },
  { env: 'SB_MQTT_URL', path: 'mqtt.url' },
  { env: 'SB_MQTT_USERNAME', path: 'mqtt.username' },
  { env: 'SB_MQTT_PASSWORD', path: 'mqtt.password' },
  { env: 'SB_STORE', path: 'store.kind' },
  { env: 'SB_SQLITE_PATH', path: 'store.path' },
  { env: 'SB_INFLUX_URL', path: 'store.url' },
  { env: 'SB_INFLUX_DB', path: 'store.database' },
  { env: 'SB_INFLUX_RP', path: 'store.retentionPolicy' },
  { env: 'SB_INFLUX_ORG', path: 'store.org' },
  { env: 'SB_INFLUX_TOKEN', path: 'store.token' },
  { env: 'SB_INFLUX_USERNAME', path: 'store.username' },
  { env: 'SB_INFLUX_PASSWORD', path: 'store.password' },
  { env: 'SB_BROKER_HOST', path: 'broker.host' },
  { env: 'SB_BROKER_PORT', path: 'broker.port', type: 'number' },
  { env: 'SB_BROKER_ACCOUNTS', path: 'broker.accounts' },
  { env: 'SB_INGEST_CLIENT_ID', path: 'ingest.clientId' },
  { env: 'SB_DEAD_LETTER_PATH', path: 'ingest.deadLetterPath' },
  { env: 'SB_API_HOST', path: 'api.host' },
  { env: 'SB_API_PORT', path: 'api.port', type: 'number' },
  { env: 'SB_API_TOKENS_FILE', path: 'api.tokensFile' },
  { env: 'SB_API_ANONYMOUS_ROLE', path: 'api.anonymousRole' },
  { env: 'SB_API_COMMAND_TIMEOUT_MS', path: 'api.commandTimeoutMs', type: 'number' },
  { env: 'SB_SNAPSHOT_DIR', path: 'snapshots.dir' },
  { env: 'SB_SNAPSHOT_MAX_AGE_DAYS', path: 'snapshots.maxAgeDays', type: 'number' },
  { env: 'SB_SNAPSHOT_MAX_BYTES', path: 'snapshots.maxBytes', type: 'number' },
  { env: 'SB_EVENT_LOG_PATH', path: 'events.path' },
  { env: 'SB_EVENT_MAX_AGE_DAYS', path: 'events.maxAgeDays', type: 'number' },
  { env: 'SB_ECOLOGY_BASELINES', path: 'ecology.baselinesFile' },
  { env: 'SB_CARBON_SOURCES', path: 'carbon.sourcesFile' },
  { env: 'SB_CARBON_FACTORS_DIR', path: 'carbon.factorsDir' },
  { env: 'SB_CARBON_FACTOR_SET', path: 'carbon.defaultFactorSet' },
  { env: 'SB_ALARM_RULES', path: 'alarms.rulesFile' },
  { env: 'SB_ALARM_STORE', path: 'alarms.storePath' },
  { env: 'SB_ALARM_PROFILES_DIR', path: 'alarms.profilesDir' },
  { env: 'SB_ALARM_MAX_AGE_DAYS', path: 'alarms.maxAgeDays', type: 'number' },
];

/** Where ingest writes and the api reads snapshots and events (defaults under dataDir). */
export function cameraDataPaths(config: BackendConfig): { snapshotDir: string; eventLogPath: string } {
  return {
    snapshotDir: config.snapshots.dir ?? `${config.dataDir}/snapshots`,
    eventLogPath: config.events.path ?? `${config.dataDir}/events.db`,
  };
}

/** Where ingest writes and the api reads the alarm store (default {dataDir}/alarms.db). */
export function alarmStorePath(config: BackendConfig): string {
  return config.alarms.storePath ?? `${config.dataDir}/alarms.db`;
}

export function loadBackendConfig(file?: string, env: NodeJS.ProcessEnv = process.env): BackendConfig {
  return loadConfig(backendConfigSchema, { file, env, bindings: BACKEND_ENV });
}
