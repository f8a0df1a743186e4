// Decoding registers into engineering values, against register values worked out by hand
// (and some taken from device manuals): every type in every byte order, the limits of 64-bit
// integers in JSON, NaN, bits and strings.
import { describe, expect, it } from 'vitest';
import { decodeBit, decodePoint, decodeRaw, decodeRegisters, decodeString, shortestFloat32, toEngineering, type RegisterLayout } from './decode.js';
import { parseProfile } from './profile.js';
import type { NumericType, ProfilePoint, WordOrder } from './profile-schema.js';

const layout = (type: NumericType, extra: Partial<RegisterLayout> = {}): RegisterLayout => ({ type, wordOrder: 'ABCD', scale: 1, offset: 0, ...extra });

/** One point, validated by the real schema. */
function point(fields: Record<string, unknown>): ProfilePoint {
  return parseProfile({ name: 'p', manufacturer: 't', model: 't', measurement: 'air', source: 't', points: [{ name: 'v', table: 'holding', address: 0, ...fields }] }).points[0]!;
}

describe('every type in every byte order (words worked out by hand)', () => {
  // Each row: the words a device sends for the value in ABCD, CDAB, BADC, DCBA.
  const rows: { type: NumericType; scale?: number; value: number; words: Record<WordOrder, number[]> }[] = [
    // −22.4 °C as int16 ×0.1 = −224 = 0xFF20: a 16-bit value has no word swap
    { type: 'int16', scale: 0.1, value: -22.4, words: { ABCD: [0xff20], CDAB: [0xff20], BADC: [0x20ff], DCBA: [0x20ff] } },
    { type: 'uint16', scale: 0.1, value: 65.8, words: { ABCD: [0x0292], CDAB: [0x0292], BADC: [0x9202], DCBA: [0x9202] } },
    // −1234.56 as int32 ×0.01 = −123456 = 0xFFFE1DC0
    { type: 'int32', scale: 0.01, value: -1234.56, words: { ABCD: [0xfffe, 0x1dc0], CDAB: [0x1dc0, 0xfffe], BADC: [0xfeff, 0xc01d], DCBA: [0xc01d, 0xfeff] } },
    { type: 'uint32', value: 0x12345678, words: { ABCD: [0x1234, 0x5678], CDAB: [0x5678, 0x1234], BADC: [0x3412, 0x7856], DCBA: [0x7856, 0x3412] } },
    // −40 °C as int64 ×0.001 = −40000 = 0xFFFFFFFFFFFF63C0
    { type: 'int64', scale: 0.001, value: -40, words: { ABCD: [0xffff, 0xffff, 0xffff, 0x63c0], CDAB: [0x63c0, 0xffff, 0xffff, 0xffff], BADC: [0xffff, 0xffff, 0xffff, 0xc063], DCBA: [0xc063, 0xffff, 0xffff, 0xffff] } },
    // 0x0001020304050607 = 283686952306183: every byte distinct, so every order is visible
    { type: 'uint64', value: 283686952306183, words: { ABCD: [0x0001, 0x0203, 0x0405, 0x0607], CDAB: [0x0607, 0x0405, 0x0203, 0x0001], BADC: [0x0100, 0x0302, 0x0504, 0x0706], DCBA: [0x0706, 0x0504, 0x0302, 0x0100] } },
    // −22.5 = 0xC1B40000 (float32) = 0xC036800000000000 (float64)
    { type: 'float32', value: -22.5, words: { ABCD: [0xc1b4, 0x0000], CDAB: [0x0000, 0xc1b4], BADC: [0xb4c1, 0x0000], DCBA: [0x0000, 0xb4c1] } },
    { type: 'float64', value: -22.5, words: { ABCD: [0xc036, 0x8000, 0, 0], CDAB: [0, 0, 0x8000, 0xc036], BADC: [0x36c0, 0x0080, 0, 0], DCBA: [0, 0, 0x0080, 0x36c0] } },
    // 229.7 V = 0x4365B333 (float32)
    { type: 'float32', value: 229.7, words: { ABCD: [0x4365, 0xb333], CDAB: [0xb333, 0x4365], BADC: [0x6543, 0x33b3], DCBA: [0x33b3, 0x6543] } },
  ];
  const cases = rows.flatMap((row) => (Object.keys(row.words) as WordOrder[]).map((order) => ({ ...row, order, name: `${row.type} ${order} ${row.value}` })));

  it.each(cases)('$name', ({ type, scale, value, order, words }) => {
    const l = layout(type, { wordOrder: order, scale: scale ?? 1 });
    expect(decodeRegisters(l, words[order])).toBe(value);
    expect(decodePoint(point({ type, wordOrder: order, scale: scale ?? 1 }), words[order])).toBe(value);
  });
});

