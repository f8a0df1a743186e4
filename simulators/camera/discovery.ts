// WS-Discovery (SOAP-over-UDP, http://schemas.xmlsoap.org/ws/2005/04/discovery) responder: answers
// Probes for ONVIF devices with a ProbeMatch carrying this camera's endpoint UUID, types, scopes
// and XAddrs, unicast to the prober with RelatesTo = the probe's MessageID.
//
// Two ways to listen:
// - `multicast` (real deployments): bind 0.0.0.0:3702 and join 239.255.255.250, the ONVIF default.
// - `loopback` (tests and demos on one machine): bind the loopback broadcast address
//   127.255.255.255:<port> with SO_REUSEADDR, so several simulators share the port and one probe
//   sent to 127.255.255.255 reaches all of them. Found by experiment on a loopback without the
//   MULTICAST flag: a socket bound to 127.255.255.255 receives broadcasts to it (and nothing
//   sent to 127.0.0.1), every reuseAddr socket on that address gets its own copy, replies leave
//   from 127.0.0.1, and nothing can leave the machine (the kernel's local table routes
//   127.255.255.255 to lo). The prober needs SO_BROADCAST (sending to a broadcast address
//   without it fails with EACCES). Unicast to 127.0.0.1 reaches only one of several reuseAddr
//   sockets, so it cannot stand in for multicast. Multicast on lo works too when both sides pin
//   the interface to 127.0.0.1, but node-onvif's probe cannot pin it and would follow the
//   default route off the machine, so loopback tests use broadcast.
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import { children, escapeXml, parseXml, path, text } from '../../lib/xml.js';

export const WS_DISCOVERY_PORT = 3702;
export const WS_DISCOVERY_MULTICAST_ADDRESS = '239.255.255.250';
export const LOOPBACK_BROADCAST_ADDRESS = '127.255.255.255';

const DISCOVERY_NS = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
const ADDRESSING_NS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const ANONYMOUS = `${ADDRESSING_NS}/role/anonymous`;

export interface Probe {
  messageId: string;
  /** Local names of the probed types (`NetworkVideoTransmitter`, `Device`); empty: any. */
  types: string[];
  scopes: string[];
}

/** The Probe in a datagram, or undefined for anything else (other messages, garbage). */
export function parseProbe(datagram: string): Probe | undefined {
  let document;
  try {
    document = parseXml(datagram);
  } catch {
    return undefined;
  }
  const envelope = path(document, 'Envelope');
  const probe = path(envelope, 'Body', 'Probe');
  if (probe === undefined) return undefined;
  const messageId = text(path(envelope, 'Header', 'MessageID'));
  if (!messageId) return undefined;
  const split = (value: string | undefined) => (value ?? '').split(/\s+/).filter(Boolean);
  return {
    messageId,
    types: split(text(path(probe, 'Types'))).map((t) => t.slice(t.indexOf(':') + 1)),
    scopes: split(text(path(probe, 'Scopes'))),
  };
}

export const DEVICE_TYPES = ['NetworkVideoTransmitter', 'Device'] as const;

/** Type and scope matching (scopes: RFC 3986 prefix rule, the WS-Discovery default). */
export function probeMatches(probe: Probe, scopes: readonly string[]): boolean {
  const typeOk = probe.types.length === 0 || probe.types.some((t) => (DEVICE_TYPES as readonly string[]).includes(t));
  const scopeOk = probe.scopes.every((wanted) => scopes.some((s) => s === wanted || s.startsWith(wanted.endsWith('/') ? wanted : `${wanted}/`)));
  return typeOk && scopeOk;
}

export interface DeviceAdvertisement {
  /** `urn:uuid:…`, stable for the device. */
  endpoint: string;
  xaddrs: string[];
  scopes: string[];
}

export function probeMatchesXml(relatesTo: string, device: DeviceAdvertisement, sequence: { instanceId: number; messageNumber: number }): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="${ADDRESSING_NS}" xmlns:d="${DISCOVERY_NS}" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">` +
    '<SOAP-ENV:Header>' +
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    `<wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` +
    `<wsa:To SOAP-ENV:mustUnderstand="1">${ANONYMOUS}</wsa:To>` +
    `<wsa:Action SOAP-ENV:mustUnderstand="1">${DISCOVERY_NS}/ProbeMatches</wsa:Action>` +
    `<d:AppSequence SOAP-ENV:mustUnderstand="1" InstanceId="${sequence.instanceId}" MessageNumber="${sequence.messageNumber}"/>` +
    '</SOAP-ENV:Header><SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>' +
    `<wsa:EndpointReference><wsa:Address>${escapeXml(device.endpoint)}</wsa:Address></wsa:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
    `<d:Scopes>${device.scopes.map(escapeXml).join(' ')}</d:Scopes>` +
    `<d:XAddrs>${device.xaddrs.map(escapeXml).join(' ')}</d:XAddrs>` +
    '<d:MetadataVersion>1</d:MetadataVersion>' +
    '</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>'
  );
}

/** A Probe for ONVIF video transmitters, as a client sends it. */
export function probeXml(messageId = `uuid:${randomUUID()}`): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="${ADDRESSING_NS}">` +
    `<s:Header><a:Action s:mustUnderstand="1">${DISCOVERY_NS}/Probe</a:Action><a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>${ANONYMOUS}</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>` +
    `<s:Body><Probe xmlns="${DISCOVERY_NS}"><d:Types xmlns:d="${DISCOVERY_NS}" xmlns:dp0="http://www.onvif.org/ver10/network/wsdl">dp0:NetworkVideoTransmitter</d:Types></Probe></s:Body></s:Envelope>`
  );
}

