// Bus URLs and unit ranges as the technician types them, and the errors that name the problem.
import { describe, expect, it } from 'vitest';
import { formatModbusUrl, parseModbusUrl, parseUnitRange } from './modbus-args.js';

describe('parseModbusUrl', () => {
  const accepted: [string, object][] = [
    ['tcp://10.0.0.5', { kind: 'tcp', host: '10.0.0.5', port: 502, interRequestDelayMs: 0 }],
    ['tcp://10.0.0.5:5020', { kind: 'tcp', host: '10.0.0.5', port: 5020 }],
    ['tcp://gw-3.local:502/', { kind: 'tcp', host: 'gw-3.local', port: 502 }],
    ['tcp://[::1]:1502', { kind: 'tcp', host: '::1', port: 1502 }],
    ['rtu:///dev/ttyUSB0', { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 }],
    ['rtu:///dev/ttyUSB0?baud=19200&parity=even', { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 }],
    ['rtu:///dev/ttyS1?baud=4800&format=8N2', { path: '/dev/ttyS1', baudRate: 4800, parity: 'none', dataBits: 8, stopBits: 2 }],
    ['rtu:///dev/ttyS1?parity=O&dataBits=7&stopBits=1', { parity: 'odd', dataBits: 7 }],
    ['rtu:/dev/serial/by-id/usb-FTDI_FT232R-if00-port0', { path: '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0' }],
    ['RTU+TCP://10.0.0.7:4001', { kind: 'rtu-over-tcp', host: '10.0.0.7', port: 4001 }],
  ];
  it.each(accepted)('%s', (url, expected) => {
    expect(parseModbusUrl(url)).toMatchObject(expected);
  });

  const refused: [string, RegExp][] = [
    ['10.0.0.5:502', /--url 10\.0\.0\.5:502: not a bus URL; use one of tcp:\/\/HOST\[:PORT\], rtu:\/\/\/dev\/ttyUSB0/],
    ['/dev/ttyUSB0', /not a bus URL; use one of/],
    ['modbus://10.0.0.5', /unknown scheme "modbus:"/],
    ['tcp://', /names no host/],
    ['tcp://10.0.0.5:70000', /port 70000 is not 1–65535/],
    ['tcp://10.0.0.5:abc', /port abc is not 1–65535/],
    ['tcp://10.0.0.5?baud=9600', /tcp takes no options/],
    ['rtu+tcp://10.0.0.7', /needs a port, e\.g\. rtu\+tcp:\/\/10\.0\.0\.7:4001/],
    ['rtu://dev/ttyUSB0', /did you mean rtu:\/\/\/dev\/ttyUSB0 \(three slashes before an absolute path\)\?/],
    ['rtu:///', /names no serial device/],
    ['rtu:///dev/ttyUSB0?baud=9800', /baudRate must be one of 1200, 2400, 4800, 9600/],
    ['rtu:///dev/ttyUSB0?parity=mark', /parity mark is not none, even or odd/],
    ['rtu:///dev/ttyUSB0?format=9N1', /format 9N1 is not like 8N1/],
    ['rtu:///dev/ttyUSB0?speed=9600', /unknown option "speed" \(rtu options: baud, parity, dataBits, stopBits, format\)/],
    ['rtu:///dev/ttyUSB0?stopBits=3', /stopBits/],
  ];
  it.each(refused)('refuses %s', (url, message) => {
    expect(() => parseModbusUrl(url)).toThrow(message);
  });

  it.each(['tcp://10.0.0.5:502', 'rtu+tcp://10.0.0.7:4001', 'rtu:///dev/ttyUSB0?baud=19200&format=8E1'])('%s survives a round trip', (url) => {
    expect(parseModbusUrl(formatModbusUrl(parseModbusUrl(url)))).toEqual(parseModbusUrl(url));
  });
});

describe('parseUnitRange', () => {
  it.each([
    ['1-247', 247],
    ['5', 1],
    ['1,3,5-7', 5],
    ['7-9,8', 3],
  ])('%s → %i units', (text, count) => {
    expect(parseUnitRange(text)).toHaveLength(count);
  });

  it('sorts and removes duplicates', () => {
    expect(parseUnitRange('9, 2-3, 2')).toEqual([2, 3, 9]);
  });

  it.each([
    ['0-5', /unit ids on this bus are 1–247/],
    ['1-300', /unit ids on this bus are 1–247/],
    ['5-1', /range 5-1 runs backwards/],
    ['a-b', /"a-b" is not a unit id or a range/],
    ['', /"" is not a unit id/],
  ])('refuses %s', (text, message) => {
    expect(() => parseUnitRange(text)).toThrow(message);
  });

  it('takes the TCP range when asked', () => {
    expect(parseUnitRange('0,255', 0, 255)).toEqual([0, 255]);
  });
});
