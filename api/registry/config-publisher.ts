// Pushes a gateway's remote config: retained, QoS 1, on `sb/v1/gw/{site}/{gw}/config`, so the
// gateway gets the latest one whenever it (re)connects; and clears it (an empty retained
// message) when the gateway is revoked, so the broker stops holding its device addresses and
// camera passwords. The api broker account may publish retained configs (broker/acl.ts); only
// that gateway's account may subscribe to its config topic.
import type { MqttClient } from 'mqtt';
import type { Logger } from '../../lib/logger.js';
import type { MqttTlsMaterial } from '../../lib/mqtt-tls.js';
import { connectService } from '../../lib/service-mqtt.js';
import { configSchema, topics, type GatewayConfig, type GatewayRef } from '../../protocol/index.js';

export interface ConfigPublisher {
  readonly ready: Promise<void>;
  /** Resolves once the broker has taken the config (PUBACK); rejects when it cannot. */
  publish(ref: GatewayRef, config: GatewayConfig): Promise<void>;
  /** Removes the retained config (resolves on PUBACK); rejects when the broker cannot be reached. */
  clear(ref: GatewayRef): Promise<void>;
  close(): Promise<void>;
}

export function connectConfigPublisher(
  options: { url: string; username: string; password: string; clientId: string; publishTimeoutMs?: number; tls?: MqttTlsMaterial | undefined },
  logger: Logger,
): ConfigPublisher {
  const publishTimeoutMs = options.publishTimeoutMs ?? 5000;
  const client: MqttClient = connectService(options);
  client.on('error', (err) => logger.warn({ err: err.message }, 'api config publisher MQTT error'));
  const ready = new Promise<void>((resolve) => client.once('connect', () => resolve()));

  // Never queued while offline: MQTT.js would send a stale config (or a clear) whenever it reconnects.
  const publishRetained = async (ref: GatewayRef, payload: string): Promise<void> => {
    if (!client.connected) throw new Error('the API is not connected to the broker');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.publishAsync(topics.config(ref), payload, { qos: 1, retain: true }),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the broker did not acknowledge within ${publishTimeoutMs} ms`)), publishTimeoutMs); }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    ready,
    publish: (ref, config) => publishRetained(ref, JSON.stringify(configSchema.parse(config))),
    // An empty retained message deletes the retained one (MQTT 3.1.1, 3.3.1.3).
    clear: (ref) => publishRetained(ref, ''),
    close: () => client.endAsync(true),
  };
}
