// The simulated register map, without sockets: for every point of every shipped profile (and a
// synthetic profile with every type in every byte order) the registers served decode to the
// served value, that value survives encode → decode unchanged, and it stays within the
// simulation's min/max and the register's range. Plus bit points sharing a register, and writes.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePoint } from '../../gateway/decode.js';
import { integerRange } from '../../gateway/encode.js';
import { defaultProfilesDir, loadProfileLibrary, parseProfile } from '../../gateway/profile.js';
import { isBitTable, NUMERIC_TYPES, registerCount, WORD_ORDERS, type DeviceProfile, type ProfilePoint } from '../../gateway/profile-schema.js';
import { decodeBlock, planReads } from '../../gateway/read-plan.js';
import { ModbusExceptionError, quantizedValue, servedValue, SimulatedRegisterMap } from './register-map.js';

const HOUR = 3_600_000;
const JANUARY = Date.UTC(2026, 0, 14, 16);
/** A year of instants, every ~37 hours (so every hour of the day comes up), plus spring 2030. */
const INSTANTS = [...Array.from({ length: 240 }, (_, i) => JANUARY + i * 37 * HOUR + i * 61_000), Date.UTC(2030, 3, 20)];
const SEEDS = [1, 7, 12345];

/** What the gateway would read for a point: the registers (or bits) at its address, decoded. */
function readBack(map: SimulatedRegisterMap, point: ProfilePoint, timeMs: number) {
  const data = isBitTable(point.table)
    ? map.bits(point.table as 'coil' | 'discrete', point.address, 1, timeMs)
    : map.registers(point.table as 'holding' | 'input', point.address, registerCount(point), timeMs);
  return decodePoint(point, data);
}

/** Every way the served values of a profile fail to be plausible (collected: one expect per profile). */
function implausibilities(profile: DeviceProfile, seed: number): string[] {
  const problems: string[] = [];
  const map = new SimulatedRegisterMap(profile, seed);
  for (const point of profile.points) {
    const sim = point.simulation;
    const half = Math.abs(point.scale) / 2;
    for (const t of INSTANTS) {
      const served = servedValue(point, seed, t);
      const where = `${profile.name} ${point.name} seed ${seed} at ${new Date(t).toISOString()}: ${String(served)}`;
      const check = (ok: boolean, what: string) => {
        if (!ok) problems.push(`${where} ${what}`);
      };
      check(readBack(map, point, t) === served, 'is not what the registers decode to');
      check(quantizedValue(point, served) === served, 'changes through encode → decode');
      if (point.type === 'bool') check(typeof served === 'boolean', 'is not a boolean');
      else if (point.type === 'string') check(typeof served === 'string', 'is not a string');
      else {
        const value = served as number;
        check(Number.isFinite(value), 'is not finite');
        if (sim && 'min' in sim && sim.min !== undefined) check(value >= sim.min - half, `is below min ${sim.min}`);
        if (sim && 'max' in sim && sim.max !== undefined) check(value <= sim.max + half, `is above max ${sim.max}`);
        if (sim?.model === 'counter') check(value >= sim.start - half, `is below the counter start ${sim.start}`);
        if (point.type !== 'float32' && point.type !== 'float64') {
          const [lowest, highest] = integerRange(point.type);
          const raw = Math.round((value - point.offset) / point.scale);
          check(raw >= lowest && raw <= highest, `is outside the ${point.type} range`);
        }
      }
    }
  }
  return problems;
}

