// The gateway process core, wiring its parts: acquisition polls the devices; every reading
// and event goes into the durable outbox, which publishes over the uplink with its own window;
// remote configs (devices, and cameras when they carry them) are applied without a restart,
// commands are run and answered; cameras are checked, photographed and steered by the camera
// service, their images and events going through the same outbox; a retained status with
// self-stats is published on every connect, at an interval, on config changes and when a
// camera changes state.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';
import { loadMqttTls } from '../lib/mqtt-tls.js';
import { topics, type CameraHealth, type GatewayConfig, type GatewayRef } from '../protocol/index.js';
import { createAcquisition, type Acquisition } from './acquisition.js';
import { fileConfigStore, memoryConfigStore } from './applied-config.js';
import { CameraSet } from './cameras/camera-set.js';
import { CommandLedger } from './command-ledger.js';
import { CommandRunner } from './command-runner.js';
import { parseGatewaySettings, type GatewaySettings, type GatewaySettingsInput } from './config.js';
import { ConfigUpdater } from './config-updater.js';
import { CpuMeter } from './cpu-meter.js';
import type { DeviceHealthSnapshot } from './device-health.js';
import type { Clock, PollSink } from './device-poller.js';
import { DiskReserve } from './disk-reserve.js';
import { openGatewayDatabase, type GatewayDatabase } from './local-db.js';
import { buildOnlineStatus, buildStoppedStatus, buildWillStatus } from './messages.js';
import { Outbox, type OutboxStats } from './outbox.js';
import { defaultProfilesDir, findPackageRoot, loadProfileLibrary } from './profile.js';
import type { DeviceProfile } from './profile-schema.js';
import { effectiveCameras, runningFrom, sameDevices, startupConfig, type RunningConfig } from './remote-config.js';
import { Uplink } from './uplink.js';

/** The outbox's file inside the gateway's data directory. */
export const OUTBOX_FILE = 'outbox.db';
export const OUTBOX_RESERVE_FILE = 'outbox.reserve';

export interface GatewayOptions {
  logger: Logger;
  /**
   * Stamps sample, event and status times (default Date.now). Polling itself runs on real
   * timers; tests share one clock between the gateway and the simulators so the simulator's
   * value function can be evaluated at exactly the `ts` the gateway reports.
   */
  clock?: Clock;
  /** Profiles to use instead of loading `profilesDir` (tests, embedded demos). */
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** Reported in the status message; defaults to package.json's version. */
  version?: string;
}

export interface GatewayStats {
  startedAt: number;
  mqttConnected: boolean;
  messagesPublished: number;
  publishErrors: number;
  /** Last sequence number given to a sample (continues across restarts with a data directory). */
  lastSeq: number;
  /** Devices whose poll is under way (sample time taken or about to be, result not yet handed over). */
  pollsInFlight: number;
  devices: Record<string, DeviceHealthSnapshot>;
  /** Remote config version running (0: the file's devices) and why the last one was refused. */
  configVersion: number;
  configError?: string;
  outbox: OutboxStats;
  /** Camera health as in the status (empty without cameras). */
  cameras: Record<string, CameraHealth>;
}

export interface Gateway {
  /** A fresh snapshot on every read. */
  readonly stats: GatewayStats;
  /** Stops polling, lets the outbox drain briefly, publishes a retained offline status and disconnects. Idempotent. */
  stop(): Promise<void>;
}

function packageVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Starts the devices of the saved remote config if there is one, else the file's. A saved
 * config that no longer starts (a profile removed by an upgrade) falls back to the file's
 * devices with the reason in configError, rather than leaving a remote gateway dead.
 */
async function startDevices(settings: GatewaySettings, acquisition: Acquisition, loaded: ReturnType<typeof startupConfig>, logger: Logger): Promise<{ running: RunningConfig; error?: string }> {
  const { running, source } = loaded;
  if (source === 'file') {
    await acquisition.apply(running.devices); // a typo in the file stops the start
    return { running, ...(loaded.error !== undefined ? { error: loaded.error } : {}) };
  }
  try {
    await acquisition.apply(running.devices);
  } catch (err) {
    const error = `saved remote config version ${running.version} cannot run (${(err as Error).message}); running the file's devices`;
    logger.error({ reason: error }, 'saved remote config refused at start');
    await acquisition.apply(settings.devices);
    return { running: { version: 0, devices: settings.devices }, error };
  }
  if (!sameDevices(running.devices, settings.devices)) {
    logger.info({ version: running.version }, 'remote config supersedes the devices of the gateway file');
  }
  return { running };
}

