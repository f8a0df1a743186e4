// Subscribing a backend MQTT client on every connect (its session may be clean, so a reconnect
// needs the subscription again) and telling refusal apart from success: MQTT 3.1.1 reports a
// refused filter as granted QoS 128 in SUBACK, not as an error.
import type { MqttClient } from 'mqtt';
import type { Logger } from './logger.js';

/**
 * Subscribes `filters` (QoS 1) now if connected and on every later connect. The promise settles
 * on the first SUBACK: resolved, or rejected with the refused filters named (also logged as
 * "`what` cannot subscribe").
 */
export function subscribeOnEveryConnect(client: MqttClient, filters: string | string[], logger: Logger, what: string): Promise<void> {
  const ready = new Promise<void>((resolve, reject) => {
    const subscribe = () => {
      client.subscribe(filters, { qos: 1 }, (err, granted) => {
        const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
        if (err || refused.length > 0) {
          const reason = err?.message ?? `broker refused the subscription to ${refused.join(', ')}`;
          logger.error({ reason }, `${what} cannot subscribe`);
          reject(new Error(reason));
        } else resolve();
      });
    };
    client.on('connect', subscribe);
    if (client.connected) subscribe();
  });
  ready.catch(() => undefined);
  return ready;
}
