// The gateway process core: loads profiles, opens one Modbus link per host:port, polls every
// device at its interval and publishes telemetry, device events and a retained status.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';
import { topics, type DeviceHealth, type GatewayRef } from '../protocol/index.js';
import { parseGatewaySettings, type GatewaySettingsInput } from './config.js';
import type { DeviceHealthSnapshot } from './device-health.js';
import { DevicePoller, type Clock, type PollSink } from './device-poller.js';
import { buildOnlineStatus, buildStoppedStatus, buildWillStatus } from './messages.js';
import type { ModbusLink } from './modbus-link.js';
import { ModbusTcpLink } from './modbus-tcp-link.js';
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

  // Resolve every profile before connecting anything: a typo must stop the start, not a device.
  const resolved = settings.devices.map((device, index) => {
    const profile = profiles.get(device.profile);
    if (!profile) {
      const known = [...profiles.keys()].sort().join(', ') || 'none';
      throw new Error(`devices.${index} (${device.id}): unknown profile "${device.profile}" (known in ${options.profiles ? 'the given profiles' : profilesDir}: ${known})`);
    }
    return { device, profile };
  });

  const links = new Map<string, ModbusLink>();
  const linkFor = (host: string, port: number): ModbusLink => {
    const key = `${host}:${port}`;
    let link = links.get(key);
    if (!link) {
      link = new ModbusTcpLink(host, port, logger);
      links.set(key, link);
    }
    return link;
  };

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

  const pollers = new Map<string, DevicePoller>();
  for (const { device, profile } of resolved) {
    pollers.set(
      device.id,
      new DevicePoller({
        device,
        profile,
        link: linkFor(device.transport.host, device.transport.port),
        sink,
        clock,
        logger: logger.child({ device: device.id }),
        offlineAfterFailures: settings.offlineAfterFailures,
      }),
    );
  }

  const publishStatus = (): void => {
    const devices: Record<string, DeviceHealth> = {};
    for (const [id, poller] of pollers) devices[id] = poller.health.toStatus();
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

  for (const poller of pollers.values()) poller.start();
  logger.info({ devices: settings.devices.length, links: links.size }, 'gateway started');

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    clearInterval(statusTimer);
    uplink.client.off('connect', publishStatus);
    const halted = [...pollers.values()].map((poller) => poller.stop());
    await Promise.all([...links.values()].map((link) => link.close()));
    await Promise.all(halted);
    const confirmed = await uplink.publishJsonConfirmed(topics.status(ref), buildStoppedStatus(clock(), 'gateway stopped'), { retain: true, timeoutMs: 2000 });
    if (!confirmed) logger.warn('offline status not confirmed by the broker (uplink down or slow)');
    await uplink.close();
    logger.info('gateway stopped');
  };

  return {
    get stats(): GatewayStats {
      const uplinkStats = uplink.stats;
      const devices: Record<string, DeviceHealthSnapshot> = {};
      let pollsInFlight = 0;
      for (const [id, poller] of pollers) {
        devices[id] = poller.health.snapshot();
        if (poller.busy) pollsInFlight++;
      }
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
