// What a simulated device answers at a given time: the registers and bits of its profile,
// holding the encoded simulated values. Pure; server.ts puts it behind a Modbus TCP socket.
import { decodePoint, type PointValue } from '../../gateway/decode.js';
import { encodeBit, encodeRegisters, encodeString } from '../../gateway/encode.js';
import { isBitTable, registerCount, type DeviceProfile, type ProfilePoint, type Table } from '../../gateway/profile-schema.js';
import { simulatedValue, type SimulatedValue } from './value-model.js';

/** Modbus exception codes a simulator answers with. */
export const ILLEGAL_FUNCTION = 0x01;
export const ILLEGAL_DATA_ADDRESS = 0x02;
export const ILLEGAL_DATA_VALUE = 0x03;

/** modbus-serial's ServerTCP turns a thrown error's `modbusErrorCode` into an exception response. */
export class ModbusExceptionError extends Error {
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ModbusExceptionError';
  }
}

/**
 * Unmapped addresses: `exception` answers ILLEGAL DATA ADDRESS (the default: a profile with a
 * wrong address then fails loudly in tests instead of publishing zeros), `zero` reads 0/false
 * like devices that tolerate reads across gaps (for testing a coalescer that reads through them).
 */
export type UnmappedPolicy = 'exception' | 'zero';

/**
 * What a register-table point holds for `value`, starting at its address: the encoded number or
 * string, or for a bit point a register with only that bit set or cleared.
 */
export function encodePointWords(point: ProfilePoint, value: SimulatedValue): number[] {
  if (point.type === 'bool') return [encodeBit(0, point.bit ?? 0, Boolean(value))];
  if (point.type === 'string') return encodeString(String(value), registerCount(point), point.wordOrder);
  return encodeRegisters(point, Number(value));
}

/** What a Modbus reader decodes for `value`: after the register's resolution, range and padding. */
export function quantizedValue(point: ProfilePoint, value: SimulatedValue): PointValue {
  if (isBitTable(point.table)) return Boolean(value);
  const decoded = decodePoint(point, encodePointWords(point, value));
  if (decoded === undefined) throw new RangeError(`simulated value ${String(value)} of ${point.name} decodes to no valid reading`);
  return decoded;
}

/**
 * The value a Modbus reader decodes from the simulator at `timeMs`: the model value after the
 * register's resolution and range (e.g. −22.37 °C stored as int16 ×0.1 reads −22.4).
 */
export function servedValue(point: ProfilePoint, seed: number, timeMs: number): PointValue {
  return quantizedValue(point, simulatedValue(point, seed, timeMs));
}

/** The points at one address of one table: a whole-register point, or bit points sharing it. */
interface Cell {
  /** Numeric or string point covering this address, and which of its registers this is. */
  whole?: { point: ProfilePoint; word: number };
  bits: ProfilePoint[];
}

export class SimulatedRegisterMap {
  private readonly cells = new Map<Table, Map<number, Cell>>();
  /** Values written by a Modbus client to `access: rw` points; they replace the model from then on. */
  private readonly written = new Map<ProfilePoint, SimulatedValue>();

  constructor(
    readonly profile: DeviceProfile,
    readonly seed: number,
    readonly unmapped: UnmappedPolicy = 'exception',
  ) {
    for (const point of profile.points) {
      let table = this.cells.get(point.table);
      if (!table) this.cells.set(point.table, (table = new Map()));
      for (let word = 0; word < registerCount(point); word++) {
        const address = point.address + word;
        const cell = table.get(address) ?? { bits: [] };
        if (point.type === 'bool' && !isBitTable(point.table)) cell.bits.push(point);
        else cell.whole = { point, word };
        table.set(address, cell);
      }
    }
  }

  /** The point's engineering value at `timeMs` before register encoding (a written value wins). */
  valueOf(point: ProfilePoint, timeMs: number): SimulatedValue {
    return this.written.has(point) ? this.written.get(point)! : simulatedValue(point, this.seed, timeMs);
  }

