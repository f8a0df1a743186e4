// The device entry of gateway and remote configs: the three transports, their defaults, and
// the settings they refuse with a message naming the field.
import { describe, expect, it } from 'vitest';
import { deviceConfigSchema } from './schemas.js';
import { describeIssues } from './decode.js';

const base = { id: 'th-1', profile: 'th-transmitter', unit: 1 };

describe('deviceConfigSchema', () => {
  it.each([
    [{ kind: 'tcp', host: '10.0.0.5' }, { kind: 'tcp', host: '10.0.0.5', port: 502, interRequestDelayMs: 0 }],
    [{ kind: 'rtu', path: '/dev/ttyUSB0' }, { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, interRequestDelayMs: 0 }],
    [{ kind: 'rtu-over-tcp', host: '10.0.0.7', port: 4001, interRequestDelayMs: 20 }, { kind: 'rtu-over-tcp', host: '10.0.0.7', port: 4001, interRequestDelayMs: 20 }],
  ])('fills in transport defaults: %o', (transport, expected) => {
    expect(deviceConfigSchema.parse({ ...base, transport }).transport).toEqual(expected);
  });

  it('fills in timing and request limits', () => {
    expect(deviceConfigSchema.parse({ ...base, transport: { kind: 'tcp', host: 'h' } })).toMatchObject({
      pollIntervalMs: 5000, timeoutMs: 1000, retries: 1, retryDelayMs: 100, offlinePollIntervalMs: 30_000,
      maxRegistersPerRequest: 125, maxBitsPerRequest: 2000, maxGapRegisters: 0, maxGapBits: 0,
    });
  });

  it.each([
    [{ transport: { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 9800 } }, /transport\.baudRate: baudRate must be one of 1200, 2400, 4800, 9600/],
    [{ transport: { kind: 'rtu', path: '/dev/ttyUSB0', parity: 'mark' } }, /transport\.parity/],
    [{ transport: { kind: 'rtu', path: '/dev/ttyUSB0' }, unit: 0 }, /unit: an RTU unit id is 1–247 \(0 is broadcast/],
    [{ transport: { kind: 'rtu-over-tcp', host: 'h', port: 4001 }, unit: 250 }, /unit: an RTU unit id is 1–247/],
    [{ transport: { kind: 'rtu-over-tcp', host: 'h' } }, /transport\.port/],
    [{ transport: { kind: 'serial', path: '/dev/ttyS0' } }, /transport/],
    [{ transport: { kind: 'tcp', host: 'h' }, maxRegistersPerRequest: 126 }, /maxRegistersPerRequest/],
    [{ transport: { kind: 'tcp', host: 'h' }, retries: 9 }, /retries/],
  ])('refuses %o', (overrides, message) => {
    const result = deviceConfigSchema.safeParse({ ...base, ...overrides });
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toMatch(message);
  });

  it('takes unit 0 and 255 on Modbus TCP (many devices ignore the id)', () => {
    expect(deviceConfigSchema.parse({ ...base, unit: 255, transport: { kind: 'tcp', host: 'h' } }).unit).toBe(255);
    expect(deviceConfigSchema.parse({ ...base, unit: 0, transport: { kind: 'tcp', host: 'h' } }).unit).toBe(0);
  });
});
