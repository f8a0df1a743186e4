// Levels with hysteresis and minimum durations, shared by the threshold, rate-of-rise and
// accumulation rules. Pure.
//
// `rankOf` says which level a measure reaches, given the level the alarm is at now: a higher
// level is reached at its value, a level already reached is left only once the measure is back
// past the value by the deadband. `DurationGate` then asks the condition to hold for
// `raiseAfterMs` before going up and to stay lower for `clearAfterMs` before going down.
import type { Level } from './compiled-rules.js';

function reaches(level: Level, measure: number, slack: number): boolean {
  return level.op === 'above' ? measure >= level.value - slack : measure <= level.value + slack;
}

/**
 * The highest rank whose level the measure reaches (0: none). `measureOf` gives the measure for a
 * level (accumulation levels each have their own window); undefined: cannot tell, not reached.
 */
export function rankOf(levels: readonly Level[], measureOf: (level: Level) => number | undefined, current: number, deadband: number): number {
  let rank = 0;
  for (const level of levels) {
    const measure = measureOf(level);
    if (measure === undefined) continue;
    if (reaches(level, measure, level.rank <= current ? deadband : 0)) rank = Math.max(rank, level.rank);
  }
  return rank;
}

/**
 * Minimum durations. `observe` records the rank the condition is at (each sample); `decide`
 * says which rank the alarm should be at by `now` (a sample's time or a tick's).
 */
export class DurationGate {
  /** rank → since when the condition has been at least that rank, without a break. */
  private readonly atLeastSince = new Map<number, number>();
  /** Since when the condition has been below the alarm's rank, and the highest rank seen meanwhile. */
  private belowSince: number | undefined;
  private belowMax = 0;

  observe(rank: number, current: number, ts: number, maxRank: number): void {
    for (let r = 1; r <= maxRank; r++) {
      if (rank >= r) {
        if (!this.atLeastSince.has(r)) this.atLeastSince.set(r, ts);
      } else this.atLeastSince.delete(r);
    }
    if (rank < current) {
      if (this.belowSince === undefined) {
        this.belowSince = ts;
        this.belowMax = rank;
      } else this.belowMax = Math.max(this.belowMax, rank);
    } else this.belowSince = undefined;
  }

  /** The rank to move to (or `current`), and the moment the move became due. */
  decide(current: number, now: number, raiseAfterMs: number, clearAfterMs: number): { rank: number; at: number } {
    let up: { rank: number; at: number } | undefined;
    for (const [rank, since] of this.atLeastSince) {
      if (rank > current && now - since >= raiseAfterMs && (!up || rank > up.rank)) up = { rank, at: since + raiseAfterMs };
    }
    if (up) return up;
    if (this.belowSince !== undefined && now - this.belowSince >= clearAfterMs) return { rank: this.belowMax, at: this.belowSince + clearAfterMs };
    return { rank: current, at: now };
  }

  /** After the alarm moved: what was "below the old rank" means nothing for the new one. */
  moved(): void {
    this.belowSince = undefined;
    this.belowMax = 0;
  }

  /** Something is waiting for time to pass (so `tick` must look). */
  pending(current: number): boolean {
    return this.belowSince !== undefined || [...this.atLeastSince.keys()].some((r) => r > current);
  }

  reset(): void {
    this.atLeastSince.clear();
    this.moved();
  }
}
