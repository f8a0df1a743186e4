// Acquisition: everything between the gateway's device list and its Modbus buses — one bus
// (link + scheduler) per serial line or TCP endpoint, the pollers of each device, applying a
// new device list without a restart, and writes on command. The gateway core (uplink, outbox,
// status, remote config) talks to devices only through this interface.
import { realpathSync } from 'node:fs';
import type { Logger } from '../lib/logger.js';
import type { DeviceConfig, DeviceHealth } from '../protocol/index.js';
import { groupByBus, type BusGroup } from './bus-topology.js';
import type { DeviceHealthSnapshot } from './device-health.js';
import { DevicePoller, planOptionsOf, type Clock, type PollSink } from './device-poller.js';
import { ModbusBus, type BusStats } from './modbus-bus.js';
import { ModbusClientLink } from './modbus-client-link.js';
import { connectorFor } from './modbus-connectors.js';
import { staggeredStarts } from './poll-timing.js';
import { planWrite, writable } from './point-write.js';
import type { DeviceProfile } from './profile-schema.js';
import { planProblem } from './read-plan.js';

export interface AcquisitionOptions {
  profiles: ReadonlyMap<string, DeviceProfile>;
  sink: PollSink;
  clock: Clock;
  logger: Logger;
  offlineAfterFailures: number;
  /** Named in the unknown-profile error, e.g. the profile directory. */
  profilesSource?: string;
}

export interface BusSnapshot extends BusStats {
  label: string;
  devices: string[];
}

export interface Acquisition {
  /**
   * Brings the running devices in line with `devices`: starts new ones, stops removed ones,
   * restarts changed ones, leaves the unchanged ones polling (health and timing kept). Validates
   * everything first and throws without changing anything if a device names an unknown profile,
   * a profile its request limits cannot read, or a bus setting other devices on its bus contradict.
   * Calls are serialized: a second apply waits for the first.
   */
  apply(devices: readonly DeviceConfig[]): Promise<void>;
  /**
   * Writes one point of a device, serialized with polling on the same bus (ahead of due polls);
   * resolves when the device confirmed. Throws for unknown devices/points, read-only points
   * (WriteRefusedError) and values the point cannot hold; rejects with a ModbusRequestError
   * when the device does not confirm (a timed-out write may or may not have been applied).
   */
  write(deviceId: string, point: string, value: number | boolean): Promise<void>;
  /** Health as published in the status message. */
  health(): Record<string, DeviceHealth>;
  /** Full per-device counters, for stats and tests. */
  snapshot(): Record<string, DeviceHealthSnapshot>;
  /** Per-bus load and scheduling figures. */
  buses(): BusSnapshot[];
  /** Devices whose poll is between taking its sample time and handing over its result. */
  pollsInFlight(): number;
  stop(): Promise<void>;
}

/** A serial device reached through a /dev/serial/by-id link is the same bus as its /dev/ttyUSBn name. */
function resolveSerialPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // not plugged in (yet): compare by the configured name
  }
}

interface Running {
  config: string;
  poller: DevicePoller;
  busKey: string;
}

