// Turning Modbus register words into engineering values (raw × scale + offset). Pure: the
// gateway's only interpretation of the bytes a device sends; encode.ts is its inverse.
import type { NumericType, ProfilePoint, WordOrder } from './profile-schema.js';
import { pointWidth } from './profile-schema.js';

/** What decoding needs to know about a point. */
export type RegisterLayout = Pick<ProfilePoint, 'type' | 'wordOrder' | 'scale' | 'offset'>;

/**
 * Where each byte of the value (A = most significant) sits among the bytes on the wire
 * (register 0 high, register 0 low, register 1 high, register 1 low).
 */
function wirePositions(order: WordOrder, width: 1 | 2): number[] {
  if (width === 1) return order === 'BADC' || order === 'DCBA' ? [1, 0] : [0, 1];
  return ['A', 'B', 'C', 'D'].map((letter) => order.indexOf(letter));
}

/** The value's bytes in big-endian order, gathered from the registers as they arrived. */
export function valueBytes(words: readonly number[], type: NumericType, order: WordOrder): Buffer {
  const width = pointWidth(type);
  if (words.length < width) throw new RangeError(`${type} needs ${width} registers, got ${words.length}`);
  const wire = Buffer.alloc(width * 2);
  for (let i = 0; i < width; i++) {
    const word = words[i]!;
    if (!Number.isInteger(word) || word < 0 || word > 0xffff) throw new RangeError(`register value ${word} is not a 16-bit word`);
    wire.writeUInt16BE(word, i * 2);
  }
  const positions = wirePositions(order, width);
  return Buffer.from(positions.map((p) => wire[p]!));
}

/** The raw number the registers hold, before scale and offset. float32 NaN stays NaN. */
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
    case 'float32':
      return shortestFloat32(bytes.readFloatBE(0));
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

/** Decodes one numeric point from its own registers (words[0] is the point's first register). */
export function decodeRegisters(layout: RegisterLayout, words: readonly number[]): number {
  if (layout.type === 'bool') throw new TypeError('bool points live in bit tables, not registers');
  return toEngineering(decodeRaw(words, layout.type, layout.wordOrder), layout.scale, layout.offset);
}
