// Which cameras a capture command takes (protocol commandSchema `capture`): the explicit list;
// else the cameras linked to the alarm's sensor `device`, falling back to every camera of the
// gateway (the site) when none is linked to it; else every camera. Pure.

export interface CaptureSelector {
  cameras?: readonly string[];
  device?: string;
}

export type CaptureBasis = 'explicit' | 'linked' | 'site' | 'all';

export type CaptureTargets =
  | { ok: true; cameras: string[]; basis: CaptureBasis }
  | { ok: false; error: string };

export function selectCaptureTargets(
  command: CaptureSelector,
  cameras: ReadonlyArray<{ id: string; linkedDevices: readonly string[] }>,
): CaptureTargets {
  if (cameras.length === 0) return { ok: false, error: 'this gateway has no cameras' };
  const all = cameras.map((camera) => camera.id);
  if (command.cameras !== undefined) {
    const known = new Set(all);
    const unknown = command.cameras.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      return { ok: false, error: `unknown camera${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => `"${id}"`).join(', ')} (this gateway has ${all.join(', ')})` };
    }
    return { ok: true, cameras: [...new Set(command.cameras)], basis: 'explicit' };
  }
  if (command.device !== undefined) {
    const device = command.device;
    const linked = cameras.filter((camera) => camera.linkedDevices.includes(device)).map((camera) => camera.id);
    return linked.length > 0 ? { ok: true, cameras: linked, basis: 'linked' } : { ok: true, cameras: all, basis: 'site' };
  }
  return { ok: true, cameras: all, basis: 'all' };
}
