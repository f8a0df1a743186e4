// The seam between polling logic and Modbus transports: a link serves sessions in which one
// device (unit id) is read or written without interleaving. One implementation
// (modbus-client-link.ts) covers Modbus TCP, RTU on a serial line and RTU over TCP.

export type RegisterTable = 'holding' | 'input';
export type BitTable = 'coil' | 'discrete';

export interface ModbusReader {
  readRegisters(table: RegisterTable, address: number, count: number): Promise<number[]>;
  readBits(table: BitTable, address: number, count: number): Promise<boolean[]>;
}

export interface ModbusWriter {
  /** FC06 for one register, FC16 for several. */
  writeRegisters(address: number, words: readonly number[]): Promise<void>;
  /** FC05. */
  writeCoil(address: number, value: boolean): Promise<void>;
}

export type ModbusRequester = ModbusReader & ModbusWriter;

export interface SessionOptions {
  unit: number;
  /** Per request, and for connecting when the link is down. */
  timeoutMs: number;
}

export interface ModbusLink {
  /** A human label for logs, e.g. `tcp 10.0.0.5:502` or `rtu /dev/ttyS1`. */
  readonly label: string;
  /**
   * Runs `work` with exclusive use of the link (an RS-485 bus, or a serial bus behind a TCP
   * converter, carries one request at a time), connecting first if needed.
   */
  session<T>(options: SessionOptions, work: (requester: ModbusRequester) => Promise<T>): Promise<T>;
  /**
   * performance.now() time before which a request to `unit` would have to wait (RTU framing:
   * a late answer to a timed-out request may still arrive, see modbus-client-link.ts). The bus
   * scheduler serves other devices meanwhile instead of holding the line idle.
   */
  readyAt?(unit: number): number;
  close(): Promise<void>;
}

/** A Modbus exception response: the device is there and answered, but refused the request. */
export function isModbusException(err: unknown): err is Error & { modbusCode: number } {
  return err instanceof Error && typeof (err as { modbusCode?: unknown }).modbusCode === 'number';
}
