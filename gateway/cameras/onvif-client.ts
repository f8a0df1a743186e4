// One ONVIF camera behind a small promise API with typed results and classified errors
// (auth / unreachable / protocol): connect (device information, media profiles, stream and
// snapshot URIs, PTZ and event services), an authenticated health check, snapshots bounded in
// time and size, and PTZ. node-onvif does the ONVIF device and media work (xaddr constructor
// form: the `address` form rewrites the URIs the camera returns). Its gaps are filled here:
//
// - no per-request deadline on its side (its SOAP layer has a 3 s socket idle timeout, and
//   fetchSnapshot none at all): every call is raced against our own `timeoutMs`;
// - fetchSnapshot reads any size into memory and shares one auth object between all cameras:
//   snapshots are fetched by http.ts + http-auth.ts instead, capped and per camera;
// - ContinuousMove takes whole seconds only, and there is no PullPoint: soap.ts.
import nodeOnvif from 'node-onvif';
import type { CameraProfile } from '../../protocol/index.js';
import { CameraError, redactUrl, toCameraError } from './errors.js';
import { basicAuthorization, digestAuthorization, parseAuthenticate } from './http-auth.js';
import { httpRequest } from './http.js';
import { soapCall, type SoapCredentials } from './soap.js';
import { escapeXml } from '../../lib/xml.js';

type NodeOnvifDevice = InstanceType<typeof nodeOnvif.OnvifDevice>;
type NodeOnvifProfile = ReturnType<NodeOnvifDevice['getProfileList']>[number];

/**
 * Fields node-onvif sets that types/node-onvif.d.ts leaves out: the clock offset init() learns,
 * and each service's address (from GetCapabilities), needed for our own SOAP calls.
 */
interface DeviceInternals {
  time_diff?: number;
  services: { events: { xaddr?: string } | null; ptz: { xaddr?: string } | null };
}

// --- Typed results ---

export interface CameraDeviceInfo {
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
}

export interface CameraConnection {
  info: CameraDeviceInfo;
  profiles: CameraProfile[];
  /** The profile in use (settings `profile`, default the first). */
  profileToken: string;
  streamUri?: string;
  snapshotUri?: string;
  ptz: boolean;
  /** The event service, when the camera has one (PullPoint). */
  eventsXaddr?: string;
  /** Camera clock minus ours (ms), for WS-UsernameToken `Created`. */
  clockOffsetMs: number;
}

export interface OnvifCameraOptions {
  xaddr: string;
  username: string;
  password: string;
  /** Per ONVIF request and per snapshot download. */
  timeoutMs: number;
  /** Media profile token or index; default the first. */
  profile?: string | number;
}

export interface PtzSpeed { pan?: number; tilt?: number; zoom?: number }