describe('every point of every shipped profile', () => {
  let library: Map<string, DeviceProfile>;
  beforeAll(async () => {
    library = await loadProfileLibrary(defaultProfilesDir());
  });

  it('the library is all here, and every point says how to simulate it', () => {
    expect(library.size).toBeGreaterThanOrEqual(12);
    const unsimulated = [...library.values()].flatMap((profile) => profile.points.filter((p) => !p.simulation).map((p) => `${profile.name} ${p.name}`));
    expect(unsimulated).toEqual([]);
  });

  it('serves plausible values that round-trip through the registers, for several seeds', () => {
    for (const profile of library.values()) for (const seed of SEEDS) expect(implausibilities(profile, seed)).toEqual([]);
  });

  it('the gateway read plan decodes the served registers to the served values', () => {
    for (const profile of library.values()) {
      const map = new SimulatedRegisterMap(profile, 3);
      const t = JANUARY + 5 * HOUR;
      const decoded: Record<string, unknown> = {};
      for (const block of planReads(profile.points)) {
        const data = isBitTable(block.table)
          ? map.bits(block.table as 'coil' | 'discrete', block.address, block.count, t)
          : map.registers(block.table as 'holding' | 'input', block.address, block.count, t);
        const { values, invalid } = decodeBlock(block, data);
        expect(invalid).toEqual([]);
        Object.assign(decoded, values);
      }
      const expected = Object.fromEntries(profile.points.map((p) => [p.name, servedValue(p, 3, t)]));
      expect(decoded, profile.name).toEqual(expected);
    }
  });
});

/** A device with every numeric type in every byte order, strings, bits and coils. */
function everyTypeProfile(): DeviceProfile {
  let address = 0;
  const points: Record<string, unknown>[] = [];
  const models: Record<string, unknown> = {
    int16: { model: 'diurnal', mean: -28, amplitude: 8, noise: 0.5, min: -45, max: 10 },
    uint16: { model: 'random-walk', mean: 70, spread: 20, min: 0, max: 100 },
    int32: { model: 'random-walk', mean: -1500, spread: 800 },
    uint32: { model: 'counter', start: 1_000_000, perHour: 10 },
    int64: { model: 'random-walk', mean: -1e12, spread: 1e11 },
    uint64: { model: 'counter', start: 9_007_199_000_000_000, perHour: 1000 }, // just below 2^53 by 2030
    float32: { model: 'episodes', base: 0, peak: 35, everyHours: 24, probability: 0.5, durationHours: [1, 6], noise: 0.3, min: 0, max: 100 },
    float64: { model: 'diurnal', mean: 0.11, amplitude: 0.02, noise: 0.005, min: 0.05 },
  };
  const scales: Record<string, number> = { int16: 0.1, uint16: 0.1, int32: 0.01, uint32: 0.001, int64: 1, uint64: 1, float32: 1, float64: 1 };
  for (const type of NUMERIC_TYPES) {
    for (const wordOrder of WORD_ORDERS) {
      points.push({ name: `${type}_${wordOrder.toLowerCase()}`, table: type.startsWith('u') ? 'input' : 'holding', address, type, wordOrder, scale: scales[type], simulation: models[type] });
      address += registerCount({ type });
    }
  }
  for (const wordOrder of WORD_ORDERS) {
    points.push({ name: `text_${wordOrder.toLowerCase()}`, table: 'holding', address, type: 'string', length: 6, wordOrder, simulation: { model: 'constant', value: `DDSU666-${wordOrder}` } });
    address += 6;
  }
  points.push(
    { name: 'flag_a', table: 'holding', address, type: 'bool', bit: 0, simulation: { model: 'toggle', periodS: 60 } },
    { name: 'flag_b', table: 'holding', address, type: 'bool', bit: 7, simulation: { model: 'constant', value: true } },
    { name: 'flag_c', table: 'holding', address, type: 'bool', bit: 15, simulation: { model: 'step', values: [true, false, false], everyS: 30 } },
    { name: 'siren', table: 'coil', address: 0, type: 'bool', simulation: { model: 'toggle', periodS: 20, onFraction: 0.1 } },
    { name: 'door', table: 'discrete', address: 3, type: 'bool', simulation: { model: 'constant', value: true } },
  );
  return parseProfile({ name: 'every-type', manufacturer: 't', model: 't', measurement: 'test', source: 'test', points });
}