describe('decodeRegisters: values from manuals, scale and offset', () => {
  const cases: { what: string; words: number[]; layout: RegisterLayout; expected: number }[] = [
    { what: 'int16 −10.1 °C (0xFF9B, manual example)', words: [0xff9b], layout: layout('int16', { scale: 0.1 }), expected: -10.1 },
    { what: 'int16 −40.0 °C (0xFE70)', words: [0xfe70], layout: layout('int16', { scale: 0.1 }), expected: -40 },
    { what: 'int16 most negative', words: [0x8000], layout: layout('int16'), expected: -32768 },
    { what: 'int16 most positive', words: [0x7fff], layout: layout('int16'), expected: 32767 },
    { what: 'uint16 top of range is not negative', words: [0xffff], layout: layout('uint16'), expected: 65535 },
    { what: 'int32 ABCD most negative', words: [0x8000, 0x0000], layout: layout('int32'), expected: -2147483648 },
    { what: 'uint32 top of range', words: [0xffff, 0xffff], layout: layout('uint32'), expected: 4294967295 },
    { what: 'uint32 energy counter ×0.01 kWh', words: [0x0001, 0xe240], layout: layout('uint32', { scale: 0.01 }), expected: 1234.56 },
    { what: 'float32 CDAB 30.56 %RH (Vaisala manual: 0x41F47AE1, low word first)', words: [0x7ae1, 0x41f4], layout: layout('float32', { wordOrder: 'CDAB' }), expected: 30.56 },
    { what: 'float32 ×0.1 (DTSU666 style, 2297 → 229.7 V) without binary noise', words: [0x450f, 0x9000], layout: layout('float32', { scale: 0.1 }), expected: 229.7 },
    { what: 'float64 −40.25 °C', words: [0xc044, 0x2000, 0, 0], layout: layout('float64'), expected: -40.25 },
    { what: 'uint16 ×0.01 − 40', words: [1234], layout: layout('uint16', { scale: 0.01, offset: -40 }), expected: -27.66 },
    { what: 'int16 ×10', words: [0xfff6], layout: layout('int16', { scale: 10 }), expected: -100 },
    { what: 'uint16 offset only', words: [20], layout: layout('uint16', { offset: 273.15 }), expected: 293.15 },
  ];

  it.each(cases)('$what', ({ words, layout: l, expected }) => {
    expect(decodeRegisters(l, words)).toBe(expected);
  });

  it('ignores registers past the value and rejects too few or non-16-bit words', () => {
    expect(decodeRegisters(layout('int16'), [0xfffe, 0x1234])).toBe(-2);
    expect(() => decodeRegisters(layout('int32'), [0x0001])).toThrow(/needs 2 registers/);
    expect(() => decodeRegisters(layout('uint64'), [0, 0, 0])).toThrow(/needs 4 registers/);
    expect(() => decodeRegisters(layout('uint16'), [0x10000])).toThrow(/16-bit/);
    expect(() => decodeRegisters(layout('uint16'), [-1])).toThrow(/16-bit/);
  });

  it('leaves bool and string to decodePoint', () => {
    expect(() => decodeRegisters({ type: 'bool', wordOrder: 'ABCD', scale: 1, offset: 0 }, [1])).toThrow(/decodePoint/);
    expect(() => decodeRegisters({ type: 'string', wordOrder: 'ABCD', scale: 1, offset: 0 }, [1])).toThrow(/decodePoint/);
  });
});

describe('64-bit integers: exact up to 2^53 − 1, refused beyond (a JSON number cannot carry them)', () => {
  const cases: { what: string; type: 'int64' | 'uint64'; words: number[]; expected: number | undefined }[] = [
    { what: 'uint64 2^53 − 1 is exact', type: 'uint64', words: [0x001f, 0xffff, 0xffff, 0xffff], expected: Number.MAX_SAFE_INTEGER },
    { what: 'uint64 2^53 is refused', type: 'uint64', words: [0x0020, 0, 0, 0], expected: undefined },
    { what: 'uint64 all ones ("not available" marker) is refused', type: 'uint64', words: [0xffff, 0xffff, 0xffff, 0xffff], expected: undefined },
    { what: 'int64 all ones is −1', type: 'int64', words: [0xffff, 0xffff, 0xffff, 0xffff], expected: -1 },
    { what: 'int64 −(2^53 − 1) is exact', type: 'int64', words: [0xffe0, 0, 0, 1], expected: -Number.MAX_SAFE_INTEGER },
    { what: 'int64 −2^53 is refused', type: 'int64', words: [0xffe0, 0, 0, 0], expected: undefined },
    { what: 'int64 most negative (0x8000…) is refused', type: 'int64', words: [0x8000, 0, 0, 0], expected: undefined },
    { what: 'a wrong word order that lands beyond 2^53 is refused, not rounded', type: 'uint64', words: [0x0607, 0x0405, 0x0203, 0x0001], expected: undefined },
  ];

  it.each(cases)('$what', ({ type, words, expected }) => {
    expect(decodePoint(point({ type }), words)).toBe(expected);
    if (expected === undefined) expect(decodeRaw(words, type, 'ABCD')).toBeNaN();
  });
});

