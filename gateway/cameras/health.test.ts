// The camera health state machine as a table: state before, input, state after, and the
// transition (the camera-<state> event) when there is one.
import { describe, expect, it } from 'vitest';
import type { CameraState } from '../../protocol/index.js';
import { initialHealth, stepHealth, type HealthInput, type HealthState } from './health.js';

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);
const NOW = T0 + 5000;
const N = 3;

const state = (s: CameraState, streak = 0, lastError?: string): HealthState => ({ state: s, since: T0, snapshotFailStreak: streak, ...(lastError ? { lastError } : {}) });
const ok: HealthInput = { kind: 'check-ok' };
const refused: HealthInput = { kind: 'check-failed', errorKind: 'auth', error: 'Sender not Authorized' };
const gone: HealthInput = { kind: 'check-failed', errorKind: 'unreachable', error: 'ECONNREFUSED' };
const garbled: HealthInput = { kind: 'check-failed', errorKind: 'protocol', error: 'HTTP 404' };
const image: HealthInput = { kind: 'snapshot-ok' };
const noImage: HealthInput = { kind: 'snapshot-failed', error: 'not a complete JPEG' };

describe('stepHealth', () => {
  it('starts in starting', () => {
    expect(initialHealth(T0)).toEqual({ state: 'starting', since: T0, snapshotFailStreak: 0 });
  });

  it.each([
    // from, input, to, transition?
    { from: state('starting'), input: ok, to: 'online', transition: true },
    { from: state('starting'), input: refused, to: 'auth-failed', transition: true },
    { from: state('starting'), input: gone, to: 'unreachable', transition: true },
    { from: state('starting'), input: garbled, to: 'unreachable', transition: true },
    { from: state('starting'), input: noImage, to: 'starting', transition: false },
    { from: state('starting'), input: image, to: 'starting', transition: false },
    { from: state('online'), input: ok, to: 'online', transition: false },
    { from: state('online'), input: gone, to: 'unreachable', transition: true },
    { from: state('online'), input: refused, to: 'auth-failed', transition: true },
    { from: state('online', N - 2), input: noImage, to: 'online', transition: false },
    { from: state('online', N - 1), input: noImage, to: 'snapshot-failing', transition: true },
    { from: state('unreachable'), input: ok, to: 'online', transition: true },
    { from: state('unreachable'), input: gone, to: 'unreachable', transition: false },
    { from: state('unreachable'), input: refused, to: 'auth-failed', transition: true },
    { from: state('unreachable', 5), input: noImage, to: 'unreachable', transition: false },
    { from: state('unreachable'), input: image, to: 'unreachable', transition: false },
    { from: state('auth-failed'), input: ok, to: 'online', transition: true },
    { from: state('auth-failed'), input: refused, to: 'auth-failed', transition: false },
    { from: state('auth-failed'), input: gone, to: 'unreachable', transition: true },
    { from: state('snapshot-failing', N), input: ok, to: 'snapshot-failing', transition: false },
    { from: state('snapshot-failing', N), input: noImage, to: 'snapshot-failing', transition: false },
    { from: state('snapshot-failing', N), input: image, to: 'online', transition: true },
    { from: state('snapshot-failing', N), input: gone, to: 'unreachable', transition: true },
  ] as const)('$from.state + $input.kind → $to', ({ from, input, to, transition }) => {
    const step = stepHealth(from, input, NOW, N);
    expect(step.next.state).toBe(to);
    expect(step.transition !== undefined).toBe(transition);
    if (step.transition) {
      expect(step.transition).toMatchObject({ from: from.state, to });
      expect(step.next.since).toBe(NOW);
    } else {
      expect(step.next.since).toBe(T0);
    }
  });

  it('carries the error into the transition and lastError, and clears it when back online', () => {
    const down = stepHealth(state('online'), gone, NOW, N);
    expect(down.transition).toEqual({ from: 'online', to: 'unreachable', error: 'ECONNREFUSED' });
    expect(down.next.lastError).toBe('ECONNREFUSED');
    const again = stepHealth(down.next, { kind: 'check-failed', errorKind: 'unreachable', error: 'timeout' }, NOW + 1000, N);
    expect(again.next).toMatchObject({ state: 'unreachable', since: NOW, lastError: 'timeout' });
    const back = stepHealth(again.next, ok, NOW + 2000, N);
    expect(back.transition).toEqual({ from: 'unreachable', to: 'online' });
    expect(back.next.lastError).toBeUndefined();
  });

  it('counts failed snapshots in a row; a good one or a recovery resets the count', () => {
    let h = state('online');
    for (let i = 0; i < N - 1; i++) h = stepHealth(h, noImage, NOW, N).next;
    h = stepHealth(h, image, NOW, N).next;
    expect(h.snapshotFailStreak).toBe(0);
    for (let i = 0; i < N - 1; i++) h = stepHealth(h, noImage, NOW, N).next;
    expect(h.state).toBe('online');
    // An outage in between: failures before it do not add up with those after it.
    h = stepHealth(h, gone, NOW, N).next;
    h = stepHealth(h, ok, NOW, N).next;
    h = stepHealth(h, noImage, NOW, N).next;
    expect(h).toMatchObject({ state: 'online', snapshotFailStreak: 1 });
  });
});
