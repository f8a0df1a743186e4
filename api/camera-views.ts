// The cameras the API shows: built from the gateways' retained status (camera health and
// metadata) and the snapshot index (latest image). Pure, so the rules — offline gateways,
// hidden addresses — are tested with plain cases. The stream URI is never part of a view.
import type { CameraHealth, CameraState } from '../protocol/index.js';
import type { SnapshotRecord } from '../store/snapshots/index.js';
import type { GatewayEntry } from './gateway-directory.js';

export type CameraViewState = CameraState | 'unknown';

export interface LastSnapshot { ts: number; time: string; sha256: string; url: string }

export interface CameraView {
  site: string;
  gateway: string;
  camera: string;
  /** `unknown` while the gateway is offline: it cannot tell. */
  state: CameraViewState;
  /** The state the gateway last reported, when `state` is unknown. */
  lastKnownState?: CameraState;
  gatewayState: 'online' | 'offline';
  gatewayLastSeen: string;
  since?: string;
  lastError?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
  profiles?: CameraHealth['profiles'];
  ptz?: boolean;
  linkedDevices?: string[];
  snapshotsOk?: number;
  snapshotsFailed?: number;
  /** The ONVIF service address: only for roles that may reach the camera (emergency and up). */
  xaddr?: string;
  lastSnapshot: LastSnapshot | null;
}

export function snapshotUrl(sha256: string): string {
  return `/v1/snapshots/${sha256}`;
}

function lastSnapshotOf(record: SnapshotRecord | undefined): LastSnapshot | null {
  return record ? { ts: record.ts, time: new Date(record.ts).toISOString(), sha256: record.sha256, url: snapshotUrl(record.sha256) } : null;
}

const cameraKey = (site: string, gateway: string, camera: string) => `${site}/${gateway}/${camera}`;

/**
 * Every camera of every gateway, sorted by site, gateway, camera. An offline gateway shows
 * its last known cameras as `unknown`; if it never reported them to this process (the API
 * started after it went offline), the cameras with snapshots in the index stand in.
 */
export function cameraViews(gateways: readonly GatewayEntry[], latest: readonly SnapshotRecord[], { showAddresses }: { showAddresses: boolean }): CameraView[] {
  const latestByCamera = new Map(latest.map((r) => [cameraKey(r.site, r.gateway, r.camera), r]));
  const views: CameraView[] = [];
  for (const entry of gateways) {
    const offline = entry.state === 'offline';
    let cameras: Array<[string, CameraHealth | undefined]> = Object.entries(entry.cameras ?? {});
    if (offline && entry.cameras === undefined) {
      cameras = latest.filter((r) => r.site === entry.site && r.gateway === entry.gateway).map((r) => [r.camera, undefined]);
    }
    for (const [camera, health] of cameras) {
      const view: CameraView = {
        site: entry.site, gateway: entry.gateway, camera,
        state: offline || !health ? 'unknown' : health.state,
        ...(offline && health ? { lastKnownState: health.state } : {}),
        gatewayState: entry.state,
        gatewayLastSeen: new Date(entry.lastSeen).toISOString(),
        ...(health?.since !== undefined ? { since: new Date(health.since).toISOString() } : {}),
        lastSnapshot: lastSnapshotOf(latestByCamera.get(cameraKey(entry.site, entry.gateway, camera))),
      };
      if (health) {
        const { lastError, manufacturer, model, firmware, serial, hardwareId, profiles, ptz, linkedDevices, snapshotsOk, snapshotsFailed, xaddr } = health;
        Object.assign(view, Object.fromEntries(Object.entries({
          lastError, manufacturer, model, firmware, serial, hardwareId, profiles, ptz, linkedDevices, snapshotsOk, snapshotsFailed,
          xaddr: showAddresses ? xaddr : undefined,
        }).filter(([, v]) => v !== undefined)));
      }
      views.push(view);
    }
  }
  return views.sort((a, b) => a.site.localeCompare(b.site) || a.gateway.localeCompare(b.gateway) || a.camera.localeCompare(b.camera));
}

/** The camera's health as last reported (with the stream URI), for the routes that need more than the view. */
export function cameraHealth(gateways: readonly GatewayEntry[], site: string, gateway: string, camera: string): { entry: GatewayEntry; health: CameraHealth } | undefined {
  const entry = gateways.find((g) => g.site === site && g.gateway === gateway);
  const health = entry?.cameras?.[camera];
  return entry && health ? { entry, health } : undefined;
}
