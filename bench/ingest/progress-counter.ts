// A running count (readings stored, messages received) that callers can wait on:
// "tell me when it reaches N, and when exactly that happened". Event-driven, so the
// time is that of the write or message that crossed N, not of a polling tick.
import { monotonicMs } from './clock.js';

export interface CountReached {
  reached: boolean;
  count: number;
  /** Monotonic time (clock.ts) at which the count reached the target; of the wait's end otherwise. */
  atMs: number;
}

interface Waiter {
  target: number;
  resolve(result: CountReached): void;
  timer: NodeJS.Timeout;
}

export class ProgressCounter {
  private total = 0;
  private lastAtMs = 0;
  private waiters: Waiter[] = [];

  get count(): number {
    return this.total;
  }

  add(n: number, atMs = monotonicMs()): void {
    this.total += n;
    this.lastAtMs = atMs;
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.total >= waiter.target) {
        clearTimeout(waiter.timer);
        waiter.resolve({ reached: true, count: this.total, atMs });
      } else still.push(waiter);
    }
    this.waiters = still;
  }

  /** Resolves when the count reaches `target`, or with reached=false after `timeoutMs`. */
  until(target: number, timeoutMs: number): Promise<CountReached> {
    if (this.total >= target) return Promise.resolve({ reached: true, count: this.total, atMs: this.lastAtMs });
    return new Promise((resolve) => {
      const waiter: Waiter = {
        target,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve({ reached: false, count: this.total, atMs: monotonicMs() });
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }
}
