// Runs one backend part on its own (`shaobing broker|ingest|api`), from the backend
// configuration, until SIGINT/SIGTERM.
import fs from 'node:fs';
import path from 'node:path';
import { AccountStore, loadAccounts, startBroker } from '../broker/index.js';
import type { BrokerTlsOptions } from '../broker/server.js';
import { ConfigError } from '../lib/config.js';
import { loadMqttTls, type MqttTlsMaterial } from '../lib/mqtt-tls.js';
import { ingestSessions } from '../broker/durable-sessions.js';
import { startAccountSync } from '../broker/registry-accounts.js';
import { connectConfigPublisher } from '../api/registry/config-publisher.js';
import { RegistryStore } from '../api/registry/registry-store.js';
import { SecretBox } from '../api/registry/secret-box.js';
import { buildApi } from '../api/server.js';
import { loadTokensFile } from '../api/auth.js';
import { AuditLog } from '../api/access/audit-log.js';
import { loadBaselinesFile } from '../api/ecology/baselines.js';
import { connectCommandClient } from '../api/command-client.js';
import { connectGatewayDirectory } from '../api/gateway-directory.js';
import { connectLiveFeed } from '../api/live/live-feed.js';
import { LiveHub } from '../api/live/live-hub.js';
import { startAlarmSide } from '../ingest/alarms/start-alarms.js';
import { DeadLetterStore } from '../ingest/dead-letters.js';
import { startIngest } from '../ingest/service.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { createRegistry } from '../lib/metrics.js';
import { AlarmStoreReader } from '../store/alarms/alarm-store.js';
import { EventLog, EventLogReader } from '../store/events/event-log.js';
import { createStore } from '../store/index.js';
import { SnapshotReader, SnapshotStore } from '../store/snapshots/index.js';
import { alarmStorePath, apiRateLimits, auditLogPath, cameraDataPaths, registryPaths, type BackendConfig } from './backend-config.js';

const DAY_MS = 86_400_000;

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

function mqttLogin(config: BackendConfig, service: string): { url: string; username: string; password: string; tls: MqttTlsMaterial | undefined } {
  const { url, username, password } = config.mqtt;
  if (!username || !password) throw new Error(`${service} needs broker credentials: set mqtt.username and mqtt.password (SB_MQTT_USERNAME, SB_MQTT_PASSWORD)`);
  return { url, username, password, tls: loadMqttTls(url, config.mqtt) };
}

