// Turning an engineering value into the registers a device would hold: the inverse of
// decode.ts. The simulator serves these; a "write a point" command sends them.
import { registersFromBytes } from './byte-order.js';
import type { RegisterLayout } from './decode.js';
import type { NumericType, WordOrder } from './profile-schema.js';
import { numericWidth } from './profile-schema.js';

type IntegerType = Exclude<NumericType, 'float32' | 'float64'>;

/**
 * The range an integer type can carry through Shaobing. 64-bit types stop at ±(2^53 − 1):
 * beyond, a JSON number cannot hold the value exactly, and decode.ts refuses it.
 */
const INTEGER_RANGE: Record<IntegerType, [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

export function integerRange(type: IntegerType): readonly [number, number] {
  return INTEGER_RANGE[type];
}

function isFloat(type: NumericType): type is 'float32' | 'float64' {
  return type === 'float32' || type === 'float64';
}

/**
 * Division noise trimmed, so 22.35 / 0.1 (223.50000000000003) and 223.5 round alike: 12
 * significant digits, or more for big numbers, always keeping 3 decimals past the integer part
 * (a 64-bit counter near 2^53 must not lose its last digits).
 */
function trimNoise(x: number): number {
  const integerDigits = Math.abs(x) < 1 ? 1 : Math.floor(Math.log10(Math.abs(x))) + 1;
  return Number(x.toPrecision(Math.min(100, Math.max(12, integerDigits + 3))));
}

/**
 * The raw number a device stores for an engineering value: (value − offset) / scale, rounded
 * to the nearest integer for integer types (ties toward +∞) and saturated at the type's range,
 * as a transmitter pins an out-of-range reading instead of wrapping around.
 */
export function toRaw(value: number, layout: RegisterLayout): number {
  if (layout.type === 'bool' || layout.type === 'string') throw new TypeError(`toRaw converts numbers, not a ${layout.type}`);
  const exact = (value - layout.offset) / layout.scale;
  if (isFloat(layout.type)) return exact;
  if (!Number.isFinite(exact)) throw new RangeError(`cannot store ${value} in a ${layout.type} register`);
  const rounded = Math.round(trimNoise(exact));
  const [lowest, highest] = INTEGER_RANGE[layout.type];
  return Math.min(highest, Math.max(lowest, rounded));
}

/** The registers holding `raw` as `type`, in the device's byte order. */
export function encodeRaw(raw: number, type: NumericType, order: WordOrder): number[] {
  const bytes = Buffer.alloc(numericWidth(type) * 2);
  switch (type) {
    case 'int16':
      bytes.writeInt16BE(raw, 0);
      break;
    case 'uint16':
      bytes.writeUInt16BE(raw, 0);
      break;
    case 'int32':
      bytes.writeInt32BE(raw, 0);
      break;
    case 'uint32':
      bytes.writeUInt32BE(raw, 0);
      break;
    case 'int64':
    case 'uint64': {
      if (!Number.isSafeInteger(raw)) throw new RangeError(`${raw} is not an integer a JSON number holds exactly (|raw| ≤ 2^53 − 1)`);
      if (type === 'int64') bytes.writeBigInt64BE(BigInt(raw), 0);
      else bytes.writeBigUInt64BE(BigInt(raw), 0);
      break;
    }
    case 'float32':
      bytes.writeFloatBE(raw, 0);
      break;
    case 'float64':
      bytes.writeDoubleBE(raw, 0);
      break;
  }
  return registersFromBytes(bytes, order);
}

/** Registers for an engineering value of a numeric point. */
export function encodeRegisters(layout: RegisterLayout, value: number): number[] {
  if (layout.type === 'bool' || layout.type === 'string') throw new TypeError(`encodeRegisters encodes numbers; a ${layout.type} has its own encoder`);
  return encodeRaw(toRaw(value, layout), layout.type, layout.wordOrder);
}

/** `word` with bit `bit` (0 = least significant) set or cleared: a status word's flag. */
export function encodeBit(word: number, bit: number, value: boolean): number {
  const mask = 1 << bit;
  return (value ? word | mask : word & ~mask) & 0xffff;
}

/** `length` registers holding ASCII `text`, NUL-padded: the inverse of decodeString. */
export function encodeString(text: string, length: number, order: WordOrder): number[] {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new RangeError(`"${text}" is not printable ASCII`);
  if (text.length > length * 2) throw new RangeError(`"${text}" needs ${Math.ceil(text.length / 2)} registers, the point has ${length}`);
  const bytes = Buffer.alloc(length * 2);
  bytes.write(text, 'latin1');
  return registersFromBytes(bytes, order, false);
}
