// Memory-trend verdicts on made-up series: flat, saw-toothed by GC, leaking, too short.
import { describe, expect, it } from 'vitest';
import { leastSquaresSlope, memoryTrend, secondHalf, type Point } from './trend.js';

const MiB = 2 ** 20;
/** One sample per `every` minutes for `minutes`, value in MiB from `f`. */
function series(minutes: number, every: number, f: (minute: number, i: number) => number): Point[] {
  const out: Point[] = [];
  for (let i = 0; i * every <= minutes + 1e-9; i++) out.push({ minute: i * every, value: f(i * every, i) * MiB });
  return out;
}
const limits = { heapMiBPerMin: 2, rssMiBPerMin: 4 };

describe('least-squares slope', () => {
  it.each<[string, Point[], number]>([
    ['flat', [{ minute: 0, value: 5 }, { minute: 1, value: 5 }, { minute: 2, value: 5 }], 0],
    ['rising 3 per minute', [{ minute: 0, value: 1 }, { minute: 1, value: 4 }, { minute: 2, value: 7 }], 3],
    ['noisy falling', [{ minute: 0, value: 10 }, { minute: 1, value: 9 }, { minute: 2, value: 6 }, { minute: 3, value: 5 }], -1.8],
  ])('%s', (_name, points, slope) => {
    expect(leastSquaresSlope(points)).toBeCloseTo(slope, 6);
  });

  it('has no slope through one point or one minute', () => {
    expect(leastSquaresSlope([{ minute: 1, value: 1 }])).toBeNaN();
    expect(leastSquaresSlope([{ minute: 1, value: 1 }, { minute: 1, value: 2 }])).toBeNaN();
  });
});

describe('second half', () => {
  it('keeps the points from the middle of the time span on', () => {
    const points = [0, 1, 2, 3, 4].map((minute) => ({ minute, value: minute }));
    expect(secondHalf(points).map((p) => p.minute)).toEqual([2, 3, 4]);
  });
});

describe('memory trend verdict', () => {
  // Live heap after a full GC still wobbles by a few MiB from sample to sample.
  const sawtooth = (floor: (minute: number) => number) => (minute: number, i: number) => floor(minute) + (i % 3) * 1.5;
  const cases: Array<[string, Point[], Point[], boolean, boolean]> = [
    ['flat live heap with some wobble, flat RSS', series(10, 1 / 12, sawtooth(() => 40)), series(10, 1 / 12, () => 120), true, true],
    ['live heap leaking 5 MiB/min', series(10, 1 / 12, sawtooth((m) => 40 + 5 * m)), series(10, 1 / 12, () => 120), false, true],
    ['heap stable, RSS rising 10 MiB/min', series(10, 1 / 12, sawtooth(() => 40)), series(10, 1 / 12, (m) => 120 + 10 * m), true, false],
    ['warm-up growth in the first half only', series(10, 1 / 12, sawtooth((m) => 40 + 8 * Math.min(m, 4))), series(10, 1 / 12, (m) => 100 + 6 * Math.min(m, 4)), true, true],
    ['a CI-length run leaking like an unpruned in-flight map (60 MiB/min)', series(0.7, 1 / 60, sawtooth((m) => 30 + 60 * m)), series(0.7, 1 / 60, (m) => 100 + 60 * m), false, false],
  ];
  it.each(cases)('%s', (_name, heapUsed, rss, heapStable, rssPlateau) => {
    const trend = memoryTrend({ heapUsed, rss }, limits);
    expect(trend.heapStable).toBe(heapStable);
    expect(trend.rssPlateau).toBe(rssPlateau);
    expect(trend.stable).toBe(heapStable && rssPlateau);
  });

  it('judges a process without a V8 heap by its RSS alone', () => {
    const trend = memoryTrend({ rss: series(10, 1 / 12, () => 300) }, limits);
    expect(trend.heapSlope).toBeUndefined();
    expect(trend.stable).toBe(true);
  });

  it('does not call too few samples stable', () => {
    const trend = memoryTrend({ heapUsed: series(0.01, 1 / 600, () => 40), rss: [{ minute: 0, value: 1 }] }, limits);
    expect(trend.stable).toBe(false);
  });
});
