// PTZ motion over the clock: integration of velocity, timeouts, limits, stop, presets.
import { describe, expect, it } from 'vitest';
import { PtzModel } from './ptz-model.js';

const T0 = 1_000_000;

describe('PtzModel', () => {
  it('integrates velocity over time (0.5 units/s at full speed)', () => {
    const ptz = new PtzModel(T0);
    ptz.continuousMove({ pan: 1, tilt: -0.5, zoom: 0 }, T0, undefined);
    expect(ptz.positionAt(T0 + 1000)).toEqual({ pan: 0.5, tilt: -0.25, zoom: 0 });
    expect(ptz.isMoving(T0 + 1000)).toBe(true);
  });

  it('stops by itself at the move timeout and at the mechanical limits', () => {
    const ptz = new PtzModel(T0);
    ptz.continuousMove({ pan: 1, tilt: 0, zoom: 1 }, T0, 1000);
    expect(ptz.positionAt(T0 + 5000)).toEqual({ pan: 0.5, tilt: 0, zoom: 0.5 });
    expect(ptz.isMoving(T0 + 5000)).toBe(false);
    ptz.continuousMove({ pan: 1, tilt: 0, zoom: 0 }, T0 + 5000, undefined);
    expect(ptz.positionAt(T0 + 60_000).pan).toBe(1);
    expect(ptz.isMoving(T0 + 60_000)).toBe(false);
  });

  it('Stop keeps the reached position; stopping only zoom keeps pan moving', () => {
    const ptz = new PtzModel(T0);
    ptz.continuousMove({ pan: 0.4, tilt: 0, zoom: 0.4 }, T0, undefined);
    ptz.stop(T0 + 1000, { panTilt: false, zoom: true });
    expect(ptz.snapshot(T0 + 1000)).toMatchObject({ pan: 0.2, zoom: 0.2, moving: true, velocity: { pan: 0.4, tilt: 0, zoom: 0 }, stops: 1 });
    ptz.stop(T0 + 2000);
    expect(ptz.snapshot(T0 + 9000)).toMatchObject({ pan: 0.4, zoom: 0.2, moving: false, moves: 1, stops: 2 });
  });

  it('jumps to presets and clamps positions and speeds', () => {
    const ptz = new PtzModel(T0);
    ptz.gotoPosition({ pan: 2, tilt: -0.3, zoom: -1 }, T0, '2');
    expect(ptz.snapshot(T0)).toMatchObject({ pan: 1, tilt: -0.3, zoom: 0, presetGotos: 1, lastPreset: '2' });
    ptz.continuousMove({ pan: -5, tilt: 0, zoom: 0 }, T0, undefined);
    expect(ptz.snapshot(T0).velocity.pan).toBe(-1);
  });
});
