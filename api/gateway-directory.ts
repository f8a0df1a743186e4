// What the API knows about gateways, learned from their retained status messages
// (and last wills) on the broker. The API reaches gateways only over MQTT.
import mqtt, { type MqttClient } from 'mqtt';
import { decodeJson, filters, parseTopic, statusSchema, type Status } from '../protocol/index.js';
import type { Logger } from '../lib/logger.js';

export interface GatewayEntry {
  site: string;
  gateway: string;
  state: 'online' | 'offline';
  /** When the last status message arrived (ms since the epoch). */
  lastSeen: number;
  status: Status;
}

export interface GatewayDirectory {
  list(): GatewayEntry[];
  connected(): boolean;
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function connectGatewayDirectory(
  options: { url: string; username: string; password: string; clientId: string },
  logger: Logger,
): GatewayDirectory {
  const entries = new Map<string, GatewayEntry>();
  const client: MqttClient = mqtt.connect(options.url, {
    clientId: options.clientId, username: options.username, password: options.password,
    clean: true, reconnectPeriod: 1000, connectTimeout: 10_000,
  });

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
    entries.set(key, { site: parsed.site, gateway: parsed.gateway, state: status.state, lastSeen, status });
  });

  const ready = new Promise<void>((resolve, reject) => {
    client.on('connect', () => {
      client.subscribe(filters.allStatus, { qos: 1 }, (err, granted) => {
        if (err || granted?.some((g) => g.qos === 128)) {
          const reason = err?.message ?? 'broker refused the status subscription';
          logger.error({ reason }, 'api cannot follow gateway status');
          reject(new Error(reason));
        } else resolve();
      });
    });
  });
  ready.catch(() => undefined);
  client.on('error', (err) => logger.warn({ err: err.message }, 'api MQTT error'));

  return {
    ready,
    list: () => [...entries.values()].sort((a, b) => a.site.localeCompare(b.site) || a.gateway.localeCompare(b.gateway)),
    connected: () => client.connected,
    close: async () => { await client.endAsync(true); },
  };
}
