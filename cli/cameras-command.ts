// `shaobing cameras discover|check`: the field technician's tools for ONVIF cameras. `discover`
// sends WS-Discovery probes and lists what answers; `check` connects to one camera as the
// gateway will (same client, same health rules) and prints what the gateway will report, with
// a snapshot saved to a file on request. Passwords come from --password or SB_CAMERA_PASSWORD
// (the variable keeps them out of the shell history) and are never printed.
import { writeFile } from 'node:fs/promises';
import { CameraError, checkSnapshotImage, classifyCameraError, discoverCameras, OnvifCamera, redactUrl, type DiscoveredCamera } from '../gateway/cameras/index.js';
import { stepHealth, initialHealth, type HealthState } from '../gateway/cameras/health.js';
import { discoveryTargetSchema } from '../gateway/cameras/settings.js';
import { formatTable, processIo, type Io } from './modbus-command.js';

export const DEFAULT_DISCOVERY_TARGET = '239.255.255.250:3702';

/** Exit codes: 0 fine; 1 bad arguments; 3 the camera answers but refuses or fails (credentials, snapshot); 4 nothing found / no answer. */
export const EXIT = { ok: 0, usage: 1, problem: 3, none: 4 } as const;

export class CameraArgumentError extends Error {
  override readonly name = 'CameraArgumentError';
}

function decodeScope(value: string): string {
  try {
    return decodeURIComponent(value).replace(/_/g, ' ');
  } catch {
    return value;
  }
}

// ---------------------------------------------------------------- discover

export interface DiscoverOptions {
  target: string[];
  timeout: number;
  json?: boolean;
}

export function formatDiscovered(cameras: readonly DiscoveredCamera[]): string[] {
  const rows = [['NAME', 'HARDWARE', 'LOCATION', 'XADDR', 'URN']];
  for (const camera of cameras) {
    rows.push([decodeScope(camera.name) || '—', decodeScope(camera.hardware) || '—', decodeScope(camera.location) || '—', camera.xaddrs.join(' '), camera.urn]);
  }
  return formatTable(rows);
}

