// The Modbus application layer of a simulated device: parse a request PDU (function code and
// data, the same on TCP and RTU), run it against a device's register map, build the response
// PDU or an exception PDU. Pure: framing (MBAP, RTU) is in mbap-framing.ts and rtu-framing.ts.
import { ILLEGAL_DATA_ADDRESS, ILLEGAL_FUNCTION, ModbusExceptionError, type SimulatedRegisterMap } from './register-map.js';

export const ILLEGAL_DATA_VALUE = 0x03;
export const SLAVE_DEVICE_FAILURE = 0x04;

export type PduRequest =
  | { fc: 1 | 2 | 3 | 4; address: number; count: number }
  | { fc: 5; address: number; value: boolean }
  | { fc: 6; address: number; value: number }
  | { fc: 15; address: number; values: boolean[] }
  | { fc: 16; address: number; values: number[] }
  | { fc: number; unsupported: true };

/** Quantity limits of the Modbus application protocol spec (v1.1b3, §6). */
const MAX_QUANTITY: Record<number, number> = { 1: 2000, 2: 2000, 3: 125, 4: 125, 15: 1968, 16: 123 };

function checkRange(fc: number, address: number, count: number): void {
  if (count < 1 || count > MAX_QUANTITY[fc]!) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `quantity ${count} out of 1..${MAX_QUANTITY[fc]} for function ${fc}`);
  if (address + count > 0x10000) throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `address ${address} + ${count} runs past 0xFFFF`);
}

/**
 * Decodes a request PDU. Throws ModbusExceptionError (answered as an exception) for malformed
 * data; unknown function codes come back `unsupported` (answered ILLEGAL FUNCTION).
 */
export function parseRequestPdu(pdu: Buffer): PduRequest {
  if (pdu.length < 1) throw new ModbusExceptionError(ILLEGAL_FUNCTION, 'empty PDU');
  const fc = pdu[0]!;
  const need = (n: number) => {
    if (pdu.length < n) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `function ${fc} PDU too short (${pdu.length} bytes)`);
  };
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      need(5);
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      checkRange(fc, address, count);
      return { fc, address, count };
    }
    case 5: {
      need(5);
      const raw = pdu.readUInt16BE(3);
      if (raw !== 0xff00 && raw !== 0x0000) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `coil value must be 0xFF00 or 0x0000, not 0x${raw.toString(16)}`);
      return { fc, address: pdu.readUInt16BE(1), value: raw === 0xff00 };
    }
    case 6:
      need(5);
      return { fc, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) };
    case 15:
    case 16: {
      need(6);
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      const bytes = pdu[5]!;
      checkRange(fc, address, count);
      const expected = fc === 15 ? Math.ceil(count / 8) : count * 2;
      if (bytes !== expected) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `byte count ${bytes} does not match quantity ${count}`);
      need(6 + bytes);
      if (fc === 15) return { fc, address, values: Array.from({ length: count }, (_, i) => ((pdu[6 + (i >> 3)]! >> (i & 7)) & 1) === 1) };
      return { fc, address, values: Array.from({ length: count }, (_, i) => pdu.readUInt16BE(6 + i * 2)) };
    }
    default:
      return { fc, unsupported: true };
  }
}

export function exceptionPdu(fc: number, code: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, code]);
}

function bitsPdu(fc: number, bits: readonly boolean[]): Buffer {
  const bytes = Math.ceil(bits.length / 8);
  const pdu = Buffer.alloc(2 + bytes);
  pdu[0] = fc;
  pdu[1] = bytes;
  bits.forEach((bit, i) => {
    if (bit) pdu[2 + (i >> 3)]! |= 1 << (i & 7);
  });
  return pdu;
}

function registersPdu(fc: number, words: readonly number[]): Buffer {
  const pdu = Buffer.alloc(2 + words.length * 2);
  pdu[0] = fc;
  pdu[1] = words.length * 2;
  words.forEach((word, i) => pdu.writeUInt16BE(word, 2 + i * 2));
  return pdu;
}

/** Echo of a write request's address and value/quantity: what FC05/06/15/16 answer. */
function writeEcho(fc: number, address: number, value: number): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(value, 3);
  return pdu;
}

/** Runs a parsed request against a device at `timeMs`; a refusal becomes an exception PDU. */
export function answerRequest(map: SimulatedRegisterMap, request: PduRequest, timeMs: number): Buffer {
  try {
    if ('unsupported' in request) throw new ModbusExceptionError(ILLEGAL_FUNCTION, `function ${request.fc} is not supported`);
    switch (request.fc) {
      case 1:
        return bitsPdu(1, map.bits('coil', request.address, request.count, timeMs));
      case 2:
        return bitsPdu(2, map.bits('discrete', request.address, request.count, timeMs));
      case 3:
        return registersPdu(3, map.registers('holding', request.address, request.count, timeMs));
      case 4:
        return registersPdu(4, map.registers('input', request.address, request.count, timeMs));
      case 5:
        map.writeCoils(request.address, [request.value]);
        return writeEcho(5, request.address, request.value ? 0xff00 : 0);
      case 6:
        map.writeRegisters(request.address, [request.value]);
        return writeEcho(6, request.address, request.value);
      case 15:
        map.writeCoils(request.address, request.values);
        return writeEcho(15, request.address, request.values.length);
      case 16:
        map.writeRegisters(request.address, request.values);
        return writeEcho(16, request.address, request.values.length);
    }
  } catch (err) {
    const code = (err as { modbusErrorCode?: unknown }).modbusErrorCode;
    return exceptionPdu(request.fc, typeof code === 'number' ? code : SLAVE_DEVICE_FAILURE);
  }
}

/** One line for logs and request logs, e.g. `read holding 0x0000×2`. */
export function describeRequest(request: PduRequest): string {
  const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
  if ('unsupported' in request) return `function ${request.fc}`;
  switch (request.fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return `read ${['', 'coil', 'discrete', 'holding', 'input'][request.fc]} ${hex(request.address)}×${request.count}`;
    case 5:
      return `write coil ${hex(request.address)}`;
    case 6:
      return `write holding ${hex(request.address)}`;
    case 15:
      return `write coil ${hex(request.address)}×${request.values.length}`;
    case 16:
      return `write holding ${hex(request.address)}×${request.values.length}`;
  }
}

/** Parses and answers a raw request PDU: malformed requests get their exception PDU. */
export function answerPdu(map: SimulatedRegisterMap, pdu: Buffer, timeMs: number): Buffer {
  let request: PduRequest;
  try {
    request = parseRequestPdu(pdu);
  } catch (err) {
    const code = (err as { modbusErrorCode?: unknown }).modbusErrorCode;
    return exceptionPdu(pdu[0] ?? 0, typeof code === 'number' ? code : SLAVE_DEVICE_FAILURE);
  }
  return answerRequest(map, request, timeMs);
}
