// Pure conversion of camera messages to store samples, so the latest snapshot and motion
// state show beside the sensors' readings. Camera id and gateway come from the topic.
// Tags stay low-cardinality: ids of images, alarms or commands go to the snapshot index
// and event log, never into the store.
import type { GatewayEvent, SnapshotHeader } from '../protocol/index.js';
import type { StoredSample } from '../store/types.js';

export const SNAPSHOT_MEASUREMENT = 'camera_snapshot';
export const CAMERA_EVENT_MEASUREMENT = 'camera_event';
/** The profile tag of camera series: cameras have no device profile. */
export const CAMERA_PROFILE = 'onvif-camera';
/** Event types that carry a state (`data.active`) worth a reading. */
export const STATE_EVENT_TYPES = new Set(['motion', 'tamper']);

export interface CameraSource { site: string; gateway: string; camera: string }

export function snapshotSample(source: CameraSource, header: SnapshotHeader): StoredSample {
  const values: Record<string, number> = { bytes: header.bytes };
  if (header.width !== undefined) values.width = header.width;
  if (header.height !== undefined) values.height = header.height;
  return {
    measurement: SNAPSHOT_MEASUREMENT, site: source.site, gateway: source.gateway, device: source.camera,
    profile: CAMERA_PROFILE, ts: header.ts, seq: 0, values,
  };
}

/**
 * A `motion` or `tamper` event as a boolean reading (`motion` / `tamper` = data.active);
 * undefined for other events; a problem when a state event lacks its boolean.
 */
export function cameraEventSample(source: CameraSource, event: GatewayEvent): { sample?: StoredSample; problem?: string } {
  if (!STATE_EVENT_TYPES.has(event.type)) return {};
  const active = event.data?.active;
  if (typeof active !== 'boolean') return { problem: `data.active: a ${event.type} event needs a boolean (true when it starts, false when it ends)` };
  return {
    sample: {
      measurement: CAMERA_EVENT_MEASUREMENT, site: source.site, gateway: source.gateway, device: source.camera,
      profile: CAMERA_PROFILE, ts: event.ts, seq: 0, values: { [event.type]: active },
    },
  };
}