/** Reads a PEM file named by a setting; an unreadable one stops the start naming the setting. */
function readPem(file: string, setting: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The broker's TLS listener from broker.tls (file names) as startBroker takes it (contents). */
function brokerTls(config: BackendConfig): BrokerTlsOptions | undefined {
  const settings = config.broker.tls;
  if (!settings) return undefined;
  return {
    ...(settings.host !== undefined ? { host: settings.host } : {}),
    port: settings.port,
    cert: readPem(settings.cert, 'broker.tls.cert'),
    key: readPem(settings.key, 'broker.tls.key'),
    ...(settings.ca !== undefined ? { ca: readPem(settings.ca, 'broker.tls.ca') } : {}),
    requireClientCert: settings.requireClientCert,
    requireGatewayIdentity: settings.requireGatewayIdentity,
  };
}

async function runUntilSignal(logger: Logger, stop: () => Promise<void>): Promise<void> {
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await stop();
}

export async function runBroker(config: BackendConfig): Promise<void> {
  const logger = createLogger('shaobing-broker');
  if (!config.broker.accounts) throw new Error('the broker needs an accounts file: set broker.accounts (SB_BROKER_ACCOUNTS); see docs/configuration.md');
  const fileAccounts = await loadAccounts(config.broker.accounts);
  const accounts = new AccountStore(fileAccounts);
  // Gateways provisioned through the api: read from its registry (read-only), polled.
  let disconnect: (username: string) => number = () => 0;
  const registrySync = config.broker.registry
    ? startAccountSync({
      store: accounts, fileAccounts, registryFile: config.broker.registry,
      disconnectUser: (username) => disconnect(username), logger: logger.child({ service: 'registry-accounts' }), intervalMs: config.broker.registryPollMs,
    })
    : undefined;
  const { maxPacketBytes, ...limits } = config.broker.limits;
  const broker = await startBroker({
    host: config.broker.host, port: config.broker.port, accounts, logger, maxPacketSize: maxPacketBytes, limits,
    tls: brokerTls(config), allowPlainTcp: config.broker.allowPlainTcp,
    durableSessions: ingestSessions(fileAccounts.filter((a) => a.role === 'ingest').map((a) => a.username), config.ingest.clientId),
  });
  disconnect = (username) => broker.disconnectUser(username);
  logger.info({ accounts: accounts.size, registry: config.broker.registry }, 'accounts loaded');
  process.on('SIGHUP', () => {
    loadAccounts(config.broker.accounts!)
      .then((next) => {
        const changes = registrySync ? registrySync.setFileAccounts(next) : accounts.replace(next);
        // Sessions are bound at CONNECT: end those of removed accounts and changed passwords.
        for (const username of [...changes.removed, ...changes.changed]) broker.disconnectUser(username);
        logger.info({ changes }, 'accounts reloaded');
      })
      .catch((err: Error) => logger.error({ err: err.message }, 'accounts reload refused; keeping the current accounts'));
  });
  await runUntilSignal(logger, async () => {
    registrySync?.close();
    await broker.close();
  });
}

export async function runIngest(config: BackendConfig): Promise<void> {
  const logger = createLogger('shaobing-ingest');
  const store = createStore(config.store, logger);
  await store.init();
  const deadLetters = new DeadLetterStore(config.ingest.deadLetterPath ?? path.join(config.dataDir, 'dead-letters.db'));
  const { snapshotDir, eventLogPath } = cameraDataPaths(config);
  const snapshots = new SnapshotStore({
    dir: snapshotDir, maxAgeMs: config.snapshots.maxAgeDays * DAY_MS, maxBytes: config.snapshots.maxBytes,
    retentionIntervalMs: config.snapshots.retentionIntervalS * 1000, logger,
  });
  const events = new EventLog(eventLogPath, { maxAgeMs: config.events.maxAgeDays * DAY_MS, logger });
  const registry = createRegistry();
  // A bad rules file at start stops ingest here, with every problem named.
  const alarms = await startAlarmSide({
    mqtt: { ...mqttLogin(config, 'ingest'), clientId: `${config.ingest.clientId}-alarms` },
    storePath: alarmStorePath(config), maxAgeMs: config.alarms.maxAgeDays * DAY_MS,
    rules: { rulesFile: config.alarms.rulesFile, profilesDir: config.alarms.profilesDir }, logger: logger.child({ service: 'alarms' }), registry,
  });
  // SIGHUP reloads the alarm rules (a bad file keeps the rules in force and is logged).
  process.on('SIGHUP', () => void alarms.service.reload('SIGHUP'));
  const ingest = startIngest({
    mqtt: { ...mqttLogin(config, 'ingest'), clientId: config.ingest.clientId },
    store, deadLetters, snapshots, events, alarms: alarms.service, logger, registry,
    maxBatchSamples: config.ingest.maxBatchSamples, maxBatchDelayMs: config.ingest.maxBatchDelayMs,
  });
  await ingest.ready;
  // Retention once at start (also sweeps files a crash left without an index row), then on its timer.
  void snapshots.enforceRetention().catch((err: Error) => logger.error({ err: err.message }, 'snapshot retention failed'));
  logger.info({ store: store.kind, snapshotDir, eventLogPath, alarmStore: alarms.store.file, alarmRules: alarms.service.stats().rules }, 'ingest running');
  await runUntilSignal(logger, async () => {
    await ingest.close();
    await alarms.close();
    await store.close();
    await snapshots.close();
    events.close();
    deadLetters.close();
  });
}

export async function runApi(config: BackendConfig): Promise<void> {
  const logger = createLogger('shaobing-api');
  const store = createStore(config.store, logger);
  await store.init();
  const tokens = [...config.api.tokens, ...(config.api.tokensFile ? loadTokensFile(config.api.tokensFile) : [])];
  const ecologyBaselines = config.ecology.baselinesFile ? loadBaselinesFile(config.ecology.baselinesFile) : undefined;
  const login = mqttLogin(config, 'api');
  const directory = connectGatewayDirectory({ ...login, clientId: `shaobing-api-${process.pid}` }, logger);
  const commands = connectCommandClient({ ...login, clientId: `shaobing-api-${process.pid}-commands`, timeoutMs: config.api.commandTimeoutMs }, logger);
  // Read-only views of what ingest writes: the api must run on the same host, sharing these paths.
  const { snapshotDir, eventLogPath } = cameraDataPaths(config);
  const snapshots = new SnapshotReader(snapshotDir);
  const events = new EventLogReader(eventLogPath);
  const alarmReader = new AlarmStoreReader(alarmStorePath(config));
  const registry = createRegistry();
  const audit = new AuditLog(auditLogPath(config));
  const liveHub = new LiveHub({ registry });
  const liveFeed = connectLiveFeed({ ...login, clientId: `shaobing-api-${process.pid}-live` }, liveHub, logger, registry);
  const { registryPath, keyFile } = registryPaths(config);
  const provisioning = new RegistryStore(registryPath, SecretBox.fromKeyFile(keyFile));
  const configPublisher = connectConfigPublisher({ ...login, clientId: `shaobing-api-${process.pid}-config` }, logger);
  const api = await buildApi({
    store, directory, registry, logger, snapshots, events, commands,
    ...(config.api.tls ? { https: { cert: readPem(config.api.tls.cert, 'api.tls.cert'), key: readPem(config.api.tls.key, 'api.tls.key') } } : {}),
    provisioning: { registry: provisioning, publisher: configPublisher, brokerUrl: config.registry.brokerUrl },
    commandTimeoutMs: config.api.commandTimeoutMs, auth: { tokens, anonymousRole: config.api.anonymousRole }, ecologyBaselines, carbon: config.carbon,
    rateLimits: apiRateLimits(config), audit,
    live: liveHub, alarms: { reader: alarmReader, publisher: liveFeed },
  });
  await api.listen({ host: config.api.host, port: config.api.port });
  logger.info({ url: `${config.api.tls ? 'https' : 'http'}://${config.api.host}:${config.api.port}`, tokens: tokens.length, anonymousRole: config.api.anonymousRole, snapshotDir, eventLogPath }, 'api listening');
  await runUntilSignal(logger, async () => {
    await api.close();
    liveHub.close();
    await liveFeed.close();
    await commands.close();
    await directory.close();
    snapshots.close();
    events.close();
    alarmReader.close();
    audit.close();
    await configPublisher.close();
    provisioning.close();
    await store.close();
  });
}
