// Commands as data: decoding (and naming what is wrong), freshness, where the answer goes,
// and the command-result event.
import { describe, expect, it } from 'vitest';
import { commandResultDataSchema, eventSchema } from '../protocol/index.js';
import { buildCommandResult, decodeCommand, resultTopicDevice, staleness } from './commands.js';

const TS = Date.UTC(2026, 0, 16, 5, 0, 0);
const write = { v: 1, id: 'c-17', ts: TS, type: 'write', device: 'siren-1', point: 'siren', value: true };

describe('decodeCommand', () => {
  it('accepts a write', () => {
    expect(decodeCommand(JSON.stringify(write))).toEqual({ ok: true, command: write });
  });

  it.each([
    { what: 'not JSON', payload: '{"v":1,', expected: { id: null, reason: expect.stringMatching(/not valid JSON/) } },
    { what: 'an unknown type', payload: JSON.stringify({ ...write, type: 'reboot' }), expected: { id: 'c-17', device: 'siren-1', type: 'reboot', reason: expect.stringMatching(/malformed command: .*type/) } },
    { what: 'a missing point', payload: JSON.stringify({ ...write, point: undefined }), expected: { id: 'c-17', device: 'siren-1', reason: expect.stringMatching(/point/) } },
    { what: 'a string value', payload: JSON.stringify({ ...write, value: 'on' }), expected: { id: 'c-17', reason: expect.stringMatching(/value/) } },
    { what: 'an over-long id', payload: JSON.stringify({ ...write, id: 'x'.repeat(65) }), expected: { id: null, reason: expect.stringMatching(/id/) } },
    { what: 'an empty payload', payload: '', expected: { id: null, reason: 'malformed command: empty payload' } },
  ])('refuses $what, naming the problem and keeping the id it could read', ({ payload, expected }) => {
    expect(decodeCommand(payload)).toMatchObject({ ok: false, ...expected });
  });
});

describe('command freshness and result', () => {
  it('refuses a command issued longer ago than the limit', () => {
    const decoded = decodeCommand(JSON.stringify(write));
    if (!decoded.ok) throw new Error('expected a command');
    expect(staleness(decoded.command, TS + 299_000, 300_000)).toBeUndefined();
    expect(staleness(decoded.command, TS + 3_600_000, 300_000)).toBe('expired: issued 3600 s ago, the limit is 300 s');
  });

  it('answers on the target device’s event topic, else the gateway’s', () => {
    expect(resultTopicDevice(decodeCommand(JSON.stringify(write)), 'gw-1')).toBe('siren-1');
    expect(resultTopicDevice(decodeCommand(JSON.stringify({ v: 1, id: 'c', ts: TS, type: 'capture' })), 'gw-1')).toBe('gw-1');
    expect(resultTopicDevice(decodeCommand(JSON.stringify({ v: 1, id: 'c', ts: TS, type: 'ptz', camera: 'cam-2', action: 'stop' })), 'gw-1')).toBe('cam-2');
    expect(resultTopicDevice(decodeCommand('nonsense'), 'gw-1')).toBe('gw-1');
    expect(resultTopicDevice(decodeCommand(JSON.stringify({ ...write, device: 'Not An Id', value: 'x' })), 'gw-1')).toBe('gw-1');
  });

  it('builds command-result events that match the protocol', () => {
    const ok = buildCommandResult({ id: 'c-17', command: 'write', ok: true, durationMs: 12.34, details: { device: 'siren-1', point: 'siren', value: true } }, TS);
    expect(eventSchema.parse(ok)).toEqual({
      v: 1, ts: TS, type: 'command-result', message: 'write c-17 done',
      data: { device: 'siren-1', point: 'siren', value: true, id: 'c-17', command: 'write', ok: true, durationMs: 12.3 },
    });
    const failed = buildCommandResult({ id: null, ok: false, error: 'malformed command: not valid JSON', durationMs: 0 }, TS);
    expect(commandResultDataSchema.parse(failed.data)).toEqual({ id: null, ok: false, error: 'malformed command: not valid JSON', durationMs: 0 });
    expect(failed.message).toBe('command (no id) failed: malformed command: not valid JSON');
  });
});
