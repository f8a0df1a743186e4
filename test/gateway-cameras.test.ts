// The gateway's camera service, for real: a Shaobing broker (reached through a TCP proxy that
// can cut the uplink), two ONVIF camera simulators (one at a fixed address, one found by
// WS-Discovery on loopback broadcast) and a gateway with short intervals. Scheduled snapshots
// arrive on MQTT with the simulator's bytes; the status carries camera metadata; faults on the
// simulators become camera-<state> events and statuses within one health interval; motion
// becomes an event; capture and PTZ commands work; snapshots taken while the uplink is down
// arrive after it returns; and the camera password never reaches the logs.
import { Writable } from 'node:stream';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifCamera } from '../gateway/cameras/onvif-client.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { waitFor } from '../lib/wait.js';
import {
  commandResultDataSchema, decodeSnapshot, eventSchema, statusSchema, topics,
  type DecodedSnapshot, type GatewayEvent, type GatewayRef, type Status,
} from '../protocol/index.js';
import { startCameraSimulator, type CameraSimulator } from '../simulators/camera/index.js';
import { startLagMonitor, type LagMonitor } from './harness/loop-lag.js';
import { recordMessages, startTestBroker, type Recorder, type TestBroker } from './harness/mqtt-broker.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';
import { freeUdpPort } from './harness/udp.js';

const REF: GatewayRef = { site: 'tongjiang', gateway: 'gw-cam' };
const HEALTH_MS = 300;
const SNAPSHOT_MS = 400;
const PASSWORD_A = 'gate-A-pw-7731';
const PASSWORD_B = 'port-B-pw-4402';

let broker: TestBroker;
let proxy: TcpProxy;
let watcher: Recorder;
let backend: MqttClient;
let gateway: Gateway;
let simA: CameraSimulator;
let simB: CameraSimulator;
let lag: LagMonitor;
/** The frozen time of camera A: every image it renders is the same, so it can be compared byte for byte. */
const FROZEN = Date.now();
let expectedImageA: Buffer;
const logLines: string[] = [];

const messagesOn = (prefix: string) => watcher.messages.filter((m) => m.topic.startsWith(prefix));
const statuses = (): Status[] => messagesOn(topics.status(REF)).filter((m) => m.payload.length > 0).map((m) => statusSchema.parse(JSON.parse(m.payload.toString())));
const events = (camera?: string): Array<{ device: string; event: GatewayEvent }> => messagesOn(`sb/v1/gw/${REF.site}/${REF.gateway}/event/`)
  .map((m) => ({ device: m.topic.split('/').at(-1)!, event: eventSchema.parse(JSON.parse(m.payload.toString())) }))
  .filter((e) => camera === undefined || e.device === camera);
const snapshots = (camera: string): DecodedSnapshot[] => messagesOn(topics.snapshot(REF, camera)).map((m) => {
  const decoded = decodeSnapshot(m.payload);
  if (!decoded.ok) throw new Error(`undecodable snapshot: ${decoded.reason}`);
  return decoded.value;
});
const commandResult = (id: string) => events().find((e) => e.event.type === 'command-result' && (e.event.data as { id?: unknown }).id === id);
const stateEvent = (camera: string, type: string, after: number) => events(camera).find((e) => e.event.type === type && e.event.ts >= after);

async function command(body: Record<string, unknown>): Promise<void> {
  await backend.publishAsync(topics.command(REF), JSON.stringify({ v: 1, ts: Date.now(), ...body }), { qos: 1 });
}

