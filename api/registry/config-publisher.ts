// Pushes a gateway's remote config: retained, QoS 1, on `sb/v1/gw/{site}/{gw}/config`, so the
// gateway gets the latest one whenever it (re)connects. The api broker account may publish
// retained configs (broker/acl.ts).
import type { MqttClient } from 'mqtt';
import type { Logger } from '../../lib/logger.js';
import type { MqttTlsMaterial } from '../../lib/mqtt-tls.js';
import { connectService } from '../../lib/service-mqtt.js';
import { configSchema, topics, type GatewayConfig, type GatewayRef } from '../../protocol/index.js';

export interface ConfigPublisher {
  readonly ready: Promise<void>;
  /** Resolves once the broker has taken the config (PUBACK); rejects when it cannot. */
  publish(ref: GatewayRef, config: GatewayConfig): Promise<void>;
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

  return {
    ready,
    async publish(ref, config) {
      const payload = JSON.stringify(configSchema.parse(config));
      if (!client.connected) throw new Error('the API is not connected to the broker');
      await Promise.race([
        client.publishAsync(topics.config(ref), payload, { qos: 1, retain: true }),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`the broker did not acknowledge within ${publishTimeoutMs} ms`)), publishTimeoutMs).unref()),
      ]);
    },
    close: () => client.endAsync(true),
  };
}
