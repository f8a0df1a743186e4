// What the API knows about gateways, learned from their retained status messages
// (and last wills) on the broker. The API reaches gateways only over MQTT.
import type { MqttClient } from 'mqtt';
import { decodeJson, filters, parseTopic, statusSchema, type CameraHealth, type Status } from '../protocol/index.js';
import type { Logger } from '../lib/logger.js';
import type { MqttTlsMaterial } from '../lib/mqtt-tls.js';
import { connectService } from '../lib/service-mqtt.js';
import { subscribeOnEveryConnect } from '../lib/mqtt-subscribe.js';

export interface GatewayEntry {
  site: string;
  gateway: string;
  state: 'online' | 'offline';
  /** When the last status message arrived (ms since the epoch). */
  lastSeen: number;
  status: Status;
  /**
   * The gateway's cameras as last reported. The last will carries none, so while the gateway
   * is offline this is the list from its last online status (undefined if never seen here).
   */
  cameras?: Record<string, CameraHealth>;
}

export interface GatewayDirectory {
  list(): GatewayEntry[];
  connected(): boolean;
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function connectGatewayDirectory(
  options: { url: string; username: string; password: string; clientId: string; tls?: MqttTlsMaterial | undefined },
  logger: Logger,
): GatewayDirectory {
  const entries = new Map<string, GatewayEntry>();
  const client: MqttClient = connectService(options);

  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== 'gateway' || parsed.channel !== 'status') return;
    const key = `${parsed.site}/${parsed.gateway}`;
    if (payload.length === 0) {
      entries.delete(key); // an empty retained message clears the gateway's status
      return;
    }
    const decoded = decodeJson(statusSchema, payload, 64 * 1024);
    if (!decoded.ok) {
      logger.warn({ topic, reason: decoded.reason }, 'ignoring invalid gateway status');
      return;
    }
    const previous = entries.get(key);
    const status = decoded.value;
    // The last will carries no timestamp: the gateway was last heard from when its previous status came.
    const lastSeen = status.ts ?? previous?.lastSeen ?? Date.now();
    const cameras = status.cameras ?? (status.state === 'offline' ? previous?.cameras : undefined);
    entries.set(key, { site: parsed.site, gateway: parsed.gateway, state: status.state, lastSeen, status, ...(cameras ? { cameras } : {}) });
  });

  const ready = subscribeOnEveryConnect(client, filters.allStatus, logger, 'api (gateway status)');
  client.on('error', (err) => logger.warn({ err: err.message }, 'api MQTT error'));

  return {
    ready,
    list: () => [...entries.values()].sort((a, b) => a.site.localeCompare(b.site) || a.gateway.localeCompare(b.gateway)),
    connected: () => client.connected,
    close: async () => { await client.endAsync(true); },
  };
}