describe('a synthetic device with every type in every byte order', () => {
  const profile = everyTypeProfile();

  it('serves plausible values that round-trip, for several seeds', () => {
    for (const seed of SEEDS) expect(implausibilities(profile, seed)).toEqual([]);
  });

  it('packs bit points into one register, bit 0 least significant', () => {
    const map = new SimulatedRegisterMap(profile, 1);
    const flagA = profile.points.find((p) => p.name === 'flag_a')!;
    for (const t of INSTANTS.slice(0, 20)) {
      const [word] = map.registers('holding', flagA.address, 1, t);
      const expected = (servedValue(flagA, 1, t) ? 0x0001 : 0) | 0x0080 | (servedValue(profile.points.find((p) => p.name === 'flag_c')!, 1, t) ? 0x8000 : 0);
      expect(word).toBe(expected);
    }
  });

  it('serves text as ASCII, NUL-padded, in the point byte order', () => {
    const map = new SimulatedRegisterMap(profile, 1);
    const abcd = profile.points.find((p) => p.name === 'text_abcd')!;
    const badc = profile.points.find((p) => p.name === 'text_badc')!;
    expect(map.registers('holding', abcd.address, 6, JANUARY)).toEqual([0x4444, 0x5355, 0x3636, 0x362d, 0x4142, 0x4344]); // "DDSU666-ABCD"
    expect(map.registers('holding', badc.address, 6, JANUARY)).toEqual([0x4444, 0x5553, 0x3636, 0x2d36, 0x4142, 0x4344]); // "DDSU666-BADC", low byte first
    expect(servedValue(badc, 1, JANUARY)).toBe('DDSU666-BADC');
  });
});

describe('unmapped addresses and writes', () => {
  const profile = parseProfile({
    name: 'w',
    manufacturer: 't',
    model: 't',
    measurement: 'gas',
    source: 't',
    points: [
      { name: 'gas', table: 'holding', address: 0, type: 'uint16', scale: 0.1, simulation: { model: 'constant', value: 1.5 } },
      { name: 'alarm_on', table: 'holding', address: 1, type: 'bool', bit: 0, access: 'rw' },
      { name: 'buzzer_on', table: 'holding', address: 1, type: 'bool', bit: 1, access: 'rw' },
      { name: 'setpoint', table: 'holding', address: 2, type: 'float32', access: 'rw', simulation: { model: 'constant', value: 25 } },
      { name: 'relay', table: 'coil', address: 0, type: 'bool', access: 'rw' },
    ],
  });

  it('answers ILLEGAL DATA ADDRESS for unmapped addresses, or zeros when asked to', () => {
    expect(() => new SimulatedRegisterMap(profile, 1).registers('holding', 0, 5, JANUARY)).toThrow(ModbusExceptionError);
    expect(new SimulatedRegisterMap(profile, 1, 'zero').registers('input', 0, 2, JANUARY)).toEqual([0, 0]);
  });

  it('a written value replaces the model from then on', () => {
    const map = new SimulatedRegisterMap(profile, 1);
    map.writeRegisters(2, [0x41a0, 0x0000]); // 20.0
    map.writeRegisters(1, [0x0002]); // buzzer on, alarm off
    map.writeCoils(0, [true]);
    expect(map.registers('holding', 1, 3, JANUARY)).toEqual([0x0002, 0x41a0, 0x0000]);
    expect(map.bits('coil', 0, 1, JANUARY)).toEqual([true]);
    expect(map.valueOf(profile.points[3]!, JANUARY + 10 * HOUR)).toBe(20);
  });

  it.each([
    { what: 'a read-only point', address: 0, words: [7], message: /point gas is read-only/ },
    { what: 'half of a float32', address: 3, words: [0], message: /covers only part of float32 point setpoint/ },
    { what: 'a float32 cut short', address: 2, words: [0x41a0], message: /covers only part of float32 point setpoint/ },
    { what: 'nothing', address: 9, words: [1], message: /no point there/ },
  ])('refuses writing $what, changing nothing', ({ address, words, message }) => {
    const map = new SimulatedRegisterMap(profile, 1);
    expect(() => map.writeRegisters(address, words)).toThrow(message);
    expect(map.registers('holding', 0, 4, JANUARY)).toEqual([15, 0, 0x41c8, 0x0000]);
  });
});
