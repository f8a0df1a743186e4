// Starts the Shaobing MQTT broker: Aedes (MQTT 3.1.1) on a TCP port, with
// per-account authentication, topic ACLs, a packet size limit and counters.
import net from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../lib/logger.js';
import { listen } from '../lib/net.js';
import { createAccessHooks } from './access-hooks.js';
import type { AccountDirectory } from './accounts.js';
import { createCounters, type BrokerCountersSnapshot } from './counters.js';
import { CredentialVerifier, type CredentialVerifierOptions } from './credential-verifier.js';
import { SizeLimitedConnection } from './packet-size-guard.js';

/** Large enough for a camera snapshot (JPEG + metadata); far below MQTT's 256 MiB. */
export const DEFAULT_MAX_PACKET_SIZE = 4 * 1024 * 1024;

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
}

export interface BrokerStats extends BrokerCountersSnapshot {
  /** CONNECTs admitted from the verified-password cache, without scrypt. */
  credentialCacheHitsTotal: number;
  /** scrypt checks run. */
  passwordChecksTotal: number;
  /** CONNECTs waiting for a password check now. */
  passwordChecksQueued: number;
}

export interface RunningBroker {
  port: number;
  url: string;
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

function urlOf(host: string, port: number): string {
  return `mqtt://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

export async function startBroker({ host = '127.0.0.1', port, accounts, logger, maxPacketSize = DEFAULT_MAX_PACKET_SIZE, credentials }: BrokerOptions): Promise<RunningBroker> {
  const counters = createCounters();
  const verifier = new CredentialVerifier(credentials);
  const hooks = createAccessHooks({ accounts, verifier, counters, logger });

  const aedes = await Aedes.createBroker({
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
    logger.debug({ clientId: client.id, username: usernameOf(client), err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => {
    logger.debug({ err: err.message }, 'connection error before CONNECT completed');
  });
  // Persistence failures surface as 'error' on the broker; unhandled, they would end the process.
  // (aedes' typings list no 'error' event, hence the widening.)
  (aedes as NodeJS.EventEmitter).on('error', (err: Error) => logger.error({ err }, 'broker error'));

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // reported through aedes' client; a reset must not crash the process
    const connection = new SizeLimitedConnection(socket, maxPacketSize, (size) => {
      counters.oversizedPacketsTotal++;
      logger.warn({ remoteAddress: socket.remoteAddress, size, maxPacketSize }, 'packet too large: connection closed');
    });
    aedes.handle(connection);
  });

  let boundPort: number;
  try {
    boundPort = await listen(server, port, host);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  const url = urlOf(host, boundPort);
  logger.info({ url, maxPacketSize }, 'broker listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Closes every authenticated client (publishing wills of those that did not DISCONNECT) and the emitter.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      // Connections aedes does not hold yet: no CONNECT, or a CONNECT still being authenticated.
      for (const socket of sockets) socket.destroy();
      await listenerClosed;
      logger.info({ url }, 'broker closed');
    })();
    return closing;
  };

  return {
    port: boundPort,
    url,
    aedes,
    stats: () => {
      const verifierStats = verifier.stats();
      return {
        ...counters,
        authFailuresByReason: { ...counters.authFailuresByReason },
        clientsConnected: connectedClients.size,
        socketsOpen: sockets.size,
        credentialCacheHitsTotal: verifierStats.cacheHits,
        passwordChecksTotal: verifierStats.hashesComputed,
        passwordChecksQueued: verifierStats.queued,
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
