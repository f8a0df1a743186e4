import { describe, expect, it } from 'vitest';
import { describeCameraFault, parseCameraFault } from './faults.js';

describe('parseCameraFault', () => {
  it.each([
    ['none', { kind: 'none' }],
    ['offline', { kind: 'offline' }],
    ['wrong-password', { kind: 'wrong-password' }],
    ['slow:250', { kind: 'slow', delayMs: 250 }],
    ['slow', { kind: 'slow', delayMs: 1000 }],
    ['broken-snapshot', { kind: 'broken-snapshot' }],
    ['snapshot-error', { kind: 'snapshot-error' }],
  ])('%s', (text, fault) => expect(parseCameraFault(text)).toEqual(fault));

  it.each(['', 'slow:-1', 'slow:fast', 'offline:1', 'melt'])('refuses %j naming the syntax', (text) => {
    expect(() => parseCameraFault(text)).toThrow(/expected none \| offline/);
  });

  it('describes', () => expect(describeCameraFault({ kind: 'slow', delayMs: 5 })).toBe('slow (5 ms per answer)'));
});
