// Turning an engineering value into the registers a device would hold: the inverse of
// decode.ts. The simulator serves these; a later "write a point" command will send them.
import type { NumericType, WordOrder } from './profile-schema.js';
import { pointWidth } from './profile-schema.js';
import type { RegisterLayout } from './decode.js';

const INTEGER_RANGE: Record<Exclude<NumericType, 'float32'>, [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/**
 * The raw number a device stores for an engineering value: (value − offset) / scale, rounded
 * to the nearest integer for integer types (ties toward +∞) and saturated at the type's range,
 * as a transmitter pins an out-of-range reading instead of wrapping around.
 */
export function toRaw(value: number, layout: RegisterLayout): number {
  if (layout.type === 'bool') throw new TypeError('bool points live in bit tables, not registers');
  const exact = (value - layout.offset) / layout.scale;
  if (layout.type === 'float32') return exact;
  if (!Number.isFinite(exact)) throw new RangeError(`cannot store ${value} in a ${layout.type} register`);
  // Trim division noise first so 22.35 / 0.1 (223.50000000000003) and 223.5 round alike.
  const rounded = Math.round(Number(exact.toPrecision(12)));
  const [lowest, highest] = INTEGER_RANGE[layout.type];
  return Math.min(highest, Math.max(lowest, rounded));
}

/** The registers holding `raw` as `type`, in the device's byte order. */
export function encodeRaw(raw: number, type: NumericType, order: WordOrder): number[] {
  const width = pointWidth(type);
  const bytes = Buffer.alloc(width * 2);
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
    case 'float32':
      bytes.writeFloatBE(raw, 0);
      break;
  }
  // Byte i of the value (A = 0) goes to wire position order.indexOf(letter i): the mirror of decode.
  const wire = Buffer.alloc(width * 2);
  if (width === 1) {
    const swap = order === 'BADC' || order === 'DCBA';
    wire[0] = bytes[swap ? 1 : 0]!;
    wire[1] = bytes[swap ? 0 : 1]!;
  } else {
    ['A', 'B', 'C', 'D'].forEach((letter, i) => {
      wire[order.indexOf(letter)] = bytes[i]!;
    });
  }
  const words: number[] = [];
  for (let i = 0; i < width; i++) words.push(wire.readUInt16BE(i * 2));
  return words;
}

/** Registers for an engineering value of a numeric point. */
export function encodeRegisters(layout: RegisterLayout, value: number): number[] {
  if (layout.type === 'bool') throw new TypeError('bool points live in bit tables, not registers');
  return encodeRaw(toRaw(value, layout), layout.type, layout.wordOrder);
}
