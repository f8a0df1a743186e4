// Settings of the backend services (broker, ingest, api), from a YAML/JSON file
// and/or SB_* environment variables. Each setting's variable is listed in
// docs/configuration.md; a bad one stops the process with a message naming it.
import { z } from 'zod';
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
  api: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: port.default(8080),
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
];

export function loadBackendConfig(file?: string, env: NodeJS.ProcessEnv = process.env): BackendConfig {
  return loadConfig(backendConfigSchema, { file, env, bindings: BACKEND_ENV });
}
