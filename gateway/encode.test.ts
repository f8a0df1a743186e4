// Encoding engineering values into registers (what the simulator serves, what a write sends),
// against register values worked out by hand, plus the round trip through decode.
import { describe, expect, it } from 'vitest';
import { decodeRegisters, decodeString, type RegisterLayout } from './decode.js';
import { encodeBit, encodeRegisters, encodeString, integerRange, toRaw } from './encode.js';
import { NUMERIC_TYPES, WORD_ORDERS, type NumericType } from './profile-schema.js';

const layout = (type: NumericType, extra: Partial<RegisterLayout> = {}): RegisterLayout => ({ type, wordOrder: 'ABCD', scale: 1, offset: 0, ...extra });

describe('encodeRegisters', () => {
  const cases: { what: string; value: number; layout: RegisterLayout; words: number[] }[] = [
    { what: 'int16 −22.4 °C', value: -22.4, layout: layout('int16', { scale: 0.1 }), words: [0xff20] },
    { what: 'int16 −10.1 °C', value: -10.1, layout: layout('int16', { scale: 0.1 }), words: [0xff9b] },
    { what: 'int16 rounds −22.37 to −22.4', value: -22.37, layout: layout('int16', { scale: 0.1 }), words: [0xff20] },
    { what: 'int16 ties go toward +∞ (22.35 → 224)', value: 22.35, layout: layout('int16', { scale: 0.1 }), words: [0x00e0] },
    { what: 'int16 saturates high (7000 °C)', value: 7000, layout: layout('int16', { scale: 0.1 }), words: [0x7fff] },
    { what: 'int16 saturates low', value: -5000, layout: layout('int16', { scale: 0.1 }), words: [0x8000] },
    { what: 'int16 BADC', value: -10.1, layout: layout('int16', { scale: 0.1, wordOrder: 'BADC' }), words: [0x9bff] },
    { what: 'uint16 65.8 %RH', value: 65.8, layout: layout('uint16', { scale: 0.1 }), words: [0x0292] },
    { what: 'uint16 cannot go below 0', value: -3, layout: layout('uint16'), words: [0x0000] },
    { what: 'uint16 with offset: 0 at ×0.1 − 50', value: 0, layout: layout('uint16', { scale: 0.1, offset: -50 }), words: [0x01f4] },
    { what: 'int32 ABCD −2', value: -2, layout: layout('int32'), words: [0xffff, 0xfffe] },
    { what: 'int32 CDAB −2', value: -2, layout: layout('int32', { wordOrder: 'CDAB' }), words: [0xfffe, 0xffff] },
    { what: 'uint32 ABCD 0x12345678', value: 305419896, layout: layout('uint32'), words: [0x1234, 0x5678] },
    { what: 'uint32 CDAB 0x12345678', value: 305419896, layout: layout('uint32', { wordOrder: 'CDAB' }), words: [0x5678, 0x1234] },
    { what: 'uint32 BADC 0x12345678', value: 305419896, layout: layout('uint32', { wordOrder: 'BADC' }), words: [0x3412, 0x7856] },
    { what: 'uint32 DCBA 0x12345678', value: 305419896, layout: layout('uint32', { wordOrder: 'DCBA' }), words: [0x7856, 0x3412] },
    { what: 'uint32 ×0.01 kWh', value: 1234.56, layout: layout('uint32', { scale: 0.01 }), words: [0x0001, 0xe240] },
    { what: 'float32 ABCD 229.7', value: 229.7, layout: layout('float32'), words: [0x4365, 0xb333] },
    { what: 'float32 CDAB 229.7', value: 229.7, layout: layout('float32', { wordOrder: 'CDAB' }), words: [0xb333, 0x4365] },
    { what: 'float32 CDAB 30.56', value: 30.56, layout: layout('float32', { wordOrder: 'CDAB' }), words: [0x7ae1, 0x41f4] },
    { what: 'float32 ABCD −22.5', value: -22.5, layout: layout('float32'), words: [0xc1b4, 0x0000] },
    { what: 'float32 NaN', value: NaN, layout: layout('float32'), words: [0x7fc0, 0x0000] },
    { what: 'int64 ABCD −40 °C ×0.001', value: -40, layout: layout('int64', { scale: 0.001 }), words: [0xffff, 0xffff, 0xffff, 0x63c0] },
    { what: 'uint64 CDAB 0x0001020304050607', value: 283686952306183, layout: layout('uint64', { wordOrder: 'CDAB' }), words: [0x0607, 0x0405, 0x0203, 0x0001] },
    { what: 'uint64 2^53 − 1 exactly (no rounding of big integers)', value: Number.MAX_SAFE_INTEGER, layout: layout('uint64'), words: [0x001f, 0xffff, 0xffff, 0xffff] },
    { what: 'uint64 saturates at 2^53 − 1, not at 2^64 − 1', value: 1e300, layout: layout('uint64'), words: [0x001f, 0xffff, 0xffff, 0xffff] },
    { what: 'int64 saturates at −(2^53 − 1)', value: -1e300, layout: layout('int64'), words: [0xffe0, 0x0000, 0x0000, 0x0001] },
    { what: 'float64 DCBA −22.5', value: -22.5, layout: layout('float64', { wordOrder: 'DCBA' }), words: [0, 0, 0x0080, 0x36c0] },
  ];

  it.each(cases)('$what', ({ value, layout: l, words }) => {
    expect(encodeRegisters(l, value)).toEqual(words);
  });

  it('refuses NaN for integer registers, and bool or string layouts', () => {
    expect(() => toRaw(NaN, layout('int16'))).toThrow(/cannot store/);
    expect(() => toRaw(NaN, layout('uint64'))).toThrow(/cannot store/);
    expect(() => encodeRegisters({ type: 'string', wordOrder: 'ABCD', scale: 1, offset: 0 }, 1)).toThrow(/own encoder/);
  });

  it('gives 64-bit types the range a JSON number carries exactly', () => {
    expect(integerRange('int64')).toEqual([-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    expect(integerRange('uint64')).toEqual([0, Number.MAX_SAFE_INTEGER]);
  });
});

describe('encodeBit', () => {
  it.each([
    { word: 0x0000, bit: 0, value: true, expected: 0x0001 },
    { word: 0x0001, bit: 0, value: false, expected: 0x0000 },
    { word: 0x00f0, bit: 15, value: true, expected: 0x80f0 },
    { word: 0xffff, bit: 5, value: false, expected: 0xffdf },
    { word: 0x0020, bit: 5, value: true, expected: 0x0020 },
  ])('bit $bit of 0x$word → $value', ({ word, bit, value, expected }) => {
    expect(encodeBit(word, bit, value)).toBe(expected);
  });
});

describe('encodeString', () => {
  it.each([
    { order: 'ABCD', words: [0x544a, 0x2d30, 0x3100, 0x0000] },
    { order: 'CDAB', words: [0x544a, 0x2d30, 0x3100, 0x0000] },
    { order: 'BADC', words: [0x4a54, 0x302d, 0x0031, 0x0000] },
    { order: 'DCBA', words: [0x4a54, 0x302d, 0x0031, 0x0000] },
  ] as const)('"TJ-01" in 4 registers, $order, NUL-padded, and back', ({ order, words }) => {
    expect(encodeString('TJ-01', 4, order)).toEqual(words);
    expect(decodeString(words, 4, order)).toBe('TJ-01');
  });

  it('refuses text that is too long or not printable ASCII', () => {
    expect(encodeString('ABCD', 2, 'ABCD')).toEqual([0x4142, 0x4344]);
    expect(() => encodeString('ABCDE', 2, 'ABCD')).toThrow(/needs 3 registers/);
    expect(() => encodeString('同江', 4, 'ABCD')).toThrow(/ASCII/);
    expect(() => encodeString('a\nb', 4, 'ABCD')).toThrow(/ASCII/);
  });
});

describe('decode(encode(x)) is x at the register resolution', () => {
  const values = [-40.04, -22.37, -0.05, 0, 0.04, 1.5, 65.8, 99.99, 299.99];
  const combos = NUMERIC_TYPES.flatMap((type) => WORD_ORDERS.map((wordOrder) => ({ type, wordOrder })));

  it.each(combos)('$type $wordOrder', ({ type, wordOrder }) => {
    const float = type === 'float32' || type === 'float64';
    const scale = float ? 1 : 0.01;
    for (const value of values) {
      if (type.startsWith('uint') && value < 0) continue;
      const l = layout(type, { wordOrder, scale });
      const back = decodeRegisters(l, encodeRegisters(l, value));
      const tolerance = type === 'float64' ? 0 : type === 'float32' ? Math.abs(value) * 1e-7 : 0.005 + 1e-12;
      expect(Math.abs(back - value)).toBeLessThanOrEqual(tolerance);
      // What was decoded encodes to the same registers: serving a served value changes nothing.
      expect(decodeRegisters(l, encodeRegisters(l, back))).toBe(back);
    }
  });
});
