// What a simulated device answers at a given time: the registers and bits of its profile,
// holding the encoded simulated values. Pure; server.ts puts it behind a Modbus TCP socket.
import { decodeRegisters } from '../../gateway/decode.js';
import { encodeRegisters } from '../../gateway/encode.js';
import { isBitTable, pointWidth, type DeviceProfile, type ProfilePoint, type Table } from '../../gateway/profile-schema.js';
import { simulatedValue } from './value-model.js';

/** Modbus exception codes a simulator answers with. */
export const ILLEGAL_FUNCTION = 0x01;
export const ILLEGAL_DATA_ADDRESS = 0x02;

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
 * The value a Modbus reader decodes from the simulator at `timeMs`: the model value after the
 * register's resolution and range (e.g. −22.37 °C stored as int16 ×0.1 reads −22.4).
 */
export function servedValue(point: ProfilePoint, seed: number, timeMs: number): number | boolean {
  const value = simulatedValue(point, seed, timeMs);
  if (point.type === 'bool') return Boolean(value);
  return decodeRegisters(point, encodeRegisters(point, Number(value)));
}

interface Cell {
  point: ProfilePoint;
  /** Which register of the point (0 or 1 for 32-bit values). */
  word: number;
}

export class SimulatedRegisterMap {
  private readonly cells = new Map<Table, Map<number, Cell>>();

  constructor(
    readonly profile: DeviceProfile,
    readonly seed: number,
    readonly unmapped: UnmappedPolicy = 'exception',
  ) {
    for (const point of profile.points) {
      let table = this.cells.get(point.table);
      if (!table) this.cells.set(point.table, (table = new Map()));
      for (let word = 0; word < pointWidth(point.type); word++) table.set(point.address + word, { point, word });
    }
  }

  /** Registers [address, address + count) at one instant: a 32-bit value never tears. */
  registers(table: 'holding' | 'input', address: number, count: number, timeMs: number): number[] {
    const encoded = new Map<ProfilePoint, number[]>();
    const words: number[] = [];
    for (let at = address; at < address + count; at++) {
      const cell = this.cell(table, at);
      if (!cell) {
        words.push(0);
        continue;
      }
      let registers = encoded.get(cell.point);
      if (!registers) {
        registers = encodeRegisters(cell.point, Number(simulatedValue(cell.point, this.seed, timeMs)));
        encoded.set(cell.point, registers);
      }
      words.push(registers[cell.word]!);
    }
    return words;
  }

  bits(table: 'coil' | 'discrete', address: number, count: number, timeMs: number): boolean[] {
    const bits: boolean[] = [];
    for (let at = address; at < address + count; at++) {
      const cell = this.cell(table, at);
      bits.push(cell ? Boolean(simulatedValue(cell.point, this.seed, timeMs)) : false);
    }
    return bits;
  }

  private cell(table: Table, address: number): Cell | undefined {
    const cell = this.cells.get(table)?.get(address);
    if (!cell && this.unmapped === 'exception') {
      const kind = isBitTable(table) ? 'bit' : 'register';
      throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `no ${table} ${kind} at 0x${address.toString(16).padStart(4, '0')} in profile ${this.profile.name}`);
    }
    return cell;
  }
}
