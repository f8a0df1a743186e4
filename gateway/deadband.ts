// Deadband filtering: whether a new reading differs enough from the last PUBLISHED value of a
// point to be worth publishing. Pure; the device poller applies it per point with `deadband`.
//
// Semantics (docs/device-profiles.md, "deadband"):
// - compared with the last value that was published, not the last one read, so a slow drift
//   of many sub-deadband steps is still published once it adds up to more than the deadband;
// - a change of exactly the deadband is not published: "more than", as in the profile format;
// - the first reading (nothing published yet) is always published;
// - booleans and strings have no deadband: any change is published;
// - a point without `deadband` is published on every poll (the poller never calls this).
import type { PointValue } from './decode.js';

/**
 * Decimal noise aside (22.8 − 22.6 is 0.20000000000000284 in doubles): the change is rounded to
 * 12 significant digits, far finer than any register resolution, before it is compared.
 */
function change(prev: number, next: number): number {
  return Math.abs(Number((next - prev).toPrecision(12)));
}

/** True when `next` should be published, given the last published value `prev`. */
export function exceedsDeadband(prev: PointValue | undefined, next: PointValue, deadband: number): boolean {
  if (prev === undefined) return true;
  if (typeof prev === 'number' && typeof next === 'number') {
    if (Number.isNaN(prev) !== Number.isNaN(next)) return true;
    return change(prev, next) > deadband;
  }
  return prev !== next;
}
