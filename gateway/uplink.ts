// The gateway's MQTT connection: connects with a retained last will on the status topic,
// publishes only while connected, and receives its config and command topics.
//
// MQTT.js keeps QoS 1 publishes in memory while offline and, after a reconnect, replays them
// one at a time before it even reports the connection. The gateway's outbox does store-and-
// forward itself, so nothing is handed to MQTT.js while offline, and when a connection drops,
// the publishes it had in flight are taken back out of MQTT.js (their promises reject; the
// outbox still holds the rows and sends them again with its own window).
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from '../lib/logger.js';
import { mqttTlsClientOptions, type MqttTlsMaterial } from '../lib/mqtt-tls.js';

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
  /** For mqtts:// URLs: the CA to trust and, for mutual TLS, the gateway's certificate and key. */
  tls?: MqttTlsMaterial | undefined;
}

export interface UplinkStats {
  connected: boolean;
  published: number;
  publishErrors: number;
  /** Connections made since start (the first one included). */
  connects: number;
}

export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
  constructor() {
    super('not connected to the broker');
  }
}

export type MessageHandler = (payload: Buffer, retained: boolean) => void;

export class Uplink {
  readonly client: MqttClient;
  private published = 0;
  private publishErrors = 0;
  private connects = 0;
  private readonly handlers = new Map<string, MessageHandler>();

  constructor(options: UplinkOptions, private readonly logger: Logger) {
    this.client = connect(options.url, {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      keepalive: options.keepaliveS,
      reconnectPeriod: options.reconnectPeriodMs,
      protocolVersion: 4, // Aedes speaks MQTT 3.1.1 only
      // Clean session: a command queued for hours while the gateway was away must not run
      // when it returns (the backend sees no result and decides again); the retained config
      // arrives anew on every subscription anyway.
      clean: true,
      will: { topic: options.will.topic, payload: Buffer.from(JSON.stringify(options.will.payload)), qos: 1, retain: true },
      ...mqttTlsClientOptions(options.tls),
    });
    this.client.on('error', (err) => logger.warn({ err: err.message }, 'mqtt error'));
    this.client.on('offline', () => logger.info('mqtt offline'));
    this.client.on('connect', () => {
      this.connects++;
      logger.info({ url: options.url, clientId: options.clientId }, 'mqtt connected');
    });
    this.client.on('close', () => this.abandonPublishes());
    this.client.on('message', (topic, payload, packet) => {
      const handler = this.handlers.get(topic);
      if (!handler) return;
      try {
        handler(payload, packet.retain);
      } catch (err) {
        logger.error({ topic, err: (err as Error).message }, 'message handler failed');
      }
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  get stats(): UplinkStats {
    return { connected: this.client.connected, published: this.published, publishErrors: this.publishErrors, connects: this.connects };
  }

  /** Runs `listener` on every (re)connect, once the broker has accepted the session. */
  onConnect(listener: () => void): () => void {
    this.client.on('connect', listener);
    return () => this.client.off('connect', listener);
  }

  /** Runs `listener` whenever the connection is lost or closed. */
  onClose(listener: () => void): () => void {
    this.client.on('close', listener);
    return () => this.client.off('close', listener);
  }

  /**
   * Subscribes with QoS 1 and routes the topic's messages to `handler`. MQTT.js subscribes
   * again after every reconnect (our session is clean), so this is called once.
   */
  subscribe(topic: string, handler: MessageHandler): void {
    this.handlers.set(topic, handler);
    this.client.subscribe(topic, { qos: 1 }, (err, granted) => {
      if (err) {
        this.logger.error({ topic, err: err.message }, 'subscribe failed');
      } else if (granted?.some((g) => g.qos === 128)) {
        this.logger.error({ topic }, 'the broker refused the subscription (check the account\'s topic permissions)');
      }
    });
  }

  /**
   * Publishes QoS 1 and resolves on the broker's PUBACK. Rejects at once when not connected
   * (nothing is left in MQTT.js's offline queue), and when the connection drops first.
   */
  publishAcked(topic: string, payload: string | Buffer): Promise<void> {
    if (!this.client.connected) return Promise.reject(new NotConnectedError());
    return new Promise((resolve, reject) => {
      this.client.publish(topic, payload, { qos: 1 }, (err) => {
        if (err) {
          reject(err);
        } else {
          this.published++;
          resolve();
        }
      });
    });
  }

  /**
   * Publishes without waiting, only while connected (used for the retained status, which is
   * sent afresh on every connect, so one lost during an outage does not matter).
   */
  publishJson(topic: string, payload: unknown, options: { retain?: boolean } = {}): void {
    if (!this.client.connected) return;
    this.client.publish(topic, JSON.stringify(payload), { qos: 1, retain: options.retain ?? false }, (err) => {
      if (err) {
        this.publishErrors++;
        this.logger.debug({ topic, err: err.message }, 'publish not confirmed');
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

  /**
   * The connection is gone: take our publishes back out of MQTT.js's store so that it does not
   * replay them one by one after reconnecting. Their callbacks fail with "Message removed".
   */
  private abandonPublishes(): void {
    for (const [id, entry] of Object.entries(this.client.outgoing)) {
      if (entry.cmd === 'publish') {
        this.publishErrors++;
        this.client.removeOutgoingMessage(Number(id));
      }
    }
  }
}
