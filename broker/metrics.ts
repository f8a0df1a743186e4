// Exposes the broker's counters as Prometheus metrics, read at scrape time.
import { Gauge, type Registry } from '../lib/metrics.js';
import type { RunningBroker } from './server.js';

export function registerBrokerMetrics(registry: Registry, broker: RunningBroker): void {
  const metric = (name: string, help: string, read: (s: ReturnType<RunningBroker['stats']>) => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read(broker.stats())); } });
  metric('shaobing_broker_clients_connected', 'MQTT clients connected now', (s) => s.clientsConnected);
  metric('shaobing_broker_connections_total', 'MQTT connections accepted since start', (s) => s.connectionsTotal);
  metric('shaobing_broker_auth_failures_total', 'CONNECTs refused (unknown account, wrong password, anonymous, client certificate of another identity)', (s) => s.authFailuresTotal);
  metric('shaobing_broker_publish_denied_total', 'PUBLISHes refused by the topic ACL', (s) => s.publishDeniedTotal);
  metric('shaobing_broker_subscribe_denied_total', 'SUBSCRIBEs refused by the topic ACL', (s) => s.subscribeDeniedTotal);
  metric('shaobing_broker_tls_handshake_failures_total', 'TLS connections that failed the handshake (unknown CA, missing client certificate, not TLS)', (s) => s.tlsHandshakeFailuresTotal);
  metric('shaobing_broker_oversized_packets_total', 'Connections cut for a packet over the size limit', (s) => s.oversizedPacketsTotal);
  new Gauge({
    name: 'shaobing_broker_connections_refused_total',
    help: 'TCP connections closed before MQTT parsing (and before the TLS handshake on the TLS port), by reason (rate: per-IP connect rate; per-ip, total: open-connection caps)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      for (const [reason, count] of Object.entries(broker.stats().connectionsRefusedByReason)) this.set({ reason }, count);
    },
  });
  new Gauge({
    name: 'shaobing_broker_certificate_refusals_total',
    help: 'CONNECTs refused because the TLS client certificate does not fit the account, by cause (other-gateway, gateway-certificate-for-service, no-gateway-identity, invalid-identity, unverified)',
    labelNames: ['cause'] as const,
    registers: [registry],
    collect() {
      for (const [cause, count] of Object.entries(broker.stats().certificateRefusalsByCause)) this.set({ cause }, count);
    },
  });
  metric('shaobing_broker_connect_timeouts_total', 'Connections closed because no CONNECT arrived in time', (s) => s.connectTimeoutsTotal);
  metric('shaobing_broker_protocol_errors_total', 'Connections ended by a malformed MQTT packet', (s) => s.protocolErrorsTotal);
  metric('shaobing_broker_subscribe_abuse_disconnects_total', 'Clients disconnected for too many refused subscriptions', (s) => s.subscribeAbuseDisconnectsTotal);
  metric('shaobing_broker_messages_received_total', 'PUBLISH packets received', (s) => s.messagesReceivedTotal);
}
