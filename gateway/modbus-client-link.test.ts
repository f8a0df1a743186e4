// The Modbus link over TCP and RTU over TCP against the simulator and a silent server: reads and
// writes, serialized sessions, errors that say what failed, fast failure when the peer goes
// away, reconnection after timeouts, the silent interval, and late answers never mistaken for
// the next one. (RTU on a serial line: test/modbus-rtu-bus.test.ts.)
import net from 'node:net';
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { closeServer, listen } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import type { ModbusTransport } from '../protocol/index.js';
import { startModbusSimulator, type ModbusSimulator, type ModbusSimulatorOptions } from '../simulators/modbus/index.js';
import { ModbusClientLink } from './modbus-client-link.js';
import { connectorFor, rtuSilenceMs } from './modbus-connectors.js';
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
    { name: 'setpoint', table: 'holding', address: 2, type: 'uint16', access: 'rw', simulation: { model: 'constant', value: 7 } },
    { name: 'siren', table: 'coil', address: 0, type: 'bool', access: 'rw', simulation: { model: 'constant', value: true } },
  ],
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(options: Partial<ModbusSimulatorOptions> = {}): Promise<ModbusSimulator> {
  const sim = await startModbusSimulator({ profile, clock: () => T0, unitId: 0, ...options }); // 0: answers every unit
  cleanups.push(() => sim.close());
  return sim;
}

function link(transport: ModbusTransport, interRequestDelayMs = 0): ModbusClientLink {
  const l = new ModbusClientLink(connectorFor(transport), silentLogger(), { interRequestDelayMs });
  cleanups.push(() => l.close());
  return l;
}

const tcp = (port: number): ModbusTransport => ({ kind: 'tcp', host: '127.0.0.1', port, interRequestDelayMs: 0 });
const rtuOverTcp = (port: number): ModbusTransport => ({ kind: 'rtu-over-tcp', host: '127.0.0.1', port, interRequestDelayMs: 0 });

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

describe.each([
  { framing: 'mbap' as const, transport: tcp },
  { framing: 'rtu' as const, transport: rtuOverTcp },
])('ModbusClientLink ($framing framing over TCP)', ({ framing, transport }) => {
  it('reads registers and bits, and writes, in a session', async () => {
    const sim = await simulator({ framing });
    const l = link(transport(sim.port));
    const result = await l.session({ unit: 1, timeoutMs: 1000 }, async (requester) => {
      const before = await requester.readRegisters('holding', 0, 3);
      await requester.writeRegisters(2, [42]);
      await requester.writeCoil(0, false);
      return { before, after: await requester.readRegisters('holding', 0, 3), bits: await requester.readBits('coil', 0, 1) };
    });
    expect(result).toEqual({ before: [0x0292, 0xff20, 7], after: [0x0292, 0xff20, 42], bits: [false] });
  });

  it('passes Modbus exceptions through, named, and keeps the connection', async () => {
    const sim = await simulator({ framing });
    const l = link(transport(sim.port));
    await expect(l.session({ unit: 1, timeoutMs: 1000 }, (r) => r.readRegisters('holding', 5, 1))).rejects.toMatchObject({
      kind: 'exception',
      modbusCode: 2,
      message: 'exception: unit 1 refused with exception 2 (illegal data address) (read holding 0x0005×1)',
    });
    await expect(l.session({ unit: 1, timeoutMs: 1000 }, (r) => r.writeRegisters(1, [5]))).rejects.toMatchObject({ modbusCode: 2 });
    expect(await l.session({ unit: 1, timeoutMs: 1000 }, (r) => r.readRegisters('holding', 0, 1))).toEqual([0x0292]);
  });

  it('reports a damaged answer as such', async () => {
    const sim = await simulator({ framing });
    sim.setFault(1, { kind: 'garble' });
    const l = link(transport(sim.port));
    await expect(l.session({ unit: 1, timeoutMs: 1000 }, (r) => r.readRegisters('holding', 0, 2))).rejects.toMatchObject({
      kind: framing === 'rtu' ? 'crc' : 'protocol',
    });
  });

  it('never takes a late answer for the answer to the next request to that unit', async () => {
    const sim = await simulator({ framing });
    sim.setFault(1, { kind: 'slow', delayMs: 100 });
    const l = link(transport(sim.port));
    await expect(l.session({ unit: 1, timeoutMs: 80 }, (r) => r.readRegisters('holding', 0, 1))).rejects.toMatchObject({ kind: 'timeout' });
    sim.setFault(1, { kind: 'none' });
    // Sent at once: same unit, same function, same length, so only the content could tell the
    // late answer (0x0292, at ~100 ms) from this one. The link holds the request until the
    // timeout has passed once more, then drops what arrived.
    const started = performance.now();
    expect(await l.session({ unit: 1, timeoutMs: 1000 }, (r) => r.readRegisters('holding', 1, 1))).toEqual([0xff20]);
    if (framing === 'rtu') expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(sim.bus.stats(1).answered).toBe(2);
  });

  it('keeps the silent interval between requests', async () => {
    const sim = await simulator({ framing });
    const l = new ModbusClientLink(connectorFor(transport(sim.port)), silentLogger(), { interRequestDelayMs: 40 });
    cleanups.push(() => l.close());
    await l.session({ unit: 1, timeoutMs: 1000 }, async (r) => {
      for (let i = 0; i < 4; i++) await r.readRegisters('holding', 0, 1);
    });
    const times = sim.bus.log.map((s) => s.at);
    // 40 ms asked; a few ms of slack for timer and socket jitter (without the delay the gaps are ~1 ms).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(35);
  });
});

