// modbus-serial's errors, told apart by message and errno, mapped to the fault kinds health
// reports and to messages that say what failed.
import { describe, expect, it } from 'vitest';
import { classifyModbusError, describeModbusFailure, ModbusRequestError } from './modbus-errors.js';
import { isModbusException } from './modbus-link.js';

const err = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);

describe('classifyModbusError', () => {
  const cases: { name: string; error: unknown; kind: string }[] = [
    { name: 'modbus-serial timeout', error: err('Timed out', { errno: 'ETIMEDOUT', name: 'TransactionTimedOutError' }), kind: 'timeout' },
    { name: 'bad CRC', error: err('CRC error'), kind: 'crc' },
    { name: 'wrong length', error: err('Data length error, expected 9 got 7'), kind: 'crc' },
    { name: 'answer from another unit', error: err('Unexpected data error, expected address 3 got 4'), kind: 'protocol' },
    { name: 'exception response', error: err('Modbus exception 2: Illegal data address', { modbusCode: 2 }), kind: 'exception' },
    { name: 'refused connection', error: err('connect ECONNREFUSED 127.0.0.1:502', { code: 'ECONNREFUSED' }), kind: 'connection' },
    { name: 'port not open', error: err('Port Not Open', { errno: 'ECONNREFUSED' }), kind: 'connection' },
    { name: 'serial device missing', error: err('Error: No such file or directory, cannot open /dev/ttyUSB9'), kind: 'connection' },
    { name: 'already classified', error: new ModbusRequestError('crc', 'crc: x'), kind: 'crc' },
    { name: 'anything else', error: 'weird', kind: 'protocol' },
  ];
  it.each(cases)('$name → $kind', ({ error, kind }) => {
    expect(classifyModbusError(error)).toBe(kind);
  });
});

describe('describeModbusFailure', () => {
  const context = { unit: 3, timeoutMs: 300, request: 'read holding 0x0000×2' };
  it.each([
    { name: 'timeout', error: err('Timed out', { errno: 'ETIMEDOUT' }), message: 'timeout: no answer from unit 3 within 300 ms (read holding 0x0000×2)' },
    { name: 'crc', error: err('CRC error'), message: 'crc: damaged answer from unit 3 (CRC error) (read holding 0x0000×2)' },
    { name: 'exception', error: err('Modbus exception 6: busy', { modbusCode: 6 }), message: 'exception: unit 3 refused with exception 6 (slave device busy) (read holding 0x0000×2)' },
  ])('$name', ({ error, message }) => {
    expect(describeModbusFailure(error, context).message).toBe(message);
  });

  it('keeps modbusCode, so a refusal is still recognised as one', () => {
    const failure = describeModbusFailure(err('Modbus exception 2', { modbusCode: 2 }), context);
    expect(isModbusException(failure)).toBe(true);
    expect(failure.modbusCode).toBe(2);
    expect(isModbusException(describeModbusFailure(err('Timed out'), context))).toBe(false);
  });
});
