// Starts the whole system in one process: broker, store, ingest, api, and simulated
// sites (Modbus simulators with their gateways). Used by `shaobing demo`, the
// end-to-end tests and the benchmarks, so all three run the same wiring.
import crypto from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AccountStore, hashPassword, startBroker, type Account, type RunningBroker } from '../broker/index.js';
import { ingestSessions } from '../broker/durable-sessions.js';
import { registerBrokerMetrics } from '../broker/metrics.js';
import { startAccountSync, type AccountSync } from '../broker/registry-accounts.js';
import { connectConfigPublisher } from '../api/registry/config-publisher.js';
import { RegistryStore } from '../api/registry/registry-store.js';
import { SecretBox } from '../api/registry/secret-box.js';
import { buildApi } from '../api/server.js';
import type { CarbonOptions } from '../api/carbon/routes.js';
import { generateToken, hashToken, ROLES, type AnonymousRole, type ApiToken, type Role } from '../api/auth.js';
import { AuditLog } from '../api/access/audit-log.js';
import type { RateLimitSettings } from '../api/access/rate-limits.js';
import type { Baselines } from '../api/ecology/baselines.js';
import { connectCommandClient } from '../api/command-client.js';
import { connectGatewayDirectory, type GatewayDirectory } from '../api/gateway-directory.js';
import { connectLiveFeed } from '../api/live/live-feed.js';
import { LiveHub, type LiveHubOptions } from '../api/live/live-hub.js';
import { startGateway, loadProfileLibrary, defaultProfilesDir, type Gateway, type DeviceProfile } from '../gateway/index.js';
import type { AlarmService } from '../ingest/alarms/alarm-service.js';
import { startAlarmSide } from '../ingest/alarms/start-alarms.js';
import { DeadLetterStore } from '../ingest/dead-letters.js';
import { startIngest, type IngestService } from '../ingest/service.js';
import type { Logger } from '../lib/logger.js';
import { createRegistry, type Registry } from '../lib/metrics.js';
import { startCameraSimulator, type CameraSimulator } from '../simulators/camera/index.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import { createStore, type StoreConfig, type TelemetryStore } from '../store/index.js';
import { AlarmStoreReader, type AlarmStore } from '../store/alarms/alarm-store.js';
import { EventLog, EventLogReader } from '../store/events/event-log.js';
import { SnapshotReader, SnapshotStore } from '../store/snapshots/index.js';

export interface SimulatedDeviceSpec { id: string; profile: string; seed: number; pollIntervalMs: number }
/** A simulated ONVIF camera at a site and how its gateway treats it. */
export interface SimulatedCameraSpec {
  id: string;
  /** Shown in the image and in discovery. */
  name: string;
  /** Sensors whose alarms this camera documents. */
  linkedDevices?: string[];
  snapshotIntervalMs: number;
  healthIntervalMs: number;
}
export interface SimulatedSiteSpec { site: string; gateway: string; devices: SimulatedDeviceSpec[]; cameras?: SimulatedCameraSpec[] }

/**
 * Two sites of the demo: Tongjiang town centre (weather, air, an energy meter) and Jiejinkou, a
 * Hezhe village on the Heilongjiang (Amur), with a river gauge and a gas detector as well.
 */
export const DEMO_SITES: SimulatedSiteSpec[] = [
  { site: 'tongjiang-town', gateway: 'gw-01', devices: [
    { id: 'th-1', profile: 'th-transmitter', seed: 11, pollIntervalMs: 2000 },
    { id: 'pm-1', profile: 'pm-sensor', seed: 12, pollIntervalMs: 2000 },
    { id: 'meter-1', profile: 'chint-ddsu666', seed: 13, pollIntervalMs: 5000 },
  ], cameras: [
    { id: 'cam-1', name: 'Tongjiang Square', linkedDevices: ['pm-1'], snapshotIntervalMs: 15_000, healthIntervalMs: 5000 },
  ] },
  { site: 'jiejinkou', gateway: 'gw-01', devices: [
    { id: 'th-1', profile: 'th-transmitter', seed: 21, pollIntervalMs: 2000 },
    { id: 'pm-1', profile: 'pm-sensor', seed: 22, pollIntervalMs: 2000 },
    { id: 'level-1', profile: 'hlk-ld8001h', seed: 23, pollIntervalMs: 2000 },
    { id: 'gas-1', profile: 'generic-lel-gas-detector', seed: 24, pollIntervalMs: 2000 },
  ], cameras: [
    { id: 'cam-1', name: 'Jiejinkou Pier', linkedDevices: ['level-1'], snapshotIntervalMs: 15_000, healthIntervalMs: 5000 },
  ] },
];

