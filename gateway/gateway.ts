// The gateway process core: loads profiles, opens one Modbus link per host:port, polls every
// device at its interval and publishes telemetry, device events and a retained status.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';
import { topics, type GatewayRef } from '../protocol/index.js';
import { parseGatewaySettings, type GatewaySettingsInput } from './config.js';
import type { DeviceHealthSnapshot } from './device-health.js';
import { createAcquisition } from './acquisition.js';
import type { Clock, PollSink } from './device-poller.js';
import { buildOnlineStatus, buildStoppedStatus, buildWillStatus } from './messages.js';
import { defaultProfilesDir, findPackageRoot, loadProfileLibrary } from './profile.js';
import type { DeviceProfile } from './profile-schema.js';
import { Uplink } from './uplink.js';

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
  /** Last sequence number given to a sample (0: none yet). */
  lastSeq: number;
  /** Devices whose poll is under way (sample time taken or about to be, result not yet handed over). */
  pollsInFlight: number;
  devices: Record<string, DeviceHealthSnapshot>;
}

export interface Gateway {
  /** A fresh snapshot on every read. */
  readonly stats: GatewayStats;
  /** Stops polling, publishes a retained offline status and disconnects. Idempotent. */
  stop(): Promise<void>;
}

function packageVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export async function startGateway(config: GatewaySettingsInput, options: GatewayOptions): Promise<Gateway> {
  const settings = parseGatewaySettings(config);
  const clock = options.clock ?? Date.now;
  const logger = options.logger.child({ site: settings.site, gateway: settings.gateway });
  const ref: GatewayRef = { site: settings.site, gateway: settings.gateway };
  const version = options.version ?? packageVersion();
  const profilesDir = settings.profilesDir ?? defaultProfilesDir();
  const profiles = options.profiles ?? (await loadProfileLibrary(profilesDir));

  const startedAt = clock();
  const uplink = new Uplink(
    {
      url: settings.mqtt.url,
      username: settings.mqtt.username,
      password: settings.mqtt.password,
      clientId: settings.mqtt.clientId ?? `sb-gw-${settings.site}-${settings.gateway}`,
      keepaliveS: settings.mqtt.keepaliveS,
      reconnectPeriodMs: settings.mqtt.reconnectPeriodMs,
      will: { topic: topics.status(ref), payload: buildWillStatus() },
    },
    logger,
  );

  let seq = 0;
  const sink: PollSink = {
    telemetry: (deviceId, message) => uplink.publishJson(topics.telemetry(ref, deviceId), message),
    event: (deviceId, event) => uplink.publishJson(topics.event(ref, deviceId), event),
    nextSeq: () => ++seq,
  };

  const acquisition = createAcquisition({
    profiles, sink, clock, logger, offlineAfterFailures: settings.offlineAfterFailures,
    profilesSource: options.profiles ? 'the given profiles' : profilesDir,
  });
  // Resolves every profile before anything polls: a typo stops the start, not one device.
  await acquisition.apply(settings.devices);

  const publishStatus = (): void => {
    const devices = acquisition.health();
    uplink.publishJson(
      topics.status(ref),
      buildOnlineStatus({ ts: clock(), startedAt, ...(version !== undefined ? { version } : {}), devices, memoryRssBytes: process.memoryUsage.rss() }),
      { retain: true },
    );
  };
  // On every (re)connect: the retained status may still say "offline" from the last will.
  uplink.client.on('connect', publishStatus);
  const statusTimer = setInterval(() => {
    if (uplink.client.connected) publishStatus();
  }, settings.statusIntervalMs);

  logger.info({ devices: settings.devices.length }, 'gateway started');

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    clearInterval(statusTimer);
    uplink.client.off('connect', publishStatus);
    await acquisition.stop();
    const confirmed = await uplink.publishJsonConfirmed(topics.status(ref), buildStoppedStatus(clock(), 'gateway stopped'), { retain: true, timeoutMs: 2000 });
    if (!confirmed) logger.warn('offline status not confirmed by the broker (uplink down or slow)');
    await uplink.close();
    logger.info('gateway stopped');
  };

  return {
    get stats(): GatewayStats {
      const uplinkStats = uplink.stats;
      const devices = acquisition.snapshot();
      const pollsInFlight = acquisition.pollsInFlight();
      return {
        startedAt,
        mqttConnected: uplinkStats.connected,
        messagesPublished: uplinkStats.published,
        publishErrors: uplinkStats.publishErrors,
        lastSeq: seq,
        pollsInFlight,
        devices,
      };
    },
    stop: () => (stopping ??= stop()),
  };
}
