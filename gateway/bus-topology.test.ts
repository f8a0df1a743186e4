// Which devices share a bus, and which configurations contradict each other on one bus.
import { describe, expect, it } from 'vitest';
import { deviceConfigSchema, modbusTransportSchema, type DeviceConfigInput } from '../protocol/index.js';
import { busKey, groupByBus } from './bus-topology.js';

const device = (id: string, transport: DeviceConfigInput['transport'], unit = 1) => deviceConfigSchema.parse({ id, profile: 'th-transmitter', transport, unit });
const serial = (path: string, extra: Record<string, unknown> = {}) => ({ kind: 'rtu' as const, path, ...extra });
const tcp = (host: string, port: number) => ({ kind: 'tcp' as const, host, port });

describe('groupByBus', () => {
  it('puts devices on one serial path, or one TCP endpoint, on one bus', () => {
    const topology = groupByBus([
      device('th-1', serial('/dev/ttyS1'), 1),
      device('pm-1', serial('/dev/ttyS1'), 2),
      device('th-2', serial('/dev/ttyS2'), 1),
      device('meter-1', tcp('10.0.0.5', 502), 1),
      device('meter-2', tcp('10.0.0.5', 502), 2),
      device('meter-3', tcp('10.0.0.6', 502), 1),
    ]);
    expect([...topology.buses.values()].map((b) => `${b.label}: ${b.deviceIds.join(',')}`)).toEqual([
      'rtu /dev/ttyS1: th-1,pm-1',
      'rtu /dev/ttyS2: th-2',
      'tcp 10.0.0.5:502: meter-1,meter-2',
      'tcp 10.0.0.6:502: meter-3',
    ]);
    expect(topology.warnings).toEqual([]);
  });

  it('sees aliases of one serial device as one bus', () => {
    const aliases: Record<string, string> = { '/dev/serial/by-id/usb-FTDI-if00': '/dev/ttyUSB0' };
    const topology = groupByBus([device('a', serial('/dev/serial/by-id/usb-FTDI-if00'), 1), device('b', serial('/dev/ttyUSB0'), 2)], (p) => aliases[p] ?? p);
    expect(topology.buses.size).toBe(1);
  });

  const conflicts: { name: string; devices: ReturnType<typeof device>[]; message: RegExp }[] = [
    {
      name: 'two baud rates on one line',
      devices: [device('th-1', serial('/dev/ttyS1'), 1), device('pm-1', serial('/dev/ttyS1', { baudRate: 19200 }), 2)],
      message: /devices\.1 \(pm-1\) shares rtu \/dev\/ttyS1 with devices\.0 \(th-1\) but baudRate 19200 instead of 9600/,
    },
    {
      name: 'parity and stop bits',
      devices: [device('a', serial('/dev/ttyS1'), 1), device('b', serial('/dev/ttyS1', { parity: 'even', stopBits: 2 }), 2)],
      message: /parity even instead of none, stopBits 2 instead of 1/,
    },
    {
      name: 'Modbus TCP and RTU over TCP to one endpoint',
      devices: [device('a', tcp('10.0.0.5', 4001), 1), device('b', { kind: 'rtu-over-tcp', host: '10.0.0.5', port: 4001 }, 2)],
      message: /speaks rtu-over-tcp where the other speaks tcp/,
    },
    {
      name: 'different inter-request delays on one bus',
      devices: [device('a', serial('/dev/ttyS1'), 1), device('b', serial('/dev/ttyS1', { interRequestDelayMs: 20 }), 2)],
      message: /interRequestDelayMs 20 instead of 0/,
    },
  ];
  it.each(conflicts)('refuses $name, naming both devices', ({ devices, message }) => {
    expect(() => groupByBus(devices)).toThrow(message);
  });

  it('warns about two devices with one unit id on one bus', () => {
    const topology = groupByBus([device('a', serial('/dev/ttyS1'), 3), device('b', serial('/dev/ttyS1'), 3)]);
    expect(topology.warnings).toEqual(['b and a both use unit 3 on rtu /dev/ttyS1']);
  });

  it('keys TCP hosts case-insensitively', () => {
    expect(busKey(modbusTransportSchema.parse(tcp('GW.local', 502)))).toBe(busKey(modbusTransportSchema.parse(tcp('gw.local', 502))));
  });
});
