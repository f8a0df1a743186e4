// Starts the Shaobing MQTT broker: Aedes (MQTT 3.1.1) on a TCP port, with
// per-account authentication, topic ACLs, a packet size limit and counters.
import net from 'node:net';
import tls from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { ConfigError } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { listen } from '../lib/net.js';
import { AccessRefusal, createAccessHooks } from './access-hooks.js';
import type { AccountDirectory } from './accounts.js';
import { peerCertificateFacts, type PeerCertificateFacts } from './client-certificate.js';
import type { DurableSession } from './durable-sessions.js';
import { createBrokerPersistence } from './indexed-persistence.js';
import { ConnectionGuard, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-guard.js';
import { createCounters, type BrokerCountersSnapshot } from './counters.js';
import { CredentialVerifier, type CredentialVerifierOptions } from './credential-verifier.js';
import { SizeLimitedConnection } from './packet-size-guard.js';

/** Large enough for a camera snapshot (JPEG + metadata); far below MQTT's 256 MiB. */
export const DEFAULT_MAX_PACKET_SIZE = 4 * 1024 * 1024;

/** Abuse limits (docs/SECURITY.md, "Broker"); each refusal is counted in stats(). */
export interface BrokerLimits extends ConnectionLimits {
  /** A socket that has not sent its CONNECT this long after it opened is closed. */
  connectTimeoutMs: number;
  /** Refused subscriptions one connection may collect before it is disconnected. */
  maxDeniedSubscribes: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = { ...DEFAULT_CONNECTION_LIMITS, connectTimeoutMs: 10_000, maxDeniedSubscribes: 10 };

export interface BrokerOptions {
  /** Default 127.0.0.1: listening on other interfaces is a deliberate choice. */
  host?: string;
  /** 0 picks a free port (see RunningBroker.port). */
  port: number;
  accounts: AccountDirectory;
  logger: Logger;
  /** Largest MQTT packet accepted, in bytes (fixed header included); larger ones cut the connection. */
  maxPacketSize?: number;
  /** Password-check cache and concurrency (see credential-verifier.ts). */
  credentials?: CredentialVerifierOptions;
  /** Connection rate and caps, CONNECT timeout, misbehaviour limits (defaults: DEFAULT_BROKER_LIMITS). */
  limits?: Partial<BrokerLimits>;
  /** MQTT over TLS on a second port (see BrokerTlsOptions). */
  tls?: BrokerTlsOptions;
  /** Plain MQTT on a non-loopback `host` is refused unless this is true (setting broker.allowPlainTcp). */
  allowPlainTcp?: boolean;
  /** Persistent sessions registered at start, so messages for them are queued before they connect (durable-sessions.ts). */
  durableSessions?: readonly DurableSession[];
}

/** MQTT over TLS (mqtts://): PEM contents, not file names. */
export interface BrokerTlsOptions {
  /** Default: the plain listener's host. */
  host?: string;
  /** 0 picks a free port (see RunningBroker.tlsPort). */
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
  /** CAs of client certificates (the site CA). */
  ca?: string | Buffer;
  /** Mutual TLS: a client without a certificate signed by `ca` fails the handshake. */
  requireClientCert?: boolean;
  /**
   * With requireClientCert (default true there): a gateway account must present a certificate
   * naming its own site and gateway (SAN `urn:shaobing:gateway:{site}:{gateway}`). A certificate
   * naming another gateway, or a gateway certificate on a service account, is refused either way.
   */
  requireGatewayIdentity?: boolean;
}

/** 127.0.0.0/8, ::1 and localhost: plain MQTT there never leaves the machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

export interface BrokerStats extends BrokerCountersSnapshot {
  /** CONNECTs admitted from the verified-password cache, without scrypt. */
  credentialCacheHitsTotal: number;
  /** scrypt checks run. */
  passwordChecksTotal: number;
  /** CONNECTs waiting for a password check now. */
  passwordChecksQueued: number;
  /** TLS connections that failed their handshake (unknown CA, no client certificate, not TLS, timeout). */
  tlsHandshakeFailuresTotal: number;
}

export interface RunningBroker {
  port: number;
  url: string;
  /** The TLS listener's port and mqtts:// URL, when `tls` was given. */
  tlsPort?: number;
  tlsUrl?: string;
  aedes: Aedes;
  /** A snapshot of the counters (for a Prometheus exporter). */
  stats(): BrokerStats;
  /**
   * Ends the sessions of an account (e.g. after a reload removed it or changed its
   * password): the account is bound at CONNECT, so a reload alone affects only new
   * connections. Returns how many clients were disconnected.
   */
  disconnectUser(username: string): number;
  /** Closes the listener, every connection and the aedes instance. Idempotent. */
  close(): Promise<void>;
}

function urlOf(host: string, port: number, scheme = 'mqtt'): string {
  return `${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

export async function startBroker({ host = '127.0.0.1', port, accounts, logger, maxPacketSize = DEFAULT_MAX_PACKET_SIZE, credentials, limits: limitOverrides, tls: tlsOptions, allowPlainTcp = false, durableSessions = [] }: BrokerOptions): Promise<RunningBroker> {
  // Passwords and readings in clear text must not cross a network by accident.
  if (!allowPlainTcp && !isLoopbackHost(host)) {
    throw new ConfigError(`refusing plain (unencrypted) MQTT on ${host}: bind broker.host to 127.0.0.1 and serve other hosts over TLS (broker.tls), or set broker.allowPlainTcp: true (SB_BROKER_ALLOW_PLAIN_TCP=true) to accept it`);
  }
  if (tlsOptions?.requireClientCert && tlsOptions.ca === undefined) {
    throw new ConfigError('broker.tls.requireClientCert needs broker.tls.ca (the CA that signs client certificates)');
  }
  if (tlsOptions) {
    // Checked before anything starts: OpenSSL's own message ("PEM routines::no start line") names no setting.
    try {
      tls.createSecureContext({ cert: tlsOptions.cert, key: tlsOptions.key, ...(tlsOptions.ca !== undefined ? { ca: tlsOptions.ca } : {}) });
    } catch (err) {
      throw new ConfigError(`broker.tls.cert/key/ca: not a usable PEM certificate, key and CA (or the key does not match the certificate): ${(err as Error).message}`);
    }
  }
  const limits: BrokerLimits = { ...DEFAULT_BROKER_LIMITS, ...limitOverrides };
  const counters = createCounters();
  const verifier = new CredentialVerifier(credentials);
  const guard = new ConnectionGuard(limits);
  // Only mutual TLS asks for client certificates, so only there can a gateway be required to show one.
  const hooksPolicy = { gatewayIdentityRequired: tlsOptions?.requireClientCert === true && tlsOptions.requireGatewayIdentity !== false };
  // The client certificate of each TLS connection, read once its handshake is done; keyed by
  // the stream aedes holds as client.conn. Plain connections have none.
  const peerCertificates = new WeakMap<object, PeerCertificateFacts>();
  const hooks = createAccessHooks({
    accounts, verifier, counters, logger, maxDeniedSubscribes: limits.maxDeniedSubscribes,
    peerCertificateOf: (client) => peerCertificates.get(client.conn),
    certificatePolicy: hooksPolicy,
  });

  const aedes = await Aedes.createBroker({
    // Outgoing queues indexed instead of scanned: a lagging ingest must not slow the broker down.
    persistence: createBrokerPersistence(),
    connectTimeout: limits.connectTimeoutMs,
    preConnect: hooks.preConnect,
    authenticate: hooks.authenticate,
    authorizePublish: hooks.authorizePublish,
    authorizeSubscribe: hooks.authorizeSubscribe,
    published: (packet, client, callback) => {
      if (client) {
        counters.messagesReceivedTotal++;
        counters.bytesReceivedTotal += packet.payload.length;
      }
      callback(null);
    },
  });

  // aedes-persistence 11 returns a promise when given no callback; Aedes' types do not declare the field.
  const persistence = (aedes as unknown as { persistence: { addSubscriptions(client: { id: string }, subs: Array<{ topic: string; qos: 1 }>): Promise<unknown> } }).persistence;
  for (const session of durableSessions) {
    await persistence.addSubscriptions({ id: session.clientId }, session.filters.map((topic) => ({ topic, qos: 1 as const })));
  }

  const connectedClients = new Set<Client>();
  const usernameOf = (client: Client) => hooks.accountOf(client)?.username;
  aedes.on('client', (client) => {
    connectedClients.add(client);
    counters.connectionsTotal++;
  });
  aedes.on('clientReady', (client) => {
    logger.info({ clientId: client.id, username: usernameOf(client), clean: client.clean }, 'client connected');
  });
  aedes.on('clientDisconnect', (client) => {
    connectedClients.delete(client);
    counters.disconnectionsTotal++;
    logger.info({ clientId: client.id, username: usernameOf(client) }, 'client disconnected');
  });
  aedes.on('keepaliveTimeout', (client) => {
    logger.info({ clientId: client.id, username: usernameOf(client) }, 'client keepalive timed out');
  });
  aedes.on('clientError', (client, err) => {
    countConnectionError(err, client);
    logger.debug({ clientId: client.id, username: usernameOf(client), err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => {
    countConnectionError(err, client);
    logger.debug({ err: err.message }, 'connection error before CONNECT completed');
  });
  /** Sorts what ended a connection: socket errors carry a code, our refusals are counted where raised. */
  function countConnectionError(err: Error, client: Client): void {
    if (err instanceof AccessRefusal || (err as NodeJS.ErrnoException).code !== undefined) return;
    const remoteAddress = (client.conn as { remoteAddress?: string }).remoteAddress;
    if (err.message === 'connect did not arrive in time') {
      counters.connectTimeoutsTotal++;
      logger.info({ remoteAddress, connectTimeoutMs: limits.connectTimeoutMs }, 'no CONNECT in time: connection closed');
      return;
    }
    counters.protocolErrorsTotal++;
    logger.info({ remoteAddress, clientId: client.id, err: err.message }, 'protocol error: connection closed');
  }
  // Persistence failures surface as 'error' on the broker; unhandled, they would end the process.
  // (aedes' typings list no 'error' event, hence the widening.)
  (aedes as NodeJS.EventEmitter).on('error', (err: Error) => logger.error({ err }, 'broker error'));

  // Every TCP socket the limits admitted, on either port (TLS ones from accept, through their
  // handshake): close() ends those aedes does not hold yet.
  const sockets = new Set<net.Socket>();
  /** The connection limits, asked for each accepted TCP socket before anything is read from it. */
  const admitSocket = (socket: net.Socket): boolean => {
    // Refused before a byte is parsed: a flood costs an accept() and a close, nothing more.
    const ip = socket.remoteAddress ?? 'unknown';
    const admission = guard.admit(ip);
    if (!admission.admitted) {
      counters.connectionsRefusedTotal++;
      counters.connectionsRefusedByReason[admission.reason]++;
      logger.debug({ remoteAddress: ip, reason: admission.reason }, 'connection refused by limits');
      socket.on('error', () => {});
      socket.destroy();
      return false;
    }
    socket.once('close', () => guard.release(ip));
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // reported through aedes' client; a reset must not crash the process
    return true;
  };
  /** Hands an admitted stream (a plain socket, or a TLS socket after its handshake) to aedes. */
  const serveMqtt = (socket: net.Socket): SizeLimitedConnection => {
    socket.on('error', () => {}); // a TLS socket is not the one admitSocket saw: it needs its own
    const connection = new SizeLimitedConnection(socket, maxPacketSize, (size) => {
      counters.oversizedPacketsTotal++;
      logger.warn({ remoteAddress: socket.remoteAddress, size, maxPacketSize }, 'packet too large: connection closed');
    });
    aedes.handle(connection);
    return connection;
  };
  const server = net.createServer((socket) => {
    if (admitSocket(socket)) serveMqtt(socket);
  });

  // TLS: a net.Server accepts the TCP socket and asks the limits first; only an admitted socket
  // is injected into the tls.Server ('connection' is its documented entry for streams it did not
  // accept itself), which never listens. So a flood of handshakes from one IP costs an accept()
  // and a close, like a plain flood, while tls.Server keeps doing what it does right: the
  // handshake timeout, client-certificate verification, 'tlsClientError'. (A 'connection'
  // listener on a listening tls.Server runs after tls.Server has wrapped the socket; a TLSSocket
  // built by hand would need all of that rebuilt.)
  let tlsHandshakeFailures = 0;
  const tlsServer = tlsOptions && tls.createServer({
    cert: tlsOptions.cert, key: tlsOptions.key,
    ...(tlsOptions.ca !== undefined ? { ca: tlsOptions.ca } : {}),
    requestCert: tlsOptions.requireClientCert === true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    handshakeTimeout: limits.connectTimeoutMs,
  }, (tlsSocket: tls.TLSSocket) => {
    const facts = peerCertificateFacts(tlsSocket.getPeerCertificate(), tlsSocket.authorized);
    const connection = serveMqtt(tlsSocket);
    peerCertificates.set(connection, facts);
  });
  tlsServer?.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
    tlsHandshakeFailures++;
    logger.info({ remoteAddress: socket.remoteAddress, err: err.message }, 'TLS handshake failed: connection closed');
    // Node (20) only reports a handshake timeout here and leaves the socket open: a client that
    // never finished its handshake would hold its slot forever. Closing is ours to do.
    socket.destroy();
  });
  const tlsListener = tlsServer && net.createServer((raw) => {
    if (admitSocket(raw)) tlsServer.emit('connection', raw);
  });

  let boundPort: number;
  try {
    boundPort = await listen(server, port, host);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  const url = urlOf(host, boundPort);
  let tlsPort: number | undefined;
  let tlsUrl: string | undefined;
  if (tlsListener && tlsOptions) {
    const tlsHost = tlsOptions.host ?? host;
    try {
      tlsPort = await listen(tlsListener, tlsOptions.port, tlsHost);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      throw err;
    }
    tlsUrl = urlOf(tlsHost, tlsPort, 'mqtts');
  }
  logger.info({
    url,
    ...(tlsUrl ? { tlsUrl, requireClientCert: tlsOptions?.requireClientCert === true, requireGatewayIdentity: hooksPolicy.gatewayIdentityRequired } : {}),
    maxPacketSize, limits,
  }, 'broker listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const listenerClosed = Promise.all([server, ...(tlsListener ? [tlsListener] : [])].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      // Closes every authenticated client (publishing wills of those that did not DISCONNECT) and the emitter.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      // Connections aedes does not hold yet: in their TLS handshake, no CONNECT, or a CONNECT still being authenticated.
      for (const socket of sockets) socket.destroy();
      await listenerClosed;
      logger.info({ url }, 'broker closed');
    })();
    return closing;
  };

  return {
    port: boundPort,
    url,
    ...(tlsPort !== undefined && tlsUrl !== undefined ? { tlsPort, tlsUrl } : {}),
    aedes,
    stats: () => {
      const verifierStats = verifier.stats();
      return {
        ...counters,
        authFailuresByReason: { ...counters.authFailuresByReason },
        connectionsRefusedByReason: { ...counters.connectionsRefusedByReason },
        certificateRefusalsByCause: { ...counters.certificateRefusalsByCause },
        clientsConnected: connectedClients.size,
        socketsOpen: sockets.size,
        credentialCacheHitsTotal: verifierStats.cacheHits,
        passwordChecksTotal: verifierStats.hashesComputed,
        passwordChecksQueued: verifierStats.queued,
        tlsHandshakeFailuresTotal: tlsHandshakeFailures,
      };
    },
    disconnectUser: (username) => {
      let count = 0;
      for (const client of connectedClients) {
        if (usernameOf(client) !== username) continue;
        client.close();
        count++;
      }
      return count;
    },
    close,
  };
}
