// The API's MQTT link for the live stream and the alarm namespace: subscribes to all
// telemetry and all alarm changes and hands them to the hub, and publishes acknowledgements
// (the api account may subscribe telemetry and alarms and publish alarms, broker/acl.ts).
// Payloads are validated like ingest does; an invalid one is ingest's to dead-letter, so here
// it is only counted and skipped.
import type { MqttClient } from 'mqtt';
import {
  MAX_TELEMETRY_BYTES, alarmSchema, decodeJson, filters, parseTopic, telemetrySchema, topics, type Alarm,
} from '../../protocol/index.js';
import type { Logger } from '../../lib/logger.js';
import type { MqttTlsMaterial } from '../../lib/mqtt-tls.js';
import { connectService } from '../../lib/service-mqtt.js';
import { Counter, getOrCreate, type Registry } from '../../lib/metrics.js';
import { subscribeOnEveryConnect } from '../../lib/mqtt-subscribe.js';
import type { LiveHub } from './live-hub.js';

const MAX_ALARM_BYTES = 64 * 1024;

/** Publishes alarm changes on `sb/v1/alarm/{site}/{device}` (the API: acknowledgements). */
export interface AlarmPublisher {
  connected(): boolean;
  /** Resolves once the broker took it (QoS 1). */
  publishAlarm(alarm: Alarm): Promise<void>;
}

export interface LiveFeed extends AlarmPublisher {
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function connectLiveFeed(
  options: { url: string; username: string; password: string; clientId: string; tls?: MqttTlsMaterial | undefined },
  hub: LiveHub,
  logger: Logger,
  registry?: Registry,
): LiveFeed {
  const invalid = registry && getOrCreate(registry, 'shaobing_live_feed_invalid_total', () => new Counter({
    name: 'shaobing_live_feed_invalid_total', help: 'Messages the live feed skipped as invalid (ingest dead-letters them)', labelNames: ['kind'] as const, registers: [registry],
  }));
  const client: MqttClient = connectService(options);

  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    if (parsed?.kind === 'gateway' && parsed.channel === 'telemetry' && parsed.device !== undefined) {
      const decoded = decodeJson(telemetrySchema, payload, MAX_TELEMETRY_BYTES);
      if (!decoded.ok) {
        invalid?.inc({ kind: 'telemetry' });
        logger.debug({ topic, reason: decoded.reason }, 'live feed: skipping invalid telemetry');
        return;
      }
      const { measurement, profile, samples } = decoded.value;
      for (const sample of samples) {
        hub.publishReading({
          site: parsed.site, gateway: parsed.gateway, device: parsed.device, measurement, profile,
          ts: sample.ts, seq: sample.seq, values: sample.values, ...(sample.quality ? { quality: sample.quality } : {}),
        });
      }
    } else if (parsed?.kind === 'alarm') {
      const decoded = decodeJson(alarmSchema, payload, MAX_ALARM_BYTES);
      // The topic names the alarm's site and device: a message disagreeing with it is not trusted.
      const reason = !decoded.ok ? decoded.reason
        : decoded.value.site !== parsed.site || decoded.value.device !== parsed.device ? 'site/device differ from the topic' : undefined;
      if (reason !== undefined || !decoded.ok) {
        invalid?.inc({ kind: 'alarm' });
        logger.warn({ topic, reason }, 'live feed: skipping invalid alarm message');
        return;
      }
      hub.publishAlarm(decoded.value);
    }
  });

  const ready = subscribeOnEveryConnect(client, [filters.allTelemetry, filters.allAlarms], logger, 'api (live stream)');
  client.on('error', (err) => logger.warn({ err: err.message }, 'api live feed MQTT error'));

  return {
    ready,
    connected: () => client.connected,
    async publishAlarm(alarm) {
      const message = alarmSchema.parse(alarm);
      if (!client.connected) throw new Error('the API is not connected to the broker');
      await client.publishAsync(topics.alarm(message.site, message.device), JSON.stringify(message), { qos: 1, retain: false });
    },
    close: async () => { await client.endAsync(true); },
  };
}
