// The coalescer as a table: given points and limits, the exact requests; plus mapping
// responses back to named values.
import { describe, expect, it } from 'vitest';
import { parseProfile } from './profile.js';
import type { ProfilePoint } from './profile-schema.js';
import { decodeBlock, planProblem, planReads, spansGaps, type ReadPlanOptions } from './read-plan.js';

type PointInput = { name: string; table: string; address: number; type: string } & Record<string, unknown>;

function points(list: PointInput[]): ProfilePoint[] {
  return parseProfile({ name: 'p', manufacturer: 't', model: 't', measurement: 'air', source: 't', points: list }).points;
}

const reg = (name: string, address: number, type = 'uint16', extra: Record<string, unknown> = {}): PointInput => ({ name, table: 'holding', address, type, ...extra });
const inp = (name: string, address: number, type = 'uint16'): PointInput => ({ name, table: 'input', address, type });
const coil = (name: string, address: number): PointInput => ({ name, table: 'coil', address, type: 'bool' });
const flag = (name: string, address: number, bit: number): PointInput => ({ name, table: 'holding', address, type: 'bool', bit });
const run = (prefix: string, from: number, n: number, type = 'uint16') => Array.from({ length: n }, (_, i) => reg(`${prefix}${i}`, from + i * (type === 'float32' ? 2 : 1), type));

/** `table@address×count: names` per request. */
const summary = (list: PointInput[], options?: ReadPlanOptions) =>
  planReads(points(list), options).map((b) => `${b.table}@${b.address}×${b.count}: ${b.points.map((p) => p.name).join('+')}`);
const counts = (list: PointInput[], options?: ReadPlanOptions) => planReads(points(list), options).map((b) => b.count);

