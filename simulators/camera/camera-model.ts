// What the simulated camera is: its identity (GetDeviceInformation, discovery scopes), its media
// profiles (a 1080p main stream and a 360p sub stream sharing one video source and one PTZ
// node, as Sharp Eyes domes ship), its presets, and the URLs it hands out. Data, no I/O.
import { createHash } from 'node:crypto';
import type { PtzVector } from './ptz-model.js';

export interface CameraIdentity {
  /** Shown in the OSD and the discovery name scope. */
  name: string;
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
  /** Discovery location scope, e.g. `city/Tongjiang`. */
  location: string;
}

export function defaultIdentity(name: string, port: number): CameraIdentity {
  // The serial (and with it the discovery endpoint UUID) is stable for a name and port, so a
  // restarted simulator is the same device to a gateway, and two simulators never collide.
  const serial = `SB${createHash('sha1').update(`${name}:${port}`).digest('hex').slice(0, 10).toUpperCase()}`;
  return { name, manufacturer: 'Shaobing Sim', model: 'SE-PTZ-2M', firmware: 'V5.7.3 build 250101', serial, hardwareId: 'SB-HW-88', location: 'city/Tongjiang' };
}

/** urn:uuid of the device for WS-Discovery, derived from its serial (UUID v5-like layout). */
export function endpointUuid(serial: string): string {
  const h = createHash('sha1').update(`shaobing-camera:${serial}`).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface MediaProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  frameRate: number;
  bitrateKbps: number;
  govLength: number;
  h264Profile: 'Main' | 'High' | 'Baseline';
  encoderToken: string;
  /** RTSP path of this stream (Hikvision-style channel numbers). */
  rtspPath: string;
}

export const VIDEO_SOURCE_TOKEN = 'VideoSource_1';
export const VIDEO_SOURCE_CONFIG_TOKEN = 'VideoSourceConfig_1';
export const PTZ_NODE_TOKEN = 'PTZNode_1';
export const PTZ_CONFIG_TOKEN = 'PTZConfig_1';

export const MEDIA_PROFILES: readonly MediaProfile[] = [
  { token: 'Profile_1', name: 'mainStream', width: 1920, height: 1080, frameRate: 25, bitrateKbps: 4096, govLength: 50, h264Profile: 'Main', encoderToken: 'VideoEncoder_1', rtspPath: '/Streaming/Channels/101' },
  { token: 'Profile_2', name: 'subStream', width: 640, height: 360, frameRate: 15, bitrateKbps: 512, govLength: 30, h264Profile: 'Main', encoderToken: 'VideoEncoder_2', rtspPath: '/Streaming/Channels/102' },
];

export interface PtzPreset {
  token: string;
  name: string;
  position: PtzVector;
}

export const PTZ_PRESETS: readonly PtzPreset[] = [
  { token: '1', name: 'Songhua bridge', position: { pan: 0, tilt: 0, zoom: 0 } },
  { token: '2', name: 'River ice', position: { pan: -0.5, tilt: -0.3, zoom: 0.4 } },
  { token: '3', name: 'Port gate', position: { pan: 0.7, tilt: -0.1, zoom: 0.2 } },
];

/** Paths a real camera serves (Hikvision/Dahua keep ONVIF under /onvif/). */
export const PATHS = {
  device: '/onvif/device_service',
  media: '/onvif/media_service',
  ptz: '/onvif/ptz_service',
  events: '/onvif/events_service',
  pullPointPrefix: '/onvif/events_service/pullpoint/',
  snapshot: '/onvif/snapshot.jpg',
} as const;

export interface CameraUrls {
  base: string;
  host: string;
  device: string;
  media: string;
  ptz: string;
  events: string;
  snapshot: string;
  pullPoint(id: string): string;
  rtsp(profile: MediaProfile): string;
}

export function cameraUrls(host: string, port: number, rtspPort: number): CameraUrls {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const base = `http://${hostPart}:${port}`;
  return {
    base,
    host: hostPart,
    device: base + PATHS.device,
    media: base + PATHS.media,
    ptz: base + PATHS.ptz,
    events: base + PATHS.events,
    snapshot: base + PATHS.snapshot,
    pullPoint: (id) => base + PATHS.pullPointPrefix + id,
    rtsp: (profile) => `rtsp://${hostPart}:${rtspPort}${profile.rtspPath}`,
  };
}
