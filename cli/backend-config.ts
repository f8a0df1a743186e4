// Settings of the backend services (broker, ingest, api), from a YAML/JSON file
// and/or SB_* environment variables. Each setting's variable is listed in
// docs/configuration.md; a bad one stops the process with a message naming it.
import { z } from 'zod';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from '../api/access/rate-limits.js';
import { anonymousRoleSchema, apiTokenSchema } from '../api/auth.js';
import { loadConfig, type EnvBinding } from '../lib/config.js';
import { mqttTlsFileSettings, mqttTlsProblem } from '../lib/mqtt-tls.js';

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
    /** mqtts:// only: the CA of the broker's certificate, and a client certificate/key for mutual TLS. */
    ...mqttTlsFileSettings,
  }).superRefine((mqtt, ctx) => {
    const problem = mqttTlsProblem(mqtt.url, mqtt);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.setting], message: problem.message });
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
    /** Plain MQTT on a non-loopback host must be asked for (docs/SECURITY.md, "Transport security"). */
    allowPlainTcp: z.boolean().default(false),
    /** MQTT over TLS (mqtts://), e.g. for gateways on 4G and the government network. */
    tls: z.strictObject({
      /** Default: broker.host. */
      host: z.string().min(1).optional(),
      port: port.default(8883),
      /** PEM files: the broker's certificate (with its chain) and key (shaobing pki issue --server). */
      cert: z.string().min(1),
      key: z.string().min(1),
      /** CA file of client certificates; needed with requireClientCert. */
      ca: z.string().min(1).optional(),
      requireClientCert: z.boolean().default(false),
      /** With requireClientCert: a gateway's certificate must name its own site and gateway (docs/SECURITY.md). */
      requireGatewayIdentity: z.boolean().default(true),
    }).refine((tls) => !tls.requireClientCert || tls.ca !== undefined, { path: ['ca'], message: 'requireClientCert needs ca (the CA that signs gateway certificates)' }).optional(),
    /** The API's registry file (registry.path): gateways provisioned there connect without a restart. */
    registry: z.string().min(1).optional(),
    /** How often the registry is re-read (a revocation takes effect within this). */
    registryPollMs: z.number().int().min(100).max(60_000).default(1000),
    // Abuse limits (docs/SECURITY.md, "Broker"); defaults: DEFAULT_BROKER_LIMITS in broker/server.ts.
    limits: z.strictObject({
      connectRatePerIp: z.number().positive().max(100_000).default(20),
      connectBurstPerIp: z.number().int().min(1).max(100_000).default(50),
      maxConnectionsPerIp: z.number().int().min(1).max(1_000_000).default(500),
      maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
      connectTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
      maxDeniedSubscribes: z.number().int().min(0).max(10_000).default(10),
      maxPacketBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
    }).prefault({}),
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
  // The provisioning registry, owned by the api (docs/provisioning.md).
  registry: z.strictObject({
    /** SQLite file; default {dataDir}/registry.db. */
    path: z.string().min(1).optional(),
    /** AES-256-GCM key for camera passwords; created (0600) when missing; default {dataDir}/registry.key. */
    keyFile: z.string().min(1).optional(),
    /** Broker address handed to newly provisioned gateways (what they can reach, not necessarily mqtt.url). */
    brokerUrl: z.string().regex(/^(mqtts?|wss?):\/\/.+/, 'must be a broker URL such as mqtts://broker.example:8883').optional(),
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
    /** HTTPS instead of HTTP: PEM certificate (with its chain) and key files. */
    tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
    // Per client (token name, or address when anonymous), per window; 0 turns a limit off (docs/SECURITY.md).
    rateLimit: z.strictObject({
      windowS: z.number().int().min(1).max(3600).default(DEFAULT_RATE_LIMITS.windowMs / 1000),
      perClient: z.number().int().min(0).default(DEFAULT_RATE_LIMITS.perClient),
      commands: z.number().int().min(0).default(DEFAULT_RATE_LIMITS.commands),
      authFailures: z.number().int().min(0).default(DEFAULT_RATE_LIMITS.authFailures),
    }).prefault({}),
    /** Append-only audit log of changes (SQLite), default {dataDir}/audit.db. */
    auditPath: z.string().min(1).optional(),
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
  { env: 'SB_MQTT_CA_FILE', path: 'mqtt.caFile' },
  { env: 'SB_MQTT_CERT_FILE', path: 'mqtt.certFile' },
  { env: 'SB_MQTT_KEY_FILE', path: 'mqtt.keyFile' },
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
  { env: 'SB_BROKER_ALLOW_PLAIN_TCP', path: 'broker.allowPlainTcp', type: 'boolean' },
  { env: 'SB_BROKER_TLS_HOST', path: 'broker.tls.host' },
  { env: 'SB_BROKER_TLS_PORT', path: 'broker.tls.port', type: 'number' },
  { env: 'SB_BROKER_TLS_CERT', path: 'broker.tls.cert' },
  { env: 'SB_BROKER_TLS_KEY', path: 'broker.tls.key' },
  { env: 'SB_BROKER_TLS_CA', path: 'broker.tls.ca' },
  { env: 'SB_BROKER_TLS_REQUIRE_CLIENT_CERT', path: 'broker.tls.requireClientCert', type: 'boolean' },
  { env: 'SB_BROKER_TLS_REQUIRE_GATEWAY_IDENTITY', path: 'broker.tls.requireGatewayIdentity', type: 'boolean' },
  { env: 'SB_BROKER_REGISTRY', path: 'broker.registry' },
  { env: 'SB_REGISTRY_PATH', path: 'registry.path' },
  { env: 'SB_REGISTRY_KEY_FILE', path: 'registry.keyFile' },
  { env: 'SB_REGISTRY_BROKER_URL', path: 'registry.brokerUrl' },
  { env: 'SB_BROKER_CONNECT_RATE_PER_IP', path: 'broker.limits.connectRatePerIp', type: 'number' },
  { env: 'SB_BROKER_CONNECT_BURST_PER_IP', path: 'broker.limits.connectBurstPerIp', type: 'number' },
  { env: 'SB_BROKER_MAX_CONNECTIONS_PER_IP', path: 'broker.limits.maxConnectionsPerIp', type: 'number' },
  { env: 'SB_BROKER_MAX_CONNECTIONS', path: 'broker.limits.maxConnections', type: 'number' },
  { env: 'SB_BROKER_CONNECT_TIMEOUT_MS', path: 'broker.limits.connectTimeoutMs', type: 'number' },
  { env: 'SB_BROKER_MAX_DENIED_SUBSCRIBES', path: 'broker.limits.maxDeniedSubscribes', type: 'number' },
  { env: 'SB_BROKER_MAX_PACKET_BYTES', path: 'broker.limits.maxPacketBytes', type: 'number' },
  { env: 'SB_INGEST_CLIENT_ID', path: 'ingest.clientId' },
  { env: 'SB_DEAD_LETTER_PATH', path: 'ingest.deadLetterPath' },
  { env: 'SB_API_HOST', path: 'api.host' },
  { env: 'SB_API_PORT', path: 'api.port', type: 'number' },
  { env: 'SB_API_TOKENS_FILE', path: 'api.tokensFile' },
  { env: 'SB_API_ANONYMOUS_ROLE', path: 'api.anonymousRole' },
  { env: 'SB_API_COMMAND_TIMEOUT_MS', path: 'api.commandTimeoutMs', type: 'number' },
  { env: 'SB_API_TLS_CERT', path: 'api.tls.cert' },
  { env: 'SB_API_TLS_KEY', path: 'api.tls.key' },
  { env: 'SB_API_RATE_LIMIT_WINDOW_S', path: 'api.rateLimit.windowS', type: 'number' },
  { env: 'SB_API_RATE_LIMIT', path: 'api.rateLimit.perClient', type: 'number' },
  { env: 'SB_API_COMMAND_RATE_LIMIT', path: 'api.rateLimit.commands', type: 'number' },
  { env: 'SB_API_AUTH_FAILURE_LIMIT', path: 'api.rateLimit.authFailures', type: 'number' },
  { env: 'SB_API_AUDIT_PATH', path: 'api.auditPath' },
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

/** The api's registry and its key (defaults under dataDir). */
export function registryPaths(config: BackendConfig): { registryPath: string; keyFile: string } {
  return {
    registryPath: config.registry.path ?? `${config.dataDir}/registry.db`,
    keyFile: config.registry.keyFile ?? `${config.dataDir}/registry.key`,
  };
}

/** Where ingest writes and the api reads the alarm store (default {dataDir}/alarms.db). */
export function alarmStorePath(config: BackendConfig): string {
  return config.alarms.storePath ?? `${config.dataDir}/alarms.db`;
}

/** The API's rate limits from the settings. */
export function apiRateLimits(config: BackendConfig): RateLimitSettings {
  const { windowS, ...limits } = config.api.rateLimit;
  return { windowMs: windowS * 1000, ...limits };
}

/** Where the api keeps its audit log (default {dataDir}/audit.db). */
export function auditLogPath(config: BackendConfig): string {
  return config.api.auditPath ?? `${config.dataDir}/audit.db`;
}

export function loadBackendConfig(file?: string, env: NodeJS.ProcessEnv = process.env): BackendConfig {
  return loadConfig(backendConfigSchema, { file, env, bindings: BACKEND_ENV });
}
