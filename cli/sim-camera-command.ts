// `shaobing sim camera`: simulated ONVIF (Sharp Eyes) cameras for a technician or a demo, without
// hardware. One camera or `--count N` on consecutive ports, each with the device, media, PTZ and
// event services, a Digest-protected JPEG snapshot, WS-Discovery, and faults on demand.
import { InvalidArgumentError } from 'commander';
import { createLogger } from '../lib/logger.js';
import {
  describeCameraFault,
  LOOPBACK_BROADCAST_ADDRESS,
  MEDIA_PROFILES,
  parseCameraFault,
  startCameraSimulator,
  WS_DISCOVERY_MULTICAST_ADDRESS,
  type CameraFault,
  type CameraSimulator,
  type DiscoveryOptions,
} from '../simulators/camera/index.js';
import { untilSignal } from './services.js';

export interface SimCameraOptions {
  port: number;
  host: string;
  name: string;
  username?: string;
  password?: string;
  count: number;
  discovery: 'auto' | 'loopback' | 'multicast' | 'off';
  discoveryPort: number;
  rtspPort: number;
  fault?: string;
  motionEvery?: number;
}

const DEFAULT_USERNAME = 'admin';
const DEFAULT_PASSWORD = 'admin12345';

const isLoopback = (host: string) => host === 'localhost' || host.startsWith('127.') || host === '::1';

/**
 * Where discovery listens. `auto`: loopback broadcast when the cameras listen on loopback (their
 * XAddrs are useless to anyone else, and nothing leaves the machine), the ONVIF multicast group
 * otherwise. Pure.
 */
export function discoveryFor(opts: Pick<SimCameraOptions, 'discovery' | 'discoveryPort' | 'host'>): DiscoveryOptions | false {
  if (opts.discovery === 'off') return false;
  const mode = opts.discovery === 'auto' ? (isLoopback(opts.host) ? 'loopback' : 'multicast') : opts.discovery;
  if (mode === 'multicast' && isLoopback(opts.host)) {
    throw new InvalidArgumentError('--discovery multicast advertises addresses others cannot reach while --host is loopback: use --discovery loopback, or --host with this machine\'s LAN address');
  }
  return mode === 'loopback' ? { mode, port: opts.discoveryPort } : { mode, port: opts.discoveryPort, interfaceAddress: opts.host === '0.0.0.0' ? undefined : opts.host };
}

/** Names of `count` cameras: the name itself for one, numbered for several. Pure. */
export function cameraNames(name: string, count: number): string[] {
  return count === 1 ? [name] : Array.from({ length: count }, (_, i) => `${name} ${i + 1}`);
}

function printCamera(sim: CameraSimulator): void {
  console.log(`  ${sim.name}  (${sim.identity.manufacturer} ${sim.identity.model}, serial ${sim.identity.serial})${sim.fault.kind === 'none' ? '' : `  fault: ${describeCameraFault(sim.fault)}`}`);
  console.log(`    device service (xaddr): ${sim.xaddr}`);
  console.log(`    snapshot (HTTP Digest): ${sim.snapshotUrl}`);
  for (const profile of MEDIA_PROFILES) console.log(`    ${profile.name.padEnd(10)} ${profile.width}x${profile.height} H.264: ${sim.urls.rtsp(profile)} (URI only, no RTSP server)`);
}

export async function runCameraSimulator(opts: SimCameraOptions): Promise<void> {
  const username = opts.username ?? process.env.SB_CAMERA_USERNAME ?? DEFAULT_USERNAME;
  const password = opts.password ?? process.env.SB_CAMERA_PASSWORD ?? DEFAULT_PASSWORD;
  let fault: CameraFault | undefined;
  if (opts.fault) {
    try {
      fault = parseCameraFault(opts.fault);
    } catch (err) {
      throw new InvalidArgumentError(`--fault ${(err as Error).message}`);
    }
  }
  if (opts.port !== 0 && opts.port + opts.count - 1 > 65535) throw new InvalidArgumentError(`--port ${opts.port} with --count ${opts.count} runs past port 65535`);
  const discovery = discoveryFor(opts);
  const logger = createLogger('shaobing-sim-camera');
  const sims: CameraSimulator[] = [];
  let motionTimer: NodeJS.Timeout | undefined;
  try {
    let discoveryPort = opts.discoveryPort;
    for (const [i, name] of cameraNames(opts.name, opts.count).entries()) {
      const sim = await startCameraSimulator({
        host: opts.host,
        port: opts.port === 0 ? 0 : opts.port + i,
        name,
        username,
        password,
        rtspPort: opts.rtspPort,
        // With --discovery-port 0 the first camera picks a port and the others share it.
        discovery: discovery && { ...discovery, port: discoveryPort },
        logger,
      });
      sims.push(sim);
      if (sim.discovery) discoveryPort = sim.discovery.port;
      if (fault) await sim.setFault(fault);
    }
    const passwordSource = opts.password ? '--password' : process.env.SB_CAMERA_PASSWORD ? 'SB_CAMERA_PASSWORD' : `the default "${DEFAULT_PASSWORD}"`;
    console.log(`simulating ${sims.length} ONVIF camera(s); user "${username}", password from ${passwordSource}`);
    for (const sim of sims) printCamera(sim);
    const first = sims[0]!;
    if (first.discovery) {
      const how = first.discovery.address === LOOPBACK_BROADCAST_ADDRESS ? `broadcast to ${LOOPBACK_BROADCAST_ADDRESS}:${first.discovery.port} (loopback; the prober needs SO_BROADCAST)` : `multicast ${WS_DISCOVERY_MULTICAST_ADDRESS}:${first.discovery.port}`;
      console.log(`WS-Discovery: answering probes sent by ${how}`);
    } else {
      console.log('WS-Discovery: off');
    }
    console.log(`  try: curl --digest -u ${username}:PASSWORD ${first.snapshotUrl} -o snapshot.jpg`);
    if (opts.motionEvery) {
      let active = false;
      motionTimer = setInterval(() => {
        active = !active;
        for (const sim of sims) sim.raiseEvent('motion', active);
      }, opts.motionEvery * 1000);
      console.log(`motion events: the state toggles every ${opts.motionEvery} s on every camera (ONVIF PullPoint)`);
    }
    console.log('stop with Ctrl-C');
    const signal = await untilSignal();
    console.log(`${signal}: stopping`);
  } finally {
    if (motionTimer) clearInterval(motionTimer);
    await Promise.all(sims.map((sim) => sim.close()));
  }
}