export interface SystemOptions {
  store: StoreConfig;
  dataDir: string;
  logger: Logger;
  apiPort?: number;
  brokerPort?: number;
  sites?: SimulatedSiteSpec[];
  /** Shared by gateways and simulators so tests can predict sample values (default Date.now). */
  clock?: () => number;
  registry?: Registry;
  /** API tokens besides the ones made up for this run (one per role, see RunningSystem.apiTokens). */
  apiTokens?: ApiToken[];
  /** Role of requests without a token (default viewer). */
  anonymousRole?: AnonymousRole;
  /** API rate limits (default: api/access/rate-limits.ts DEFAULT_RATE_LIMITS). */
  rateLimits?: Partial<RateLimitSettings>;
  /** How long PTZ/capture wait for the gateway's answer (default 10 s). */
  commandTimeoutMs?: number;
  /** Snapshot retention (defaults: 30 days, 10 GiB); the directory is {dataDir}/snapshots. */
  snapshotMaxAgeMs?: number;
  snapshotMaxBytes?: number;
  /** Alarm rules file (watched for changes); else `alarmRules` (YAML text); else the default rules. */
  alarmRulesFile?: string;
  alarmRules?: string;
  /** Baselines of the ecology summary (default: none). */
  ecologyBaselines?: Baselines;
  /** Carbon accounting sources file and factor sets (default: built-in). */
  carbon?: CarbonOptions;
  /** Live stream limits (ring, per-client queue, heartbeat); defaults in api/live/live-hub.ts. */
  live?: Omit<LiveHubOptions, 'registry'>;
  /** How long POST /v1/alarms/:id/ack waits for ingest to record it (default 5 s). */
  alarmAckTimeoutMs?: number;
}

export interface RunningSite {
  spec: SimulatedSiteSpec;
  gateway: Gateway;
  simulators: Map<string, ModbusSimulator>;
  cameras: Map<string, CameraSimulator>;
}

export interface RunningSystem {
  apiUrl: string;
  brokerUrl: string;
  store: TelemetryStore;
  broker: RunningBroker;
  ingest: IngestService;
  api: FastifyInstance;
  sites: RunningSite[];
  deadLetters: DeadLetterStore;
  /** The snapshot store ingest writes ({dataDir}/snapshots) and the event log ({dataDir}/events.db). */
  snapshots: SnapshotStore;
  events: EventLog;
  /** The alarm store ingest writes ({dataDir}/alarms.db; an AlarmReader too) and the alarm service (rules reload, stats). */
  alarmStore: AlarmStore;
  alarms: AlarmService;
  /** The API's live-stream hub (GET /v1/live): its stats() for tests. */
  liveHub: LiveHub;
  /** Bearer tokens made up for this run, one per role, named system-<role> (their hashes live only in this process). */
  apiTokens: Record<Role, string>;
  /** Credentials of a service account, for tests that publish as a trusted client. */
  serviceLogin: { username: string; password: string };
  /** The provisioning registry the API owns ({dataDir}/registry.db, key {dataDir}/registry.key). */
  provisioning: RegistryStore;
  /** Keeps the broker's accounts in step with the registry (refresh() re-reads it now). */
  registrySync: AccountSync;
  /** Adds a gateway account (for tests that connect their own gateway client). */
  addGatewayAccount(site: string, gateway: string): Promise<{ username: string; password: string }>;
  /** Stops ingest with its snapshot store, event log and alarm service, and starts them again from disk (same MQTT sessions). */
  restartIngest(): Promise<void>;
  close(): Promise<void>;
}

