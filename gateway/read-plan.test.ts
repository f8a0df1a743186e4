// Planning Modbus reads from a profile's points, and mapping responses back to named values.
import { describe, expect, it } from 'vitest';
import { parseProfile } from './profile.js';
import { decodeBlock, MAX_REGISTERS_PER_READ, planReads } from './read-plan.js';

function points(list: { name: string; table: string; address: number; type: string; scale?: number }[]) {
  return parseProfile({ name: 'p', manufacturer: 't', model: 't', measurement: 'air', source: 't', points: list }).points;
}

const summary = (blocks: ReturnType<typeof planReads>) => blocks.map((b) => `${b.table}@${b.address}×${b.count}:${b.points.map((p) => p.name).join('+')}`);

describe('planReads', () => {
  it('reads adjacent points together and gaps separately (pm-sensor: 4 and 9)', () => {
    const plan = planReads(
      points([
        { name: 'pm10', table: 'holding', address: 9, type: 'uint16' },
        { name: 'pm25', table: 'holding', address: 4, type: 'uint16' },
      ]),
    );
    expect(summary(plan)).toEqual(['holding@4×1:pm25', 'holding@9×1:pm10']);
  });

  it('joins a th-transmitter into one request', () => {
    const plan = planReads(
      points([
        { name: 'humidity', table: 'holding', address: 0, type: 'uint16' },
        { name: 'temperature', table: 'holding', address: 1, type: 'int16' },
      ]),
    );
    expect(summary(plan)).toEqual(['holding@0×2:humidity+temperature']);
  });

  it('counts 32-bit points as two registers and keeps tables apart', () => {
    const plan = planReads(
      points([
        { name: 'voltage', table: 'input', address: 0x2000, type: 'float32' },
        { name: 'current', table: 'input', address: 0x2002, type: 'float32' },
        { name: 'power', table: 'holding', address: 0x2004, type: 'float32' },
        { name: 'relay', table: 'coil', address: 0, type: 'bool' },
        { name: 'door', table: 'discrete', address: 1, type: 'bool' },
        { name: 'lamp', table: 'coil', address: 1, type: 'bool' },
      ]),
    );
    expect(summary(plan)).toEqual(['coil@0×2:relay+lamp', 'discrete@1×1:door', 'holding@8196×2:power', 'input@8192×4:voltage+current']);
  });

  it('splits runs longer than one Modbus request can carry', () => {
    const many = Array.from({ length: 130 }, (_, i) => ({ name: `r${i}`, table: 'holding', address: i, type: 'uint16' }));
    const plan = planReads(points(many));
    expect(plan.map((b) => b.count)).toEqual([MAX_REGISTERS_PER_READ, 5]);
  });
});

describe('decodeBlock', () => {
  it('decodes each point from its offset in the response', () => {
    const [block] = planReads(
      points([
        { name: 'humidity', table: 'holding', address: 0, type: 'uint16', scale: 0.1 },
        { name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1 },
      ]),
    );
    expect(decodeBlock(block!, [0x0292, 0xff9b])).toEqual({ humidity: 65.8, temperature: -10.1 });
  });

  it('reads bits, ignoring the padding modbus-serial adds up to a whole byte', () => {
    const [block] = planReads(
      points([
        { name: 'relay', table: 'coil', address: 0, type: 'bool' },
        { name: 'lamp', table: 'coil', address: 1, type: 'bool' },
      ]),
    );
    expect(decodeBlock(block!, [true, false, false, false, false, false, false, false])).toEqual({ relay: true, lamp: false });
  });

  it('refuses a short response', () => {
    const [block] = planReads(points([{ name: 'energy', table: 'input', address: 0, type: 'uint32' }]));
    expect(() => decodeBlock(block!, [1])).toThrow(/expected 2 registers from input 0x0, got 1/);
  });
});
