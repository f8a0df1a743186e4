// The paced schedule and how messages are spread over clients with bounded windows.
import { describe, expect, it } from 'vitest';
import { assignMessages, dueBy } from './pacing.js';

describe('pacing', () => {
  it.each<[number, number, number]>([[0, 12_400, 0], [-5, 100, 0], [1000, 12_400, 12_400], [10, 12_400, 124], [15, 2000, 30], [333, 3, 0]])('%d ms at %d msgs/s: %d due', (ms, rate, due) => {
    expect(dueBy(ms, rate)).toBe(due);
  });

  it.each<[string, number[], number, number, number, number[], number]>([
    ['round-robin from the cursor', [0, 0, 0], 4, 4, 1, [1, 2, 0, 1], 2],
    ['skips full windows', [2, 0, 2], 2, 3, 0, [1, 1], 2],
    ['stops when every window is full', [1, 2, 2], 2, 5, 0, [0], 1],
    ['nothing due', [0, 0], 4, 0, 1, [], 1],
  ])('%s', (_name, inflight, window, count, cursor, picks, next) => {
    const result = assignMessages(inflight.map((n) => ({ inflight: n })), window, count, cursor);
    expect(result.picks).toEqual(picks);
    expect(result.cursor).toBe(next);
  });
});
