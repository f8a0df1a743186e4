// What a "write this value to that point" command sends: FC05 for a coil, FC06/FC16 with the
// registers encode.ts produces for a holding point. Pure; refuses, with the reason, points that
// are read-only and values the point cannot hold (a device would store a saturated or wrapped
// number, and a siren or an install height must be exactly what the operator asked for).
import { decodeRegisters } from './decode.js';
import { encodeRegisters } from './encode.js';
import type { ProfilePoint } from './profile-schema.js';

export type WriteRequest = { table: 'coil'; address: number; value: boolean } | { table: 'holding'; address: number; words: number[] };

export class WriteRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteRefusedError';
  }
}

/** Whether the profile lets the gateway write the point: `access: rw` (coil and holding only). */
export function writable(point: ProfilePoint): boolean {
  return point.access === 'rw' && (point.table === 'holding' || point.table === 'coil');
}

function refuse(point: ProfilePoint, why: string): never {
  throw new WriteRefusedError(`cannot write ${JSON.stringify(point.name)}: ${why}`);
}

export function planWrite(point: ProfilePoint, value: number | boolean): WriteRequest {
  if (point.table === 'input' || point.table === 'discrete') refuse(point, `it is in the read-only ${point.table} table`);
  if (!writable(point)) refuse(point, 'the profile does not mark it writable (access: rw)');
  if (point.table === 'coil') {
    if (typeof value === 'boolean') return { table: 'coil', address: point.address, value };
    if (value === 0 || value === 1) return { table: 'coil', address: point.address, value: value === 1 };
    refuse(point, `a coil takes true/false (or 1/0), not ${value}`);
  }
  if (point.type === 'bool') refuse(point, `it is bit ${point.bit ?? 0} of a ${point.table} register: writing it alone would overwrite the register's other bits`);
  if (point.type === 'string') refuse(point, 'text points cannot be written by command');
  if (typeof value !== 'number' || !Number.isFinite(value)) refuse(point, `a ${point.type} register takes a finite number, not ${String(value)}`);
  let words: number[];
  let back: unknown;
  try {
    words = encodeRegisters(point, value);
    back = decodeRegisters(point, words);
  } catch (err) {
    refuse(point, `a ${point.type} point cannot be written (${(err as Error).message})`);
  }
  if (typeof back !== 'number' || !Number.isFinite(back)) refuse(point, `${value} does not fit a ${point.type}`);
  // What the device will hold must read back as the value asked for: within half a step of the
  // scale for integers (22.37 → 22.4 at ×0.1 is fine, 70000 in a uint16 is not), and within
  // float32 precision for floats.
  const step = Math.abs(point.scale);
  const tolerance = /^float/.test(point.type) ? Math.abs(value) * 1e-6 + 1e-9 : step / 2 + step * 1e-9;
  if (Math.abs(back - value) > tolerance) refuse(point, `${value} is out of range for ${point.type}${point.scale !== 1 ? ` ×${point.scale}` : ''}${point.offset ? ` +${point.offset}` : ''} (it would read back as ${back})`);
  return { table: 'holding', address: point.address, words };
}
