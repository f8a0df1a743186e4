// Acquisition: everything between the gateway's device list and its Modbus buses —
// links per transport, the pollers of each device, applying a new device list without
// a restart, and writes on command. The gateway core (uplink, outbox, status, remote
// config) talks to devices only through this interface.
import type { Logger } from '../lib/logger.js';
import type { DeviceConfig, DeviceHealth } from '../protocol/index.js';
import type { DeviceHealthSnapshot } from './device-health.js';
import { DevicePoller, type Clock, type PollSink } from './device-poller.js';
import type { ModbusLink } from './modbus-link.js';
import { ModbusTcpLink } from './modbus-tcp-link.js';
import type { DeviceProfile } from './profile-schema.js';

export interface AcquisitionOptions {
  profiles: ReadonlyMap<string, DeviceProfile>;
  sink: PollSink;
  clock: Clock;
  logger: Logger;
  offlineAfterFailures: number;
  /** Named in the unknown-profile error, e.g. the profile directory. */
  profilesSource?: string;
}

export interface Acquisition {
  /**
   * Brings the running devices in line with `devices`: starts new ones, stops removed ones,
   * restarts changed ones, leaves the unchanged ones polling. Validates everything first and
   * throws without changing anything if a device names an unknown profile.
   */
  apply(devices: readonly DeviceConfig[]): Promise<void>;
  /** Writes one point of a device, serialized with polling on the same bus. */
  write(deviceId: string, point: string, value: number | boolean): Promise<void>;
  /** Health as published in the status message. */
  health(): Record<string, DeviceHealth>;
  /** Full per-device counters, for stats and tests. */
  snapshot(): Record<string, DeviceHealthSnapshot>;
  /** Devices whose poll is between taking its sample time and handing over its result. */
  pollsInFlight(): number;
  stop(): Promise<void>;
}

function transportKey(device: DeviceConfig): string {
  return `${device.transport.kind}://${device.transport.host}:${device.transport.port}`;
}

export function createAcquisition(options: AcquisitionOptions): Acquisition {
  const links = new Map<string, ModbusLink>();
  const pollers = new Map<string, { config: string; poller: DevicePoller }>();

  const linkFor = (device: DeviceConfig): ModbusLink => {
    const key = transportKey(device);
    let link = links.get(key);
    if (!link) {
      link = new ModbusTcpLink(device.transport.host, device.transport.port, options.logger);
      links.set(key, link);
    }
    return link;
  };

  const resolveProfiles = (devices: readonly DeviceConfig[]) => devices.map((device, index) => {
    const profile = options.profiles.get(device.profile);
    if (!profile) {
      const known = [...options.profiles.keys()].sort().join(', ') || 'none';
      throw new Error(`devices.${index} (${device.id}): unknown profile "${device.profile}" (known in ${options.profilesSource ?? 'the given profiles'}: ${known})`);
    }
    return { device, profile };
  });

  async function closeUnusedLinks(): Promise<void> {
    const used = new Set([...pollers.values()].map(({ poller }) => transportKey(poller.device)));
    for (const [key, link] of links) {
      if (!used.has(key)) {
        links.delete(key);
        await link.close();
      }
    }
  }

  return {
    async apply(devices) {
      const resolved = resolveProfiles(devices);
      const wanted = new Map(resolved.map((r) => [r.device.id, r]));
      for (const [id, running] of pollers) {
        const next = wanted.get(id);
        if (!next || JSON.stringify(next.device) !== running.config) {
          pollers.delete(id);
          await running.poller.stop();
        }
      }
      for (const { device, profile } of resolved) {
        if (pollers.has(device.id)) continue;
        const poller = new DevicePoller({
          device, profile, link: linkFor(device), sink: options.sink, clock: options.clock,
          logger: options.logger.child({ device: device.id }), offlineAfterFailures: options.offlineAfterFailures,
        });
        pollers.set(device.id, { config: JSON.stringify(device), poller });
        poller.start();
      }
      await closeUnusedLinks();
    },
    async write(deviceId) {
      if (!pollers.has(deviceId)) throw new Error(`no device "${deviceId}" on this gateway`);
      throw new Error('writes are not supported yet');
    },
    health() {
      return Object.fromEntries([...pollers].map(([id, { poller }]) => [id, poller.health.toStatus()]));
    },
    snapshot() {
      return Object.fromEntries([...pollers].map(([id, { poller }]) => [id, poller.health.snapshot()]));
    },
    pollsInFlight() {
      return [...pollers.values()].filter(({ poller }) => poller.busy).length;
    },
    async stop() {
      const halted = [...pollers.values()].map(({ poller }) => poller.stop());
      pollers.clear();
      await Promise.all([...links.values()].map((link) => link.close()));
      links.clear();
      await Promise.all(halted);
    },
  };
}
