// The Modbus TCP simulator over a real socket, read with modbus-serial's client: register
// values checked against hand-computed words, exceptions, unit ids, port 0.
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

  it('refuses writes with ILLEGAL FUNCTION (1) instead of staying silent', async () => {
    const client = await connect(await simulator());
    await expect(client.writeRegister(0, 1)).rejects.toMatchObject({ modbusCode: 1 });
    await expect(client.writeCoil(3, false)).rejects.toMatchObject({ modbusCode: 1 });
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
