// Which Modbus requests read a device's points (the coalescer), and how a response maps back
// to named values. Pure: table-driven tests in read-plan.test.ts, figures in bench/gateway.
//
// Points of one table are sorted by address and merged greedily into as few requests as the
// limits allow: a request may span at most `maxRegisters` registers (`maxBits` bits) and may
// read through at most `maxGap` addresses that belong to no point. Greedy is optimal here: a
// block always extends to the farthest point it can legally take, so no other cut needs fewer
// requests. Points may share a register (bit-in-register points): overlaps merge for free.
import { decodePoint, type PointValue } from './decode.js';
import type { ProfilePoint, Table } from './profile-schema.js';
import { isBitTable, registerCount } from './profile-schema.js';

/** Modbus PDU limits: FC3/FC4 read at most 125 registers, FC1/FC2 at most 2000 bits. */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

export interface ReadPlanOptions {
  /** Registers per FC3/FC4 request (1–125); fussy devices answer fewer (e.g. 32). */
  maxRegisters?: number;
  /** Bits per FC1/FC2 request (1–2000). */
  maxBits?: number;
  /** Unused registers a request may read through to join two points (0: only adjacent points). */
  maxGapRegisters?: number;
  /** Unused bits a request may read through. */
  maxGapBits?: number;
}

export interface ReadBlock {
  table: Table;
  address: number;
  /** Registers (holding/input) or bits (coil/discrete). */
  count: number;
  points: ProfilePoint[];
}

const TABLE_ORDER: readonly Table[] = ['coil', 'discrete', 'holding', 'input'];

/** Registers (or bits, in bit tables) a point occupies. */
export function pointSpan(point: ProfilePoint): number {
  return registerCount(point);
}

interface Limits {
  max: number;
  gap: number;
}

function limitsFor(table: Table, options: ReadPlanOptions): Limits {
  return isBitTable(table)
    ? { max: Math.min(options.maxBits ?? MAX_BITS_PER_READ, MAX_BITS_PER_READ), gap: options.maxGapBits ?? 0 }
    : { max: Math.min(options.maxRegisters ?? MAX_REGISTERS_PER_READ, MAX_REGISTERS_PER_READ), gap: options.maxGapRegisters ?? 0 };
}

/** Why these points cannot be read under these limits (a point wider than one request), or undefined. */
export function planProblem(points: readonly ProfilePoint[], options: ReadPlanOptions = {}): string | undefined {
  for (const point of points) {
    const { max } = limitsFor(point.table, options);
    if (pointSpan(point) > max) return `point "${point.name}" spans ${pointSpan(point)} registers but one request may read at most ${max}`;
  }
  return undefined;
}

export function planReads(points: readonly ProfilePoint[], options: ReadPlanOptions = {}): ReadBlock[] {
  const problem = planProblem(points, options);
  if (problem) throw new RangeError(problem);
  const sorted = [...points].sort((a, b) => TABLE_ORDER.indexOf(a.table) - TABLE_ORDER.indexOf(b.table) || a.address - b.address);
  const blocks: ReadBlock[] = [];
  let current: ReadBlock | undefined;
  for (const point of sorted) {
    const { max, gap } = limitsFor(point.table, options);
    const end = point.address + pointSpan(point);
    if (current && current.table === point.table) {
      const currentEnd = current.address + current.count;
      const unused = point.address - currentEnd;
      const newCount = Math.max(currentEnd, end) - current.address;
      if (unused <= gap && newCount <= max) {
        current.count = newCount;
        current.points.push(point);
        continue;
      }
    }
    current = { table: point.table, address: point.address, count: end - point.address, points: [point] };
    blocks.push(current);
  }
  return blocks;
}

/** True when the block reads addresses that belong to none of its points. */
export function spansGaps(block: ReadBlock): boolean {
  const covered = new Set<number>();
  for (const point of block.points) for (let i = 0; i < pointSpan(point); i++) covered.add(point.address + i);
  return covered.size < block.count;
}

export interface DecodedBlock {
  values: Record<string, PointValue>;
  /** Points whose registers hold no valid reading (a float NaN while a sensor warms up…). */
  invalid: string[];
}

/** Names → values for one block's response: register words or bits, starting at block.address. */
export function decodeBlock(block: ReadBlock, data: readonly number[] | readonly boolean[]): DecodedBlock {
  if (data.length < block.count) throw new RangeError(`expected ${block.count} ${isBitTable(block.table) ? 'bits' : 'registers'} from ${block.table} 0x${block.address.toString(16)}, got ${data.length}`);
  const values: Record<string, PointValue> = {};
  const invalid: string[] = [];
  for (const point of block.points) {
    const at = point.address - block.address;
    const value = decodePoint(point, data.slice(at, at + pointSpan(point)) as readonly number[] | readonly boolean[]);
    if (value === undefined) invalid.push(point.name);
    else values[point.name] = value;
  }
  return { values, invalid };
}

/** One line per request, e.g. `holding 0x0000×2 (humidity, temperature)`: logs, CLI, errors. */
export function describeBlock(block: ReadBlock): string {
  return `${block.table} 0x${block.address.toString(16).padStart(4, '0')}×${block.count} (${block.points.map((p) => p.name).join(', ')})`;
}