describe('planReads', () => {
  const cases: { name: string; points: PointInput[]; options?: ReadPlanOptions; expected: string[] }[] = [
    { name: 'th-transmitter: two adjacent registers, one request', points: [reg('humidity', 0), reg('temperature', 1, 'int16')], expected: ['holding@0×2: humidity+temperature'] },
    { name: 'pm-sensor (4 and 9), no gap allowed: two requests', points: [reg('pm10', 9), reg('pm25', 4)], expected: ['holding@4×1: pm25', 'holding@9×1: pm10'] },
    { name: 'pm-sensor, gap of 4 allowed: one request reading 5–8 through', points: [reg('pm10', 9), reg('pm25', 4)], options: { maxGapRegisters: 4 }, expected: ['holding@4×6: pm25+pm10'] },
    { name: 'pm-sensor, gap of 3 allowed: still two', points: [reg('pm10', 9), reg('pm25', 4)], options: { maxGapRegisters: 3 }, expected: ['holding@4×1: pm25', 'holding@9×1: pm10'] },
    {
      name: '32- and 64-bit values count 2 and 4 registers',
      points: [inp('voltage', 0x2000, 'float32'), inp('current', 0x2002, 'float32'), inp('energy', 0x2004, 'uint64')],
      expected: ['input@8192×8: voltage+current+energy'],
    },
    {
      name: 'tables stay apart, in the order coil, discrete, holding, input',
      points: [inp('v', 0, 'float32'), reg('t', 0), coil('relay', 0), { name: 'door', table: 'discrete', address: 0, type: 'bool' }, coil('lamp', 1)],
      expected: ['coil@0×2: relay+lamp', 'discrete@0×1: door', 'holding@0×1: t', 'input@0×2: v'],
    },
    {
      name: 'bit points sharing a status register merge with it and with the next register',
      points: [flag('alarm', 0x10, 0), flag('fault', 0x10, 3), flag('door', 0x10, 15), reg('code', 0x11)],
      expected: ['holding@16×2: alarm+fault+door+code'],
    },
    { name: 'a string is read whole with its neighbours', points: [reg('serial', 0x100, 'string', { length: 10 }), reg('firmware', 0x10a)], expected: ['holding@256×11: serial+firmware'] },
    {
      name: 'coils merge across a gap of bits when allowed',
      points: [coil('siren', 0), coil('strobe', 10), coil('pump', 2000)],
      options: { maxGapBits: 16 },
      expected: ['coil@0×11: siren+strobe', 'coil@2000×1: pump'],
    },
    { name: 'points listed out of order are sorted', points: [reg('c', 2), reg('a', 0), reg('b', 1)], expected: ['holding@0×3: a+b+c'] },
    {
      name: 'a gap never joins points across tables',
      points: [reg('h', 0), inp('i', 1)],
      options: { maxGapRegisters: 100 },
      expected: ['holding@0×1: h', 'input@1×1: i'],
    },
  ];
  it.each(cases)('$name', ({ points: list, options, expected }) => {
    expect(summary(list, options)).toEqual(expected);
  });

  const limits: { name: string; points: PointInput[]; options?: ReadPlanOptions; expected: number[] }[] = [
    { name: '130 registers: 125 + 5 (the FC03 limit)', points: run('r', 0, 130), expected: [125, 5] },
    { name: '130 registers on a device limited to 32', points: run('r', 0, 130), options: { maxRegisters: 32 }, expected: [32, 32, 32, 32, 2] },
    { name: 'a limit above 125 is capped at 125', points: run('r', 0, 130), options: { maxRegisters: 500 }, expected: [125, 5] },
    { name: 'a float32 is never cut in half: limit 3 reads one float per request', points: run('f', 0, 3, 'float32'), options: { maxRegisters: 3 }, expected: [2, 2, 2] },
    { name: 'limit 5 holds two floats (4), not three (6)', points: run('f', 0, 5, 'float32'), options: { maxRegisters: 5 }, expected: [4, 4, 2] },
    { name: 'gap filling stops at the request limit', points: [reg('a', 0), reg('b', 100), reg('c', 200)], options: { maxGapRegisters: 124 }, expected: [101, 1] },
    { name: '2001 coils: 2000 + 1 (the FC01 limit)', points: Array.from({ length: 2001 }, (_, i) => coil(`c${i}`, i)), expected: [2000, 1] },
  ];
  it.each(limits)('$name', ({ points: list, options, expected }) => {
    expect(counts(list, options)).toEqual(expected);
  });

  it('refuses a point wider than one request may read, naming it', () => {
    const list = points([reg('serial', 0, 'string', { length: 40 })]);
    expect(planProblem(list, { maxRegisters: 32 })).toBe('point "serial" spans 40 registers but one request may read at most 32');
    expect(() => planReads(list, { maxRegisters: 32 })).toThrow(/spans 40 registers/);
    expect(planProblem(list)).toBeUndefined();
  });

  it('tells a block that reads through unused registers from a gap-free one', () => {
    const [joined] = planReads(points([reg('a', 0), reg('b', 3)]), { maxGapRegisters: 2 });
    const [tight] = planReads(points([flag('x', 0, 0), flag('y', 0, 1), reg('z', 1)]));
    expect(spansGaps(joined!)).toBe(true);
    expect(spansGaps(tight!)).toBe(false);
  });
});

describe('decodeBlock', () => {
  it('decodes each point from its offset in the response, skipping the gap', () => {
    const [block] = planReads(points([reg('humidity', 0, 'uint16', { scale: 0.1 }), reg('temperature', 3, 'int16', { scale: 0.1 })]), { maxGapRegisters: 2 });
    expect(decodeBlock(block!, [0x0292, 0xdead, 0xbeef, 0xff9b])).toEqual({ values: { humidity: 65.8, temperature: -10.1 }, invalid: [] });
  });

  it('reads bits, ignoring the padding modbus-serial adds up to a whole byte', () => {
    const [block] = planReads(points([coil('relay', 0), coil('lamp', 1)]));
    expect(decodeBlock(block!, [true, false, false, false, false, false, false, false]).values).toEqual({ relay: true, lamp: false });
  });

  it('reads bits of a status register', () => {
    const [block] = planReads(points([flag('alarm', 0, 0), flag('door', 0, 15)]));
    expect(decodeBlock(block!, [0x8000]).values).toEqual({ alarm: false, door: true });
  });

  it('lists a float NaN as invalid instead of a value', () => {
    const [block] = planReads(points([inp('voltage', 0, 'float32'), inp('freq', 2)]));
    expect(decodeBlock(block!, [0x7fc0, 0, 50])).toEqual({ values: { freq: 50 }, invalid: ['voltage'] });
  });

  it('refuses a short response', () => {
    const [block] = planReads(points([inp('energy', 0, 'uint32')]));
    expect(() => decodeBlock(block!, [1])).toThrow(/expected 2 registers from input 0x0, got 1/);
  });
});
