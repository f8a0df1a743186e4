// Poll timing as tables: the regular grid, retries with back-off that yield to the next poll,
// the slow probe of an offline device, and staggered starts.
import { describe, expect, it } from 'vitest';
import { afterCycle, initialTiming, retryAfterFailure, staggeredStarts, type PollTiming, type PollTimingConfig } from './poll-timing.js';

const config: PollTimingConfig = { intervalMs: 1000, retries: 2, retryDelayMs: 100, offlineIntervalMs: 30_000 };

describe('afterCycle', () => {
  const cases: { name: string; timing: PollTiming; startedAt: number; now: number; offline?: boolean; due: number }[] = [
    { name: 'on time: the next tick of the grid', timing: initialTiming(0), startedAt: 0, now: 20, due: 1000 },
    { name: 'started late: still the grid, no drift', timing: initialTiming(0), startedAt: 300, now: 350, due: 1000 },
    { name: 'a slow poll past the next tick skips it instead of bursting', timing: initialTiming(0), startedAt: 0, now: 2500, due: 3000 },
    { name: 'started two ticks late: the tick after the start', timing: initialTiming(0), startedAt: 2100, now: 2150, due: 3000 },
    { name: 'after a successful retry: the tick the retry waited for', timing: { nextTick: 1000, retriesUsed: 1 }, startedAt: 120, now: 130, due: 1000 },
    { name: 'offline: one probe per offline interval from the attempt', timing: initialTiming(0), startedAt: 0, now: 300, offline: true, due: 30_000 },
    { name: 'offline interval shorter than the poll interval: the poll interval', timing: initialTiming(0), startedAt: 0, now: 10, offline: true, due: 30_000 },
  ];
  it.each(cases)('$name', ({ timing, startedAt, now, offline = false, due }) => {
    const next = afterCycle(config, timing, { startedAt, now, offline });
    expect(next.due).toBe(due);
    expect(next.timing.retriesUsed).toBe(0);
  });

  it('never probes an offline device faster than its poll interval', () => {
    expect(afterCycle({ ...config, intervalMs: 60_000, offlineIntervalMs: 1000 }, initialTiming(0), { startedAt: 0, now: 5, offline: true }).due).toBe(60_000);
  });
});

describe('retryAfterFailure', () => {
  const cases: { name: string; config?: Partial<PollTimingConfig>; timing: PollTiming; startedAt: number; now: number; due: number | undefined; used?: number }[] = [
    { name: 'first retry after the base delay, as a separate job', timing: initialTiming(0), startedAt: 0, now: 300, due: 400, used: 1 },
    { name: 'second retry after twice the delay', timing: { nextTick: 1000, retriesUsed: 1 }, startedAt: 400, now: 700, due: 900, used: 2 },
    { name: 'no retries left', timing: { nextTick: 1000, retriesUsed: 2 }, startedAt: 0, now: 300, due: undefined },
    { name: 'a retry that would land on the next poll is that poll', timing: initialTiming(0), startedAt: 0, now: 950, due: undefined },
    { name: 'retries off', config: { retries: 0 }, timing: initialTiming(0), startedAt: 0, now: 10, due: undefined },
  ];
  it.each(cases)('$name', ({ config: overrides, timing, startedAt, now, due, used }) => {
    const next = retryAfterFailure({ ...config, ...overrides }, timing, { startedAt, now });
    expect(next?.due).toBe(due);
    if (used !== undefined) expect(next!.timing).toEqual({ nextTick: 1000, retriesUsed: used });
  });
});

describe('staggeredStarts', () => {
  it('spreads devices joining together over their interval', () => {
    expect(staggeredStarts(1000, [1000, 1000, 1000, 1000])).toEqual([1000, 1250, 1500, 1750]);
    expect(staggeredStarts(0, [500, 2000])).toEqual([0, 1000]);
    expect(staggeredStarts(0, [])).toEqual([]);
  });
});

describe('afterCycle after an early attempt', () => {
  it('re-bases the grid when a device answers its probe before the slow tick', () => {
    // Offline, next probe at 30 s; a write brings the probe forward to 5 s and it answers.
    expect(afterCycle(config, { nextTick: 30_000, retriesUsed: 0 }, { startedAt: 5000, now: 5010, offline: false }).due).toBe(6000);
  });
});
