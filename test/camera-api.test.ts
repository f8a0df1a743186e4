// Cameras end to end, for real: a gateway client (its own account, real MQTT.js) publishes a
// retained status with cameras, JPEG snapshots, a malformed snapshot and motion events through
// the Aedes broker; ingest stores them (images on disk, index and event log in SQLite); the
// HTTP API serves the camera list, images with cache headers, history, events and readings,
// guards the stream address and commands by role, and carries PTZ/capture commands to the
// gateway and its answers back. Snapshots survive an ingest restart without duplicates.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { commandSchema, encodeSnapshot, topics, type Command, type SnapshotHeaderInput, type Status } from '../protocol/index.js';
import { makeJpeg } from './harness/jpeg.js';
import { getJson, startTestSystem } from './harness/system.js';

const SITE = 'bachahe';
const GW = 'gw-cam';
const REF = { site: SITE, gateway: GW };
const T0 = Date.now() - 3_600_000; // an hour ago: inside the default 24 h of the history routes
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const CAMERA_BASE = `/v1/cameras/${SITE}/${GW}`;
const COMMAND_TIMEOUT_MS = 1500;

const status = (): Status => ({
  v: 1, state: 'online', ts: Date.now(), version: 'test',
  cameras: {
    'cam-1': {
      state: 'online', since: T0 - 60_000, xaddr: 'http://192.0.2.21/onvif/device_service', manufacturer: 'Hikvision', model: 'DS-2DE4425IW',
      firmware: 'V5.6.3', serial: 'DS0001', ptz: true, streamUri: 'rtsp://192.0.2.21:554/Streaming/Channels/101', linkedDevices: ['gauge-1'],
      profiles: [{ token: 'Profile_1', name: 'main', encoding: 'H264', width: 2560, height: 1440 }], snapshotsOk: 3, snapshotsFailed: 0,
    },
    'cam-2': { state: 'auth-failed', since: T0, lastError: 'ONVIF: wrong username or password', ptz: false },
  },
});

