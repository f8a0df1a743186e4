// Waiting for a count to reach a target, timed by the event that crossed it.
import { describe, expect, it } from 'vitest';
import { ProgressCounter } from './progress-counter.js';

describe('ProgressCounter', () => {
  it('resolves with the time of the add that reached the target', async () => {
    const counter = new ProgressCounter();
    const reached = counter.until(10, 1000);
    counter.add(4, 100);
    counter.add(6, 250);
    counter.add(1, 300);
    await expect(reached).resolves.toEqual({ reached: true, count: 10, atMs: 250 });
  });

  it('answers at once when the target is already reached', async () => {
    const counter = new ProgressCounter();
    counter.add(5, 42);
    await expect(counter.until(5, 1000)).resolves.toEqual({ reached: true, count: 5, atMs: 42 });
  });

  it('gives up after the timeout with the count so far', async () => {
    const counter = new ProgressCounter();
    counter.add(3, 1);
    await expect(counter.until(10, 20)).resolves.toMatchObject({ reached: false, count: 3 });
  });
});
