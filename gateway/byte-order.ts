// Byte and word order of multi-register values: where each byte of a value sits among the
// 16-bit registers on the wire. Pure; decode.ts and encode.ts are built on these two functions.
//
// Name the value's bytes A, B, C, … from the most significant. The four orders are two
// independent swaps, which is how they generalise from 32 to 64 bits (the same convention
// as Telegraf's modbus input and most SCADA drivers):
//
//   order  byte swap   word swap   32-bit on the wire   64-bit on the wire
//   ABCD   no          no          AB CD                AB CD EF GH   big-endian (Modbus default)
//   CDAB   no          yes         CD AB                GH EF CD AB   low word first
//   BADC   yes         no          BA DC                BA DC FE HG   bytes swapped in each register
//   DCBA   yes         yes         DC BA                HG FE DC BA   little-endian
//
// "Word swap" reverses the order of all registers of the value, "byte swap" exchanges the two
// bytes inside every register. A 16-bit value has one register, so only the byte swap applies
// (CDAB reads like ABCD, DCBA like BADC). Strings follow the same rule: characters run through
// the registers in ascending address order, two per register, the first one in the high byte
// unless the order swaps bytes (BADC, DCBA).
import type { WordOrder } from './profile-schema.js';

export function swapsBytes(order: WordOrder): boolean {
  return order === 'BADC' || order === 'DCBA';
}

export function swapsWords(order: WordOrder): boolean {
  return order === 'CDAB' || order === 'DCBA';
}

function checkWord(word: number): number {
  if (!Number.isInteger(word) || word < 0 || word > 0xffff) throw new RangeError(`register value ${word} is not a 16-bit word`);
  return word;
}

/**
 * The value's bytes, most significant first, from `count` registers as they arrived
 * (words[0] = lowest address). `wordSwap: false` keeps register order (strings).
 */
export function bytesFromRegisters(words: readonly number[], count: number, order: WordOrder, wordSwap = swapsWords(order)): Buffer {
  if (words.length < count) throw new RangeError(`needs ${count} registers, got ${words.length}`);
  const bytes = Buffer.alloc(count * 2);
  const byteSwap = swapsBytes(order);
  for (let i = 0; i < count; i++) {
    const word = checkWord(words[i]!);
    const slot = wordSwap ? count - 1 - i : i;
    bytes[slot * 2] = byteSwap ? word & 0xff : word >>> 8;
    bytes[slot * 2 + 1] = byteSwap ? word >>> 8 : word & 0xff;
  }
  return bytes;
}

/** The inverse of bytesFromRegisters: registers (lowest address first) holding `bytes`. */
export function registersFromBytes(bytes: Uint8Array, order: WordOrder, wordSwap = swapsWords(order)): number[] {
  if (bytes.length % 2 !== 0) throw new RangeError('a register value has an even number of bytes');
  const count = bytes.length / 2;
  const byteSwap = swapsBytes(order);
  const words: number[] = [];
  for (let i = 0; i < count; i++) {
    const slot = wordSwap ? count - 1 - i : i;
    const high = bytes[slot * 2]!;
    const low = bytes[slot * 2 + 1]!;
    words.push(byteSwap ? (low << 8) | high : (high << 8) | low);
  }
  return words;
}
