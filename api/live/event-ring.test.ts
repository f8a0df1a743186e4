// The resume ring as tables: eviction by count, bytes and age, and what a client resuming
// after an id gets (a gap-free replay, or a gap).
import { describe, expect, it } from 'vitest';
import { EventRing, type RingItem, type RingLimits } from './event-ring.js';

const LIMITS: RingLimits = { maxEvents: 5, maxBytes: 1000, maxAgeMs: 60_000 };
const item = (id: number, at = 0, bytes = 10): RingItem => ({ id, at, bytes });

function ringWith(ids: number[], limits: Partial<RingLimits> = {}, at = (_id: number) => 0, bytes = 10): EventRing<RingItem> {
  const ring = new EventRing<RingItem>({ ...LIMITS, ...limits });
  for (const id of ids) ring.push(item(id, at(id), bytes), at(id));
  return ring;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('EventRing eviction', () => {
  it.each([
    ['under every limit', {}, range(1, 3), [1, 3, 3]],
    ['by count: keeps the newest maxEvents', {}, range(1, 8), [4, 8, 5]],
    ['by bytes', { maxBytes: 35 }, range(1, 8), [6, 8, 3]],
    ['never drops the newest for bytes', { maxBytes: 5 }, range(1, 3), [3, 3, 1]],
  ] as Array<[string, Partial<RingLimits>, number[], [number, number, number]]>)('%s', (_name, limits, ids, [oldest, latest, size]) => {
    const ring = ringWith(ids, limits);
    expect([ring.oldestId, ring.latestId, ring.size]).toEqual([oldest, latest, size]);
    expect(ring.bytes).toBe(size * 10);
  });

  it('by age, also when nothing new arrives (evict on a timer)', () => {
    const ring = ringWith(range(1, 4), {}, (id) => id * 20_000); // at 20 s, 40 s, 60 s, 80 s
    expect([ring.oldestId, ring.size]).toEqual([1, 4]); // at 80 s the oldest is exactly 60 s old
    ring.evict(100_000);
    expect([ring.oldestId, ring.size]).toEqual([2, 3]);
    ring.evict(200_000);
    expect([ring.oldestId, ring.latestId, ring.size, ring.bytes]).toEqual([undefined, undefined, 0, 0]);
  });

  it('refuses ids that are not contiguous (resume relies on it)', () => {
    const ring = ringWith([1, 2]);
    expect(() => ring.push(item(4), 0)).toThrow(/contiguous/);
  });

  it('stays correct across compaction of a long run', () => {
    const ring = ringWith(range(1, 10_000), { maxEvents: 100 });
    expect([ring.oldestId, ring.latestId, ring.size]).toEqual([9901, 10_000, 100]);
    const plan = ring.resume(9949, 10_000);
    expect(plan.kind === 'replay' && plan.events.map((e) => e.id)).toEqual(range(9950, 10_000));
  });
});

describe('EventRing.resume', () => {
  const ring = ringWith(range(11, 15)); // 11..15 kept (maxEvents 5)
  it.each([
    ['up to date', 15, 15, { kind: 'replay', ids: [] }],
    ['missed the last two', 13, 15, { kind: 'replay', ids: [14, 15] }],
    ['missed exactly the window', 10, 15, { kind: 'replay', ids: range(11, 15) }],
    ['missed one more than the window', 9, 15, { kind: 'gap', reason: 'evicted', oldestId: 11 }],
    ['an id from before this server', 0, 15, { kind: 'gap', reason: 'evicted', oldestId: 11 }],
    ['an id from the future (another server)', 16, 15, { kind: 'gap', reason: 'unknown-id', oldestId: 11 }],
  ] as const)('%s', (_name, lastId, latestIssued, expected) => {
    const plan = ring.resume(lastId, latestIssued);
    if (expected.kind === 'replay') expect(plan.kind === 'replay' && plan.events.map((e) => e.id)).toEqual(expected.ids);
    else expect(plan).toEqual(expected);
  });

  it('an empty ring after events aged out is a gap, unless the client saw the last one', () => {
    const empty = ringWith([1], {}, () => 0);
    empty.evict(10 * 60_000);
    expect(empty.resume(0, 1)).toEqual({ kind: 'gap', reason: 'evicted', oldestId: undefined });
    expect(empty.resume(1, 1)).toEqual({ kind: 'replay', events: [] });
  });
});