/** Settles with the promise, or rejects with an `unreachable` error after `ms` (the promise keeps running, its result is dropped). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, doing: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CameraError('unreachable', `${doing}: no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // a late rejection after the deadline must not go unhandled
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object' && typeof (value as { _?: unknown })._ === 'string') return str((value as { _: string })._);
  return undefined;
}

function toProfile(p: NodeOnvifProfile): CameraProfile {
  const encoder = p.video.encoder;
  const width = encoder?.resolution.width;
  const height = encoder?.resolution.height;
  const name = str(p.name);
  return {
    token: p.token,
    ...(name !== undefined ? { name: name.slice(0, 128) } : {}),
    ...(encoder?.encoding ? { encoding: String(encoder.encoding).slice(0, 32) } : {}),
    ...(Number.isInteger(width) && width! >= 0 ? { width } : {}),
    ...(Number.isInteger(height) && height! >= 0 ? { height } : {}),
  };
}

/** The profile `wanted` names (token or index), default the first. */
export function pickProfile<T extends { token: string }>(profiles: readonly T[], wanted: string | number | undefined): T {
  if (profiles.length === 0) throw new CameraError('protocol', 'the camera has no media profiles');
  const found = wanted === undefined ? profiles[0] : typeof wanted === 'number' ? profiles[wanted] : profiles.find((p) => p.token === wanted);
  if (!found) {
    throw new CameraError('protocol', `media profile ${typeof wanted === 'number' ? `#${wanted}` : `"${wanted}"`} not found; the camera has ${profiles.map((p) => p.token).join(', ')}`);
  }
  return found;
}

/** `PT1.5S` for 1500 ms: xs:duration with sub-second precision. */
export function isoDuration(ms: number): string {
  return `PT${Number((ms / 1000).toFixed(3))}S`;
}

export class OnvifCamera {
  private device: NodeOnvifDevice | undefined;
  private connection: CameraConnection | undefined;
  private ptzXaddr: string | undefined;

  constructor(readonly options: OnvifCameraOptions) {}

  /** The last successful connect, undefined before one or after `disconnect`. */
  get connected(): CameraConnection | undefined {
    return this.connection;
  }

  /** Forgets the connection: the next `connect` reads everything again (after an outage the camera may have rebooted or changed). */
  disconnect(): void {
    this.device = undefined;
    this.connection = undefined;
    this.ptzXaddr = undefined;
  }

  /** node-onvif's init (about 4 + 4 × profiles requests), then the profile choice. */
  async connect(): Promise<CameraConnection> {
    const { options } = this;
    const device = new nodeOnvif.OnvifDevice({ xaddr: options.xaddr, user: options.username, pass: options.password });
    try {
      // init is a chain of requests: allow a few request timeouts for the whole of it.
      // Typed non-null, but node-onvif resolves getInformation(), null when the answer had none.
      const info: Partial<Awaited<ReturnType<NodeOnvifDevice['init']>>> = (await withDeadline(device.init(), options.timeoutMs * 3, 'connect')) ?? {};
      const internals = device as unknown as DeviceInternals;
      const profiles = device.getProfileList();
      const profile = pickProfile(profiles, options.profile);
      const streamUri = str(profile.stream.rtsp);
      const snapshotUri = str(profile.snapshot);
      const connection: CameraConnection = {
        info: {
          ...optional('manufacturer', str(info.Manufacturer)),
          ...optional('model', str(info.Model)),
          ...optional('firmware', str(info.FirmwareVersion)),
          ...optional('serial', str(info.SerialNumber)),
          ...optional('hardwareId', str(info.HardwareId)),
        },
        profiles: profiles.slice(0, 32).map(toProfile),
        profileToken: profile.token,
        ...(streamUri !== undefined ? { streamUri } : {}),
        ...(snapshotUri !== undefined ? { snapshotUri } : {}),
        ptz: device.services.ptz !== null,
        ...(internals.services.events?.xaddr ? { eventsXaddr: internals.services.events.xaddr } : {}),
        clockOffsetMs: (device as unknown as DeviceInternals).time_diff ?? 0,
      };
      this.device = device;
      this.connection = connection;
      this.ptzXaddr = internals.services.ptz?.xaddr;
      return connection;
    } catch (err) {
      this.disconnect();
      throw toCameraError(err, `connect to ${redactUrl(options.xaddr)}`);
    }
  }

  /**
   * The periodic check: GetSystemDateAndTime (unauthenticated; keeps the clock offset fresh
   * for the WS-UsernameToken) then GetDeviceInformation, which needs a valid user.
   */
  async check(): Promise<void> {
    const device = this.device;
    if (!device || !this.connection) {
      await this.connect();
      return;
    }
    try {
      await withDeadline(device.services.device.getSystemDateAndTime().catch(() => undefined), this.options.timeoutMs, 'GetSystemDateAndTime');
      this.connection.clockOffsetMs = device.services.device.getTimeDiff();
      await withDeadline(device.services.device.getDeviceInformation(), this.options.timeoutMs, 'GetDeviceInformation');
    } catch (err) {
      throw toCameraError(err, 'health check');
    }
  }

  /** WS-UsernameToken credentials with the camera's clock offset, for soap.ts calls. */
  credentials(): SoapCredentials {
    return { username: this.options.username, password: this.options.password, clockOffsetMs: this.connection?.clockOffsetMs ?? 0 };
  }

  /**
   * GETs the snapshot URI: unauthenticated first, then answering the camera's challenge
   * (Digest preferred; Basic only when it is all the camera offers). Refuses a body over
   * `maxBytes` without reading it all.
   */
  async fetchSnapshot(maxBytes: number): Promise<Buffer> {
    const uri = this.connection?.snapshotUri;
    if (!uri) throw new CameraError('protocol', this.connection ? 'the camera gives no snapshot URI for this profile' : 'not connected');
    const { timeoutMs, username, password } = this.options;
    const started = Date.now();
    const remaining = (): number => Math.max(1, timeoutMs - (Date.now() - started));
    try {
      const get = (authorization?: string) => httpRequest(uri, {
        timeoutMs: remaining(), maxBytes, what: 'image',
        headers: { Accept: 'image/jpeg', ...(authorization ? { Authorization: authorization } : {}) },
      });
      let response = await get();
      if (response.status === 401) {
        const challenge = parseAuthenticate(response.headers['www-authenticate']);
        const url = new URL(uri);
        if (challenge.digest) {
          response = await get(digestAuthorization(challenge.digest, { method: 'GET', uri: url.pathname + url.search, username, password }));
        } else if (challenge.basic) {
          response = await get(basicAuthorization(username, password));
        }
      }
      if (response.status === 401 || response.status === 403) throw new CameraError('auth', `snapshot refused: HTTP ${response.status} (check the ONVIF user's password and rights)`);
      if (response.status !== 200) throw new CameraError('protocol', `snapshot failed: HTTP ${response.status}`);
      const type = String(response.headers['content-type'] ?? 'image/jpeg');
      if (!/^image\//i.test(type) && !/octet-stream/i.test(type)) throw new CameraError('protocol', `snapshot is ${type.slice(0, 60)}, not an image`);
      return response.body;
    } catch (err) {
      throw toCameraError(err, 'snapshot');
    }
  }

  private ptzTarget(): { xaddr: string; profileToken: string; device: NodeOnvifDevice } {
    if (!this.connection || !this.device) throw new CameraError('unreachable', 'not connected to the camera');
    if (!this.ptzXaddr || !this.device.services.ptz) throw new CameraError('protocol', 'the camera has no PTZ service');
    return { xaddr: this.ptzXaddr, profileToken: this.connection.profileToken, device: this.device };
  }

  /** Continuous move at the given speeds (−1…1); the camera stops by itself after `timeoutMs`. */
  async ptzMove(speed: PtzSpeed, timeoutMs: number): Promise<void> {
    const { xaddr, profileToken } = this.ptzTarget();
    const pan = speed.pan ?? 0;
    const tilt = speed.tilt ?? 0;
    const zoom = speed.zoom ?? 0;
    const velocity = `${pan !== 0 || tilt !== 0 || zoom === 0 ? `<tt:PanTilt x="${pan}" y="${tilt}"/>` : ''}${zoom !== 0 ? `<tt:Zoom x="${zoom}"/>` : ''}`;
    await soapCall({
      url: xaddr, operation: 'ContinuousMove',
      body: `<tptz:ContinuousMove><tptz:ProfileToken>${escapeXml(profileToken)}</tptz:ProfileToken><tptz:Velocity>${velocity}</tptz:Velocity><tptz:Timeout>${isoDuration(timeoutMs)}</tptz:Timeout></tptz:ContinuousMove>`,
      credentials: this.credentials(), timeoutMs: this.options.timeoutMs,
    });
  }

  async ptzStop(): Promise<void> {
    const { profileToken, device } = this.ptzTarget();
    try {
      await withDeadline(device.services.ptz!.stop({ ProfileToken: profileToken, PanTilt: true, Zoom: true }), this.options.timeoutMs, 'PTZ Stop');
    } catch (err) {
      throw toCameraError(err, 'PTZ stop');
    }
  }

  async gotoPreset(preset: string): Promise<void> {
    const { profileToken, device } = this.ptzTarget();
    // node-onvif refuses non-ASCII and < > in tokens itself; its error says so.
    try {
      await withDeadline(device.services.ptz!.gotoPreset({ ProfileToken: profileToken, PresetToken: preset }), this.options.timeoutMs, 'GotoPreset');
    } catch (err) {
      throw toCameraError(err, `PTZ preset "${preset}"`);
    }
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value !== undefined ? ({ [key]: value.slice(0, 128) } as Record<K, string>) : {};
}