export type DiscoveryMode = 'multicast' | 'loopback';

export interface DiscoveryOptions {
  /** `loopback` binds 127.255.255.255 (probe by broadcast); `multicast` binds 0.0.0.0 and joins 239.255.255.250. */
  mode: DiscoveryMode;
  /** UDP port (default 3702). */
  port?: number;
  /** multicast mode: the interface address to join the group on (default: the kernel's choice). */
  interfaceAddress?: string;
}

export interface DiscoveryResponderOptions extends DiscoveryOptions {
  /** What to advertise now; undefined keeps the responder silent (the camera is offline). */
  advertisement(): DeviceAdvertisement | undefined;
  /** Delay before answering (the `slow` fault). */
  replyDelayMs?(): number;
  logger?: Logger;
}

export interface DiscoveryResponder {
  readonly address: string;
  readonly port: number;
  readonly probesAnswered: number;
  close(): Promise<void>;
}

export async function startDiscoveryResponder(options: DiscoveryResponderOptions): Promise<DiscoveryResponder> {
  const port = options.port ?? WS_DISCOVERY_PORT;
  const address = options.mode === 'loopback' ? LOOPBACK_BROADCAST_ADDRESS : '0.0.0.0';
  // reuseAddr: several simulated cameras (and a real ONVIF tool) share the discovery port.
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const sequence = { instanceId: Math.floor(Date.now() / 1000), messageNumber: 0 };
  let answered = 0;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  socket.on('message', (buffer, remote) => {
    const probe = parseProbe(buffer.toString('utf8'));
    const device = probe && options.advertisement();
    if (!probe || !device || !probeMatches(probe, device.scopes)) return;
    const reply = () => {
      if (closed) return;
      sequence.messageNumber++;
      const xml = probeMatchesXml(probe.messageId, device, sequence);
      socket.send(xml, remote.port, remote.address, (err) => {
        if (err) options.logger?.debug({ err }, 'discovery: reply not sent');
      });
      answered++;
    };
    const delay = options.replyDelayMs?.() ?? 0;
    if (delay <= 0) return reply();
    const timer = setTimeout(() => {
      timers.delete(timer);
      reply();
    }, delay);
    timers.add(timer);
  });
  socket.on('error', (err) => options.logger?.warn({ err }, 'discovery socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address, exclusive: false }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  if (options.mode === 'multicast') socket.addMembership(WS_DISCOVERY_MULTICAST_ADDRESS, options.interfaceAddress);
  options.logger?.info({ address, port, mode: options.mode }, 'ws-discovery responder listening');
  return {
    address,
    port: socket.address().port,
    get probesAnswered() {
      return answered;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        socket.close(() => resolve());
      }),
  };
}

export interface ProbeMatch {
  endpoint: string;
  xaddrs: string[];
  scopes: string[];
  types: string[];
  relatesTo: string | undefined;
}

/** The ProbeMatches of a datagram (client side), or [] for anything else. */
export function parseProbeMatches(datagram: string): ProbeMatch[] {
  let document;
  try {
    document = parseXml(datagram);
  } catch {
    return [];
  }
  const envelope = path(document, 'Envelope');
  const relatesTo = text(path(envelope, 'Header', 'RelatesTo'));
  const matches = path(envelope, 'Body', 'ProbeMatches');
  const split = (value: string | undefined) => (value ?? '').split(/\s+/).filter(Boolean);
  return children(matches, 'ProbeMatch').flatMap((m) => {
    const endpoint = text(path(m, 'EndpointReference', 'Address'));
    if (!endpoint) return [];
    return [{ endpoint, xaddrs: split(text(path(m, 'XAddrs'))), scopes: split(text(path(m, 'Scopes'))), types: split(text(path(m, 'Types'))), relatesTo }];
  });
}

/**
 * Sends one ONVIF Probe and collects the matches for `waitMs` (one entry per endpoint). For
 * loopback tests aim it at LOOPBACK_BROADCAST_ADDRESS and the responders' port.
 */
export async function probeCameras({ address, port, waitMs = 1000 }: { address: string; port: number; waitMs?: number }): Promise<ProbeMatch[]> {
  const socket = dgram.createSocket('udp4');
  const found = new Map<string, ProbeMatch>();
  const messageId = `uuid:${randomUUID()}`;
  socket.on('message', (buffer) => {
    for (const match of parseProbeMatches(buffer.toString('utf8'))) {
      if (match.relatesTo === messageId && !found.has(match.endpoint)) found.set(match.endpoint, match);
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      // A loopback probe needs no socket on other interfaces.
      socket.bind(0, address.startsWith('127.') ? '127.0.0.1' : undefined, () => resolve());
    });
    socket.setBroadcast(true);
    await new Promise<void>((resolve, reject) => socket.send(probeXml(messageId), port, address, (err) => (err ? reject(err) : resolve())));
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return [...found.values()];
}
