// The ONVIF camera simulator: one HTTP server at the paths real cameras use (device, media, PTZ
// and event services, PullPoint subscription addresses, a Digest-protected snapshot URL), an
// optional WS-Discovery responder, and faults on demand. It stands in for a Sharp Eyes dome so
// the gateway (and node-onvif, as an independent client) can be tested without hardware.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Logger } from '../../lib/logger.js';
import { listen } from '../../lib/net.js';
import { delay } from '../../lib/wait.js';
import { cameraUrls, defaultIdentity, endpointUuid, PATHS, VIDEO_SOURCE_TOKEN, type CameraIdentity, type CameraUrls } from './camera-model.js';
import { startDiscoveryResponder, type DiscoveryOptions, type DiscoveryResponder } from './discovery.js';
import { EventBroker, type CameraEventKind } from './event-broker.js';
import { describeCameraFault, type CameraFault } from './faults.js';
import { DIGEST_REALM, DigestNonces, digestChallenge, verifyDigest } from './http-digest.js';
import { PtzModel, type PtzSnapshot } from './ptz-model.js';
import { renderSnapshot, truncateJpeg } from './scene.js';
import type { ServiceContext, SoapService } from './services/context.js';
import { deviceScopes, deviceService } from './services/device-service.js';
import { eventsService, pullPointService } from './services/events-service.js';
import { mediaService } from './services/media-service.js';
import { ptzService } from './services/ptz-service.js';
import { faults, parseSoapRequest, SOAP_CONTENT_TYPE, soapEnvelope, SoapFault, soapFaultEnvelope } from './soap.js';
import { readUsernameToken, verifyUsernameToken, type Credentials } from './ws-security.js';

export interface CameraSimulatorOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Host written into the URLs the camera hands out (default: `host`, or 127.0.0.1 for a wildcard host). */
  advertisedHost?: string;
  /** Shown in the OSD and the discovery name scope (default `Sharp Eyes 1`). */
  name?: string;
  username?: string;
  password?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
  /** Discovery location scope (default `city/Tongjiang`). */
  location?: string;
  /** Port in the RTSP URIs (default 554; nothing listens there). */
  rtspPort?: number;
  /** WS-Discovery responder; off by default (tests that do not probe need no UDP port). */
  discovery?: DiscoveryOptions | false;
  /** Time source (default Date.now): stamps, the device clock, event times, PTZ motion, the OSD. */
  clock?: () => number;
  /** Largest accepted WS-Security Created skew (default 5 min; Infinity: no check). */
  maxClockSkewMs?: number;
  /** Longest PullMessages wait the device grants (default 60 s). */
  maxPullTimeoutMs?: number;
  /** Snapshot size and JPEG quality (default 640×360, 75). */
  snapshot?: { width?: number; height?: number; quality?: number };
  logger?: Logger;
}

export interface CameraRequestCounters {
  /** SOAP requests received (any outcome) and per operation name. */
  soap: number;
  byOperation: Record<string, number>;
  /** SOAP faults sent (auth failures included). */
  soapFaults: number;
  /** SOAP calls refused for missing or wrong WS-Security credentials. */
  authFailures: number;
  /** Snapshot images served (200). */
  snapshots: number;
  /** Snapshot requests answered 401 (first leg of Digest, Basic attempts, wrong passwords). */
  snapshotChallenges: number;
  /** Probe matches sent by the discovery responder. */
  probesAnswered: number;
}

