// Which Modbus requests read a profile's points, and how a response maps back to named
// values. Pure. Minimal strategy: one request per run of adjacent points in one table;
// a later coalescer (reading across small gaps, per-device limits) replaces planReads only.
import type { ProfilePoint, Table } from './profile-schema.js';
import { isBitTable, pointWidth } from './profile-schema.js';
import { decodeRegisters } from './decode.js';

/** Modbus PDU limits: FC3/FC4 read at most 125 registers, FC1/FC2 at most 2000 bits. */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

export interface ReadBlock {
  table: Table;
  address: number;
  /** Registers (holding/input) or bits (coil/discrete). */
  count: number;
  points: ProfilePoint[];
}

export function planReads(points: readonly ProfilePoint[]): ReadBlock[] {
  const tableOrder = (t: Table) => ['coil', 'discrete', 'holding', 'input'].indexOf(t);
  const sorted = [...points].sort((a, b) => tableOrder(a.table) - tableOrder(b.table) || a.address - b.address);
  const blocks: ReadBlock[] = [];
  let current: ReadBlock | undefined;
  for (const point of sorted) {
    const width = pointWidth(point.type);
    const limit = isBitTable(point.table) ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ;
    const adjacent = current !== undefined && current.table === point.table && current.address + current.count === point.address;
    if (current && adjacent && current.count + width <= limit) {
      current.count += width;
      current.points.push(point);
    } else {
      current = { table: point.table, address: point.address, count: width, points: [point] };
      blocks.push(current);
    }
  }
  return blocks;
}

/** Names → values for one block's response: register words or bits, starting at block.address. */
export function decodeBlock(block: ReadBlock, data: readonly number[] | readonly boolean[]): Record<string, number | boolean> {
  if (data.length < block.count) throw new RangeError(`expected ${block.count} ${isBitTable(block.table) ? 'bits' : 'registers'} from ${block.table} 0x${block.address.toString(16)}, got ${data.length}`);
  const values: Record<string, number | boolean> = {};
  for (const point of block.points) {
    const at = point.address - block.address;
    if (isBitTable(block.table)) {
      values[point.name] = Boolean(data[at]);
    } else {
      values[point.name] = decodeRegisters(point, (data as readonly number[]).slice(at, at + pointWidth(point.type)));
    }
  }
  return values;
}
