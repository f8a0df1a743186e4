// The ONVIF camera simulator against independent clients over real sockets: node-onvif 0.1.7
// (init, snapshot with Digest, PTZ, discovery), and the gateway's own SOAP and PullPoint client
// (gateway/cameras/soap.ts, pullpoint.ts). Faults are checked by what a client sees.
import { decode } from 'jpeg-js';
import onvif from 'node-onvif';
import { afterEach, describe, expect, it } from 'vitest';
import { PullPointSubscription, type PullPointOptions } from '../gateway/cameras/pullpoint.js';
import { deviceClockOffsetMs, soapCall, SoapFaultError, type SoapCredentials } from '../gateway/cameras/soap.js';
import { waitFor } from '../lib/wait.js';
import { runCli } from './harness/processes.js';
import {
  probeCameras,
  probeLoopbackWithNodeOnvif,
  startCameraSimulator,
  LOOPBACK_BROADCAST_ADDRESS,
  type CameraSimulator,
  type CameraSimulatorOptions,
} from '../simulators/camera/index.js';

const USER = 'operator';
const PASS = 'Tongjiang-2026';
/** Our clock taken as the camera's: right for a simulator that runs on Date.now(). */
const credentials: SoapCredentials = { username: USER, password: PASS, clockOffsetMs: 0 };
const TIMEOUT_MS = 5000;

const started: CameraSimulator[] = [];

async function camera(options: CameraSimulatorOptions = {}): Promise<CameraSimulator> {
  const sim = await startCameraSimulator({ username: USER, password: PASS, name: 'Songhua Bridge 1', ...options });
  started.push(sim);
  return sim;
}

function device(sim: CameraSimulator, pass = PASS, user = USER) {
  return new onvif.OnvifDevice({ xaddr: sim.xaddr, user, pass });
}

async function initialized(sim: CameraSimulator) {
  const dev = device(sim);
  await dev.init();
  return dev;
}

