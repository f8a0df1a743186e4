// The health of one camera as a pure state machine, fed by the periodic ONVIF check and by the
// results of snapshots. Each state asks for a different fix on site (protocol cameraStateSchema):
//
//   starting          not checked yet
//   online            ONVIF answers an authenticated call, and snapshots work
//   auth-failed       it answers, but refuses the user/password (or its clock is far off)
//   unreachable       no answer in time at the address (power, cable, IP), not found by
//                     discovery, or something that is not an ONVIF service answers there
//   snapshot-failing  ONVIF answers, but the last `failuresBeforeAlert` snapshots failed
//
// A single failed check changes the state, so the backend sees a dead camera within one check
// interval; a good check or snapshot brings it back. Every change is a `Transition`, which the
// caller turns into a `camera-<state>` event and an immediate status.
import type { CameraState } from '../../protocol/index.js';
import type { CameraErrorKind } from './errors.js';

export interface HealthState {
  state: CameraState;
  /** When the camera entered `state`. */
  since: number;
  /** The error behind the current state (absent while online). */
  lastError?: string;
  /** Snapshots failed in a row since the last good one. */
  snapshotFailStreak: number;
}

export type HealthInput =
  | { kind: 'check-ok' }
  | { kind: 'check-failed'; error: string; errorKind: CameraErrorKind }
  | { kind: 'snapshot-ok' }
  | { kind: 'snapshot-failed'; error: string };

export interface Transition {
  from: CameraState;
  to: CameraState;
  error?: string;
}

export interface HealthStep {
  next: HealthState;
  transition?: Transition;
}

export function initialHealth(now: number): HealthState {
  return { state: 'starting', since: now, snapshotFailStreak: 0 };
}

function enter(current: HealthState, to: CameraState, now: number, error: string | undefined, streak: number): HealthStep {
  if (to === current.state) {
    // Same state: keep `since`, but the newest reason (a different auth error, a new timeout).
    const next: HealthState = { ...current, snapshotFailStreak: streak };
    if (error !== undefined) next.lastError = error;
    return { next };
  }
  const next: HealthState = { state: to, since: now, snapshotFailStreak: streak, ...(error !== undefined ? { lastError: error } : {}) };
  return { next, transition: { from: current.state, to, ...(error !== undefined ? { error } : {}) } };
}

/** The state after one input. `failuresBeforeAlert`: consecutive failed snapshots before `snapshot-failing`. */
export function stepHealth(current: HealthState, input: HealthInput, now: number, failuresBeforeAlert: number): HealthStep {
  switch (input.kind) {
    case 'check-ok':
      // A check says nothing about images: snapshot-failing stays until a snapshot works.
      if (current.state === 'online' || current.state === 'snapshot-failing') return { next: current };
      // Back from an outage or a credentials fix: the snapshot streak of before does not count.
      return enter(current, 'online', now, undefined, 0);
    case 'check-failed':
      // A protocol failure at the ONVIF address (an HTML page, a 404, a malformed answer) is,
      // for the technician, the wrong address or service: reported as unreachable with the reason.
      return enter(current, input.errorKind === 'auth' ? 'auth-failed' : 'unreachable', now, input.error, current.snapshotFailStreak);
    case 'snapshot-ok':
      if (current.state === 'snapshot-failing') return enter(current, 'online', now, undefined, 0);
      return { next: { ...current, snapshotFailStreak: 0 } };
    case 'snapshot-failed': {
      const streak = current.snapshotFailStreak + 1;
      // Only while ONVIF answers does a failed image mean "the image endpoint is broken"; in the
      // other states the check already tells what is wrong.
      if ((current.state === 'online' || current.state === 'snapshot-failing') && streak >= failuresBeforeAlert) {
        return enter(current, 'snapshot-failing', now, input.error, streak);
      }
      return { next: { ...current, snapshotFailStreak: streak } };
    }
  }
}
