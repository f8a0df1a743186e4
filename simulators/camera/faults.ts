// Faults the camera simulator shows on demand, the ways Sharp Eyes cameras fail in the field:
// gone from the network (power cut, 4G router down), password changed by someone on site, a
// saturated uplink, and a snapshot encoder that fails while ONVIF keeps answering. Pure.

export type CameraFault =
  | { kind: 'none' }
  /** Nothing listens on the port (connections refused) and discovery is silent. */
  | { kind: 'offline' }
  /** The device password was changed: the configured credentials are refused (SOAP and snapshot). */
  | { kind: 'wrong-password' }
  /** Every HTTP answer (and discovery reply) is delayed. */
  | { kind: 'slow'; delayMs: number }
  /** The snapshot is a 200 image/jpeg cut off half-way (no EOI): a failing encoder. */
  | { kind: 'broken-snapshot' }
  /** The snapshot URL answers 500 while ONVIF works. */
  | { kind: 'snapshot-error' };

export const CAMERA_FAULT_SYNTAX = 'none | offline | wrong-password | slow:MS | broken-snapshot | snapshot-error';

export function parseCameraFault(text: string): CameraFault {
  const [kind, arg, ...rest] = text.trim().split(':');
  const simple = ['none', 'offline', 'wrong-password', 'broken-snapshot', 'snapshot-error'] as const;
  if (rest.length === 0 && arg === undefined && (simple as readonly string[]).includes(kind!)) return { kind: kind as (typeof simple)[number] };
  if (kind === 'slow' && rest.length === 0) {
    const delayMs = Number(arg ?? '1000');
    if (Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= 600_000) return { kind: 'slow', delayMs };
  }
  throw new Error(`"${text}" is not a camera fault; expected ${CAMERA_FAULT_SYNTAX}`);
}

export function describeCameraFault(fault: CameraFault): string {
  return fault.kind === 'slow' ? `slow (${fault.delayMs} ms per answer)` : fault.kind;
}
