// When a device is polled next, from the outcome of its last attempt: the regular interval,
// retries spread out with back-off, and a slow probe rate once it is offline. Pure (times are
// numbers from performance.now()); the bus scheduler (modbus-bus.ts) asks it after each poll.
//
// Why the retries are not back-to-back: on a shared RS-485 line a dead device's retry would
// hold the bus for another full timeout while every other device waits. Scheduling the retry
// as a later job lets the devices that are due run first.

export interface PollTimingConfig {
  intervalMs: number;
  /** Retries per poll cycle while the device is not yet offline. */
  retries: number;
  /** First retry delay; doubles for each further retry. */
  retryDelayMs: number;
  /** Probe interval once offline (never faster than intervalMs). */
  offlineIntervalMs: number;
}

export interface PollTiming {
  /** The next regular tick of the poll grid: phase-locked to the first poll, so rates do not drift. */
  nextTick: number;
  /** Retries used in the current cycle. */
  retriesUsed: number;
}

export interface NextPoll {
  timing: PollTiming;
  /** When the device is due again. */
  due: number;
}

export function initialTiming(firstDue: number): PollTiming {
  return { nextTick: firstDue, retriesUsed: 0 };
}

/** The first grid tick strictly after `now` (skipping missed ticks instead of bursting to catch up). */
function tickAfter(tick: number, intervalMs: number, now: number): number {
  if (tick > now) return tick;
  return tick + Math.floor((now - tick) / intervalMs + 1) * intervalMs;
}

/** The regular tick after the attempt that began at `startedAt` (an attempt consumes the tick it served). */
function followingTick(config: PollTimingConfig, timing: PollTiming, startedAt: number): number {
  return timing.nextTick <= startedAt ? tickAfter(timing.nextTick, config.intervalMs, startedAt) : timing.nextTick;
}

/**
 * A retry of a failed attempt, if one is due: retries left in this cycle, and the back-off
 * ends before the next regular poll (which would be the retry anyway). Only for devices that
 * are not offline and failures worth retrying (a timeout, a damaged frame, "busy"; a device
 * that answered "illegal address" answers the same 100 ms later).
 */
export function retryAfterFailure(config: PollTimingConfig, timing: PollTiming, { startedAt, now }: { startedAt: number; now: number }): NextPoll | undefined {
  if (timing.retriesUsed >= config.retries) return undefined;
  const base = followingTick(config, timing, startedAt);
  const due = now + config.retryDelayMs * 2 ** timing.retriesUsed;
  if (due >= base) return undefined;
  return { timing: { nextTick: base, retriesUsed: timing.retriesUsed + 1 }, due };
}

/**
 * The next poll once a cycle is over (it succeeded, or failed with no retry left). An offline
 * device gets one probe per slow interval and no retries: it costs the bus one timeout per probe.
 */
export function afterCycle(config: PollTimingConfig, timing: PollTiming, { startedAt, now, offline }: { startedAt: number; now: number; offline: boolean }): NextPoll {
  if (offline) {
    const due = startedAt + Math.max(config.offlineIntervalMs, config.intervalMs);
    return { timing: { nextTick: due, retriesUsed: 0 }, due: Math.max(due, now) };
  }
  // A grid tick more than one interval away (an offline device's probe, or a write, brought
  // this attempt forward) is re-based: an answering device is polled at its own rate.
  const base = Math.min(followingTick(config, timing, startedAt), startedAt + config.intervalMs);
  const next = tickAfter(base, config.intervalMs, now);
  return { timing: { nextTick: next, retriesUsed: 0 }, due: next };
}

/**
 * First poll times of devices joining a bus together: spread over their interval so that ten
 * devices with one interval do not all fall due at the same instant, every cycle.
 */
export function staggeredStarts(now: number, intervals: readonly number[]): number[] {
  const n = intervals.length;
  return intervals.map((interval, i) => now + Math.floor((i * interval) / Math.max(n, 1)));
}
