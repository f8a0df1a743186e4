// The seam between polling logic and Modbus transports: a link serves sessions in which one
// device (unit id) is read without interleaving. TCP today; RTU over a serial line later.

export type RegisterTable = 'holding' | 'input';
export type BitTable = 'coil' | 'discrete';

export interface ModbusReader {
  readRegisters(table: RegisterTable, address: number, count: number): Promise<number[]>;
  readBits(table: BitTable, address: number, count: number): Promise<boolean[]>;
}

export interface SessionOptions {
  unit: number;
  /** Per request, and for connecting when the link is down. */
  timeoutMs: number;
}

export interface ModbusLink {
  /** A human label for logs, e.g. `tcp 10.0.0.5:502`. */
  readonly label: string;
  /**
   * Runs `work` with exclusive use of the link (a serial bus behind a TCP converter answers
   * one request at a time), connecting first if needed.
   */
  session<T>(options: SessionOptions, work: (reader: ModbusReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A Modbus exception response: the device is there and answered, but refused the request. */
export function isModbusException(err: unknown): err is Error & { modbusCode: number } {
  return err instanceof Error && typeof (err as { modbusCode?: unknown }).modbusCode === 'number';
}
