// Turning Modbus registers and bits into engineering values (raw × scale + offset). Pure: the
// gateway's only interpretation of the bytes a device sends; encode.ts is its inverse.
//
// Values that must not be published come back as `undefined` from decodePoint (NaN from the
// lower-level decodeRaw/decodeRegisters): a float NaN or ±Infinity (sensors send NaN while
// warming up or on a broken probe), and a 64-bit integer beyond ±(2^53 − 1). Telemetry values
// are JSON numbers (IEEE doubles); such an integer would arrive silently rounded, and on a
// real device it is almost always a "not available" marker (0xFFFF…) or a wrong word order,
// not a reading: refusing it marks the sample instead of storing a wrong number. No physical
// counter gets there (2^53 Wh is 9 × 10^12 kWh).
import { bytesFromRegisters } from './byte-order.js';
import type { NumericType, ProfilePoint, WordOrder } from './profile-schema.js';
import { isBitTable, numericWidth, registerCount } from './profile-schema.js';

/** What decoding a numeric point needs to know. */
export type RegisterLayout = Pick<ProfilePoint, 'type' | 'wordOrder' | 'scale' | 'offset'>;

/** A decoded point: a number, a bool (coil, discrete, bit in a register) or a string. */
export type PointValue = number | boolean | string;

/** The value's bytes in big-endian order, gathered from the registers as they arrived. */
export function valueBytes(words: readonly number[], type: NumericType, order: WordOrder): Buffer {
  const width = numericWidth(type);
  if (words.length < width) throw new RangeError(`${type} needs ${width} registers, got ${words.length}`);
  return bytesFromRegisters(words, width, order);
}

/** A 64-bit integer as a number when a double holds it exactly; NaN otherwise (see the top). */
function exactOrNaN(value: bigint): number {
  return value >= -BigInt(Number.MAX_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.NaN;
}

/**
 * The raw number the registers hold, before scale and offset. NaN when there is no valid
 * reading: a float NaN, or a 64-bit integer a JSON number cannot carry exactly.
 */
export function decodeRaw(words: readonly number[], type: NumericType, order: WordOrder): number {
  const bytes = valueBytes(words, type, order);
  switch (type) {
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'int64':
      return exactOrNaN(bytes.readBigInt64BE(0));
    case 'uint64':
      return exactOrNaN(bytes.readBigUInt64BE(0));
    case 'float32':
      return shortestFloat32(bytes.readFloatBE(0));
    case 'float64':
      return bytes.readDoubleBE(0);
  }
}

/**
 * A float32 widened to double prints as 229.6999969482422; the shortest decimal that maps
 * back to the same float32 (229.7) is the same reading, losslessly, and what people expect.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/**
 * raw × scale + offset, without binary noise: −224 × 0.1 is −22.400000000000002 in doubles.
 * Rounding to 15 significant digits (what a double always holds exactly) removes it.
 */
export function toEngineering(raw: number, scale: number, offset: number): number {
  if (scale === 1 && offset === 0) return raw;
  const value = raw * scale + offset;
  return Number.isFinite(value) ? Number(value.toPrecision(15)) : value;
}

/**
 * Decodes one numeric point from its own registers (words[0] is the point's first register).
 * May return NaN or ±Infinity (see decodeRaw); decodePoint turns those into `undefined`.
 */
export function decodeRegisters(layout: RegisterLayout, words: readonly number[]): number {
  if (layout.type === 'bool' || layout.type === 'string') throw new TypeError(`decodeRegisters decodes numbers; use decodePoint for a ${layout.type}`);
  return toEngineering(decodeRaw(words, layout.type, layout.wordOrder), layout.scale, layout.offset);
}

/** Bit `bit` (0 = least significant) of a register as sent (high byte first). */
export function decodeBit(word: number, bit: number): boolean {
  return ((word >>> bit) & 1) === 1;
}

/**
 * ASCII text from `length` registers: two characters per register in ascending address
 * order, the first in the high byte unless the order swaps bytes. Devices pad with NULs or
 * spaces: both are trimmed, and text ends at the first NUL after it starts. Bytes outside printable ASCII
 * become "?" so a garbled register cannot inject control characters into logs or dashboards.
 */
export function decodeString(words: readonly number[], length: number, order: WordOrder): string {
  const all = bytesFromRegisters(words, length, order, false);
  // Leading NULs too: some devices right-align short text in a NUL-filled field.
  const bytes = all.subarray(Math.max(0, all.findIndex((b) => b !== 0)));
  const end = bytes.indexOf(0);
  const text = Array.from(end === -1 ? bytes : bytes.subarray(0, end), (b) => (b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '?')).join('');
  return text.trim();
}

/**
 * One point's value from the data read at its address: registers (words[0] is the point's first
 * register) or bits (bits[0] is the point's bit). `undefined` when the device sent no valid
 * reading (see the top of this file): leave it out and mark the sample uncertain.
 */
export function decodePoint(point: ProfilePoint, data: readonly number[] | readonly boolean[]): PointValue | undefined {
  if (data.length < registerCount(point)) {
    throw new RangeError(`point ${point.name} needs ${registerCount(point)} ${isBitTable(point.table) ? 'bit(s)' : 'register(s)'}, got ${data.length}`);
  }
  if (isBitTable(point.table)) return Boolean(data[0]);
  const words = data as readonly number[];
  if (point.type === 'bool') return decodeBit(words[0]!, point.bit ?? 0);
  if (point.type === 'string') return decodeString(words, registerCount(point), point.wordOrder);
  const value = decodeRegisters(point, words);
  return Number.isFinite(value) ? value : undefined;
}
