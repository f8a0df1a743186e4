// Cameras from end to end, every part real: simulated ONVIF cameras → the gateway (node-onvif,
// digest snapshots, PullPoint) → Aedes → ingest (images on disk, index, event log, metadata
// points in the store) → the HTTP API. What a user checks: the API's image is byte for byte the
// one the camera served; a motion event reaches the backend; an alarm-linked capture photographs
// the linked camera only; a stopped camera shows as unreachable within one health interval.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { topics, type Command } from '../protocol/index.js';
import { fastSite, getJson, startTestSystem } from './harness/system.js';

const SITE = 'jiejinkou';
const REF = { site: SITE, gateway: 'gw-01' };
const HEALTH_INTERVAL_MS = 1500;
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

interface CameraView { camera: string; state: string; model?: string; lastSnapshot?: { sha256: string; ts: number } }
interface SnapshotEntry { sha256: string; trigger: string; alarmId?: string; bytes: number }

describe('cameras end to end: simulator → gateway → broker → ingest → disk and store → API', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  const cameraList = async (): Promise<CameraView[]> => (await getJson<{ cameras: CameraView[] }>(`${system.apiUrl}/v1/cameras?site=${SITE}`)).body.cameras;
  const camera = async (id: string): Promise<CameraView | undefined> => (await cameraList()).find((c) => c.camera === id);
  const simulator = (id: string) => system.sites[0]!.cameras.get(id)!;
  const latestReadings = async (device: string) => (await getJson<{ readings: Array<{ measurement: string; field: string; value: number }> }>(
    `${system.apiUrl}/v1/readings/latest?site=${SITE}&device=${device}`)).body.readings;

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [{
      ...fastSite(SITE, 1000),
      cameras: [
        { id: 'cam-1', name: 'Jiejinkou Pier', linkedDevices: ['th-1'], snapshotIntervalMs: 700, healthIntervalMs: HEALTH_INTERVAL_MS },
        { id: 'cam-2', name: 'River Road', snapshotIntervalMs: 0, healthIntervalMs: HEALTH_INTERVAL_MS },
      ],
    }]);
  });
  afterAll(async () => {
    await system?.close();
  });

  it('serves the JPEG the camera took, byte for byte, from disk, with a metadata point in the store', async () => {
    const seen = await waitFor(async () => {
      const view = await camera('cam-1');
      return view?.state === 'online' && view.lastSnapshot ? view : undefined;
    }, { what: 'cam-1 online with a snapshot in the API', timeoutMs: 20_000 });
    expect(seen.model).toBeTruthy();

    const response = await fetch(`${system.apiUrl}/v1/cameras/${SITE}/gw-01/cam-1/snapshots/latest`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    const image = Buffer.from(await response.arrayBuffer());
    const hash = sha(image);
    // The camera served exactly these bytes (it remembers the hash of every image it sent whole).
    expect(simulator('cam-1').servedSnapshots).toContain(hash);
    expect(response.headers.get('etag')).toContain(hash);

    // Stored content-addressed on disk under the ingest's snapshot directory.
    const files = fs.readdirSync(path.join(system.dataDir, 'snapshots'), { recursive: true }).map(String);
    const file = files.find((f) => f.includes(hash));
    expect(file, `a file named by ${hash} in ${files.join(', ')}`).toBeDefined();
    expect(sha(fs.readFileSync(path.join(system.dataDir, 'snapshots', file!)))).toBe(hash);

    // …and a metadata point in the telemetry store.
    const point = await waitFor(async () => (await latestReadings('cam-1')).find((r) => r.measurement === 'camera_snapshot' && r.field === 'bytes'),
      { what: 'the camera_snapshot point' });
    expect(point.value).toBeGreaterThan(1000);
  });

  it('a motion event raised in the camera reaches the backend as an event and a reading', async () => {
    simulator('cam-1').raiseEvent('motion', true);
    const event = await waitFor(async () => {
      const { body } = await getJson<{ events: Array<{ device: string; type: string; data?: { active?: boolean } }> }>(
        `${system.apiUrl}/v1/events?site=${SITE}&device=cam-1&type=motion`);
      return body.events.find((e) => e.data?.active === true);
    }, { what: 'the motion event in /v1/events', timeoutMs: 15_000 });
    expect(event.device).toBe('cam-1');
    // Booleans read back as 1 and 0 from every store (store/conformance.ts).
    const motion = await waitFor(async () => (await latestReadings('cam-1')).find((r) => r.measurement === 'camera_event' && r.field === 'motion'),
      { what: 'the motion reading' });
    expect(motion.value).toBe(1);
  });

  it('a capture for an alarm on a sensor photographs the camera linked to it, and only that one', async () => {
    const client = await mqtt.connectAsync(system.brokerUrl, { ...system.serviceLogin, clientId: 'e2e-alarm-engine', reconnectPeriod: 0 });
    try {
      const command: Command = { v: 1, id: 'alarm-capture-1', ts: Date.now(), type: 'capture', device: 'th-1', alarmId: 'alarm-th-1-frost', reason: 'temperature below -30 °C' };
      await client.publishAsync(topics.command(REF), JSON.stringify(command), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const alarmShots = async (id: string) => (await getJson<{ snapshots: SnapshotEntry[] }>(
      `${system.apiUrl}/v1/cameras/${SITE}/gw-01/${id}/snapshots?trigger=alarm&from=-10m`)).body.snapshots;
    // Other alarms may photograph too (the default rules raise device-offline on a loaded machine): look for this one.
    const forThisAlarm = async (id: string) => (await alarmShots(id)).filter((s) => s.alarmId === 'alarm-th-1-frost');
    const shots = await waitFor(async () => {
      const list = await forThisAlarm('cam-1');
      return list.length > 0 ? list : undefined;
    }, { what: 'the alarm snapshot of cam-1', timeoutMs: 15_000 });
    expect(shots[0]).toMatchObject({ trigger: 'alarm', alarmId: 'alarm-th-1-frost' });
    const result = await waitFor(async () => {
      const { body } = await getJson<{ events: Array<{ type: string; data?: { id?: string; ok?: boolean } }> }>(
        `${system.apiUrl}/v1/events?site=${SITE}&type=command-result`);
      return body.events.find((e) => e.data?.id === 'alarm-capture-1');
    }, { what: 'the capture command result' });
    expect(result.data?.ok).toBe(true);
    expect(await forThisAlarm('cam-2')).toEqual([]);
  });

  it('a stopped camera shows as unreachable in the API within one health interval', async () => {
    await waitFor(async () => (await camera('cam-2'))?.state === 'online', { what: 'cam-2 online', timeoutMs: 15_000 });
    const stoppedAt = Date.now();
    await simulator('cam-2').close();
    await waitFor(async () => (await camera('cam-2'))?.state === 'unreachable', { what: 'cam-2 unreachable in the API', timeoutMs: 10_000, intervalMs: 50 });
    const elapsed = Date.now() - stoppedAt;
    // One interval until the next check, plus the failed connect, MQTT and the API poll: a
    // quarter interval of slack for timer lateness on a loaded 2-core CI machine.
    expect(elapsed).toBeLessThan(HEALTH_INTERVAL_MS * 1.25 + 500);
    expect((await camera('cam-1'))?.state).toBe('online');
  });
});
