// Which cameras a capture command takes: explicit list, linked to the alarm's device, the whole
// site when none is linked, or all; unknown ids named.
import { describe, expect, it } from 'vitest';
import { selectCaptureTargets } from './capture-targets.js';

const cameras = [
  { id: 'cam-bridge', linkedDevices: ['level-1', 'ice-1'] },
  { id: 'cam-port', linkedDevices: ['gas-1'] },
  { id: 'cam-gate', linkedDevices: ['level-1'] },
];

describe('selectCaptureTargets', () => {
  it.each([
    { what: 'explicit cameras', command: { cameras: ['cam-port'] }, expected: { ok: true, cameras: ['cam-port'], basis: 'explicit' } },
    { what: 'explicit cameras, repeated once', command: { cameras: ['cam-port', 'cam-port'], device: 'level-1' }, expected: { ok: true, cameras: ['cam-port'], basis: 'explicit' } },
    { what: 'cameras linked to the device', command: { device: 'level-1' }, expected: { ok: true, cameras: ['cam-bridge', 'cam-gate'], basis: 'linked' } },
    { what: 'one camera linked', command: { device: 'gas-1' }, expected: { ok: true, cameras: ['cam-port'], basis: 'linked' } },
    { what: 'no camera linked: the whole site', command: { device: 'wind-9' }, expected: { ok: true, cameras: ['cam-bridge', 'cam-port', 'cam-gate'], basis: 'site' } },
    { what: 'nothing said: every camera', command: {}, expected: { ok: true, cameras: ['cam-bridge', 'cam-port', 'cam-gate'], basis: 'all' } },
  ])('$what', ({ command, expected }) => {
    expect(selectCaptureTargets(command, cameras)).toEqual(expected);
  });

  it('names unknown cameras and the ones the gateway has', () => {
    expect(selectCaptureTargets({ cameras: ['cam-port', 'cam-x', 'cam-y'] }, cameras)).toEqual({
      ok: false, error: 'unknown cameras "cam-x", "cam-y" (this gateway has cam-bridge, cam-port, cam-gate)',
    });
    expect(selectCaptureTargets({ cameras: ['cam-x'] }, cameras)).toMatchObject({ ok: false, error: expect.stringMatching(/^unknown camera "cam-x"/) });
  });

  it('refuses on a gateway without cameras', () => {
    expect(selectCaptureTargets({ device: 'level-1' }, [])).toEqual({ ok: false, error: 'this gateway has no cameras' });
  });
});