export interface CameraSimulator {
  readonly host: string;
  readonly port: number;
  /** The device service URL (`http://host:port/onvif/device_service`). */
  readonly xaddr: string;
  readonly snapshotUrl: string;
  readonly urls: CameraUrls;
  readonly name: string;
  readonly identity: CameraIdentity;
  /** WS-Discovery endpoint reference (`urn:uuid:…`). */
  readonly endpoint: string;
  /** Where the discovery responder listens, when enabled. */
  readonly discovery: { address: string; port: number } | undefined;
  readonly fault: CameraFault;
  /** Applies a fault; resolves once it is in effect (listener closed or reopened). */
  setFault(fault: CameraFault): Promise<void>;
  /** Sets the motion or tamper state; subscribers get a Changed notification if it changed. */
  raiseEvent(kind: CameraEventKind, active: boolean): void;
  readonly ptzState: PtzSnapshot;
  readonly requests: CameraRequestCounters;
  /** SHA-256 (hex) of the last images served whole, newest last (at most 100): what a client must have received. */
  readonly servedSnapshots: readonly string[];
  /** Live PullPoint subscriptions. */
  readonly subscriptions: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

class BodyTooLargeError extends Error {}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function routeSoap(pathname: string): { service: SoapService; subscriptionId?: string } | undefined {
  switch (pathname) {
    case PATHS.device:
      return { service: deviceService };
    case PATHS.media:
      return { service: mediaService };
    case PATHS.ptz:
      return { service: ptzService };
    case PATHS.events:
      return { service: eventsService };
  }
  if (pathname.startsWith(PATHS.pullPointPrefix)) {
    const id = pathname.slice(PATHS.pullPointPrefix.length);
    if (/^[0-9a-f]{1,64}$/.test(id)) return { service: pullPointService, subscriptionId: id };
  }
  return undefined;
}

export async function startCameraSimulator(options: CameraSimulatorOptions = {}): Promise<CameraSimulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? Date.now;
  const logger = options.logger;
  const name = options.name ?? 'Sharp Eyes 1';
  const configured: Credentials = { username: options.username ?? 'admin', password: options.password ?? 'admin12345' };
  const maxClockSkewMs = options.maxClockSkewMs ?? 300_000;
  const maxPullTimeoutMs = options.maxPullTimeoutMs ?? 60_000;
  const snapshotSize = { width: options.snapshot?.width ?? 640, height: options.snapshot?.height ?? 360, quality: options.snapshot?.quality ?? 75 };

  let fault: CameraFault = { kind: 'none' };
  const served: string[] = [];
  const rememberServed = (jpeg: Buffer): void => {
    served.push(createHash('sha256').update(jpeg).digest('hex'));
    if (served.length > 100) served.shift();
  };
  const counters: CameraRequestCounters = { soap: 0, byOperation: {}, soapFaults: 0, authFailures: 0, snapshots: 0, snapshotChallenges: 0, probesAnswered: 0 };
  const ptz = new PtzModel(clock());
  const events = new EventBroker({ clock, sourceToken: VIDEO_SOURCE_TOKEN });
  const nonces = new DigestNonces(clock);
  // The wrong-password fault: someone on site changed the password; the configured one no longer works.
  const account = (): Credentials => (fault.kind === 'wrong-password' ? { username: configured.username, password: `${configured.password}-changed-on-site` } : configured);

  let snapshotCache: { key: string; jpeg: Buffer } | undefined;
  const snapshotJpeg = (now: number): Buffer => {
    const p = ptz.positionAt(now);
    const key = `${Math.floor(now / 1000)}|${p.pan.toFixed(3)}|${p.tilt.toFixed(3)}|${p.zoom.toFixed(3)}`;
    if (snapshotCache?.key !== key) {
      snapshotCache = { key, jpeg: renderSnapshot({ name, timeMs: now, ...p, width: snapshotSize.width, height: snapshotSize.height }, snapshotSize.quality) };
    }
    return snapshotCache.jpeg;
  };

  const sendSoap = (res: http.ServerResponse, status: number, xml: string) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': SOAP_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  };

  const sendFault = (res: http.ServerResponse, f: SoapFault) => {
    counters.soapFaults++;
    sendSoap(res, f.httpStatus, soapFaultEnvelope(f));
  };

