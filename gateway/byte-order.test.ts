// Byte and word orders, on the worked example of docs/device-profiles.md: the value bytes
// A B C D E F G H = 01 02 03 04 05 06 07 08, and where each order puts them on the wire.
import { describe, expect, it } from 'vitest';
import { bytesFromRegisters, registersFromBytes, swapsBytes, swapsWords } from './byte-order.js';
import type { WordOrder } from './profile-schema.js';

const bytes16 = Buffer.from([0x01, 0x02]);
const bytes32 = Buffer.from([0x01, 0x02, 0x03, 0x04]);
const bytes64 = Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);

const cases: { order: WordOrder; r16: number[]; r32: number[]; r64: number[] }[] = [
  { order: 'ABCD', r16: [0x0102], r32: [0x0102, 0x0304], r64: [0x0102, 0x0304, 0x0506, 0x0708] }, // ABCDEFGH
  { order: 'CDAB', r16: [0x0102], r32: [0x0304, 0x0102], r64: [0x0708, 0x0506, 0x0304, 0x0102] }, // GHEFCDAB
  { order: 'BADC', r16: [0x0201], r32: [0x0201, 0x0403], r64: [0x0201, 0x0403, 0x0605, 0x0807] }, // BADCFEHG
  { order: 'DCBA', r16: [0x0201], r32: [0x0403, 0x0201], r64: [0x0807, 0x0605, 0x0403, 0x0201] }, // HGFEDCBA
];

describe('registersFromBytes and bytesFromRegisters', () => {
  it.each(cases)('$order', ({ order, r16, r32, r64 }) => {
    expect(registersFromBytes(bytes16, order)).toEqual(r16);
    expect(registersFromBytes(bytes32, order)).toEqual(r32);
    expect(registersFromBytes(bytes64, order)).toEqual(r64);
    expect(bytesFromRegisters(r16, 1, order)).toEqual(bytes16);
    expect(bytesFromRegisters(r32, 2, order)).toEqual(bytes32);
    expect(bytesFromRegisters(r64, 4, order)).toEqual(bytes64);
  });

  it('keeps register order for text (no word swap), swapping bytes only when the order says so', () => {
    const text = Buffer.from('TJ-01\0', 'latin1');
    expect(registersFromBytes(text, 'DCBA', false)).toEqual([0x4a54, 0x302d, 0x0031]);
    expect(bytesFromRegisters([0x4a54, 0x302d, 0x0031], 3, 'DCBA', false)).toEqual(text);
  });

  it('names the two swaps', () => {
    expect((['ABCD', 'CDAB', 'BADC', 'DCBA'] as const).map((o) => [swapsBytes(o), swapsWords(o)])).toEqual([
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]);
  });

  it('rejects too few registers, odd byte counts and words that are not 16-bit', () => {
    expect(() => bytesFromRegisters([1], 2, 'ABCD')).toThrow(/needs 2 registers, got 1/);
    expect(() => bytesFromRegisters([0x10000], 1, 'ABCD')).toThrow(/16-bit/);
    expect(() => bytesFromRegisters([1.5], 1, 'ABCD')).toThrow(/16-bit/);
    expect(() => registersFromBytes(Buffer.from([1, 2, 3]), 'ABCD')).toThrow(/even/);
  });
});
