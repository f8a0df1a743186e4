// The simulated device's application layer as tables: request PDUs in, response PDUs out.
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../gateway/profile.js';
import { answerPdu, describeRequest, parseRequestPdu } from './modbus-pdu.js';
import { SimulatedRegisterMap } from './register-map.js';

const profile = parseProfile({
  name: 'pdu',
  manufacturer: 't',
  model: 't',
  measurement: 'water',
  source: 't',
  points: [
    { name: 'level', table: 'holding', address: 0, type: 'uint16', simulation: { model: 'constant', value: 0x1234 } },
    { name: 'height', table: 'holding', address: 1, type: 'uint16', access: 'rw', simulation: { model: 'constant', value: 5 } },
    { name: 'flow', table: 'input', address: 0, type: 'int16', simulation: { model: 'constant', value: -2 } },
    { name: 'siren', table: 'coil', address: 0, type: 'bool', access: 'rw', simulation: { model: 'constant', value: false } },
    { name: 'pump', table: 'coil', address: 1, type: 'bool', simulation: { model: 'constant', value: true } },
    { name: 'door', table: 'discrete', address: 0, type: 'bool', simulation: { model: 'constant', value: true } },
  ],
});

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const answer = (map: SimulatedRegisterMap, request: string) => answerPdu(map, hex(request), 0).toString('hex');

describe('answerPdu', () => {
  const cases: [string, string, string][] = [
    ['read holding 0×2', '03 0000 0002', '0304 1234 0005'],
    ['read input 0×1', '04 0000 0001', '0402 fffe'],
    ['read coils 0×2 (bit 0 first)', '01 0000 0002', '0101 02'],
    ['read discrete 0×1', '02 0000 0001', '0201 01'],
    ['read past the map: illegal data address', '03 0000 0003', '8302'],
    ['read 126 registers: illegal data value', '03 0000 007e', '8303'],
    ['read 0 registers: illegal data value', '03 0000 0000', '8303'],
    ['read past 0xFFFF: illegal data address', '03 ffff 0002', '8302'],
    ['write single register to an rw point: echo', '06 0001 0007', '06 0001 0007'],
    ['write single register to a read-only point', '06 0000 0007', '8602'],
    ['write coil on: echo', '05 0000 ff00', '05 0000 ff00'],
    ['write coil with a bad value', '05 0000 1234', '8503'],
    ['write coil to a read-only point', '05 0001 ff00', '8502'],
    ['write multiple registers: echo of the quantity', '10 0001 0001 02 0009', '10 0001 0001'],
    ['write multiple registers, byte count mismatch', '10 0001 0001 04 0009 0000', '9003'],
    ['write multiple coils', '0f 0000 0001 01 01', '0f 0000 0001'],
    ['unknown function', '2b 0e 01 00', 'ab01'],
  ];
  it.each(cases)('%s', (_name, request, expected) => {
    const map = new SimulatedRegisterMap(profile, 1);
    expect(answer(map, request)).toBe(expected.replace(/\s/g, ''));
  });

  it('serves written values afterwards', () => {
    const map = new SimulatedRegisterMap(profile, 1);
    answer(map, '06 0001 0042');
    answer(map, '05 0000 ff00');
    expect(answer(map, '03 0001 0001')).toBe('03020042');
    expect(answer(map, '01 0000 0001')).toBe('010101');
  });
});

describe('describeRequest', () => {
  it.each([
    ['03 0010 0002', 'read holding 0x0010×2'],
    ['01 0000 0008', 'read coil 0x0000×8'],
    ['06 0001 0007', 'write holding 0x0001'],
    ['10 0001 0002 04 0000 0000', 'write holding 0x0001×2'],
    ['11', 'function 17'],
  ])('%s → %s', (request, text) => {
    expect(describeRequest(parseRequestPdu(hex(request)))).toBe(text);
  });
});