const randomPassword = () => crypto.randomBytes(18).toString('base64url');

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const { logger, dataDir } = options;
  const clock = options.clock ?? Date.now;
  const registry = options.registry ?? createRegistry();
  const sites = options.sites ?? DEMO_SITES;
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) {
      try { await cleanup(); } catch (err) { logger.warn({ err: (err as Error).message }, 'error while stopping'); }
    }
  };

  try {
    // Accounts are made up for this run: the passwords live only in this process.
    const accounts: Account[] = [];
    const login = async (username: string, make: (hash: string) => Account) => {
      const password = randomPassword();
      accounts.push(make(await hashPassword(password)));
      return { username, password };
    };
    const ingestLogin = await login('ingest', (passwordHash) => ({ role: 'ingest', username: 'ingest', passwordHash }));
    const apiLogin = await login('api', (passwordHash) => ({ role: 'api', username: 'api', passwordHash }));
    const gatewayLogins = new Map<string, { username: string; password: string }>();
    for (const spec of sites) {
      const username = `${spec.site}.${spec.gateway}`;
      gatewayLogins.set(username, await login(username, (passwordHash) => ({ role: 'gateway', username, passwordHash, site: spec.site, gateway: spec.gateway })));
    }
    const accountStore = new AccountStore(accounts);
    // The API's provisioning registry; the broker reads its gateways read-only, as `shaobing broker` does.
    const provisioning = new RegistryStore(path.join(dataDir, 'registry.db'), SecretBox.fromKeyFile(path.join(dataDir, 'registry.key')));
    cleanups.push(() => provisioning.close());

    const broker = await startBroker({
      port: options.brokerPort ?? 0, accounts: accountStore, logger: logger.child({ service: 'broker' }),
      durableSessions: ingestSessions([ingestLogin.username], 'shaobing-ingest'),
    });
    cleanups.push(() => broker.close());
    const registrySync = startAccountSync({
      store: accountStore, fileAccounts: accounts, registryFile: provisioning.file,
      disconnectUser: (username) => broker.disconnectUser(username), logger: logger.child({ service: 'registry-accounts' }),
    });
    cleanups.push(() => registrySync.close());
    registerBrokerMetrics(registry, broker);

    const store = createStore(options.store, logger.child({ service: 'store' }));
    await store.init();
    cleanups.push(() => store.close());

    const deadLetters = new DeadLetterStore(path.join(dataDir, 'dead-letters.db'));
    cleanups.push(() => deadLetters.close());

    // Ingest with its snapshot store and event log, as `shaobing ingest` runs them (restartable for tests).
    const startIngestSide = async () => {
      const snapshots = new SnapshotStore({
        dir: path.join(dataDir, 'snapshots'), maxAgeMs: options.snapshotMaxAgeMs, maxBytes: options.snapshotMaxBytes,
        clock, logger: logger.child({ service: 'snapshots' }),
      });
      const events = new EventLog(path.join(dataDir, 'events.db'), { clock, logger: logger.child({ service: 'events' }) });
      let alarmSide;
      try {
        alarmSide = await startAlarmSide({
          mqtt: { url: broker.url, ...ingestLogin, clientId: 'shaobing-ingest-alarms' },
          storePath: path.join(dataDir, 'alarms.db'), rules: { rulesFile: options.alarmRulesFile, rulesText: options.alarmRules },
          clock, registry, logger: logger.child({ service: 'alarms' }),
        });
      } catch (err) {
        await snapshots.close();
        events.close();
        throw err;
      }
      const alarms = alarmSide;
      const ingest = startIngest({
        mqtt: { url: broker.url, ...ingestLogin, clientId: 'shaobing-ingest' },
        store, deadLetters, snapshots, events, alarms: alarms.service, registry, logger: logger.child({ service: 'ingest' }),
      });
      const stop = async () => {
        await ingest.close();
        await alarms.close();
        await snapshots.close();
        events.close();
      };
      try {
        await ingest.ready;
      } catch (err) {
        await stop();
        throw err;
      }
      return { ingest, snapshots, events, alarmStore: alarms.store, alarms: alarms.service, stop };
    };
    let ingestSide = await startIngestSide();
    cleanups.push(() => ingestSide.stop());
    const { snapshots, events } = ingestSide;

    const directory: GatewayDirectory = connectGatewayDirectory({ url: broker.url, ...apiLogin, clientId: 'shaobing-api' }, logger.child({ service: 'api' }));
    cleanups.push(() => directory.close());
    await directory.ready;
    const commands = connectCommandClient({ url: broker.url, ...apiLogin, clientId: 'shaobing-api-commands', timeoutMs: options.commandTimeoutMs }, logger.child({ service: 'api' }));
    cleanups.push(() => commands.close());
    await commands.ready;
    const snapshotReader = new SnapshotReader(snapshots.dir);
    cleanups.push(() => snapshotReader.close());
    const eventReader = new EventLogReader(events.file);
    cleanups.push(() => eventReader.close());
    const liveHub = new LiveHub({ ...options.live, registry });
    cleanups.push(() => liveHub.close());
    const liveFeed = connectLiveFeed({ url: broker.url, ...apiLogin, clientId: 'shaobing-api-live' }, liveHub, logger.child({ service: 'api' }), registry);
    cleanups.push(() => liveFeed.close());
    await liveFeed.ready;
    // The API reads the alarm store read-only, as `shaobing api` does from another process.
    const alarmReader = new AlarmStoreReader(ingestSide.alarmStore.file);
    cleanups.push(() => alarmReader.close());
    const apiTokens = Object.fromEntries(ROLES.map((role) => [role, generateToken()])) as Record<Role, string>;
    const tokens: ApiToken[] = [
      ...(Object.entries(apiTokens) as Array<[Role, string]>).map(([role, token]) => ({ name: `system-${role}`, role, sha256: hashToken(token) })),
      ...(options.apiTokens ?? []),
    ];
    const audit = new AuditLog(path.join(dataDir, 'audit.db'));
    cleanups.push(() => audit.close());
    const configPublisher = connectConfigPublisher({ url: broker.url, ...apiLogin, clientId: 'shaobing-api-config' }, logger.child({ service: 'api' }));
    cleanups.push(() => configPublisher.close());
    await configPublisher.ready;
    const api = await buildApi({
      store, directory, registry, logger: logger.child({ service: 'api' }),
      provisioning: { registry: provisioning, publisher: configPublisher, brokerUrl: broker.url },
      snapshots: snapshotReader, events: eventReader, commands, commandTimeoutMs: options.commandTimeoutMs,
      auth: { tokens, anonymousRole: options.anonymousRole ?? 'viewer' }, rateLimits: options.rateLimits, audit, ecologyBaselines: options.ecologyBaselines, carbon: options.carbon,
      live: liveHub, alarms: { reader: alarmReader, publisher: liveFeed, ackTimeoutMs: options.alarmAckTimeoutMs },
    });
    cleanups.push(() => api.close());
    await api.listen({ host: '127.0.0.1', port: options.apiPort ?? 0 });
    const address = api.server.address();
    const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : options.apiPort}`;

    const profiles: Map<string, DeviceProfile> = await loadProfileLibrary(defaultProfilesDir());
    const runningSites: RunningSite[] = [];
    for (const spec of sites) {
      const simulators = new Map<string, ModbusSimulator>();
      for (const device of spec.devices) {
        const profile = profiles.get(device.profile);
        if (!profile) throw new Error(`site ${spec.site}: unknown profile "${device.profile}"`);
        const simulator = await startModbusSimulator({ profile, seed: device.seed, clock, logger: logger.child({ service: 'sim', device: device.id }) });
        cleanups.push(() => simulator.close());
        simulators.set(device.id, simulator);
      }
      const cameras = new Map<string, CameraSimulator>();
      const cameraPassword = randomPassword();
      for (const camera of spec.cameras ?? []) {
        const simulator = await startCameraSimulator({
          name: camera.name, username: 'gateway', password: cameraPassword, clock, logger: logger.child({ service: 'sim', camera: camera.id }),
        });
        cleanups.push(() => simulator.close());
        cameras.set(camera.id, simulator);
      }
      const gatewayLogin = gatewayLogins.get(`${spec.site}.${spec.gateway}`)!;
      const gateway = await startGateway({
        site: spec.site, gateway: spec.gateway,
        mqtt: { url: broker.url, ...gatewayLogin },
        statusIntervalMs: 10_000,
        devices: spec.devices.map((device) => ({
          id: device.id, profile: device.profile, unit: 1, pollIntervalMs: device.pollIntervalMs, timeoutMs: 1000,
          transport: { kind: 'tcp' as const, host: '127.0.0.1', port: simulators.get(device.id)!.port },
        })),
        cameras: (spec.cameras ?? []).map((camera) => ({
          id: camera.id, xaddr: cameras.get(camera.id)!.xaddr, username: 'gateway', password: cameraPassword,
          snapshotIntervalMs: camera.snapshotIntervalMs, healthIntervalMs: camera.healthIntervalMs,
          timeoutMs: Math.min(5000, camera.healthIntervalMs), linkedDevices: camera.linkedDevices ?? [],
        })),
      }, { logger: logger.child({ service: 'gateway', site: spec.site }), clock, profiles });
      cleanups.push(() => gateway.stop());
      runningSites.push({ spec, gateway, simulators, cameras });
    }

    const running: RunningSystem = {
      apiUrl, brokerUrl: broker.url, store, broker, ingest: ingestSide.ingest, api, sites: runningSites, deadLetters, snapshots, events, apiTokens,
      alarmStore: ingestSide.alarmStore, alarms: ingestSide.alarms, liveHub,
      serviceLogin: apiLogin, provisioning, registrySync,
      addGatewayAccount: async (site, gateway) => {
        const username = `${site}.${gateway}`;
        const credentials = await login(username, (passwordHash) => ({ role: 'gateway', username, passwordHash, site, gateway }));
        registrySync.setFileAccounts(accounts);
        return credentials;
      },
      restartIngest: async () => {
        await ingestSide.stop();
        ingestSide = await startIngestSide();
        Object.assign(running, {
          ingest: ingestSide.ingest, snapshots: ingestSide.snapshots, events: ingestSide.events, alarmStore: ingestSide.alarmStore, alarms: ingestSide.alarms,
        });
      },
      close,
    };
    return running;
  } catch (err) {
    await close();
    throw err;
  }
}
