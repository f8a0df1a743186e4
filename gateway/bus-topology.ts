// Which devices share a physical bus. A serial path, or a TCP endpoint (a Modbus TCP device or
// gateway, or a serial server), carries one request at a time, so every device configured on
// it goes through one scheduler. Pure: acquisition.ts resolves serial path aliases beforehand.
import type { DeviceConfig, ModbusTransport } from '../protocol/index.js';

export interface BusGroup {
  key: string;
  transport: ModbusTransport;
  /** Human label for logs and events, e.g. `rtu /dev/ttyS1` or `tcp 10.0.0.5:502`. */
  label: string;
  deviceIds: string[];
}

export interface Topology {
  buses: Map<string, BusGroup>;
  /** Device id → bus key. */
  busOf: Map<string, string>;
  /** Suspicious but legal, e.g. two devices with one unit id on one bus. */
  warnings: string[];
}

export class BusConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusConflictError';
  }
}

/** The serial path or TCP endpoint: equal keys share a bus. A TCP endpoint is one bus whatever it speaks. */
export function busKey(transport: ModbusTransport, resolvePath: (path: string) => string = (p) => p): string {
  return transport.kind === 'rtu' ? `serial:${resolvePath(transport.path)}` : `net:${transport.host.toLowerCase()}:${transport.port}`;
}

export function busLabel(transport: ModbusTransport): string {
  switch (transport.kind) {
    case 'tcp':
      return `tcp ${transport.host}:${transport.port}`;
    case 'rtu-over-tcp':
      return `rtu-over-tcp ${transport.host}:${transport.port}`;
    case 'rtu':
      return `rtu ${transport.path}`;
  }
}

/** Fields of `b` that differ from `a`, e.g. `baudRate 19200 instead of 9600`. */
function differences(a: ModbusTransport, b: ModbusTransport): string[] {
  if (a.kind !== b.kind) return [`speaks ${b.kind} where the other speaks ${a.kind}`];
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].filter((k) => k !== 'path' && k !== 'host');
  return keys.filter((k) => left[k] !== right[k]).map((k) => `${k} ${String(right[k])} instead of ${String(left[k])}`);
}

/**
 * Groups devices by bus. Throws BusConflictError, naming both devices, when devices on one bus
 * disagree on how to talk to it (baud rate, parity, framing, inter-request delay).
 */
export function groupByBus(devices: readonly DeviceConfig[], resolvePath?: (path: string) => string): Topology {
  const buses = new Map<string, BusGroup>();
  const busOf = new Map<string, string>();
  const first = new Map<string, number>();
  const units = new Map<string, string>();
  const warnings: string[] = [];
  devices.forEach((device, index) => {
    const key = busKey(device.transport, resolvePath);
    const bus = buses.get(key);
    if (!bus) {
      buses.set(key, { key, transport: device.transport, label: busLabel(device.transport), deviceIds: [device.id] });
      first.set(key, index);
    } else {
      const diff = differences(bus.transport, device.transport);
      if (diff.length) {
        const other = first.get(key)!;
        throw new BusConflictError(
          `devices.${index} (${device.id}) shares ${bus.label} with devices.${other} (${devices[other]!.id}) but ${diff.join(', ')}: devices on one bus must agree`,
        );
      }
      bus.deviceIds.push(device.id);
    }
    busOf.set(device.id, key);
    const unitKey = `${key}#${device.unit}`;
    const twin = units.get(unitKey);
    if (twin) warnings.push(`${device.id} and ${twin} both use unit ${device.unit} on ${buses.get(key)!.label}`);
    else units.set(unitKey, device.id);
  });
  return { buses, busOf, warnings };
}
