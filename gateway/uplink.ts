// The gateway's MQTT connection: connects with a retained last will on the status topic and
// publishes JSON payloads, counting what went out and what failed. No durable queue yet:
// MQTT.js keeps QoS 1 messages in memory while offline (the outbox issue replaces that).
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from '../lib/logger.js';

/** Settles with the promise's value, or with `fallback` if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface UplinkOptions {
  url: string;
  username: string;
  password: string;
  clientId: string;
  keepaliveS: number;
  reconnectPeriodMs: number;
  will: { topic: string; payload: unknown };
}

export interface UplinkStats {
  connected: boolean;
  published: number;
  publishErrors: number;
}

export class Uplink {
  readonly client: MqttClient;
  private published = 0;
  private publishErrors = 0;

  constructor(options: UplinkOptions, private readonly logger: Logger) {
    this.client = connect(options.url, {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      keepalive: options.keepaliveS,
      reconnectPeriod: options.reconnectPeriodMs,
      protocolVersion: 4, // Aedes speaks MQTT 3.1.1 only
      clean: true,
      will: { topic: options.will.topic, payload: Buffer.from(JSON.stringify(options.will.payload)), qos: 1, retain: true },
    });
    this.client.on('error', (err) => logger.warn({ err: err.message }, 'mqtt error'));
    this.client.on('offline', () => logger.info('mqtt offline'));
    this.client.on('connect', () => logger.info({ url: options.url, clientId: options.clientId }, 'mqtt connected'));
  }

  get stats(): UplinkStats {
    return { connected: this.client.connected, published: this.published, publishErrors: this.publishErrors };
  }

  /** Publishes without waiting: a slow or absent uplink must never hold up polling. */
  publishJson(topic: string, payload: unknown, options: { retain?: boolean } = {}): void {
    this.client.publish(topic, JSON.stringify(payload), { qos: 1, retain: options.retain ?? false }, (err) => {
      if (err) {
        this.publishErrors++;
        this.logger.warn({ topic, err: err.message }, 'publish failed');
      } else {
        this.published++;
      }
    });
  }

  /**
   * Publishes and waits for the broker's PUBACK, for at most `timeoutMs`. Used for the final
   * offline status; returns false when it could not be confirmed.
   */
  async publishJsonConfirmed(topic: string, payload: unknown, options: { retain?: boolean; timeoutMs: number }): Promise<boolean> {
    if (!this.client.connected) return false;
    const sent = this.client
      .publishAsync(topic, JSON.stringify(payload), { qos: 1, retain: options.retain ?? false })
      .then(() => {
        this.published++;
        return true;
      })
      .catch(() => false);
    return within(sent, options.timeoutMs, false);
  }

  /** Disconnects cleanly (so the broker does not send the will); forced when offline, because
   *  MQTT.js's end() never resolves with QoS 1 messages pending while disconnected. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.client.connected) {
      const ended = this.client.endAsync(false).then(
        () => true,
        () => false,
      );
      if (await within(ended, timeoutMs, false)) return;
    }
    await this.client.endAsync(true);
  }
}