export async function startGateway(config: GatewaySettingsInput, options: GatewayOptions): Promise<Gateway> {
  const settings = parseGatewaySettings(config);
  // Read before anything is opened: an unreadable CA or key file stops the start cleanly.
  const mqttTls = loadMqttTls(settings.mqtt.url, settings.mqtt);
  const clock = options.clock ?? Date.now;
  const logger = options.logger.child({ site: settings.site, gateway: settings.gateway });
  const ref: GatewayRef = { site: settings.site, gateway: settings.gateway };
  const version = options.version ?? packageVersion();
  const profilesDir = settings.profilesDir ?? defaultProfilesDir();
  const profiles = options.profiles ?? (await loadProfileLibrary(profilesDir));
  const { dataDir } = settings;
  // Embedded gateways (demo, tests) may go without; `shaobing gateway` always sets one.
  if (dataDir === undefined) logger.info('no dataDir: the outbox and the applied remote config live in memory only');

  const db: GatewayDatabase = openGatewayDatabase(dataDir ? path.join(dataDir, OUTBOX_FILE) : ':memory:', { synchronous: settings.outbox.synchronous });
  const outbox = new Outbox({
    db, clock, logger: logger.child({ part: 'outbox' }),
    maxBytes: settings.outbox.maxBytes, maxAgeMs: settings.outbox.maxAgeMs, window: settings.outbox.window,
    maxSamplesPerMessage: settings.outbox.maxSamplesPerMessage, maxMessageBytes: settings.outbox.maxMessageBytes,
    maxSnapshotBytes: settings.outbox.maxSnapshotBytes,
    ...(dataDir && settings.outbox.diskReserveBytes > 0 ? { diskReserve: new DiskReserve(path.join(dataDir, OUTBOX_RESERVE_FILE), settings.outbox.diskReserveBytes) } : {}),
    // The outbox sends only after setOnline(true), which only the uplink's connect event calls.
    send: (topic, payload) => link.publishAcked(topic, payload),
  });

  let seq = outbox.committedSeq;
  const sink: PollSink = {
    telemetry: (deviceId, message) => {
      const topic = topics.telemetry(ref, deviceId);
      for (const sample of message.samples) outbox.enqueueSample(topic, message, sample);
    },
    event: (deviceId, event) => outbox.enqueueMessage(topics.event(ref, deviceId), event),
    nextSeq: () => ++seq,
  };

  const acquisition = createAcquisition({
    profiles, sink, clock, logger, offlineAfterFailures: settings.offlineAfterFailures,
    profilesSource: options.profiles ? 'the given profiles' : profilesDir,
  });
  const configStore = dataDir ? fileConfigStore(dataDir) : memoryConfigStore();
  const saved = configStore.load();
  let started: { running: RunningConfig; error?: string };
  try {
    started = await startDevices(settings, acquisition, startupConfig(settings.devices, saved.ok ? { ok: true, config: saved.saved?.config } : saved), logger);
  } catch (err) {
    await acquisition.stop();
    outbox.close();
    db.close();
    throw err;
  }

  const startedAt = clock();
  const cpu = new CpuMeter();
  let publishStatus = (): void => undefined;
  // Started before the uplink, like acquisition: images and events taken meanwhile wait in the outbox.
  const cameras = new CameraSet({
    discovery: settings.cameraDiscovery, clock, logger: logger.child({ part: 'cameras' }),
    sink: {
      event: (cameraId, event) => outbox.enqueueMessage(topics.event(ref, cameraId), event),
      snapshot: (cameraId, payload) => outbox.enqueueSnapshot(topics.snapshot(ref, cameraId), payload),
      // The backend sees a camera go offline within one health interval, not one status interval.
      healthChanged: () => publishStatus(),
    },
  }, effectiveCameras(started.running, settings.cameras));
  // Devices first: acquisition refuses a list it cannot run (bus conflicts) without changing
  // anything, while the cameras were checked with the config's schema, so a refused config
  // leaves both as they were.
  const applyConfig = async (config: GatewayConfig): Promise<void> => {
    await acquisition.apply(config.devices);
    const next = effectiveCameras(runningFrom(config), settings.cameras);
    if (await cameras.replace(next)) logger.info({ cameras: next.map((c) => c.id) }, 'camera list changed by remote config');
  };
  const configUpdater = new ConfigUpdater({
    running: started.running, ...(started.error !== undefined ? { error: started.error } : {}),
    profiles, apply: applyConfig, store: configStore, clock,
    logger: logger.child({ part: 'config' }),
    onChange: () => publishStatus(),
  });
  const commands = new CommandRunner({
    gatewayId: settings.gateway, acquisition, cameras, ledger: new CommandLedger(db), clock, maxAgeMs: settings.commands.maxAgeMs,
    report: (device, event) => outbox.enqueueMessage(topics.event(ref, device), event),
    logger: logger.child({ part: 'commands' }),
  });

  const link = new Uplink(
    {
      url: settings.mqtt.url,
      username: settings.mqtt.username,
      password: settings.mqtt.password,
      clientId: settings.mqtt.clientId ?? `sb-gw-${settings.site}-${settings.gateway}`,
      keepaliveS: settings.mqtt.keepaliveS,
      reconnectPeriodMs: settings.mqtt.reconnectPeriodMs,
      will: { topic: topics.status(ref), payload: buildWillStatus() },
      tls: mqttTls,
    },
    logger,
  );

  publishStatus = () => {
    if (!link.connected) return;
    const configState = configUpdater.state();
    link.publishJson(
      topics.status(ref),
      buildOnlineStatus({
        ts: clock(), startedAt, ...(version !== undefined ? { version } : {}), devices: acquisition.health(),
        ...(cameras.size > 0 ? { cameras: cameras.health() } : {}),
        memoryRssBytes: process.memoryUsage.rss(), cpuPercent: cpu.read(), config: configState, outbox: outbox.stats(), lastSeq: seq,
      }),
      { retain: true },
    );
  };
  // On every (re)connect: the retained status may still say "offline" from the last will.
  const offConnect = link.onConnect(() => {
    publishStatus();
    outbox.setOnline(true);
  });
  const offClose = link.onClose(() => outbox.setOnline(false));
  link.subscribe(topics.config(ref), (payload) => configUpdater.submit(payload));
  link.subscribe(topics.command(ref), (payload, retained) => {
    // A retained command would run again on every reconnect (our broker refuses to retain them).
    if (retained) logger.warn('retained command ignored');
    else commands.submit(payload);
  });
  const statusTimer = setInterval(publishStatus, settings.statusIntervalMs);

  logger.info({ devices: started.running.devices.length, cameras: cameras.size, configVersion: started.running.version, dataDir: dataDir ?? null, backlog: outbox.stats().depth, lastSeq: seq }, 'gateway started');

  const stop = async (): Promise<void> => {
    clearInterval(statusTimer);
    offConnect();
    await configUpdater.stop();
    await commands.stop();
    await Promise.all([acquisition.stop(), cameras.stop()]);
    // What the last polls took goes out now if the uplink is up; anything left waits on disk.
    if (link.connected && !(await outbox.waitUntilEmpty(settings.outbox.drainOnStopMs))) {
      logger.info({ left: outbox.stats().depth }, 'outbox not empty at stop: the rest goes after the next start');
    }
    const confirmed = await link.publishJsonConfirmed(topics.status(ref), buildStoppedStatus(clock(), 'gateway stopped'), { retain: true, timeoutMs: 2000 });
    if (!confirmed) logger.warn('offline status not confirmed by the broker (uplink down or slow)');
    await link.close();
    offClose();
    outbox.close();
    db.close();
    logger.info('gateway stopped');
  };
  let stopping: Promise<void> | undefined;

  return {
    get stats(): GatewayStats {
      const uplinkStats = link.stats;
      const configState = configUpdater.state();
      return {
        startedAt,
        mqttConnected: uplinkStats.connected,
        messagesPublished: uplinkStats.published,
        publishErrors: uplinkStats.publishErrors,
        lastSeq: seq,
        pollsInFlight: acquisition.pollsInFlight(),
        devices: acquisition.snapshot(),
        configVersion: configState.version,
        ...(configState.error !== undefined ? { configError: configState.error } : {}),
        outbox: outbox.stats(),
        cameras: cameras.health(),
      };
    },
    stop: () => (stopping ??= stop()),
  };
}
