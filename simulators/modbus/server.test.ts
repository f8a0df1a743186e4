// The Modbus TCP simulator over a real socket, read with modbus-serial's client: register
// values checked against hand-computed words, exceptions, unit ids, port 0, writes to rw
// points, several units behind one port, faults on demand, RTU framing over TCP.
import net from 'node:net';
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProfile } from '../../gateway/profile.js';
import { defaultProfilesDir, loadProfileLibrary } from '../../gateway/profile.js';
import { decodeRegisters } from '../../gateway/decode.js';
import { startModbusSimulator, type ModbusSimulator } from './server.js';

type Client = InstanceType<typeof ModbusRTU.default>;

const T0 = Date.UTC(2026, 0, 15, 21, 0, 0); // 05:00 in Tongjiang

/** A device with one point of every kind, at fixed values, so the words can be worked out by hand. */
const fixed = parseProfile({
  name: 'fixed',
  manufacturer: 'test',
  model: 'test',
  measurement: 'weather',
  source: 'test',
  points: [
    { name: 'humidity', table: 'holding', address: 0, type: 'uint16', scale: 0.1, simulation: { model: 'constant', value: 65.8 } },
    { name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1, simulation: { model: 'constant', value: -22.4 } },
    { name: 'voltage', table: 'input', address: 0x2000, type: 'float32', wordOrder: 'CDAB', simulation: { model: 'constant', value: 229.7 } },
    { name: 'energy', table: 'input', address: 0x2002, type: 'uint32', simulation: { model: 'constant', value: 305419896 } },
    { name: 'siren', table: 'coil', address: 3, type: 'bool', simulation: { model: 'constant', value: true } },
    { name: 'door', table: 'discrete', address: 0, type: 'bool', simulation: { model: 'constant', value: false } },
  ],
});

/** A siren controller / radar level gauge: rw coil and rw install height, plus read-only neighbours. */
const writable = parseProfile({
  name: 'writable',
  manufacturer: 'test',
  model: 'test',
  measurement: 'water',
  source: 'test',
  points: [
    { name: 'siren', table: 'coil', address: 0, type: 'bool', access: 'rw', simulation: { model: 'constant', value: false } },
    { name: 'strobe', table: 'coil', address: 1, type: 'bool', simulation: { model: 'constant', value: false } },
    { name: 'install_height', table: 'holding', address: 0x10, type: 'uint16', scale: 0.01, access: 'rw', simulation: { model: 'constant', value: 5 } },
    { name: 'level', table: 'holding', address: 0x11, type: 'uint16', scale: 0.01, simulation: { model: 'constant', value: 2 } },
  ],
});

const started: ModbusSimulator[] = [];
const clients: Client[] = [];

async function simulator(options: Omit<Parameters<typeof startModbusSimulator>[0], 'profile'> & { profile?: typeof fixed } = {}): Promise<ModbusSimulator> {
  const sim = await startModbusSimulator({ profile: fixed, clock: () => T0, ...options });
  started.push(sim);
  return sim;
}

async function connect(sim: ModbusSimulator, unit = sim.unitId): Promise<Client> {
  const client = new ModbusRTU.default();
  clients.push(client);
  await client.connectTCP(sim.host, { port: sim.port });
  client.setID(unit);
  client.setTimeout(500);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) await new Promise<void>((resolve) => client.destroy(() => resolve()));
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

