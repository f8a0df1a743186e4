// The broker's counters: plain numbers that a Prometheus exporter (or a test) reads
// through a snapshot. Totals only grow; `clientsConnected` and `socketsOpen` are gauges.
import { CERTIFICATE_REFUSALS, type CertificateRefusal } from './client-certificate.js';
import type { ConnectionRefusal } from './connection-guard.js';

export type AuthFailureReason =
  | 'anonymous'
  | 'no-password'
  | 'unknown-user'
  | 'bad-password'
  | 'will-denied'
  /** The TLS client certificate names another identity than the account (by cause: certificateRefusalsByCause). */
  | 'certificate-mismatch'
  | 'busy'
  | 'directory-error';

export interface BrokerCounters {
  /** CONNECTs accepted (authenticated) since start. */
  connectionsTotal: number;
  /** Clients that finished a session (any cause) since start. */
  disconnectionsTotal: number;
  /** Refused CONNECTs, all reasons. */
  authFailuresTotal: number;
  authFailuresByReason: Record<AuthFailureReason, number>;
  /** The `certificate-mismatch` refusals by cause (client-certificate.ts). */
  certificateRefusalsByCause: Record<CertificateRefusal, number>;
  /** PUBLISHes refused by the ACL (each also ends that client's connection: MQTT 3.1.1). */
  publishDeniedTotal: number;
  /** Subscriptions refused by the ACL (SUBACK 0x80). */
  subscribeDeniedTotal: number;
  /** Connections cut because a packet exceeded maxPacketSize. */
  oversizedPacketsTotal: number;
  /** TCP connections closed before any MQTT was read, or before the TLS handshake on the TLS port (connection-guard.ts), all reasons. */
  connectionsRefusedTotal: number;
  connectionsRefusedByReason: Record<ConnectionRefusal, number>;
  /** Sockets closed because no CONNECT arrived within the CONNECT timeout. */
  connectTimeoutsTotal: number;
  /** Connections ended by a malformed packet (the MQTT parser or CONNECT handling refused it). */
  protocolErrorsTotal: number;
  /** Clients disconnected for repeatedly subscribing where the ACL refuses. */
  subscribeAbuseDisconnectsTotal: number;
  /** Messages accepted from clients (wills included), and their payload bytes. */
  messagesReceivedTotal: number;
  bytesReceivedTotal: number;
}

export interface BrokerCountersSnapshot extends BrokerCounters {
  /** Authenticated clients connected now. */
  clientsConnected: number;
  /** TCP connections open now, authenticated or not. */
  socketsOpen: number;
}

export function createCounters(): BrokerCounters {
  return {
    connectionsTotal: 0,
    disconnectionsTotal: 0,
    authFailuresTotal: 0,
    authFailuresByReason: { 'anonymous': 0, 'no-password': 0, 'unknown-user': 0, 'bad-password': 0, 'will-denied': 0, 'certificate-mismatch': 0, 'busy': 0, 'directory-error': 0 },
    certificateRefusalsByCause: Object.fromEntries(CERTIFICATE_REFUSALS.map((cause) => [cause, 0])) as Record<CertificateRefusal, number>,
    publishDeniedTotal: 0,
    subscribeDeniedTotal: 0,
    oversizedPacketsTotal: 0,
    connectionsRefusedTotal: 0,
    connectionsRefusedByReason: { 'rate': 0, 'per-ip': 0, 'total': 0 },
    connectTimeoutsTotal: 0,
    protocolErrorsTotal: 0,
    subscribeAbuseDisconnectsTotal: 0,
    messagesReceivedTotal: 0,
    bytesReceivedTotal: 0,
  };
}
