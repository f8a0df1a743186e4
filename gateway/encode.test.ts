// Encoding engineering values into registers (what the simulator serves), against register
// values worked out by hand, plus the round trip through decode.
import { describe, expect, it } from 'vitest';
import { decodeRegisters, type RegisterLayout } from './decode.js';
import { encodeRegisters, toRaw } from './encode.js';
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
  ];

  it.each(cases)('$what', ({ value, layout: l, words }) => {
    expect(encodeRegisters(l, value)).toEqual(words);
  });

  it('refuses NaN for integer registers', () => {
    expect(() => toRaw(NaN, layout('int16'))).toThrow(/cannot store/);
  });
});

describe('decode(encode(x)) is x at the register resolution', () => {
  const values = [-40.04, -22.37, -0.05, 0, 0.04, 1.5, 65.8, 99.99, 299.99];
  const combos = NUMERIC_TYPES.flatMap((type) => WORD_ORDERS.map((wordOrder) => ({ type, wordOrder })));

  it.each(combos)('$type $wordOrder', ({ type, wordOrder }) => {
    const scale = type === 'float32' ? 1 : 0.01;
    for (const value of values) {
      if (type.startsWith('uint') && value < 0) continue;
      const l = layout(type, { wordOrder, scale });
      const back = decodeRegisters(l, encodeRegisters(l, value));
      expect(Math.abs(back - value)).toBeLessThanOrEqual(type === 'float32' ? Math.abs(value) * 1e-7 : 0.005 + 1e-12);
    }
  });
});
