// The Modbus TCP link against the simulator and a silent server: reads, serialized sessions,
// fast failure when the peer goes away, reconnection after timeouts.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { closeServer, listen } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import { ModbusTcpLink } from './modbus-tcp-link.js';
import { parseProfile } from './profile.js';

const T0 = Date.UTC(2026, 0, 15, 21, 0, 0);
const profile = parseProfile({
  name: 'fixed',
  manufacturer: 't',
  model: 't',
  measurement: 'weather',
  source: 't',
  points: [
    { name: 'humidity', table: 'holding', address: 0, type: 'uint16', scale: 0.1, simulation: { model: 'constant', value: 65.8 } },
    { name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1, simulation: { model: 'constant', value: -22.4 } },
    { name: 'siren', table: 'coil', address: 0, type: 'bool', simulation: { model: 'constant', value: true } },
  ],
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(): Promise<ModbusSimulator> {
  const sim = await startModbusSimulator({ profile, clock: () => T0, unitId: 0 }); // 0: answers every unit
  cleanups.push(() => sim.close());
  return sim;
}

function link(port: number): ModbusTcpLink {
  const l = new ModbusTcpLink('127.0.0.1', port, silentLogger());
  cleanups.push(() => l.close());
  return l;
}

/** Accepts connections and never answers: a device that hangs, or a half-open connection. */
async function silentServer(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server, 0);
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await closeServer(server);
  });
  return { port, connections: () => connections };
}

describe('ModbusTcpLink', () => {
  it('reads registers and bits in a session', async () => {
    const sim = await simulator();
    const result = await link(sim.port).session({ unit: 1, timeoutMs: 1000 }, async (reader) => ({
      words: await reader.readRegisters('holding', 0, 2),
      bits: await reader.readBits('coil', 0, 1),
    }));
    expect(result).toEqual({ words: [0x0292, 0xff20], bits: [true] });
  });

  it('runs sessions one after another, never interleaved', async () => {
    const sim = await simulator();
    const l = link(sim.port);
    const order: string[] = [];
    const session = (unit: number) =>
      l.session({ unit, timeoutMs: 1000 }, async (reader) => {
        order.push(`start ${unit}`);
        await reader.readRegisters('holding', 0, 1);
        await reader.readRegisters('holding', 1, 1);
        order.push(`end ${unit}`);
      });
    await Promise.all([session(1), session(2), session(3)]);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('passes Modbus exceptions through and keeps the connection', async () => {
    const sim = await simulator();
    const l = link(sim.port);
    await expect(l.session({ unit: 1, timeoutMs: 1000 }, (reader) => reader.readRegisters('holding', 5, 1))).rejects.toMatchObject({ modbusCode: 2 });
    expect(await l.session({ unit: 1, timeoutMs: 1000 }, (reader) => reader.readRegisters('holding', 0, 1))).toEqual([0x0292]);
  });

  it('fails fast when the device goes away, then reconnects when it is back', async () => {
    const sim = await simulator();
    const port = sim.port;
    const l = link(port);
    await l.session({ unit: 1, timeoutMs: 1000 }, (reader) => reader.readRegisters('holding', 0, 1));
    await sim.close();
    const started = performance.now();
    await expect(l.session({ unit: 1, timeoutMs: 5000 }, (reader) => reader.readRegisters('holding', 0, 1))).rejects.toThrow(/ECONNREFUSED|closed/);
    expect(performance.now() - started).toBeLessThan(2000);
    const again = await startModbusSimulator({ profile, clock: () => T0, port });
    cleanups.push(() => again.close());
    expect(await l.session({ unit: 1, timeoutMs: 1000 }, (reader) => reader.readRegisters('holding', 1, 1))).toEqual([0xff20]);
  });

  it('drops the connection after a timeout and opens a new one for the next session', async () => {
    const silent = await silentServer();
    const l = link(silent.port);
    await expect(l.session({ unit: 1, timeoutMs: 200 }, (reader) => reader.readRegisters('holding', 0, 1))).rejects.toThrow(/Timed out/);
    await expect(l.session({ unit: 1, timeoutMs: 200 }, (reader) => reader.readRegisters('holding', 0, 1))).rejects.toThrow(/Timed out/);
    expect(silent.connections()).toBe(2);
  });

  it('close() fails a request in flight at once and refuses new sessions', async () => {
    const silent = await silentServer();
    const l = link(silent.port);
    const started = performance.now();
    const pending = l.session({ unit: 1, timeoutMs: 10_000 }, (reader) => reader.readRegisters('holding', 0, 1));
    // "closed by the gateway" once the request is out; "is closed" if close() wins the race with connecting.
    const settled = expect(pending).rejects.toThrow(/closed by the gateway|is closed/);
    await waitFor(() => silent.connections() > 0, { what: 'the link to connect', intervalMs: 5 });
    await l.close();
    await settled;
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(l.session({ unit: 1, timeoutMs: 200 }, (reader) => reader.readRegisters('holding', 0, 1))).rejects.toThrow(/is closed/);
  });
});