  async function handleSoap(req: http.IncomingMessage, res: http.ServerResponse, route: NonNullable<ReturnType<typeof routeSoap>>, signal: AbortSignal): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end('ONVIF services take SOAP requests by POST\n');
      return;
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError) res.writeHead(413, { Connection: 'close' }).end();
      return;
    }
    counters.soap++;
    try {
      const request = parseSoapRequest(body);
      counters.byOperation[request.operation] = (counters.byOperation[request.operation] ?? 0) + 1;
      const handler = route.service.operations[request.operation];
      if (!handler) throw faults.actionNotSupported(request.operation);
      if (!route.service.preAuth.has(request.operation)) {
        const verdict = verifyUsernameToken(readUsernameToken(request.header), account(), { nowMs: clock(), maxClockSkewMs });
        if (!verdict.ok) {
          counters.authFailures++;
          logger?.debug({ operation: request.operation, reason: verdict.reason }, 'camera simulator: SOAP call not authorized');
          throw faults.notAuthorized();
        }
      }
      const ctx: ServiceContext = { now: clock(), clock, urls, identity, ptz, events, subscriptionId: route.subscriptionId, signal, maxPullTimeoutMs };
      const answer = await handler(request.payload, ctx);
      sendSoap(res, 200, soapEnvelope(answer));
    } catch (err) {
      if (err instanceof SoapFault) return sendFault(res, err);
      logger?.error({ err }, 'camera simulator: handler failed');
      sendFault(res, new SoapFault('Receiver', ['ter:Action'], 'Internal error'));
    }
  }

  function handleSnapshot(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const verdict = verifyDigest({ authorization: req.headers.authorization, method: req.method, uri: req.url ?? '' }, account(), DIGEST_REALM, nonces);
    if (!verdict.ok) {
      counters.snapshotChallenges++;
      if (verdict.reason !== 'missing' && verdict.reason !== 'basic') logger?.debug({ reason: verdict.reason }, 'camera simulator: snapshot not authorized');
      const page = '<html><head><title>401 Unauthorized</title></head><body>Authentication Error</body></html>\n';
      res.writeHead(401, { 'WWW-Authenticate': digestChallenge(DIGEST_REALM, nonces.issue(), verdict.stale), 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) });
      res.end(page);
      return;
    }
    // Drain the (empty) request body before answering, so the connection can be reused.
    req.resume();
    if (fault.kind === 'snapshot-error') {
      const text = 'Internal Server Error: snapshot encoder failure\n';
      res.writeHead(500, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) }).end(text);
      return;
    }
    let jpeg = snapshotJpeg(clock());
    if (fault.kind === 'broken-snapshot') jpeg = truncateJpeg(jpeg);
    else rememberServed(jpeg);
    counters.snapshots++;
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : jpeg);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    if (fault.kind === 'slow') await delay(fault.delayMs, controller.signal);
    if (controller.signal.aborted) return;
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname === PATHS.snapshot) return handleSnapshot(req, res);
    const route = routeSoap(pathname);
    if (route) return handleSoap(req, res, route, controller.signal);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger?.error({ err }, 'camera simulator: request failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  // Clients that reset their connection are routine (a gateway timing out, a fault test).
  server.on('clientError', (_err, socket) => socket.destroy());

  const port = await listen(server, options.port ?? 0, host);
  const advertisedHost = options.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  // Known once the port is (port 0 asks the kernel). The handlers above read these; no request
  // can reach them before this continuation runs.
  const urls: CameraUrls = cameraUrls(advertisedHost, port, options.rtspPort ?? 554);
  const base = defaultIdentity(name, port);
  const identity: CameraIdentity = {
    name,
    manufacturer: options.manufacturer ?? base.manufacturer,
    model: options.model ?? base.model,
    firmware: options.firmware ?? base.firmware,
    serial: options.serial ?? base.serial,
    hardwareId: options.hardwareId ?? base.hardwareId,
    location: options.location ?? base.location,
  };
  const endpoint = endpointUuid(identity.serial);

  let discovery: DiscoveryResponder | undefined;
  if (options.discovery) {
    try {
      discovery = await startDiscoveryResponder({
        ...options.discovery,
        advertisement: () => (fault.kind === 'offline' ? undefined : { endpoint, xaddrs: [urls.device], scopes: deviceScopes(identity) }),
        replyDelayMs: () => (fault.kind === 'slow' ? fault.delayMs : 0),
        logger,
      });
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw err;
    }
  }
  logger?.info({ xaddr: urls.device, snapshot: urls.snapshot, name, discovery: discovery && { address: discovery.address, port: discovery.port } }, 'camera simulator listening');

  let listening = true;
  let transition: Promise<void> = Promise.resolve();
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      server.closeAllConnections();
    });
  let closing: Promise<void> | undefined;

  return {
    host,
    port,
    get xaddr() {
      return urls.device;
    },
    get snapshotUrl() {
      return urls.snapshot;
    },
    urls,
    name,
    identity,
    endpoint,
    discovery: discovery && { address: discovery.address, port: discovery.port },
    get fault() {
      return fault;
    },
    setFault(next) {
      transition = transition.then(async () => {
        if (closing) return;
        const previous = fault;
        fault = next;
        if (next.kind === 'offline' && previous.kind !== 'offline') await stopListening();
        if (next.kind !== 'offline' && !listening) {
          // Back on the same port, as a camera coming back on its fixed address.
          await listen(server, port, host);
          listening = true;
        }
        logger?.info({ fault: describeCameraFault(next) }, 'camera simulator fault');
      });
      return transition;
    },
    raiseEvent: (kind, active) => events.raise(kind, active),
    get ptzState() {
      return ptz.snapshot(clock());
    },
    get requests() {
      return { ...counters, byOperation: { ...counters.byOperation }, probesAnswered: discovery?.probesAnswered ?? 0 };
    },
    get subscriptions() {
      return events.subscriptionCount;
    },
    get servedSnapshots() {
      return [...served];
    },
    close: () =>
      (closing ??= (async () => {
        await transition;
        events.close();
        await Promise.all([stopListening(), discovery?.close()]);
      })()),
  };
}