describe('startModbusSimulator', () => {
  it('serves holding registers: 65.8 %RH as 0x0292, −22.4 °C as 0xFF20', async () => {
    const client = await connect(await simulator());
    expect((await client.readHoldingRegisters(0, 2)).data).toEqual([0x0292, 0xff20]);
    // A one-register read takes modbus-serial's other code path (getHoldingRegister).
    expect((await client.readHoldingRegisters(1, 1)).data).toEqual([0xff20]);
  });

  it('serves input registers: float32 229.7 CDAB as B333 4365, uint32 0x12345678 ABCD', async () => {
    const client = await connect(await simulator());
    expect((await client.readInputRegisters(0x2000, 4)).data).toEqual([0xb333, 0x4365, 0x1234, 0x5678]);
  });

  it('serves coils and discrete inputs', async () => {
    const client = await connect(await simulator());
    expect((await client.readCoils(3, 1)).data[0]).toBe(true);
    expect((await client.readDiscreteInputs(0, 1)).data[0]).toBe(false);
  });

  it('serves a scripted value (a river rising) until handed back to the model, read-only points included', async () => {
    const sim = await simulator({ profile: writable });
    const client = await connect(sim);
    sim.setValue('level', 3.42);
    expect((await client.readHoldingRegisters(0x11, 1)).data).toEqual([342]);
    expect(sim.valueAt('level', T0)).toBe(3.42);
    sim.setValue('level', undefined);
    expect((await client.readHoldingRegisters(0x11, 1)).data).toEqual([200]);
    expect(() => sim.setValue('flow', 1)).toThrow(/profile writable has no point "flow"/);
  });

  it('answers ILLEGAL DATA ADDRESS (2) for unmapped addresses, in every table', async () => {
    const client = await connect(await simulator());
    await expect(client.readHoldingRegisters(0, 3)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readHoldingRegisters(7, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readInputRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readCoils(0, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readDiscreteInputs(5, 1)).rejects.toMatchObject({ modbusCode: 2 });
    // The connection survives exceptions.
    expect((await client.readHoldingRegisters(0, 1)).data).toEqual([0x0292]);
  });

  it('reads 0 across gaps with unmapped: zero', async () => {
    const client = await connect(await simulator({ unmapped: 'zero' }));
    expect((await client.readHoldingRegisters(0, 4)).data).toEqual([0x0292, 0xff20, 0, 0]);
  });

  it('accepts writes to rw points and serves the written value; refuses read-only points with ILLEGAL DATA ADDRESS (2)', async () => {
    const client = await connect(await simulator({ profile: writable }));
    await client.writeRegister(0x10, 1234);
    await client.writeCoil(0, true);
    expect((await client.readHoldingRegisters(0x10, 1)).data).toEqual([1234]);
    expect((await client.readCoils(0, 1)).data[0]).toBe(true);
    await client.writeRegisters(0x10, [4321]);
    expect((await client.readHoldingRegisters(0x10, 1)).data).toEqual([4321]);
    await expect(client.writeRegister(0x11, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.writeCoil(1, true)).rejects.toMatchObject({ modbusCode: 2 });
  });

  it('answers ILLEGAL FUNCTION (1) for a function it does not implement instead of staying silent', async () => {
    const sim = await simulator();
    const socket = net.connect(sim.port, '127.0.0.1');
    try {
      const answer = new Promise<Buffer>((resolve) => socket.once('data', resolve));
      // Transaction 0x0102, unit 1, function 0x07 (read exception status, serial-line only).
      socket.write(Buffer.from([0x01, 0x02, 0x00, 0x00, 0x00, 0x02, 0x01, 0x07]));
      expect([...(await answer)]).toEqual([0x01, 0x02, 0x00, 0x00, 0x00, 0x03, 0x01, 0x87, 0x01]);
    } finally {
      socket.destroy();
    }
  });

  it('ignores other unit ids, as a device on a shared bus does (the client times out)', async () => {
    const sim = await simulator({ unitId: 7 });
    expect((await (await connect(sim, 7)).readHoldingRegisters(0, 1)).data).toEqual([0x0292]);
    await expect((await connect(sim, 8)).readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/);
  });

  it('picks a free port for port 0 and frees it on close', async () => {
    const a = await simulator();
    const b = await simulator();
    expect(a.port).toBeGreaterThan(0);
    expect(a.port).not.toBe(b.port);
    await a.close();
    await a.close(); // idempotent
    const client = new ModbusRTU.default();
    clients.push(client);
    await expect(client.connectTCP('127.0.0.1', { port: a.port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('computes a multi-register read at one instant: a float32 never mixes two seconds', async () => {
    const walking = parseProfile({
      name: 'walking',
      manufacturer: 't',
      model: 't',
      measurement: 'energy',
      source: 't',
      points: [{ name: 'voltage', table: 'holding', address: 0, type: 'float32', simulation: { model: 'random-walk', mean: 230, spread: 5, timescaleS: 2 } }],
    });
    let now = T0;
    const seen: number[] = [];
    const sim = await simulator({
      profile: walking,
      clock: () => {
        now += 1000; // every look at the clock is a new second
        seen.push(now);
        return now;
      },
    });
    const client = await connect(sim);
    for (let i = 0; i < 5; i++) {
      const words = (await client.readHoldingRegisters(0, 2)).data;
      const value = decodeRegisters(walking.points[0]!, words);
      expect(value).toBe(sim.valueAt('voltage', seen[seen.length - 1]!));
    }
    expect(seen).toHaveLength(5);
  });

  it('serves the shipped th-transmitter at the value model’s values', async () => {
    const library = await loadProfileLibrary(defaultProfilesDir());
    const th = library.get('th-transmitter')!;
    const sim = await simulator({ profile: th, seed: 42 });
    const words = (await (await connect(sim)).readHoldingRegisters(0, 2)).data;
    const [humidity, temperature] = [decodeRegisters(th.points[0]!, [words[0]!]), decodeRegisters(th.points[1]!, [words[1]!])];
    expect(humidity).toBe(sim.valueAt('humidity', T0));
    expect(temperature).toBe(sim.valueAt('temperature', T0));
    expect(temperature).toBeLessThan(-20); // 05:00 in January
    expect(() => sim.valueAt('pressure', T0)).toThrow(/no point "pressure"/);
  });
});

describe('startModbusSimulator: several units, faults, RTU framing', () => {
  const devices = () => [
    { unit: 1, profile: fixed },
    { unit: 2, profile: writable },
  ];

  it('serves several units behind one port, each its own profile, and no other unit', async () => {
    const sim = await simulator({ profile: undefined, devices: devices() });
    expect((await (await connect(sim, 1)).readHoldingRegisters(0, 2)).data).toEqual([0x0292, 0xff20]);
    expect((await (await connect(sim, 2)).readHoldingRegisters(0x10, 2)).data).toEqual([500, 200]);
    await expect((await connect(sim, 3)).readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/);
    expect(sim.bus.log.map((r) => `${r.unit} ${r.request} ${r.outcome}`)).toEqual([
      '1 read holding 0x0000×2 answered',
      '2 read holding 0x0010×2 answered',
      '3 read holding 0x0000×1 no such unit',
    ]);
  });

  it('shows faults on demand, per unit, and clears them', async () => {
    const sim = await simulator({ profile: undefined, devices: devices() });
    const one = await connect(sim, 1);
    sim.setFault(1, { kind: 'silent' });
    await expect(one.readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/);
    sim.setFault(1, { kind: 'exception', code: 6 });
    await expect(one.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 6 });
    sim.setFault(1, { kind: 'garble' });
    await expect(one.readHoldingRegisters(0, 1)).rejects.toThrow(/Unexpected data/);
    sim.setFault(1, { kind: 'slow', delayMs: 150 });
    const started = performance.now();
    expect((await one.readHoldingRegisters(0, 1)).data).toEqual([0x0292]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    sim.setFault(1, { kind: 'none' });
    expect((await one.readHoldingRegisters(0, 1)).data).toEqual([0x0292]);
    // Unit 2 never had a fault.
    expect((await (await connect(sim, 2)).readHoldingRegisters(0x10, 1)).data).toEqual([500]);
    expect(sim.bus.stats(1)).toEqual({ requests: 5, answered: 2, exceptions: 1, garbled: 1, silent: 1 });
  });

  it('executes a broadcast write (unit 0) on every unit and answers nothing', async () => {
    const sim = await simulator({ profile: undefined, devices: [{ unit: 1, profile: writable }, { unit: 2, profile: writable }] });
    const all = await connect(sim, 0);
    all.setTimeout(100);
    await expect(all.writeRegister(0x10, 777)).rejects.toThrow(/Timed out/);
    expect((await (await connect(sim, 1)).readHoldingRegisters(0x10, 1)).data).toEqual([777]);
    expect((await (await connect(sim, 2)).readHoldingRegisters(0x10, 1)).data).toEqual([777]);
  });

  it('speaks RTU framing over TCP, as a transparent serial server does, with a bad CRC as its garbled frame', async () => {
    const sim = await simulator({ profile: undefined, devices: devices(), framing: 'rtu' });
    const client = new ModbusRTU.default();
    clients.push(client);
    await client.connectTelnet('127.0.0.1', { port: sim.port });
    client.setTimeout(500);
    client.setID(2);
    await client.writeCoil(0, true);
    expect((await client.readCoils(0, 1)).data[0]).toBe(true);
    client.setID(1);
    expect((await client.readInputRegisters(0x2000, 4)).data).toEqual([0xb333, 0x4365, 0x1234, 0x5678]);
    sim.setFault(1, { kind: 'garble' });
    await expect(client.readHoldingRegisters(0, 2)).rejects.toThrow(/CRC error/);
  });
});