export function createAcquisition(options: AcquisitionOptions): Acquisition {
  const buses = new Map<string, ModbusBus>();
  const running = new Map<string, Running>();
  let applying: Promise<void> = Promise.resolve();
  let stopped = false;

  const resolveProfiles = (devices: readonly DeviceConfig[]) => devices.map((device, index) => {
    const profile = options.profiles.get(device.profile);
    if (!profile) {
      const known = [...options.profiles.keys()].sort().join(', ') || 'none';
      throw new Error(`devices.${index} (${device.id}): unknown profile "${device.profile}" (known in ${options.profilesSource ?? 'the given profiles'}: ${known})`);
    }
    const problem = planProblem(profile.points, planOptionsOf(device));
    if (problem) throw new Error(`devices.${index} (${device.id}): profile ${profile.name}: ${problem} (maxRegistersPerRequest ${device.maxRegistersPerRequest})`);
    return { device, profile };
  });

  const busFor = (group: BusGroup): ModbusBus => {
    let bus = buses.get(group.key);
    if (!bus) {
      const logger = options.logger.child({ bus: group.label });
      const link = new ModbusClientLink(connectorFor(group.transport), logger, { interRequestDelayMs: group.transport.interRequestDelayMs });
      bus = new ModbusBus(link, logger);
      buses.set(group.key, bus);
    }
    return bus;
  };

  async function applyNow(devices: readonly DeviceConfig[]): Promise<void> {
    if (stopped) throw new Error('acquisition is stopped');
    const resolved = resolveProfiles(devices);
    const topology = groupByBus(devices, resolveSerialPath);
    for (const warning of topology.warnings) options.logger.warn(warning);

    const wanted = new Map(resolved.map((r) => [r.device.id, r]));
    for (const [id, current] of running) {
      const next = wanted.get(id);
      if (!next || JSON.stringify(next.device) !== current.config || topology.busOf.get(id) !== current.busKey) {
        running.delete(id);
        await buses.get(current.busKey)?.remove(id);
      }
    }
    // Close emptied buses before opening new ones: a serial port can be open only once.
    for (const [key, bus] of buses) {
      if (bus.size === 0) {
        buses.delete(key);
        await bus.stop();
      }
    }
    const joining = new Map<string, { device: DeviceConfig; profile: DeviceProfile }[]>();
    for (const entry of resolved) {
      if (running.has(entry.device.id)) continue;
      const key = topology.busOf.get(entry.device.id)!;
      joining.set(key, [...(joining.get(key) ?? []), entry]);
    }
    for (const [key, entries] of joining) {
      const bus = busFor(topology.buses.get(key)!);
      const starts = staggeredStarts(performance.now(), entries.map((e) => e.device.pollIntervalMs));
      entries.forEach(({ device, profile }, i) => {
        const poller = new DevicePoller({
          device, profile, busLabel: bus.label, sink: options.sink, clock: options.clock,
          logger: options.logger.child({ device: device.id }), offlineAfterFailures: options.offlineAfterFailures, firstDue: starts[i]!,
        });
        running.set(device.id, { config: JSON.stringify(device), poller, busKey: key });
        bus.add(poller);
      });
    }
  }

  return {
    apply(devices) {
      const result = applying.then(() => applyNow(devices));
      applying = result.catch(() => undefined);
      return result;
    },
    async write(deviceId, pointName, value) {
      const entry = running.get(deviceId);
      if (!entry) throw new Error(`no device "${deviceId}" on this gateway`);
      const point = entry.poller.profile.points.find((p) => p.name === pointName);
      if (!point) {
        const names = entry.poller.profile.points.filter(writable).map((p) => p.name);
        throw new Error(`device ${deviceId} (${entry.poller.profile.name}) has no point "${pointName}" (writable: ${names.join(', ') || 'none'})`);
      }
      const request = planWrite(point, value);
      const bus = buses.get(entry.busKey);
      if (!bus) throw new Error(`device ${deviceId} has no bus (stopping?)`);
      await bus.write(entry.poller, request);
    },
    health() {
      return Object.fromEntries([...running].map(([id, { poller }]) => [id, poller.health.toStatus()]));
    },
    snapshot() {
      return Object.fromEntries([...running].map(([id, { poller }]) => [id, poller.health.snapshot()]));
    },
    buses() {
      return [...buses.values()].map((bus) => ({ label: bus.label, devices: bus.devices().map((p) => p.device.id), ...bus.stats() }));
    },
    pollsInFlight() {
      return [...running.values()].filter(({ poller }) => poller.busy).length;
    },
    async stop() {
      stopped = true;
      await applying;
      running.clear();
      const all = [...buses.values()];
      buses.clear();
      await Promise.all(all.map((bus) => bus.stop()));
    },
  };
}
