// Fault specs as the CLI spells them.
import { describe, expect, it } from 'vitest';
import { describeFault, parseFault, parseUnitFault } from './faults.js';

describe('parseUnitFault', () => {
  it.each([
    ['2:silent', { unit: 2, fault: { kind: 'silent' } }],
    ['1:slow:800', { unit: 1, fault: { kind: 'slow', delayMs: 800 } }],
    ['3:exception:6', { unit: 3, fault: { kind: 'exception', code: 6 } }],
    ['4:garble', { unit: 4, fault: { kind: 'garble' } }],
    ['4:none', { unit: 4, fault: { kind: 'none' } }],
  ])('%s', (text, expected) => {
    expect(parseUnitFault(text)).toEqual(expected);
    expect(`${expected.unit}:${describeFault(expected.fault as Parameters<typeof describeFault>[0])}`).toBe(text);
  });

  it.each([
    ['silent', /expected UNIT:silent/],
    ['x:silent', /expected UNIT:silent/],
    ['300:silent', /expected UNIT/],
    ['1:slow', /slow:MS delay must be an integer from 1/],
    ['1:slow:fast', /slow:MS delay must be an integer/],
    ['1:exception:0', /exception:CODE must be an integer from 1 to 255/],
    ['1:garble:5', /garble takes no argument/],
    ['1:explode', /unknown kind "explode" \(one of silent, slow:MS, exception:CODE, garble, none\)/],
    ['1:slow:5:6', /too many parts/],
  ])('refuses %s', (text, message) => {
    expect(() => parseUnitFault(text)).toThrow(message);
  });

  it('parses a fault without a unit', () => {
    expect(parseFault('slow:50')).toEqual({ kind: 'slow', delayMs: 50 });
  });
});
