// The publishers' schedule: at a steady rate, how many messages should have gone out
// by now, and how far behind the fleet is. A fleet that cannot keep up falls behind
// (its deficit grows) instead of silently publishing at a lower rate. Pure.

/** Messages due `elapsedMs` after the start at `msgsPerSec`. */
export function dueBy(elapsedMs: number, msgsPerSec: number): number {
  return elapsedMs <= 0 ? 0 : Math.floor((elapsedMs * msgsPerSec) / 1000);
}

export interface PublisherSlot {
  inflight: number;
}

/**
 * Which clients publish the next `count` messages: round-robin from `cursor`, skipping
 * clients whose in-flight window is full. Returns the client indexes in order (fewer
 * than `count` when every window fills) and the cursor to start from next time.
 */
export function assignMessages(slots: readonly PublisherSlot[], window: number, count: number, cursor: number): { picks: number[]; cursor: number } {
  const free = slots.map((s) => Math.max(0, window - s.inflight));
  const picks: number[] = [];
  let idle = 0;
  let i = cursor % Math.max(1, slots.length);
  while (picks.length < count && idle < slots.length) {
    if (free[i]! > 0) {
      free[i]!--;
      picks.push(i);
      idle = 0;
    } else idle++;
    i = (i + 1) % slots.length;
  }
  return { picks, cursor: i };
}
