// What went wrong with a Modbus request, in the words a technician needs: the kind of fault
// (no answer, garbled answer, refusal, no connection) and which request it was. Pure: maps
// modbus-serial's errors, which are told apart only by message text and errno.
import { isModbusException } from './modbus-link.js';

/**
 * - timeout: nothing (complete) came back in time: device off, wrong unit id, wrong baud rate,
 *   broken A/B wiring, or an answer slower than the timeout.
 * - crc: a frame came back damaged (bad CRC, wrong length): noise, termination, two masters.
 * - exception: the device answered with a Modbus exception code (it is there, it refused).
 * - connection: the port or socket could not be opened or went away.
 * - protocol: an answer that does not fit the request (wrong unit, function or length).
 */
export type ModbusFaultKind = 'timeout' | 'crc' | 'exception' | 'connection' | 'protocol';

export const MODBUS_EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** Exception codes that mean "ask again later", not "never": worth a retry. */
export const TRANSIENT_EXCEPTIONS: ReadonlySet<number> = new Set([5, 6, 11]);

export class ModbusRequestError extends Error {
  constructor(
    readonly kind: ModbusFaultKind,
    message: string,
    readonly modbusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModbusRequestError';
  }
}

export function classifyModbusError(err: unknown): ModbusFaultKind {
  if (err instanceof ModbusRequestError) return err.kind;
  if (isModbusException(err)) return 'exception';
  const { message = '', errno, code, name } = (err ?? {}) as { message?: string; errno?: unknown; code?: unknown; name?: string };
  if (errno === 'ETIMEDOUT' || name === 'TransactionTimedOutError' || /timed out/i.test(message)) return 'timeout';
  if (/CRC error|Data length error/i.test(message)) return 'crc';
  if (/Unexpected data/i.test(message)) return 'protocol';
  if (typeof code === 'string' || errno === 'ECONNREFUSED' || /port not open|closed|ECONN|ENOENT|EACCES|EIO|cannot lock|cannot open|no such file|permission denied/i.test(message)) return 'connection';
  return 'protocol';
}

/**
 * Wraps a failed request in a ModbusRequestError whose message says what failed and what was
 * asked, e.g. `timeout: no answer from unit 3 within 300 ms (read holding 0x0000×2)`.
 * Keeps `modbusCode` so isModbusException() still recognises refusals.
 */
export function describeModbusFailure(err: unknown, context: { unit: number; timeoutMs: number; request: string }): ModbusRequestError {
  if (err instanceof ModbusRequestError) return err;
  const kind = classifyModbusError(err);
  const raw = err instanceof Error ? err.message : String(err);
  let detail: string;
  switch (kind) {
    case 'timeout':
      detail = `no answer from unit ${context.unit} within ${context.timeoutMs} ms`;
      break;
    case 'crc':
      detail = `damaged answer from unit ${context.unit} (${raw})`;
      break;
    case 'exception': {
      const code = (err as { modbusCode: number }).modbusCode;
      detail = `unit ${context.unit} refused with exception ${code} (${MODBUS_EXCEPTION_NAMES[code] ?? 'unknown code'})`;
      break;
    }
    case 'connection':
      detail = raw || 'connection failed';
      break;
    case 'protocol':
      detail = `unexpected answer for unit ${context.unit} (${raw})`;
      break;
  }
  const code = kind === 'exception' ? (err as { modbusCode: number }).modbusCode : undefined;
  return new ModbusRequestError(kind, `${kind}: ${detail} (${context.request})`, code, { cause: err });
}