  /** Registers [address, address + count) at one instant: a 32/64-bit value never tears. */
  registers(table: 'holding' | 'input', address: number, count: number, timeMs: number): number[] {
    const encoded = new Map<ProfilePoint, number[]>();
    const words: number[] = [];
    for (let at = address; at < address + count; at++) {
      const cell = this.cell(table, at);
      if (!cell) {
        words.push(0);
        continue;
      }
      if (cell.whole) {
        const { point, word } = cell.whole;
        let registers = encoded.get(point);
        if (!registers) encoded.set(point, (registers = encodePointWords(point, this.valueOf(point, timeMs))));
        words.push(registers[word]!);
      } else {
        words.push(cell.bits.reduce((word, point) => encodeBit(word, point.bit ?? 0, Boolean(this.valueOf(point, timeMs))), 0));
      }
    }
    return words;
  }

  bits(table: 'coil' | 'discrete', address: number, count: number, timeMs: number): boolean[] {
    const bits: boolean[] = [];
    for (let at = address; at < address + count; at++) {
      const point = this.cell(table, at)?.whole?.point;
      bits.push(point ? Boolean(this.valueOf(point, timeMs)) : false);
    }
    return bits;
  }

  /**
   * FC06/FC16: store registers written to holding points with `access: rw`. The write must cover
   * whole points (half a float32 is refused, as most devices do) and only writable ones.
   */
  writeRegisters(address: number, words: readonly number[]): void {
    const updates = new Map<ProfilePoint, SimulatedValue>();
    for (let i = 0; i < words.length; i++) {
      const at = address + i;
      const cell = this.writableCell('holding', at);
      if (cell.whole) {
        const { point, word } = cell.whole;
        if (word !== 0 || i + registerCount(point) > words.length) {
          throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `write to holding 0x${hex(at)} covers only part of ${point.type} point ${point.name}`);
        }
        const value = decodePoint(point, words.slice(i, i + registerCount(point)));
        if (value === undefined) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `${point.name}: not a valid ${point.type}`);
        updates.set(point, value);
        i += registerCount(point) - 1;
      } else {
        for (const point of cell.bits) updates.set(point, decodePoint(point, [words[i]!])!);
      }
    }
    for (const [point, value] of updates) this.written.set(point, value);
  }

  /**
   * Makes a point read `value` (engineering units) from now on, whatever its model says, or
   * back to its model with `undefined`: a scenario (a river rising, a gas leak) scripted by a
   * test or a demo. Not reachable over Modbus.
   */
  override(point: ProfilePoint, value: SimulatedValue | undefined): void {
    if (value === undefined) this.written.delete(point);
    else this.written.set(point, value);
  }

  /** FC05/FC15: store coils written to `access: rw` coil points. */
  writeCoils(address: number, values: readonly boolean[]): void {
    const updates = values.map((value, i) => ({ point: this.writableCell('coil', address + i).whole!.point, value }));
    for (const { point, value } of updates) this.written.set(point, value);
  }

  private writableCell(table: 'holding' | 'coil', address: number): Cell {
    const cell = this.cells.get(table)?.get(address);
    const points = cell ? [...(cell.whole ? [cell.whole.point] : []), ...cell.bits] : [];
    const readOnly = points.find((point) => point.access !== 'rw');
    if (!cell || points.length === 0 || readOnly) {
      const why = readOnly ? `point ${readOnly.name} is read-only` : 'no point there';
      throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `cannot write ${table} 0x${hex(address)} in profile ${this.profile.name}: ${why}`);
    }
    return cell;
  }

  private cell(table: Table, address: number): Cell | undefined {
    const cell = this.cells.get(table)?.get(address);
    if (!cell && this.unmapped === 'exception') {
      const kind = isBitTable(table) ? 'bit' : 'register';
      throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `no ${table} ${kind} at 0x${hex(address)} in profile ${this.profile.name}`);
    }
    return cell;
  }
}

const hex = (n: number) => n.toString(16).padStart(4, '0');