describe('NaN and infinities are never published', () => {
  it.each([
    { what: 'float32 quiet NaN ABCD', type: 'float32', wordOrder: 'ABCD', words: [0x7fc0, 0x0000] },
    { what: 'float32 NaN CDAB', type: 'float32', wordOrder: 'CDAB', words: [0x0000, 0x7fc0] },
    { what: 'float32 NaN with scale and offset', type: 'float32', wordOrder: 'ABCD', words: [0x7fc0, 0x0001], scale: 0.1, offset: 3 },
    { what: 'float32 +Infinity', type: 'float32', wordOrder: 'ABCD', words: [0x7f80, 0x0000] },
    { what: 'float32 −Infinity', type: 'float32', wordOrder: 'ABCD', words: [0xff80, 0x0000] },
    { what: 'float64 NaN ABCD', type: 'float64', wordOrder: 'ABCD', words: [0x7ff8, 0, 0, 0] },
    { what: 'float64 NaN DCBA', type: 'float64', wordOrder: 'DCBA', words: [0, 0, 0, 0xf87f] },
    { what: 'float64 −Infinity', type: 'float64', wordOrder: 'ABCD', words: [0xfff0, 0, 0, 0] },
  ])('$what: decodePoint gives undefined', ({ what: _what, type, wordOrder, words, ...extra }) => {
    expect(decodePoint(point({ type, wordOrder, ...extra }), words)).toBeUndefined();
  });

  it('the lower-level decodeRegisters keeps NaN and ±Infinity as numbers', () => {
    expect(decodeRegisters(layout('float32'), [0x7fc0, 0x0000])).toBeNaN();
    expect(decodeRegisters(layout('float32'), [0x7f80, 0x0000])).toBe(Infinity);
  });
});

describe('bits', () => {
  it.each([
    { bit: 0, word: 0x0001, expected: true },
    { bit: 0, word: 0xfffe, expected: false },
    { bit: 5, word: 0x0020, expected: true },
    { bit: 8, word: 0x0100, expected: true },
    { bit: 15, word: 0x8000, expected: true },
    { bit: 15, word: 0x7fff, expected: false },
  ])('bit $bit of 0x$word', ({ bit, word, expected }) => {
    expect(decodeBit(word, bit)).toBe(expected);
    expect(decodePoint(point({ type: 'bool', bit }), [word])).toBe(expected);
  });

  it('coils and discrete inputs are their bit', () => {
    expect(decodePoint(point({ table: 'coil', type: 'bool' }), [true])).toBe(true);
    expect(decodePoint(point({ table: 'discrete', type: 'bool' }), [false])).toBe(false);
    expect(() => decodePoint(point({ table: 'coil', type: 'bool' }), [])).toThrow(/needs 1 bit/);
  });
});

describe('strings', () => {
  const cases: { what: string; words: number[]; order: WordOrder; expected: string }[] = [
    { what: 'NUL-padded, high byte first', words: [0x544a, 0x2d30, 0x3100, 0x0000], order: 'ABCD', expected: 'TJ-01' },
    { what: 'CDAB reads like ABCD (no word swap for text)', words: [0x544a, 0x2d30, 0x3100, 0x0000], order: 'CDAB', expected: 'TJ-01' },
    { what: 'byte-swapped (BADC)', words: [0x4a54, 0x302d, 0x0031, 0x0000], order: 'BADC', expected: 'TJ-01' },
    { what: 'byte-swapped (DCBA)', words: [0x4a54, 0x302d, 0x0031, 0x0000], order: 'DCBA', expected: 'TJ-01' },
    { what: 'space-padded', words: [0x544a, 0x2020, 0x2020], order: 'ABCD', expected: 'TJ' },
    { what: 'leading spaces and NULs trimmed', words: [0x0000, 0x2044, 0x4453, 0x5536, 0x3636], order: 'ABCD', expected: 'DDSU666' },
    { what: 'text ends at the first NUL (garbage after it ignored)', words: [0x4142, 0x0043, 0x4445], order: 'ABCD', expected: 'AB' },
    { what: 'all NULs is empty', words: [0, 0], order: 'ABCD', expected: '' },
    { what: 'non-ASCII and control bytes become "?"', words: [0x41c8, 0x0742], order: 'ABCD', expected: 'A??B' },
  ];

  it.each(cases)('$what', ({ words, order, expected }) => {
    expect(decodeString(words, words.length, order)).toBe(expected);
    expect(decodePoint(point({ type: 'string', length: words.length, wordOrder: order }), words)).toBe(expected);
  });

  it('needs all its registers', () => {
    expect(() => decodePoint(point({ type: 'string', length: 4 }), [0x4142])).toThrow(/needs 4 register/);
  });
});

describe('decodeRaw', () => {
  it('16-bit types ignore word swaps and honour byte swaps', () => {
    const raw = (['ABCD', 'CDAB', 'BADC', 'DCBA'] as const).map((order) => decodeRaw([0x0102], 'uint16', order));
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
    expect(toEngineering(Number.MAX_SAFE_INTEGER, 1, 0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toEngineering(-224, 0.1, 0)).toBe(-22.4);
  });
});