const isJpeg = (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b.at(-2) === 0xff && b.at(-1) === 0xd9;

/** One authenticated SOAP request by the gateway's client; resolves to the answer's Body. */
function call(url: string, body: string, withCredentials: SoapCredentials = credentials) {
  return soapCall({ url, operation: 'test request', body, credentials: withCredentials, timeoutMs: TIMEOUT_MS });
}

/** A PullPoint subscription by the gateway's client (long polls of 20 s unless told otherwise). */
function subscribe(sim: CameraSimulator, options: Partial<PullPointOptions> = {}): Promise<PullPointSubscription> {
  return PullPointSubscription.create({ eventsXaddr: sim.urls.events, credentials: () => credentials, timeoutMs: TIMEOUT_MS, pullWaitS: 20, ...options });
}

/** Raw POST, for malformed requests no client library would send. */
async function rawPost(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' }, body });
  return { status: res.status, text: await res.text() };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

describe('camera simulator with node-onvif', () => {
  it('init() with the right credentials reads device information, both profiles, stream and snapshot URIs', async () => {
    const sim = await camera();
    const dev = device(sim);
    const info = await dev.init();
    expect(info).toMatchObject({ Manufacturer: sim.identity.manufacturer, Model: sim.identity.model, FirmwareVersion: sim.identity.firmware, SerialNumber: sim.identity.serial, HardwareId: sim.identity.hardwareId });
    const profiles = dev.getProfileList();
    expect(profiles.map((p) => [p.token, p.name, p.video.encoder?.encoding, p.video.encoder?.resolution])).toEqual([
      ['Profile_1', 'mainStream', 'H264', { width: 1920, height: 1080 }],
      ['Profile_2', 'subStream', 'H264', { width: 640, height: 360 }],
    ]);
    expect(profiles[0]!.stream.rtsp).toBe('rtsp://127.0.0.1:554/Streaming/Channels/101');
    expect(profiles[1]!.stream.rtsp).toBe('rtsp://127.0.0.1:554/Streaming/Channels/102');
    expect(profiles[0]!.snapshot).toBe(sim.snapshotUrl);
    expect(profiles[0]!.ptz.range).toEqual({ x: { min: -1, max: 1 }, y: { min: -1, max: 1 }, z: { min: 0, max: 1 } });
    expect(dev.services.ptz).not.toBeNull();
    expect(dev.services.events).not.toBeNull();
    expect(dev.getCurrentProfile()?.token).toBe('Profile_1');
    expect(dev.changeProfile('Profile_2')?.name).toBe('subStream');
    // GetSystemDateAndTime unauthenticated, then the authenticated calls init() makes.
    expect(sim.requests.byOperation).toMatchObject({ GetSystemDateAndTime: 1, GetCapabilities: 1, GetDeviceInformation: 1, GetProfiles: 1, GetStreamUri: 6, GetSnapshotUri: 2 });
    expect(sim.requests.authFailures).toBe(0);
  });

  it('fetchSnapshot() gets a 640×360 JPEG through Digest auth after its Basic attempt is refused', async () => {
    const sim = await camera();
    const dev = await initialized(sim);
    const snapshot = await dev.fetchSnapshot();
    expect(snapshot.headers['content-type']).toBe('image/jpeg');
    expect(Number(snapshot.headers['content-length'])).toBe(snapshot.body.length);
    expect(isJpeg(snapshot.body)).toBe(true);
    const image = decode(snapshot.body, { useTArray: true });
    expect([image.width, image.height]).toEqual([640, 360]);
    expect(sim.requests.snapshots).toBe(1);
    expect(sim.requests.snapshotChallenges).toBe(1); // the Basic attempt, answered with the Digest challenge
  });

  it('ptzMove() and ptzStop() move and stop the simulated dome', async () => {
    const sim = await camera();
    const dev = await initialized(sim);
    await dev.ptzMove({ speed: { x: 0.5, y: -0.25, z: 0 }, timeout: 30 });
    expect(sim.ptzState).toMatchObject({ moving: true, velocity: { pan: 0.5, tilt: -0.25, zoom: 0 }, moves: 1 });
    const before = sim.ptzState.pan;
    await waitFor(() => sim.ptzState.pan > before, { what: 'the pan to advance' });
    await dev.ptzStop();
    const stopped = sim.ptzState;
    expect(stopped).toMatchObject({ moving: false, velocity: { pan: 0, tilt: 0, zoom: 0 }, stops: 1 });
    expect(stopped.pan).toBeGreaterThan(0);
    expect(stopped.tilt).toBeLessThan(0);
  });

  it('a wrong password makes init() fail with "Sender not Authorized"', async () => {
    const sim = await camera();
    await expect(device(sim, 'wrong-password').init()).rejects.toThrow('Failed to initialize the device: Error: 400 Bad Request - Sender not Authorized');
    await expect(device(sim, PASS, 'nobody').init()).rejects.toThrow(/Sender not Authorized/);
    // No credentials at all: node-onvif sends no token, the device still refuses.
    await expect(new onvif.OnvifDevice({ xaddr: sim.xaddr }).init()).rejects.toThrow(/Sender not Authorized/);
    expect(sim.requests.authFailures).toBe(3);
    expect(sim.requests.byOperation.GetSystemDateAndTime).toBe(3); // answered without credentials each time
  });

  it('accepts a client whose clock is far off once it corrects for GetSystemDateAndTime (node-onvif does), refuses one that does not', async () => {
    const offset = 2 * 3600_000;
    const sim = await camera({ clock: () => Date.now() + offset });
    await expect(device(sim).init()).resolves.toBeTruthy();
    const measured = await deviceClockOffsetMs(sim.xaddr, { timeoutMs: TIMEOUT_MS });
    expect(Math.abs(measured - offset)).toBeLessThan(2000);
    await expect(call(sim.xaddr, '<tds:GetDeviceInformation/>')).rejects.toMatchObject({ kind: 'auth', subcodes: ['ter:NotAuthorized'], httpStatus: 400 });
    await expect(call(sim.xaddr, '<tds:GetDeviceInformation/>', { ...credentials, clockOffsetMs: measured })).resolves.toBeTruthy();
  });
});

describe('camera simulator SOAP robustness', () => {
  it('answers malformed XML and a non-SOAP document with a Sender fault and keeps serving', async () => {
    const sim = await camera();
    const broken = await rawPost(sim.xaddr, '<s:Envelope><s:Body><tds:GetDeviceInformation></s:Body>');
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('<env:Value>env:Sender</env:Value>');
    expect(broken.text).toContain('ter:WellFormed');
    const notSoap = await rawPost(sim.xaddr, '<hello/>');
    expect(notSoap.status).toBe(400);
    const empty = await rawPost(sim.xaddr, '');
    expect(empty.status).toBe(400);
    await expect(device(sim).init()).resolves.toBeTruthy();
  });

  it('answers an unknown operation with ActionNotSupported, and an unknown path with 404', async () => {
    const sim = await camera();
    const err = await call(sim.xaddr, '<tds:SystemReboot/>').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SoapFaultError);
    expect(err).toMatchObject({ kind: 'protocol', httpStatus: 500, code: 'env:Receiver', subcodes: ['ter:ActionNotSupported'] });
    // Media operations belong to the media service, not the device service.
    await expect(call(sim.xaddr, '<trt:GetProfiles/>')).rejects.toMatchObject({ subcodes: ['ter:ActionNotSupported'] });
    expect((await fetch(`http://127.0.0.1:${sim.port}/cgi-bin/nothing`)).status).toBe(404);
  });

  it('serves presets, GotoPreset and GetStatus on the PTZ service', async () => {
    const sim = await camera();
    const presets = await call(sim.urls.ptz, '<tptz:GetPresets><tptz:ProfileToken>Profile_1</tptz:ProfileToken></tptz:GetPresets>');
    expect(JSON.stringify(presets)).toContain('River ice');
    await call(sim.urls.ptz, '<tptz:GotoPreset><tptz:ProfileToken>Profile_1</tptz:ProfileToken><tptz:PresetToken>2</tptz:PresetToken></tptz:GotoPreset>');
    expect(sim.ptzState).toMatchObject({ pan: -0.5, tilt: -0.3, zoom: 0.4, lastPreset: '2', moving: false });
    const status = JSON.stringify(await call(sim.urls.ptz, '<tptz:GetStatus><tptz:ProfileToken>Profile_1</tptz:ProfileToken></tptz:GetStatus>'));
    expect(status).toContain('"@x":"-0.5"');
    expect(status).toContain('IDLE');
    await expect(
      call(sim.urls.ptz, '<tptz:GotoPreset><tptz:ProfileToken>Profile_1</tptz:ProfileToken><tptz:PresetToken>99</tptz:PresetToken></tptz:GotoPreset>'),
    ).rejects.toMatchObject({ httpStatus: 400, subcodes: ['ter:InvalidArgVal', 'ter:NoToken'] });
    await expect(call(sim.urls.media, '<trt:GetStreamUri><trt:ProfileToken>nope</trt:ProfileToken></trt:GetStreamUri>')).rejects.toMatchObject({
      subcodes: ['ter:InvalidArgVal', 'ter:NoProfile'],
    });
  });
});

describe('camera simulator faults', () => {
  it('offline refuses connections, and the camera comes back on the same port', async () => {
    const sim = await camera();
    await sim.setFault({ kind: 'offline' });
    await expect(device(sim).init()).rejects.toThrow(/Network Error: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
    await sim.setFault({ kind: 'none' });
    await expect(device(sim).init()).resolves.toMatchObject({ SerialNumber: sim.identity.serial });
  });

  it('offline cuts connections a client already holds (a long poll ends with an error)', async () => {
    const sim = await camera();
    const sub = await subscribe(sim);
    await sub.pull(); // the Initialized states, at once
    const pending = sub.pull();
    await waitFor(() => sim.requests.byOperation.PullMessages === 2, { what: 'the second pull to reach the camera' });
    await sim.setFault({ kind: 'offline' });
    await expect(pending).rejects.toThrow();
  });

  it('wrong-password refuses the configured credentials on SOAP and on the snapshot', async () => {
    const sim = await camera();
    const dev = await initialized(sim);
    await sim.setFault({ kind: 'wrong-password' });
    await expect(device(sim).init()).rejects.toThrow(/Sender not Authorized/);
    await expect(dev.fetchSnapshot()).rejects.toThrow('401 Unauthorized');
    await sim.setFault({ kind: 'none' });
    expect(isJpeg((await dev.fetchSnapshot()).body)).toBe(true);
  });

  it('slow delays every answer by the given time', async () => {
    const sim = await camera();
    await sim.setFault({ kind: 'slow', delayMs: 200 });
    const t0 = performance.now();
    await deviceClockOffsetMs(sim.xaddr, { timeoutMs: TIMEOUT_MS });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    const t1 = performance.now();
    await expect(device(sim).init()).resolves.toBeTruthy(); // 12 calls, each under node-onvif's 3 s timeout
    expect(performance.now() - t1).toBeGreaterThanOrEqual(12 * 190);
  });

  it('broken-snapshot sends a 200 image/jpeg cut off half-way; snapshot-error answers 500', async () => {
    const sim = await camera();
    const dev = await initialized(sim);
    const whole = (await dev.fetchSnapshot()).body;
    await sim.setFault({ kind: 'broken-snapshot' });
    const broken = await dev.fetchSnapshot();
    expect(broken.headers['content-type']).toBe('image/jpeg');
    expect(broken.body.length).toBeLessThan(whole.length);
    expect(broken.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(isJpeg(broken.body)).toBe(false); // no EOI: a client must check, not trust the status
    await sim.setFault({ kind: 'snapshot-error' });
    await expect(dev.fetchSnapshot()).rejects.toThrow('500 Internal Server Error');
    // ONVIF itself keeps answering.
    await expect(device(sim).init()).resolves.toBeTruthy();
  });
});

describe('camera simulator events (PullPoint)', () => {
  it('delivers the initial states, then a motion event raised while a pull is waiting', async () => {
    const sim = await camera();
    const sub = await subscribe(sim, { messageLimit: 10 });
    expect(sub.address).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${sim.port}/onvif/events_service/pullpoint/[0-9a-f]+$`));
    expect(sim.subscriptions).toBe(1);
    const initial = await sub.pull(); // pending messages: answered at once
    expect(initial.map((m) => [m.topic, m.initialized, m.active])).toEqual([
      ['tns1:VideoSource/MotionAlarm', true, false],
      ['tns1:VideoSource/GlobalSceneChange/ImagingService', true, false],
    ]);
    const t0 = performance.now();
    const pending = sub.pull();
    await waitFor(() => sim.requests.byOperation.PullMessages === 2, { what: 'the long poll to reach the camera' });
    sim.raiseEvent('motion', true);
    const messages = await pending;
    expect(performance.now() - t0).toBeLessThan(10_000); // answered on the event, not at the timeout
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'motion', topic: 'tns1:VideoSource/MotionAlarm', initialized: false, source: 'Source=VideoSource_1', active: true });
    expect(Date.parse(messages[0]!.utcTime!)).not.toBeNaN();
  });

  it('honours MessageLimit and Timeout', async () => {
    const sim = await camera();
    const sub = await subscribe(sim, { topicFilter: 'tns1:VideoSource/MotionAlarm', messageLimit: 2, pullWaitS: 0.3 });
    sim.raiseEvent('motion', true);
    sim.raiseEvent('motion', false);
    const first = await sub.pull();
    expect(first.map((m) => [m.initialized, m.active])).toEqual([[true, false], [false, true]]);
    const second = await sub.pull();
    expect(second.map((m) => m.active)).toEqual([false]);
    const t0 = performance.now();
    const empty = await sub.pull();
    expect(empty).toEqual([]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('filters by topic: a tamper subscription does not see motion', async () => {
    const sim = await camera();
    const sub = await subscribe(sim, { topicFilter: 'tns1:VideoSource/GlobalSceneChange/ImagingService', pullWaitS: 1 });
    sim.raiseEvent('motion', true);
    sim.raiseEvent('tamper', true);
    const messages = await sub.pull();
    expect(messages.map((m) => [m.topic, m.initialized, m.active])).toEqual([
      ['tns1:VideoSource/GlobalSceneChange/ImagingService', true, false],
      ['tns1:VideoSource/GlobalSceneChange/ImagingService', false, true],
    ]);
  });

  it('renews, expires on the camera clock, unsubscribes, and refuses wrong credentials', async () => {
    let now = Date.now();
    const sim = await camera({ clock: () => now });
    await expect(subscribe(sim, { credentials: () => ({ ...credentials, password: 'guess' }) })).rejects.toMatchObject({ kind: 'auth', subcodes: ['ter:NotAuthorized'] });
    const sub = await subscribe(sim, { terminationS: 10, pullWaitS: 0 });
    expect(Date.parse(sub.granted.terminationTime!) - Date.parse(sub.granted.currentTime!)).toBe(10_000);
    now += 5_000;
    await sub.renew();
    expect(Date.parse(sub.granted.terminationTime!)).toBe(Math.floor(now / 1000) * 1000 + 10_000);
    now += 8_000; // past the first termination, not the renewed one
    await expect(sub.pull()).resolves.toBeDefined();
    now += 3_000; // past the renewed termination on the camera's clock
    await expect(sub.pull()).rejects.toMatchObject({ httpStatus: 400, subcodes: ['wsrf-rw:ResourceUnknownFault'] });
    const second = await subscribe(sim, { pullWaitS: 0 });
    expect(sim.subscriptions).toBe(1);
    await second.unsubscribe();
    expect(sim.subscriptions).toBe(0);
    await expect(second.pull()).rejects.toMatchObject({ subcodes: ['wsrf-rw:ResourceUnknownFault'] });
  });

  it('answers GetEventProperties with the motion and tamper topics (node-onvif events service)', async () => {
    const sim = await camera();
    const dev = await initialized(sim);
    const result = await dev.services.events!.getEventProperties();
    expect(result.soap).toContain('<MotionAlarm wstop:topic="true">');
    expect(result.soap).toContain('<GlobalSceneChange><ImagingService wstop:topic="true">');
  });
});

describe('camera simulator discovery on loopback', () => {
  it('one node-onvif probe finds three cameras, each with its own xaddr; an offline one stays silent', async () => {
    const first = await camera({ name: 'Songhua Bridge', discovery: { mode: 'loopback', port: 0 } });
    const port = first.discovery!.port;
    expect(first.discovery!.address).toBe(LOOPBACK_BROADCAST_ADDRESS);
    const others = [await camera({ name: 'River Ice', discovery: { mode: 'loopback', port } }), await camera({ name: 'Port Gate', discovery: { mode: 'loopback', port } })];
    const sims = [first, ...others];
    const found = await probeLoopbackWithNodeOnvif(onvif, port, 1000);
    const byUrn = new Map(found.map((d) => [d.urn, d]));
    expect(byUrn.size).toBe(3);
    for (const sim of sims) {
      const d = byUrn.get(sim.endpoint);
      expect(d, sim.name).toBeDefined();
      expect(d!.xaddrs).toEqual([sim.xaddr]);
      expect(decodeURIComponent(d!.name)).toBe(sim.name);
      expect(d!.hardware).toBe(sim.identity.model);
      expect(d!.types).toContain('dn:NetworkVideoTransmitter');
    }
    // node-onvif's defaults are left as they were (real deployments multicast).
    expect([onvif._MULTICAST_ADDRESS, onvif._PORT]).toEqual(['239.255.255.250', 3702]);

    await others[1]!.setFault({ kind: 'offline' });
    const matches = await probeCameras({ address: LOOPBACK_BROADCAST_ADDRESS, port, waitMs: 500 });
    expect(matches.map((m) => m.xaddrs[0]).sort()).toEqual([first.xaddr, others[0]!.xaddr].sort());
  });
});

describe('shaobing sim camera', () => {
  it('starts cameras that node-onvif can use and discovery finds, prints their addresses, and stops on SIGTERM', async () => {
    const cli = runCli(['sim', 'camera', '--port', '0', '--count', '2', '--discovery-port', '0', '--name', 'Port Gate'], { SB_CAMERA_PASSWORD: PASS, SB_CAMERA_USERNAME: USER, SB_LOG_LEVEL: 'warn' });
    try {
      const text = await waitFor(() => cli.output().includes('stop with Ctrl-C') && cli.output(), { what: 'the simulator to start', timeoutMs: 20_000 }).catch((err: Error) => {
        throw new Error(`${err.message}; output: ${cli.output()}`);
      });
      const xaddrs = [...text.matchAll(/device service \(xaddr\): (\S+)/g)].map((m) => m[1]!);
      expect(xaddrs).toHaveLength(2);
      expect(text).toContain('Port Gate 1');
      expect(text).toContain('password from SB_CAMERA_PASSWORD');
      const dev = new onvif.OnvifDevice({ xaddr: xaddrs[1]!, user: USER, pass: PASS });
      await dev.init();
      expect(isJpeg((await dev.fetchSnapshot()).body)).toBe(true);
      const port = Number(/127\.255\.255\.255:(\d+)/.exec(text)?.[1]);
      const found = await probeCameras({ address: LOOPBACK_BROADCAST_ADDRESS, port, waitMs: 500 });
      expect(found.map((m) => m.xaddrs[0]).sort()).toEqual([...xaddrs].sort());
    } finally {
      expect(await cli.stop('SIGTERM')).toBe(0);
    }
    expect(cli.output()).toContain('SIGTERM: stopping');
  });
});