beforeAll(async () => {
  lag = startLagMonitor();
  const discoveryPort = await freeUdpPort();
  broker = await startTestBroker([REF]);
  proxy = await startTcpProxy({ target: { port: broker.port } });
  simA = await startCameraSimulator({ name: 'Songhua Bridge', username: 'onvif-gw', password: PASSWORD_A, clock: () => FROZEN });
  simB = await startCameraSimulator({ name: 'Port Gate', username: 'onvif-gw', password: PASSWORD_B, discovery: { mode: 'loopback', port: discoveryPort } });
  // What camera A serves, fetched by an independent client: every image of it is this one.
  const reference = new OnvifCamera({ xaddr: simA.xaddr, username: 'onvif-gw', password: PASSWORD_A, timeoutMs: 2000 });
  await reference.connect();
  expectedImageA = await reference.fetchSnapshot(1 << 20);

  watcher = await recordMessages(broker.url, broker.ingest, 'test-watch', [topics.status(REF), `sb/v1/gw/${REF.site}/${REF.gateway}/event/+`, `sb/v1/gw/${REF.site}/${REF.gateway}/snapshot/+`]);
  backend = await connectAsync(broker.url, { ...broker.api, clientId: 'test-backend', protocolVersion: 4, reconnectPeriod: 0 });
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(chunk.toString()); done(); } }));
  gateway = await startGateway({
    site: REF.site, gateway: REF.gateway,
    mqtt: { url: `mqtt://127.0.0.1:${proxy.port}`, ...broker.gateway(REF.site, REF.gateway), reconnectPeriodMs: 200 },
    statusIntervalMs: 60_000,
    cameras: [
      {
        id: 'cam-bridge', xaddr: simA.xaddr, username: 'onvif-gw', password: PASSWORD_A, linkedDevices: ['level-1'],
        snapshotIntervalMs: SNAPSHOT_MS, healthIntervalMs: HEALTH_MS, timeoutMs: 1000, snapshotFailuresBeforeAlert: 2, snapshotOnMotion: true,
      },
      {
        id: 'cam-port', discover: { name: 'Port Gate' }, username: 'onvif-gw', password: PASSWORD_B, profile: 'Profile_2', linkedDevices: ['gas-1'],
        snapshotIntervalMs: 0, healthIntervalMs: HEALTH_MS, timeoutMs: 1000, events: false,
      },
      // Announced by nobody: stays unreachable, and says so.
      { id: 'cam-ghost', discover: { name: 'Nowhere' }, username: 'u', password: 'p', snapshotIntervalMs: 0, healthIntervalMs: HEALTH_MS, events: false },
    ],
    cameraDiscovery: { targets: [`127.255.255.255:${discoveryPort}`], timeoutMs: 600, intervalMs: 2000 },
  }, { logger });
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
  await backend?.endAsync(true);
  await watcher?.close();
  await Promise.all([simA?.close(), simB?.close()]);
  await proxy?.close();
  await broker?.close();
  lag?.stop();
});

