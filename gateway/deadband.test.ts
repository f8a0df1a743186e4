// Deadband semantics, as a table: compared with the last published value, strictly more than
// the deadband, first reading always, booleans and strings on any change.
import { describe, expect, it } from 'vitest';
import { exceedsDeadband } from './deadband.js';
import type { PointValue } from './decode.js';

describe('exceedsDeadband', () => {
  const cases: { what: string; prev: PointValue | undefined; next: PointValue; deadband: number; expected: boolean }[] = [
    { what: 'first reading is always published', prev: undefined, next: 3.2, deadband: 10, expected: true },
    { what: 'a change within the deadband is not', prev: 3.2, next: 3.3, deadband: 0.2, expected: false },
    { what: 'a change of exactly the deadband is not (decimal noise aside: 22.8 − 22.6)', prev: 22.6, next: 22.8, deadband: 0.2, expected: false },
    { what: 'a change of more than the deadband is', prev: 22.6, next: 22.9, deadband: 0.2, expected: true },
    { what: 'downward changes count the same', prev: -22.4, next: -22.7, deadband: 0.2, expected: true },
    { what: 'across zero', prev: -0.1, next: 0.2, deadband: 0.2, expected: true },
    { what: 'deadband 0 publishes any change', prev: 5, next: 5.001, deadband: 0, expected: true },
    { what: 'deadband 0 does not publish an unchanged value', prev: 5, next: 5, deadband: 0, expected: false },
    { what: 'boolean change is published whatever the deadband', prev: false, next: true, deadband: 100, expected: true },
    { what: 'unchanged boolean is not', prev: true, next: true, deadband: 0, expected: false },
    { what: 'string change is published', prev: 'v1.2', next: 'v1.3', deadband: 5, expected: true },
    { what: 'unchanged string is not', prev: 'v1.2', next: 'v1.2', deadband: 0, expected: false },
    { what: 'a change of kind (number → boolean) is published', prev: 1, next: true, deadband: 5, expected: true },
    { what: 'big counters keep their resolution', prev: 9_007_199_254_740_000, next: 9_007_199_254_740_990, deadband: 500, expected: true },
  ];

  it.each(cases)('$what', ({ prev, next, deadband, expected }) => {
    expect(exceedsDeadband(prev, next, deadband)).toBe(expected);
  });

  it('compared with the last PUBLISHED value, a slow drift is published once it adds up', () => {
    const readings = [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6];
    let published: number | undefined;
    const sent: number[] = [];
    for (const reading of readings) {
      if (exceedsDeadband(published, reading, 0.25)) {
        published = reading;
        sent.push(reading);
      }
    }
    expect(sent).toEqual([10.0, 10.3, 10.6]);
  });
});
