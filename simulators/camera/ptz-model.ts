// Pan/tilt/zoom state of the simulated dome: continuous moves integrate the commanded velocity
// over the clock until Stop, the move's timeout, or a mechanical limit; presets jump at once.
// Positions and speeds are in ONVIF's generic spaces (pan/tilt −1…1, zoom 0…1, velocity −1…1).
// Pure: every method takes the time.

export interface PtzVector {
  pan: number;
  tilt: number;
  zoom: number;
}

export interface PtzSnapshot extends PtzVector {
  moving: boolean;
  /** The velocity of the current move (zero when idle). */
  velocity: PtzVector;
  /** ContinuousMove, Stop and GotoPreset requests seen. */
  moves: number;
  stops: number;
  presetGotos: number;
  lastPreset: string | undefined;
}

const ZERO: PtzVector = { pan: 0, tilt: 0, zoom: 0 };
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export class PtzModel {
  private origin: PtzVector;
  private originMs: number;
  private velocity: PtzVector = ZERO;
  private untilMs = Number.POSITIVE_INFINITY;
  private counts = { moves: 0, stops: 0, presetGotos: 0 };
  private lastPreset: string | undefined;

  constructor(
    now: number,
    initial: PtzVector = ZERO,
    /** Generic-space units per second at velocity 1 (a full pan sweep in 4 s). */
    private readonly fullSpeedPerSecond = 0.5,
  ) {
    this.origin = { ...initial };
    this.originMs = now;
  }

  positionAt(now: number): PtzVector {
    const seconds = Math.max(0, Math.min(now, this.untilMs) - this.originMs) / 1000;
    const k = seconds * this.fullSpeedPerSecond;
    return {
      pan: clamp(this.origin.pan + this.velocity.pan * k, -1, 1),
      tilt: clamp(this.origin.tilt + this.velocity.tilt * k, -1, 1),
      zoom: clamp(this.origin.zoom + this.velocity.zoom * k, 0, 1),
    };
  }

  isMoving(now: number): boolean {
    if (now >= this.untilMs) return false;
    const p = this.positionAt(now);
    // A move pressing against a limit has stopped mechanically.
    const axisMoving = (v: number, pos: number, lo: number, hi: number) => (v > 0 && pos < hi) || (v < 0 && pos > lo);
    return axisMoving(this.velocity.pan, p.pan, -1, 1) || axisMoving(this.velocity.tilt, p.tilt, -1, 1) || axisMoving(this.velocity.zoom, p.zoom, 0, 1);
  }

  private rebase(now: number): void {
    this.origin = this.positionAt(now);
    this.originMs = now;
    if (now >= this.untilMs) {
      this.velocity = ZERO;
      this.untilMs = Number.POSITIVE_INFINITY;
    }
  }

  /** ContinuousMove: velocity components clamp to −1…1; `timeoutMs` ends the move by itself. */
  continuousMove(velocity: PtzVector, now: number, timeoutMs: number | undefined): void {
    this.rebase(now);
    this.velocity = { pan: clamp(velocity.pan, -1, 1), tilt: clamp(velocity.tilt, -1, 1), zoom: clamp(velocity.zoom, -1, 1) };
    this.untilMs = timeoutMs === undefined ? Number.POSITIVE_INFINITY : now + timeoutMs;
    this.counts.moves++;
  }

  /** Stop: pan/tilt, zoom, or both (ONVIF's default when neither flag is given). */
  stop(now: number, { panTilt = true, zoom = true }: { panTilt?: boolean; zoom?: boolean } = {}): void {
    this.rebase(now);
    this.velocity = { pan: panTilt ? 0 : this.velocity.pan, tilt: panTilt ? 0 : this.velocity.tilt, zoom: zoom ? 0 : this.velocity.zoom };
    this.counts.stops++;
  }

  gotoPosition(position: PtzVector, now: number, preset?: string): void {
    this.origin = { pan: clamp(position.pan, -1, 1), tilt: clamp(position.tilt, -1, 1), zoom: clamp(position.zoom, 0, 1) };
    this.originMs = now;
    this.velocity = ZERO;
    this.untilMs = Number.POSITIVE_INFINITY;
    if (preset !== undefined) {
      this.counts.presetGotos++;
      this.lastPreset = preset;
    }
  }

  snapshot(now: number): PtzSnapshot {
    const moving = this.isMoving(now);
    return { ...this.positionAt(now), moving, velocity: moving ? { ...this.velocity } : { ...ZERO }, ...this.counts, lastPreset: this.lastPreset };
  }
}