describe('cameras through the API', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let gateway: MqttClient;
  const commands: Command[] = [];
  /** How the test gateway answers a command: ok, failed with an error, or silence. */
  let answer: (command: Command) => { ok: boolean; error?: string } | undefined = () => ({ ok: true });
  const images = [makeJpeg(1), makeJpeg(2), makeJpeg(3)];

  const publishSnapshot = (camera: string, header: SnapshotHeaderInput, image: Buffer) =>
    gateway.publishAsync(topics.snapshot(REF, camera), encodeSnapshot(header, image), { qos: 1 });
  const publishEvent = (device: string, event: Record<string, unknown>) =>
    gateway.publishAsync(topics.event(REF, device), JSON.stringify({ v: 1, ...event }), { qos: 1 });
  const api = (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(`${system.apiUrl}${path}`, { ...init, headers });
  };

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [], { commandTimeoutMs: COMMAND_TIMEOUT_MS });
    const login = await system.addGatewayAccount(SITE, GW);
    gateway = await mqtt.connectAsync(system.brokerUrl, {
      ...login, clientId: `${SITE}.${GW}`, reconnectPeriod: 0, clean: true,
      will: { topic: topics.status(REF), payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', reason: 'connection lost' })), qos: 1, retain: true },
    });
    await gateway.subscribeAsync(topics.command(REF), { qos: 1 });
    gateway.on('message', (_topic, payload) => {
      const command = commandSchema.parse(JSON.parse(payload.toString('utf8')));
      commands.push(command);
      const reply = answer(command);
      if (!reply) return;
      const device = command.type === 'ptz' ? command.camera : GW;
      void publishEvent(device, {
        ts: Date.now(), type: 'command-result', message: `${command.type} ${command.id} ${reply.ok ? 'done' : 'failed'}`,
        data: { id: command.id, command: command.type, ok: reply.ok, durationMs: 12, ...(reply.error ? { error: reply.error } : {}) },
      });
    });
    await gateway.publishAsync(topics.status(REF), JSON.stringify(status()), { qos: 1, retain: true });

    await publishSnapshot('cam-1', { ts: T0, trigger: 'schedule', width: 64, height: 48 }, images[0]!);
    await publishSnapshot('cam-1', { ts: T0 + 60_000, trigger: 'schedule', width: 64, height: 48 }, images[1]!);
    await publishSnapshot('cam-1', { ts: T0 + 90_000, trigger: 'alarm', alarmId: 'al-42', device: 'gauge-1', reason: 'level above 3 m', width: 64, height: 48 }, images[2]!);
    // The same image from another camera: one file on disk, two index rows.
    await publishSnapshot('cam-2', { ts: T0 + 30_000, trigger: 'schedule' }, images[0]!);
    // Malformed: the image lost its end on the way (hash and JPEG end marker no longer match).
    const broken = encodeSnapshot({ ts: T0 + 120_000, trigger: 'schedule' }, images[1]!);
    await gateway.publishAsync(topics.snapshot(REF, 'cam-1'), broken.subarray(0, broken.length - 10), { qos: 1 });
    await publishEvent('cam-1', { ts: T0 + 10_000, type: 'motion', data: { active: true, region: 'river bank' } });
    await publishEvent('cam-1', { ts: T0 + 20_000, type: 'motion', data: { active: false } });
    await publishEvent('cam-2', { ts: T0 + 25_000, type: 'camera-auth-failed', message: 'wrong password' });

    await waitFor(() => system.ingest.stats().snapshotsStored === 4 && system.ingest.stats().eventsStored === 3 && system.ingest.stats().rejected === 1,
      { what: 'four snapshots and three events stored, one snapshot refused' });
    await waitFor(async () => (await getJson<{ cameras: unknown[] }>(`${system.apiUrl}/v1/cameras`)).body.cameras.length === 2, { what: 'the API to know the cameras' });
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await system?.close();
  });

  it('lists cameras with health, metadata and the latest snapshot, never the stream address', async () => {
    const response = await api('/v1/cameras');
    const text = await response.text();
    expect(text).not.toContain('rtsp://');
    const { cameras } = JSON.parse(text) as { cameras: Array<Record<string, unknown>> };
    expect(cameras).toEqual([
      {
        site: SITE, gateway: GW, camera: 'cam-1', state: 'online', gatewayState: 'online', gatewayLastSeen: expect.any(String),
        since: new Date(T0 - 60_000).toISOString(), manufacturer: 'Hikvision', model: 'DS-2DE4425IW', firmware: 'V5.6.3', serial: 'DS0001',
        profiles: [{ token: 'Profile_1', name: 'main', encoding: 'H264', width: 2560, height: 1440 }], ptz: true, linkedDevices: ['gauge-1'],
        snapshotsOk: 3, snapshotsFailed: 0,
        lastSnapshot: { ts: T0 + 90_000, time: new Date(T0 + 90_000).toISOString(), sha256: sha(images[2]!), url: `/v1/snapshots/${sha(images[2]!)}` },
      },
      {
        site: SITE, gateway: GW, camera: 'cam-2', state: 'auth-failed', gatewayState: 'online', gatewayLastSeen: expect.any(String),
        since: new Date(T0).toISOString(), lastError: 'ONVIF: wrong username or password', ptz: false,
        lastSnapshot: expect.objectContaining({ sha256: sha(images[0]!) }),
      },
    ]);
    // The ONVIF address only for operators.
    const asOperator = await (await api('/v1/cameras?state=online', { token: system.apiTokens.emergency })).json() as { cameras: Array<Record<string, unknown>> };
    expect(asOperator.cameras.map((c) => [c.camera, c.xaddr])).toEqual([['cam-1', 'http://192.0.2.21/onvif/device_service']]);
    expect((await getJson<{ cameras: unknown[] }>(`${system.apiUrl}/v1/cameras?state=auth-failed`)).body.cameras).toEqual([expect.objectContaining({ camera: 'cam-2' })]);
    expect((await getJson<{ cameras: unknown[] }>(`${system.apiUrl}/v1/cameras?site=elsewhere`)).body.cameras).toEqual([]);
  });

  it('one camera, and a 404 naming the unknown camera and the known ones', async () => {
    expect(await getJson(`${system.apiUrl}${CAMERA_BASE}/cam-2`)).toEqual({ status: 200, body: expect.objectContaining({ camera: 'cam-2', state: 'auth-failed' }) });
    const { status, body } = await getJson<{ message: string }>(`${system.apiUrl}${CAMERA_BASE}/cam-9`);
    expect(status).toBe(404);
    expect(body.message).toBe(`no camera "cam-9" on gateway ${SITE}/${GW} (its cameras: cam-1, cam-2)`);
  });

  it('serves the latest snapshot bytes with ETag, Last-Modified, no-cache and 304 on a match', async () => {
    const response = await api(`${CAMERA_BASE}/cam-1/snapshots/latest`);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(sha(bytes)).toBe(sha(images[2]!));
    expect(Object.fromEntries(['content-type', 'etag', 'cache-control', 'last-modified'].map((h) => [h, response.headers.get(h)]))).toEqual({
      'content-type': 'image/jpeg', etag: `"${sha(images[2]!)}"`, 'cache-control': 'no-cache', 'last-modified': new Date(T0 + 90_000).toUTCString(),
    });
    const again = await api(`${CAMERA_BASE}/cam-1/snapshots/latest`, { headers: { 'if-none-match': `"${sha(images[2]!)}"` } });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    const stale = await api(`${CAMERA_BASE}/cam-1/snapshots/latest`, { headers: { 'if-none-match': `"${sha(images[0]!)}"` } });
    expect(stale.status).toBe(200);
    expect((await getJson<{ message: string }>(`${system.apiUrl}${CAMERA_BASE}/cam-7/snapshots/latest`))).toEqual({ status: 404, body: expect.objectContaining({ message: expect.stringContaining('no snapshot') }) });
  });

  it('lists history newest first, with limit, trigger and time range; bad parameters are 400 naming them', async () => {
    const { body } = await getJson<{ snapshots: Array<Record<string, unknown>> }>(`${system.apiUrl}${CAMERA_BASE}/cam-1/snapshots`);
    expect(body.snapshots.map((s) => [s.ts, s.sha256, s.trigger])).toEqual([
      [T0 + 90_000, sha(images[2]!), 'alarm'], [T0 + 60_000, sha(images[1]!), 'schedule'], [T0, sha(images[0]!), 'schedule'],
    ]);
    expect(body.snapshots[0]).toEqual({
      ts: T0 + 90_000, time: new Date(T0 + 90_000).toISOString(), sha256: sha(images[2]!), bytes: images[2]!.length, width: 64, height: 48,
      trigger: 'alarm', alarmId: 'al-42', device: 'gauge-1', url: `/v1/snapshots/${sha(images[2]!)}`,
    });
    const limited = await getJson<{ snapshots: Array<{ ts: number }> }>(`${system.apiUrl}${CAMERA_BASE}/cam-1/snapshots?limit=1&trigger=schedule`);
    expect(limited.body.snapshots.map((s) => s.ts)).toEqual([T0 + 60_000]);
    const ranged = await getJson<{ snapshots: Array<{ ts: number }> }>(`${system.apiUrl}${CAMERA_BASE}/cam-1/snapshots?from=${T0}&to=${new Date(T0 + 60_000).toISOString()}`);
    expect(ranged.body.snapshots.map((s) => s.ts)).toEqual([T0]);
    for (const [path, parameter] of [
      [`${CAMERA_BASE}/cam-1/snapshots?from=yesterday`, 'from'],
      [`${CAMERA_BASE}/cam-1/snapshots?limit=5000`, 'limit'],
      [`${CAMERA_BASE}/cam-1/snapshots?trigger=sometimes`, 'trigger'],
      [`${CAMERA_BASE}/Cam-1/snapshots`, 'camera'],
      ['/v1/snapshots/not-a-hash', 'sha256'],
      ['/v1/cameras?state=asleep', 'state'],
      ['/v1/events?limit=0', 'limit'],
      ['/v1/events?type=Motion', 'type'],
      ['/v1/events?from=-1h&to=-2h', 'from'],
    ] as const) {
      const { status, body: error } = await getJson<{ parameter: string; message: string }>(`${system.apiUrl}${path}`);
      expect({ path, status, parameter: error.parameter }).toEqual({ path, status: 400, parameter });
      expect(error.message).toContain(`"${parameter}"`);
    }
  });

  it('serves any image by hash as immutable, with 304 and 404', async () => {
    const hash = sha(images[0]!);
    const response = await api(`/v1/snapshots/${hash}`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(images[0]!)).toBe(true);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('etag')).toBe(`"${hash}"`);
    expect((await api(`/v1/snapshots/${hash}`, { headers: { 'if-none-match': `W/"${hash}"` } })).status).toBe(304);
    expect((await api(`/v1/snapshots/${'0'.repeat(64)}`)).status).toBe(404);
    expect(system.snapshots.stats()).toEqual({ snapshots: 4, images: 3, bytes: images.reduce((n, i) => n + i.length, 0) });
  });

  it('dead-letters the malformed snapshot with its reason, counted by cause', async () => {
    const [letter] = system.deadLetters.recent(10);
    expect(letter).toEqual(expect.objectContaining({ topic: topics.snapshot(REF, 'cam-1'), reason: expect.stringMatching(/snapshot image is \d+ bytes but the header says/) }));
    const metrics = await (await api('/metrics')).text();
    expect(metrics).toMatch(/^shaobing_ingest_messages_rejected_total\{cause="snapshot-invalid"\} 1$/m);
    expect(metrics).toMatch(/^shaobing_ingest_snapshots_stored_total 4$/m);
    expect(metrics).toMatch(new RegExp(`^shaobing_ingest_snapshot_bytes_total ${images[0]!.length * 2 + images[1]!.length + images[2]!.length}$`, 'm'));
    expect(metrics).toMatch(/^shaobing_ingest_events_stored_total 3$/m);
  });

  it('lists events newest first and shows the motion state and snapshot size as readings', async () => {
    const { body } = await getJson<{ events: Array<Record<string, unknown>> }>(`${system.apiUrl}/v1/events?site=${SITE}&device=cam-1&type=motion&from=${T0}`);
    expect(body.events).toEqual([
      { site: SITE, gateway: GW, device: 'cam-1', ts: T0 + 20_000, time: new Date(T0 + 20_000).toISOString(), type: 'motion', data: { active: false } },
      { site: SITE, gateway: GW, device: 'cam-1', ts: T0 + 10_000, time: new Date(T0 + 10_000).toISOString(), type: 'motion', data: { active: true, region: 'river bank' } },
    ]);
    const all = await getJson<{ events: Array<{ type: string }> }>(`${system.apiUrl}/v1/events?gateway=${GW}&from=${T0}&limit=1`);
    expect(all.body.events.map((e) => e.type)).toEqual(['camera-auth-failed']);

    await waitFor(async () => (await system.store.latest({ device: 'cam-1' })).length === 4, { what: 'camera readings in the store' });
    const latest = await getJson<{ readings: Array<Record<string, unknown>> }>(`${system.apiUrl}/v1/readings/latest?site=${SITE}&device=cam-1`);
    expect(latest.body.readings.map((r) => [r.measurement, r.field, r.ts, r.value])).toEqual([
      ['camera_event', 'motion', T0 + 20_000, 0],
      ['camera_snapshot', 'bytes', T0 + 90_000, images[2]!.length],
      ['camera_snapshot', 'height', T0 + 90_000, 48],
      ['camera_snapshot', 'width', T0 + 90_000, 64],
    ]);
  });

  it('gives the stream address to operators only: 403 naming the permission, 401 for a bad token', async () => {
    const anonymous = await api(`${CAMERA_BASE}/cam-1/stream`);
    expect(anonymous.status).toBe(403);
    expect(((await anonymous.json()) as { message: string }).message).toBe('this needs the "camera-stream" permission (roles: emergency, admin); anonymous requests have the viewer role');
    const viewer = await api(`${CAMERA_BASE}/cam-1/stream`, { token: system.apiTokens.viewer });
    expect({ status: viewer.status, body: await viewer.json() }).toEqual({
      status: 403, body: { error: 'Forbidden', message: 'this needs the "camera-stream" permission (roles: emergency, admin); token "system-viewer" has the viewer role', permission: 'camera-stream' },
    });
    // A technician installs cameras but is no operator: no stream address, no PTZ.
    expect((await api(`${CAMERA_BASE}/cam-1/stream`, { token: system.apiTokens.technician })).status).toBe(403);
    expect((await api(`${CAMERA_BASE}/cam-1/ptz`, { method: 'POST', body: JSON.stringify({ action: 'stop' }), token: system.apiTokens.technician })).status).toBe(403);
    const bad = await api(`${CAMERA_BASE}/cam-1/stream`, { token: 'sbt_not-a-real-token' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="shaobing"');
    expect((await api('/v1/cameras', { token: 'sbt_not-a-real-token' })).status).toBe(401);
    const emergency = await api(`${CAMERA_BASE}/cam-1/stream`, { token: system.apiTokens.emergency });
    expect({ status: emergency.status, body: await emergency.json() }).toEqual({
      status: 200,
      body: { site: SITE, gateway: GW, camera: 'cam-1', streamUri: 'rtsp://192.0.2.21:554/Streaming/Channels/101', xaddr: 'http://192.0.2.21/onvif/device_service', gatewayState: 'online' },
    });
    expect((await api(`${CAMERA_BASE}/cam-2/stream`, { token: system.apiTokens.admin })).status).toBe(404); // no address reported
    expect((await api(`${CAMERA_BASE}/cam-1/ptz`, { method: 'POST', body: JSON.stringify({ action: 'stop' }), token: system.apiTokens.viewer })).status).toBe(403);
  });

  it('sends PTZ to the gateway over MQTT and returns its result', async () => {
    const response = await api(`${CAMERA_BASE}/cam-1/ptz`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ action: 'move', pan: 0.5, tilt: -0.2, timeoutMs: 2000 }) });
    const body = await response.json() as { id: string; ok: boolean; result: Record<string, unknown> };
    expect(response.status).toBe(200);
    const sent = commands.find((c) => c.id === body.id);
    expect(sent).toEqual({ v: 1, id: body.id, ts: expect.any(Number), type: 'ptz', camera: 'cam-1', action: 'move', pan: 0.5, tilt: -0.2, timeoutMs: 2000 });
    expect(body).toEqual({ id: body.id, ok: true, message: `ptz ${body.id} done`, result: { id: body.id, command: 'ptz', ok: true, durationMs: 12 } });
    // The result is also in the event log, like every event.
    await waitFor(async () => (await getJson<{ events: Array<{ data?: { id?: string } }> }>(`${system.apiUrl}/v1/events?type=command-result&from=-1m`)).body.events.some((e) => e.data?.id === body.id), { what: 'the command result in the event log' });
  });

  it('refuses bad PTZ requests before sending anything', async () => {
    const before = commands.length;
    const noAxis = await api(`${CAMERA_BASE}/cam-1/ptz`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ action: 'move' }) });
    expect({ status: noAxis.status, parameter: ((await noAxis.json()) as { parameter: string }).parameter }).toEqual({ status: 400, parameter: 'pan' });
    const tooFast = await api(`${CAMERA_BASE}/cam-1/ptz`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ action: 'move', pan: 3 }) });
    expect({ status: tooFast.status, parameter: ((await tooFast.json()) as { parameter: string }).parameter }).toEqual({ status: 400, parameter: 'pan' });
    expect((await api(`${CAMERA_BASE}/cam-2/ptz`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ action: 'stop' }) })).status).toBe(409);
    expect((await api(`${CAMERA_BASE}/cam-9/capture`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({}) })).status).toBe(404);
    expect(commands.length).toBe(before);
  });

  it('returns 502 with the gateway\'s error when a capture fails, and 504 with the id when it does not answer', async () => {
    answer = (command) => (command.type === 'capture' ? { ok: false, error: 'camera cam-1 unreachable' } : { ok: true });
    const failed = await api(`${CAMERA_BASE}/cam-1/capture`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ reason: 'check the ice jam' }) });
    const failedBody = await failed.json() as { id: string; ok: boolean; error: string };
    expect({ status: failed.status, ok: failedBody.ok, error: failedBody.error }).toEqual({ status: 502, ok: false, error: 'camera cam-1 unreachable' });
    expect(commands.find((c) => c.id === failedBody.id)).toEqual(expect.objectContaining({ type: 'capture', cameras: ['cam-1'], reason: 'check the ice jam' }));

    answer = () => undefined;
    const started = Date.now();
    const silent = await api(`${CAMERA_BASE}/cam-1/ptz`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ action: 'preset', preset: 'bridge' }) });
    const silentBody = await silent.json() as { id: string; ok: boolean; error: string };
    expect(silent.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
    expect(silentBody).toEqual({ id: expect.stringMatching(/^api-/), ok: false, error: expect.stringContaining('no answer from gateway') });
    expect(commands.find((c) => c.id === silentBody.id)).toEqual(expect.objectContaining({ type: 'ptz', action: 'preset', preset: 'bridge' }));
    answer = () => ({ ok: true });
  });

  it('loses no snapshot when its write fails and ingest stops before it succeeds: un-acked, redelivered after the restart', async () => {
    // Block the store's temp folder with a file: every image write fails until it is removed.
    const tempDir = path.join(system.snapshots.dir, 'tmp');
    fs.rmSync(tempDir, { recursive: true, force: true });
    fs.writeFileSync(tempDir, 'in the way');
    const image = makeJpeg(7);
    await publishSnapshot('cam-2', { ts: T0 + 100_000, trigger: 'motion' }, image);
    await waitFor(async () => /^shaobing_ingest_side_write_failures_total\{target="snapshots"\} [1-9]/m.test(await (await api('/metrics')).text()), { what: 'a failed snapshot write' });
    await system.ingest.close(); // stops retrying; the message was never acknowledged
    fs.rmSync(tempDir, { force: true });
    await system.restartIngest();
    await waitFor(() => system.snapshots.stats().snapshots === 5, { what: 'the snapshot redelivered and stored after the restart' });
    const latest = await api(`${CAMERA_BASE}/cam-2/snapshots/latest`);
    expect(sha(Buffer.from(await latest.arrayBuffer()))).toBe(sha(image));
    expect(system.deadLetters.count()).toBe(1); // still only the malformed one
  });

  it('keeps snapshots across an ingest restart, storing redelivered ones once and catching up on what came while it was down', async () => {
    await system.restartIngest(); // clean restart: everything so far acked
    const before = system.snapshots.stats();
    expect(before.snapshots).toBe(5);

    // Ingest down: the broker keeps QoS 1 messages for its persistent session.
    const downAt = system.ingest;
    await downAt.close();
    const extra = makeJpeg(9);
    await publishSnapshot('cam-1', { ts: T0 + 150_000, trigger: 'command', commandId: 'c-1', width: 64, height: 48 }, extra);
    // A repeat of an already stored message (as after a crash between store and ack).
    await publishSnapshot('cam-1', { ts: T0 + 90_000, trigger: 'alarm', alarmId: 'al-42', device: 'gauge-1', reason: 'level above 3 m', width: 64, height: 48 }, images[2]!);
    await system.restartIngest();

    await waitFor(() => system.snapshots.stats().snapshots === 6, { what: 'the snapshot sent while ingest was down' });
    await waitFor(async () => (await getJson<{ snapshots: unknown[] }>(`${system.apiUrl}${CAMERA_BASE}/cam-1/snapshots`)).body.snapshots.length === 4, { what: 'four snapshots of cam-1 in the history' });
    await waitFor(async () => (await system.store.latest({ device: 'cam-1', measurement: 'camera_snapshot', fields: ['bytes'] }))[0]?.ts === T0 + 150_000, { what: 'the redelivered snapshot acknowledged after its metadata point' });
    const { body } = await getJson<{ snapshots: Array<{ ts: number; sha256: string }> }>(`${system.apiUrl}${CAMERA_BASE}/cam-1/snapshots`);
    expect(body.snapshots.map((s) => [s.ts, s.sha256])).toEqual([
      [T0 + 150_000, sha(extra)], [T0 + 90_000, sha(images[2]!)], [T0 + 60_000, sha(images[1]!)], [T0, sha(images[0]!)],
    ]);
    expect(system.snapshots.stats()).toEqual({ snapshots: 6, images: before.images + 1, bytes: before.bytes + extra.length });
    const latest = await api(`${CAMERA_BASE}/cam-1/snapshots/latest`);
    expect(sha(Buffer.from(await latest.arrayBuffer()))).toBe(sha(extra));
  });

  it('shows an offline gateway\'s cameras as unknown with their last known state', async () => {
    gateway.stream.destroy(); // a lost uplink, not a clean disconnect: the broker publishes the last will
    await waitFor(async () => (await getJson<{ gateways: Array<{ gateway: string; state: string }> }>(`${system.apiUrl}/v1/gateways?site=${SITE}`)).body.gateways[0]?.state === 'offline', { what: 'the gateway offline' });
    const { body } = await getJson<{ cameras: Array<Record<string, unknown>> }>(`${system.apiUrl}/v1/cameras`);
    expect(body.cameras.map((c) => [c.camera, c.state, c.lastKnownState, c.gatewayState])).toEqual([
      ['cam-1', 'unknown', 'online', 'offline'], ['cam-2', 'unknown', 'auth-failed', 'offline'],
    ]);
    expect(body.cameras[0]).toEqual(expect.objectContaining({ model: 'DS-2DE4425IW', lastSnapshot: expect.objectContaining({ ts: T0 + 150_000 }) }));
    const ptz = await api(`${CAMERA_BASE}/cam-1/ptz`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ action: 'stop' }) });
    expect(ptz.status).toBe(503);
  });
});
