// Decoding registers into engineering values, against register values worked out by hand
// (and two taken from device manuals).
import { describe, expect, it } from 'vitest';
import { decodeRaw, decodeRegisters, shortestFloat32, toEngineering, type RegisterLayout } from './decode.js';
import type { NumericType, WordOrder } from './profile-schema.js';

const layout = (type: NumericType, extra: Partial<RegisterLayout> = {}): RegisterLayout => ({ type, wordOrder: 'ABCD', scale: 1, offset: 0, ...extra });

describe('decodeRegisters', () => {
  const cases: { what: string; words: number[]; layout: RegisterLayout; expected: number }[] = [
    // int16 in two's complement: Tongjiang winters
    { what: 'int16 −10.1 °C (0xFF9B, manual example)', words: [0xff9b], layout: layout('int16', { scale: 0.1 }), expected: -10.1 },
    { what: 'int16 −22.4 °C (0xFF20) without binary noise', words: [0xff20], layout: layout('int16', { scale: 0.1 }), expected: -22.4 },
    { what: 'int16 −40.0 °C (0xFE70)', words: [0xfe70], layout: layout('int16', { scale: 0.1 }), expected: -40 },
    { what: 'int16 most negative', words: [0x8000], layout: layout('int16'), expected: -32768 },
    { what: 'int16 most positive', words: [0x7fff], layout: layout('int16'), expected: 32767 },
    { what: 'int16 zero', words: [0x0000], layout: layout('int16', { scale: 0.1 }), expected: 0 },
    { what: 'int16 BADC swaps bytes', words: [0x9bff], layout: layout('int16', { scale: 0.1, wordOrder: 'BADC' }), expected: -10.1 },
    // uint16
    { what: 'uint16 65.8 %RH (0x0292, manual example)', words: [0x0292], layout: layout('uint16', { scale: 0.1 }), expected: 65.8 },
    { what: 'uint16 top of range is not negative', words: [0xffff], layout: layout('uint16'), expected: 65535 },
    { what: 'uint16 PM2.5 ×1', words: [0x00b4], layout: layout('uint16'), expected: 180 },
    // int32
    { what: 'int32 ABCD −2', words: [0xffff, 0xfffe], layout: layout('int32'), expected: -2 },
    { what: 'int32 CDAB −2', words: [0xfffe, 0xffff], layout: layout('int32', { wordOrder: 'CDAB' }), expected: -2 },
    { what: 'int32 ABCD 65536', words: [0x0001, 0x0000], layout: layout('int32'), expected: 65536 },
    { what: 'int32 CDAB 65536', words: [0x0000, 0x0001], layout: layout('int32', { wordOrder: 'CDAB' }), expected: 65536 },
    { what: 'int32 ABCD most negative', words: [0x8000, 0x0000], layout: layout('int32'), expected: -2147483648 },
    // uint32 0x12345678 = 305419896 in every byte order
    { what: 'uint32 ABCD', words: [0x1234, 0x5678], layout: layout('uint32'), expected: 305419896 },
    { what: 'uint32 CDAB', words: [0x5678, 0x1234], layout: layout('uint32', { wordOrder: 'CDAB' }), expected: 305419896 },
    { what: 'uint32 BADC', words: [0x3412, 0x7856], layout: layout('uint32', { wordOrder: 'BADC' }), expected: 305419896 },
    { what: 'uint32 DCBA', words: [0x7856, 0x3412], layout: layout('uint32', { wordOrder: 'DCBA' }), expected: 305419896 },
    { what: 'uint32 top of range', words: [0xffff, 0xffff], layout: layout('uint32'), expected: 4294967295 },
    { what: 'uint32 energy counter ×0.01 kWh', words: [0x0001, 0xe240], layout: layout('uint32', { scale: 0.01 }), expected: 1234.56 },
    // float32
    { what: 'float32 ABCD 229.7 V (0x4365B333)', words: [0x4365, 0xb333], layout: layout('float32'), expected: 229.7 },
    { what: 'float32 CDAB 229.7 V', words: [0xb333, 0x4365], layout: layout('float32', { wordOrder: 'CDAB' }), expected: 229.7 },
    { what: 'float32 ABCD −22.5 (0xC1B40000)', words: [0xc1b4, 0x0000], layout: layout('float32'), expected: -22.5 },
    { what: 'float32 CDAB −22.5', words: [0x0000, 0xc1b4], layout: layout('float32', { wordOrder: 'CDAB' }), expected: -22.5 },
    { what: 'float32 CDAB 30.56 %RH (Vaisala manual: 0x41F47AE1, low word first)', words: [0x7ae1, 0x41f4], layout: layout('float32', { wordOrder: 'CDAB' }), expected: 30.56 },
    { what: 'float32 DCBA 229.7', words: [0x33b3, 0x6543], layout: layout('float32', { wordOrder: 'DCBA' }), expected: 229.7 },
    { what: 'float32 with scale 0.1 has no binary noise', words: [0x4365, 0xb333], layout: layout('float32', { scale: 0.1 }), expected: 22.97 },
    // scale and offset
    { what: 'uint16 ×0.01 − 40', words: [1234], layout: layout('uint16', { scale: 0.01, offset: -40 }), expected: -27.66 },
    { what: 'uint16 ×0.1 − 50 at zero', words: [500], layout: layout('uint16', { scale: 0.1, offset: -50 }), expected: 0 },
    { what: 'int16 ×10', words: [0xfff6], layout: layout('int16', { scale: 10 }), expected: -100 },
    { what: 'uint16 offset only', words: [20], layout: layout('uint16', { offset: 273.15 }), expected: 293.15 },
  ];

  it.each(cases)('$what', ({ words, layout: l, expected }) => {
    expect(decodeRegisters(l, words)).toBe(expected);
  });

  it('float32 NaN (0x7FC00000) stays NaN, in either word order', () => {
    expect(decodeRegisters(layout('float32'), [0x7fc0, 0x0000])).toBeNaN();
    expect(decodeRegisters(layout('float32', { wordOrder: 'CDAB' }), [0x0000, 0x7fc0])).toBeNaN();
    expect(decodeRegisters(layout('float32', { scale: 0.1, offset: 3 }), [0x7fc0, 0x0001])).toBeNaN();
  });

  it('float32 infinities stay infinite', () => {
    expect(decodeRegisters(layout('float32'), [0x7f80, 0x0000])).toBe(Infinity);
    expect(decodeRegisters(layout('float32'), [0xff80, 0x0000])).toBe(-Infinity);
  });

  it('ignores registers past the value and rejects too few or non-16-bit words', () => {
    expect(decodeRegisters(layout('int16'), [0xfffe, 0x1234])).toBe(-2);
    expect(() => decodeRegisters(layout('int32'), [0x0001])).toThrow(/needs 2 registers/);
    expect(() => decodeRegisters(layout('uint16'), [0x10000])).toThrow(/16-bit/);
    expect(() => decodeRegisters(layout('uint16'), [-1])).toThrow(/16-bit/);
  });

  it('refuses bool, which lives in bit tables', () => {
    expect(() => decodeRegisters({ type: 'bool', wordOrder: 'ABCD', scale: 1, offset: 0 }, [1])).toThrow(/bit tables/);
  });
});

describe('decodeRaw', () => {
  const orders: WordOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
  it('16-bit types ignore word swaps and honour byte swaps', () => {
    const raw = orders.map((order) => decodeRaw([0x0102], 'uint16', order));
    expect(raw).toEqual([0x0102, 0x0102, 0x0201, 0x0201]);
  });
});

describe('shortestFloat32 and toEngineering', () => {
  it('prints the float32 the device meant, losslessly', () => {
    expect(shortestFloat32(Math.fround(229.7))).toBe(229.7);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(Math.fround(shortestFloat32(Math.fround(1 / 3)))).toBe(Math.fround(1 / 3));
    expect(shortestFloat32(NaN)).toBeNaN();
  });

  it('returns integers untouched when scale is 1 and offset 0', () => {
    expect(toEngineering(4294967295, 1, 0)).toBe(4294967295);
    expect(toEngineering(-224, 0.1, 0)).toBe(-22.4);
  });
});