describe('gateway cameras', () => {
  it('publishes scheduled snapshots that decode to the simulator\'s image', async () => {
    const arrived = await waitFor(() => snapshots('cam-bridge').length >= 2 && snapshots('cam-bridge'), { what: 'two scheduled snapshots of cam-bridge' });
    for (const { header, image } of arrived) {
      expect(image.equals(expectedImageA)).toBe(true);
      expect(header).toMatchObject({ trigger: 'schedule', width: 640, height: 360, bytes: expectedImageA.length, contentType: 'image/jpeg' });
    }
    expect(arrived[1]!.header.ts).toBeGreaterThan(arrived[0]!.header.ts);
    expect(snapshots('cam-port')).toEqual([]); // its schedule is off
  });

  it('reports both cameras online with their metadata, the discovered one at its discovered address', async () => {
    const status = await waitFor(() => statuses().find((s) => s.cameras?.['cam-bridge']?.state === 'online' && s.cameras['cam-port']?.state === 'online'), { what: 'a status with both cameras online' });
    expect(status.cameras!['cam-bridge']).toMatchObject({
      xaddr: simA.xaddr, manufacturer: simA.identity.manufacturer, model: simA.identity.model, firmware: simA.identity.firmware,
      serial: simA.identity.serial, hardwareId: simA.identity.hardwareId, ptz: true, linkedDevices: ['level-1'],
      profiles: [{ token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 1920, height: 1080 }, expect.objectContaining({ token: 'Profile_2', width: 640 })],
      streamUri: expect.stringMatching(/^rtsp:\/\/.*\/Streaming\/Channels\/101$/),
    });
    expect(status.cameras!['cam-port']).toMatchObject({ xaddr: simB.xaddr, serial: simB.identity.serial, streamUri: expect.stringMatching(/Channels\/102$/) });
    expect(events('cam-bridge').find((e) => e.event.type === 'camera-online')?.event.data).toEqual({ previous: 'starting' });
    const ghost = await waitFor(() => statuses().find((s) => s.cameras?.['cam-ghost']?.state === 'unreachable')?.cameras!['cam-ghost'], { what: 'cam-ghost unreachable' });
    expect(ghost).toMatchObject({ lastError: 'not found by WS-Discovery (name=Nowhere)', linkedDevices: [], snapshotsOk: 0 });
    expect(ghost.xaddr).toBeUndefined();
    expect(gateway.stats.cameras['cam-bridge']!.snapshotsOk ?? 0).toBeGreaterThanOrEqual(2);
  });

  it('turns motion on the camera into motion events and a snapshot', async () => {
    await waitFor(() => simA.subscriptions >= 1, { what: 'the gateway\'s PullPoint subscription' });
    simA.raiseEvent('motion', true);
    const started = await waitFor(() => events('cam-bridge').find((e) => e.event.type === 'motion'), { what: 'a motion event' });
    expect(started.event.data).toEqual({ active: true, topic: 'tns1:VideoSource/MotionAlarm', source: 'Source=VideoSource_1' });
    const motionImage = await waitFor(() => snapshots('cam-bridge').find((s) => s.header.trigger === 'motion'), { what: 'the snapshot on motion' });
    expect(motionImage.header.reason).toBe('tns1:VideoSource/MotionAlarm');
    simA.raiseEvent('motion', false);
    await waitFor(() => events('cam-bridge').find((e) => e.event.type === 'motion' && (e.event.data as { active: boolean }).active === false), { what: 'motion ended' });
  });

  it('captures the camera linked to an alarm\'s device, with the alarm id', async () => {
    await command({ id: 'cap-1', type: 'capture', device: 'level-1', alarmId: 'alarm-77', reason: 'water level high' });
    const result = await waitFor(() => commandResult('cap-1'), { what: 'the capture result' });
    expect(result.device).toBe(REF.gateway);
    expect(commandResultDataSchema.parse(result.event.data)).toMatchObject({ id: 'cap-1', command: 'capture', ok: true });
    expect(result.event.data).toMatchObject({ selection: 'linked', alarmId: 'alarm-77', captures: [{ camera: 'cam-bridge', ok: true, width: 640, height: 360 }] });
    const image = await waitFor(() => snapshots('cam-bridge').find((s) => s.header.alarmId === 'alarm-77'), { what: 'the alarm snapshot' });
    expect(image.header).toMatchObject({ trigger: 'alarm', commandId: 'cap-1', device: 'level-1', reason: 'water level high' });
    expect(image.image.equals(expectedImageA)).toBe(true);
    expect(snapshots('cam-port')).toEqual([]);

    await command({ id: 'cap-2', type: 'capture', cameras: ['cam-port', 'cam-nowhere'] });
    const refused = await waitFor(() => commandResult('cap-2'), { what: 'the refused capture' });
    expect(refused.event.data).toMatchObject({ ok: false, error: 'unknown camera "cam-nowhere" (this gateway has cam-bridge, cam-port, cam-ghost)' });

    await command({ id: 'cap-3', type: 'capture', cameras: ['cam-port'] });
    await waitFor(() => commandResult('cap-3'), { what: 'the operator capture' });
    expect(commandResult('cap-3')!.event.data).toMatchObject({ ok: true, selection: 'explicit' });
    const portImage = await waitFor(() => snapshots('cam-port')[0], { what: 'the cam-port snapshot' });
    expect(portImage.header).toMatchObject({ trigger: 'command', commandId: 'cap-3' });
  });

  it('runs a PTZ move on the camera and answers ok', async () => {
    const before = simA.ptzState.moves;
    await command({ id: 'ptz-1', type: 'ptz', camera: 'cam-bridge', action: 'move', pan: 0.5, tilt: -0.25, timeoutMs: 800 });
    const result = await waitFor(() => commandResult('ptz-1'), { what: 'the PTZ result' });
    expect(result.device).toBe('cam-bridge');
    expect(result.event.data).toMatchObject({ id: 'ptz-1', command: 'ptz', ok: true, camera: 'cam-bridge', action: 'move' });
    expect(simA.ptzState).toMatchObject({ moves: before + 1, velocity: { pan: 0.5, tilt: -0.25 } });

    await command({ id: 'ptz-2', type: 'ptz', camera: 'cam-bridge', action: 'preset', preset: '3' });
    await waitFor(() => commandResult('ptz-2'), { what: 'the preset result' });
    expect(commandResult('ptz-2')!.event.data).toMatchObject({ ok: true });
    expect(simA.ptzState.lastPreset).toBe('3');
  });

  it('keeps snapshots taken while the uplink is down and sends them when it is back', async () => {
    // The preset moved camera A: its (still frozen) picture is another one now.
    const reference = new OnvifCamera({ xaddr: simA.xaddr, username: 'onvif-gw', password: PASSWORD_A, timeoutMs: 2000 });
    await reference.connect();
    const expectedNow = await reference.fetchSnapshot(1 << 20);
    expect(expectedNow.equals(expectedImageA)).toBe(false);
    proxy.cut('reset');
    const cutAt = Date.now();
    const okBefore = gateway.stats.cameras['cam-bridge']!.snapshotsOk ?? 0;
    await waitFor(() => !gateway.stats.mqttConnected, { what: 'the gateway to notice the cut' });
    await waitFor(() => (gateway.stats.cameras['cam-bridge']!.snapshotsOk ?? 0) >= okBefore + 2, { what: 'two snapshots taken during the outage' });
    expect(gateway.stats.outbox.depth).toBeGreaterThanOrEqual(2);
    const restoredAt = Date.now();
    proxy.restore();
    const during = await waitFor(() => {
      const taken = snapshots('cam-bridge').filter((s) => s.header.ts > cutAt && s.header.ts < restoredAt);
      return taken.length >= 2 && taken;
    }, { what: 'the outage snapshots after the reconnect' });
    for (const s of during) expect(s.image.equals(expectedNow)).toBe(true);
  });

  it('reports a changed password as auth-failed, and online again once fixed', async () => {
    await simA.setFault({ kind: 'wrong-password' });
    const since = Date.now();
    const failed = await waitFor(() => stateEvent('cam-bridge', 'camera-auth-failed', since), { what: 'camera-auth-failed' });
    expect(failed.event.data).toMatchObject({ previous: 'online', error: expect.stringMatching(/not Authorized/i) });
    const status = await waitFor(() => statuses().find((s) => s.cameras?.['cam-bridge']?.state === 'auth-failed'), { what: 'a status saying auth-failed' });
    expect(status.cameras!['cam-bridge']!.lastError).toMatch(/not Authorized/i);
    await simA.setFault({ kind: 'none' });
    await waitFor(() => stateEvent('cam-bridge', 'camera-online', since), { what: 'camera-online after the fix' });
  });

  it('reports an offline camera within one health interval, and its return', async () => {
    await simA.setFault({ kind: 'offline' });
    const offAt = Date.now();
    const gone = await waitFor(() => stateEvent('cam-bridge', 'camera-unreachable', offAt), { what: 'camera-unreachable' });
    // One interval to the next check, plus that check's own time and timer lateness on a busy machine.
    expect(gone.event.ts - offAt).toBeLessThan(HEALTH_MS + 500 + lag.maxMs());
    expect(gone.event.data).toMatchObject({ previous: 'online', error: expect.stringMatching(/ECONNREFUSED/) });
    await waitFor(() => statuses().find((s) => s.ts! >= offAt && s.cameras?.['cam-bridge']?.state === 'unreachable'), { what: 'a status saying unreachable' });
    await simA.setFault({ kind: 'none' });
    const backAt = Date.now();
    await waitFor(() => stateEvent('cam-bridge', 'camera-online', backAt), { what: 'camera-online after the outage' });
    // Events still come through a new subscription.
    await waitFor(() => simA.subscriptions >= 1, { what: 'a new PullPoint subscription' });
  });

  it('reports snapshot-failing when images break while ONVIF answers, and recovers', async () => {
    await simA.setFault({ kind: 'broken-snapshot' });
    const since = Date.now();
    const failing = await waitFor(() => stateEvent('cam-bridge', 'camera-snapshot-failing', since), { timeoutMs: 15_000, what: 'camera-snapshot-failing' });
    expect(failing.event.data).toMatchObject({ previous: 'online', error: expect.stringMatching(/not a complete JPEG/) });
    expect(gateway.stats.cameras['cam-bridge']!.state).toBe('snapshot-failing');
    await simA.setFault({ kind: 'none' });
    await waitFor(() => stateEvent('cam-bridge', 'camera-online', since), { what: 'camera-online after a good snapshot' });
  });

  it('never logs a camera password', () => {
    expect(logLines.length).toBeGreaterThan(10);
    const leaked = logLines.filter((line) => line.includes(PASSWORD_A) || line.includes(PASSWORD_B));
    expect(leaked).toEqual([]);
  });
});
