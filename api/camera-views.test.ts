// The camera list's rules as plain cases: state from the status, unknown while the gateway is
// offline (last known details kept), the snapshot index standing in for a list never seen,
// addresses only when asked for, and never the stream URI.
import { describe, expect, it } from 'vitest';
import type { CameraHealth } from '../protocol/index.js';
import type { SnapshotRecord } from '../store/snapshots/index.js';
import { cameraViews } from './camera-views.js';
import type { GatewayEntry } from './gateway-directory.js';

const T = Date.UTC(2026, 0, 10);
const cam: CameraHealth = { state: 'online', since: T, xaddr: 'http://192.0.2.9/onvif/device_service', streamUri: 'rtsp://192.0.2.9/1', model: 'IPC-1' };
const gw = (gateway: string, state: 'online' | 'offline', cameras?: Record<string, CameraHealth>): GatewayEntry => ({
  site: 's', gateway, state, lastSeen: T, status: { v: 1, state }, ...(cameras ? { cameras } : {}),
});
const snap = (gateway: string, camera: string, ts: number): SnapshotRecord => ({
  site: 's', gateway, camera, ts, sha256: 'a'.repeat(64), bytes: 10, trigger: 'schedule', receivedAt: ts,
});

describe('cameraViews', () => {
  it.each([
    ['online gateway: state as reported', [gw('g1', 'online', { c1: cam })], [], [['g1', 'c1', 'online', undefined]]],
    ['offline gateway: unknown, last known state kept', [gw('g1', 'offline', { c1: { ...cam, state: 'unreachable' } })], [], [['g1', 'c1', 'unknown', 'unreachable']]],
    ['offline gateway never seen online: cameras from the snapshot index', [gw('g1', 'offline')], [snap('g1', 'c7', T), snap('g2', 'c8', T)], [['g1', 'c7', 'unknown', undefined]]],
    ['online gateway without cameras: none, whatever the index holds', [gw('g1', 'online')], [snap('g1', 'c7', T)], []],
    ['gateway unknown to the directory: not listed', [], [snap('g9', 'c1', T)], []],
  ] as Array<[string, GatewayEntry[], SnapshotRecord[], Array<[string, string, string, string | undefined]>]>)('%s', (_name, gateways, latest, expected) => {
    expect(cameraViews(gateways, latest, { showAddresses: false }).map((v) => [v.gateway, v.camera, v.state, v.lastKnownState])).toEqual(expected);
  });

  it('shows the ONVIF address only when asked, the stream URI never, and links the latest snapshot', () => {
    const [hidden] = cameraViews([gw('g1', 'online', { c1: cam })], [snap('g1', 'c1', T + 5)], { showAddresses: false });
    const [shown] = cameraViews([gw('g1', 'online', { c1: cam })], [], { showAddresses: true });
    expect(hidden).toEqual({
      site: 's', gateway: 'g1', camera: 'c1', state: 'online', gatewayState: 'online', gatewayLastSeen: new Date(T).toISOString(),
      since: new Date(T).toISOString(), model: 'IPC-1',
      lastSnapshot: { ts: T + 5, time: new Date(T + 5).toISOString(), sha256: 'a'.repeat(64), url: `/v1/snapshots/${'a'.repeat(64)}` },
    });
    expect(shown).toEqual(expect.objectContaining({ xaddr: cam.xaddr, lastSnapshot: null }));
    expect(JSON.stringify([hidden, shown])).not.toContain('rtsp');
  });
});