export async function runCamerasDiscover(options: DiscoverOptions, io: Io = processIo): Promise<number> {
  const targets = options.target.length > 0 ? options.target : [DEFAULT_DISCOVERY_TARGET];
  for (const target of targets) {
    const parsed = discoveryTargetSchema.safeParse(target);
    if (!parsed.success) throw new CameraArgumentError(`--target ${target}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  io.err(`probing ${targets.join(', ')} for ${options.timeout} ms…\n`);
  const cameras = await discoverCameras(targets, options.timeout);
  if (options.json) {
    io.out(JSON.stringify(cameras.map((c) => ({ ...c, name: decodeScope(c.name), hardware: decodeScope(c.hardware), location: decodeScope(c.location) })), null, 2));
    return cameras.length > 0 ? EXIT.ok : EXIT.none;
  }
  if (cameras.length === 0) {
    io.out('no ONVIF camera answered.');
    io.out('  - is the gateway on the cameras\' network (same VLAN)? Multicast does not cross routers.');
    io.out('  - a firewall must let UDP 3702 out and the answers back in.');
    io.out('  - WS-Discovery may be off on the camera (web page: Network → ONVIF / "discoverable").');
    io.out('  - switches that drop multicast: try the subnet broadcast, e.g. --target 192.168.1.255:3702');
    io.out('  - or skip discovery: shaobing cameras check --xaddr http://CAMERA-IP/onvif/device_service');
    return EXIT.none;
  }
  io.out(`${cameras.length} camera${cameras.length > 1 ? 's' : ''} found:`);
  for (const line of formatDiscovered(cameras)) io.out(line);
  return EXIT.ok;
}

// ---------------------------------------------------------------- check

export interface CheckOptions {
  xaddr: string;
  username?: string;
  password?: string;
  profile?: string;
  timeout: number;
  snapshot?: string;
  maxBytes: number;
  json?: boolean;
}

export interface CheckReport {
  xaddr: string;
  state: HealthState['state'];
  error?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
  clockOffsetMs?: number;
  profiles?: Array<{ token: string; name?: string; encoding?: string; width?: number; height?: number; inUse: boolean }>;
  streamUri?: string;
  ptz?: boolean;
  events?: boolean;
  snapshot?: { ok: boolean; bytes?: number; width?: number; height?: number; savedTo?: string; error?: string };
}

/** A profile given as digits is an index (as in the gateway file: `profile: 1`). */
function profileSetting(value: string | undefined): string | number | undefined {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) : value;
}

export async function checkCamera(options: CheckOptions, env: NodeJS.ProcessEnv = process.env): Promise<CheckReport> {
  const username = options.username ?? env.SB_CAMERA_USERNAME;
  const password = options.password ?? env.SB_CAMERA_PASSWORD;
  if (!username) throw new CameraArgumentError('give the ONVIF user with --username or SB_CAMERA_USERNAME');
  if (!password) throw new CameraArgumentError('give the password with --password or SB_CAMERA_PASSWORD');
  if (!/^https?:\/\/[^/]+/i.test(options.xaddr)) throw new CameraArgumentError(`--xaddr ${options.xaddr}: expected http://CAMERA-IP/onvif/device_service`);
  const profile = profileSetting(options.profile);
  const camera = new OnvifCamera({ xaddr: options.xaddr, username, password, timeoutMs: options.timeout, ...(profile !== undefined ? { profile } : {}) });
  let health = initialHealth(Date.now());
  const report: CheckReport = { xaddr: redactUrl(options.xaddr), state: health.state };
  try {
    const connection = await camera.connect();
    health = stepHealth(health, { kind: 'check-ok' }, Date.now(), 1).next;
    Object.assign(report, connection.info, {
      clockOffsetMs: connection.clockOffsetMs,
      profiles: connection.profiles.map((p) => ({ ...p, inUse: p.token === connection.profileToken })),
      ...(connection.streamUri !== undefined ? { streamUri: redactUrl(connection.streamUri) } : {}),
      ptz: connection.ptz,
      events: connection.eventsXaddr !== undefined,
    });
  } catch (err) {
    const error = err instanceof CameraError ? err : new CameraError(classifyCameraError(err), (err as Error).message);
    health = stepHealth(health, { kind: 'check-failed', error: error.message, errorKind: error.kind }, Date.now(), 1).next;
    report.state = health.state;
    report.error = error.message;
    return report;
  }
  try {
    const image = await camera.fetchSnapshot(options.maxBytes);
    const check = checkSnapshotImage(image, options.maxBytes);
    if (!check.ok) throw new CameraError('protocol', check.reason);
    if (options.snapshot) await writeFile(options.snapshot, image);
    report.snapshot = { ok: true, bytes: image.length, ...(check.size ?? {}), ...(options.snapshot ? { savedTo: options.snapshot } : {}) };
    health = stepHealth(health, { kind: 'snapshot-ok' }, Date.now(), 1).next;
  } catch (err) {
    const message = (err as Error).message;
    report.snapshot = { ok: false, error: message };
    // One failed image is enough for the technician to see (the gateway waits for a few in a row).
    health = stepHealth(health, { kind: 'snapshot-failed', error: message }, Date.now(), 1).next;
  }
  report.state = health.state;
  if (health.lastError !== undefined) report.error = health.lastError;
  return report;
}

const STATE_ADVICE: Record<string, string> = {
  'auth-failed': 'the camera refuses the user or password. Check the ONVIF user (not only the web admin) on the camera, and its clock: WS-UsernameToken fails when the clocks differ by minutes (set NTP on the camera).',
  unreachable: 'no ONVIF answer at that address. Check power, cable/PoE, the IP address and port, and that ONVIF is enabled on the camera.',
  'snapshot-failing': 'ONVIF answers but the snapshot does not: check the camera\'s snapshot/JPEG encoder, the user\'s rights for media, and the image size limit (--max-bytes).',
};

export function formatCheckReport(report: CheckReport): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(10)}${value}`);
  row('camera', report.xaddr);
  row('state', report.state + (report.error ? ` — ${report.error}` : ''));
  if (report.model !== undefined || report.manufacturer !== undefined) {
    row('device', [report.manufacturer, report.model].filter(Boolean).join(' '));
    row('firmware', report.firmware ?? '—');
    row('serial', `${report.serial ?? '—'}  (hardware ${report.hardwareId ?? '—'})`);
  }
  if (report.clockOffsetMs !== undefined) {
    const s = report.clockOffsetMs / 1000;
    row('clock', Math.abs(s) < 1 ? 'in step with this machine' : `camera is ${Math.abs(s).toFixed(1)} s ${s > 0 ? 'ahead of' : 'behind'} this machine${Math.abs(s) > 60 ? ' — set NTP on the camera' : ''}`);
  }
  report.profiles?.forEach((p, i) => {
    const size = p.width !== undefined && p.height !== undefined ? ` ${p.width}×${p.height}` : '';
    row(i === 0 ? 'profiles' : '', `${p.token}${p.name ? ` (${p.name})` : ''} ${p.encoding ?? ''}${size}${p.inUse ? '   ← in use' : ''}`);
  });
  if (report.streamUri !== undefined) row('stream', report.streamUri);
  if (report.ptz !== undefined) row('ptz', report.ptz ? 'yes' : 'no');
  if (report.events !== undefined) row('events', report.events ? 'yes (motion/tamper by PullPoint)' : 'no event service');
  if (report.snapshot) {
    const s = report.snapshot;
    row('snapshot', s.ok ? `${s.bytes} bytes${s.width ? `, ${s.width}×${s.height}` : ''}${s.savedTo ? `, saved to ${s.savedTo}` : ''}` : `failed: ${s.error}`);
  }
  const advice = STATE_ADVICE[report.state];
  if (advice) lines.push('', `what to do: ${advice}`);
  return lines;
}

export async function runCamerasCheck(options: CheckOptions, io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const report = await checkCamera(options, env);
  if (options.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatCheckReport(report)) io.out(line);
  if (report.state === 'online') return EXIT.ok;
  return report.state === 'unreachable' ? EXIT.none : EXIT.problem;
}

/** Turns argument errors into a one-line message and exit code 1. */
export async function runCamerasCommand(name: string, run: () => Promise<number>, io: Io = processIo): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CameraArgumentError) {
      io.err(`shaobing cameras ${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
