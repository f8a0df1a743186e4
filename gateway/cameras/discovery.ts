// WS-Discovery of ONVIF cameras through node-onvif's startProbe(): a SOAP Probe over UDP to
// each target (the standard multicast group 239.255.255.250:3702, or a broadcast address such
// as 192.168.1.255:3702 where switches drop multicast), collecting the ProbeMatches that come
// back within the timeout. `matchesCamera` (pure) picks a configured camera among them.
import nodeOnvif from 'node-onvif';
import type { DiscoverMatch } from './settings.js';

export interface DiscoveredCamera {
  urn: string;
  name: string;
  hardware: string;
  location: string;
  xaddrs: string[];
  scopes: string[];
  /** Which target's probe found it. */
  target: string;
}

type Prober = typeof nodeOnvif & {
  /** Not in types/node-onvif.d.ts: the step of startProbe() that sends, once the socket is bound. */
  _sendProbe(): Promise<void>;
};
/** The class of node-onvif's exported instance (not in types/node-onvif.d.ts either). */
const ProberClass = (nodeOnvif as unknown as { constructor: new () => Prober }).constructor;

export function parseTarget(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':');
  const port = Number(target.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`discovery target "${target}" is not host:port`);
  return { host: target.slice(0, colon), port };
}

/**
 * One probe round to one target. node-onvif exports a single object whose probe state
 * (socket, results) lives on the instance, so each probe gets its own instance (same class):
 * probes to several targets, or by the gateway and a CLI in one process, cannot mix.
 */
export async function probeTarget(target: string, timeoutMs: number): Promise<DiscoveredCamera[]> {
  const { host, port } = parseTarget(target);
  const prober = new ProberClass();
  prober._MULTICAST_ADDRESS = host;
  prober._PORT = port;
  prober._DISCOVERY_WAIT = timeoutMs;
  // A broadcast target (x.x.x.255, 255.255.255.255, 127.255.255.255) needs SO_BROADCAST, which
  // node-onvif never sets; without it every send fails silently. Harmless for multicast.
  const send = prober._sendProbe.bind(prober);
  prober._sendProbe = () => {
    try {
      prober._udp?.setBroadcast(true);
    } catch {
      // not bound yet or not supported: the send reports nothing either way
    }
    return send();
  };
  const found = await prober.startProbe();
  return found.map((d) => ({ urn: d.urn, name: d.name, hardware: d.hardware, location: d.location, xaddrs: d.xaddrs, scopes: d.scopes, target }));
}

/** Probes every target (in parallel) and merges the answers by endpoint URN. */
export async function discoverCameras(targets: readonly string[], timeoutMs: number): Promise<DiscoveredCamera[]> {
  const rounds = await Promise.all(targets.map((target) => probeTarget(target, timeoutMs)));
  const byUrn = new Map<string, DiscoveredCamera>();
  for (const camera of rounds.flat()) if (!byUrn.has(camera.urn)) byUrn.set(camera.urn, camera);
  return [...byUrn.values()].sort((a, b) => a.name.localeCompare(b.name) || a.urn.localeCompare(b.urn));
}

/** Whether a discovered camera is the configured one: every given field must match (names compare case-blind, `_` as space). */
export function matchesCamera(camera: Pick<DiscoveredCamera, 'urn' | 'name' | 'hardware'>, match: DiscoverMatch): boolean {
  const norm = (s: string) => {
    let decoded = s;
    try {
      decoded = decodeURIComponent(s); // scopes are URIs: "Gate%20North"
    } catch {
      // not percent-encoded
    }
    return decoded.replace(/_/g, ' ').trim().toLowerCase();
  };
  if (match.urn !== undefined && camera.urn !== match.urn && camera.urn !== `urn:uuid:${match.urn}`) return false;
  if (match.name !== undefined && norm(camera.name) !== norm(match.name)) return false;
  if (match.hardware !== undefined && norm(camera.hardware) !== norm(match.hardware)) return false;
  return true;
}

/** The device service address to use: the first http(s) XAddr (cameras may list IPv6 and IPv4 ones). */
export function pickXaddr(xaddrs: readonly string[]): string | undefined {
  const http = xaddrs.filter((x) => /^https?:\/\//i.test(x));
  return http.find((x) => !/^https?:\/\/\[/.test(x)) ?? http[0];
}