describe('ModbusClientLink over TCP', () => {
  it('runs sessions one after another, never interleaved', async () => {
    const sim = await simulator();
    const l = link(tcp(sim.port));
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

  it('fails fast when the device goes away, then reconnects when it is back', async () => {
    const sim = await simulator();
    const port = sim.port;
    const l = link(tcp(port));
    await l.session({ unit: 1, timeoutMs: 1000 }, (reader) => reader.readRegisters('holding', 0, 1));
    await sim.close();
    const started = performance.now();
    await expect(l.session({ unit: 1, timeoutMs: 5000 }, (reader) => reader.readRegisters('holding', 0, 1))).rejects.toMatchObject({
      kind: 'connection',
      message: expect.stringMatching(/ECONNREFUSED|closed/),
    });
    expect(performance.now() - started).toBeLessThan(2000);
    const again = await startModbusSimulator({ profile, clock: () => T0, port });
    cleanups.push(() => again.close());
    expect(await l.session({ unit: 1, timeoutMs: 1000 }, (reader) => reader.readRegisters('holding', 1, 1))).toEqual([0xff20]);
  });

  it('keeps the connection through one timeout (a dead unit behind a converter), drops it after two in a row', async () => {
    const silent = await silentServer();
    const l = link(tcp(silent.port));
    const read = () => l.session({ unit: 1, timeoutMs: 100 }, (reader) => reader.readRegisters('holding', 0, 1));
    await expect(read()).rejects.toMatchObject({ kind: 'timeout', message: 'timeout: no answer from unit 1 within 100 ms (read holding 0x0000×1)' });
    expect(silent.connections()).toBe(1);
    await expect(read()).rejects.toMatchObject({ kind: 'timeout' });
    await expect(read()).rejects.toMatchObject({ kind: 'timeout' });
    expect(silent.connections()).toBe(2);
  });

  it('does not drop the connection for a dead unit among live ones', async () => {
    const sim = await simulator({ unitId: 1 });
    const l = link(tcp(sim.port));
    for (let i = 0; i < 3; i++) {
      await expect(l.session({ unit: 9, timeoutMs: 50 }, (r) => r.readRegisters('holding', 0, 1))).rejects.toMatchObject({ kind: 'timeout' });
      await l.session({ unit: 1, timeoutMs: 1000 }, (r) => r.readRegisters('holding', 0, 1));
    }
    expect(sim.bus.log.length).toBe(6);
  });

  it('close() fails a request in flight at once and refuses new sessions', async () => {
    const silent = await silentServer();
    const l = link(tcp(silent.port));
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

describe('RTU over TCP: why connectTelnet', () => {
  it('modbus-serial connectTcpRTUBuffered sends MBAP frames: a transparent serial server gets no RTU frame', async () => {
    const sim = await simulator({ framing: 'rtu' });
    const client = new ModbusRTU.default();
    cleanups.push(() => new Promise((resolve) => client.destroy(() => resolve())));
    await client.connectTcpRTUBuffered('127.0.0.1', { port: sim.port });
    client.setID(1);
    client.setTimeout(200);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/);
    expect(sim.bus.log).toEqual([]); // not one valid RTU frame arrived
  });
});

describe('rtuSilenceMs', () => {
  it.each([
    [9600, 11, 4.01],
    [4800, 10, 7.29],
    [19200, 11, 2.005],
    [115200, 11, 1.75],
  ])('%i baud, %i bits per character: %f ms', (baud, bits, ms) => {
    expect(rtuSilenceMs(baud, bits)).toBeCloseTo(ms, 2);
  });
});
