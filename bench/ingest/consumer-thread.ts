// Worker thread on the receiving end of the broker: either the real ingest service
// (ingest/service.ts writing to a SQLite or InfluxDB store, PUBACK after the write)
// or, to measure the broker's own ceiling, a plain QoS 1 subscriber that acks every
// message at once and stores nothing. Both count what they got through.
import mqtt, { type MqttClient } from 'mqtt';
import { DeadLetterStore } from '../../ingest/dead-letters.js';
import { startIngest, type IngestService } from '../../ingest/service.js';
import { createRegistry } from '../../lib/metrics.js';
import { filters } from '../../protocol/index.js';
import { createStore, type StoreConfig, type TelemetryStore } from '../../store/index.js';
import { benchLogger } from './bench-logger.js';
import { countingStore } from './counting-store.js';
import { ProgressCounter, type CountReached } from './progress-counter.js';
import { serveThreadApi } from './thread-rpc.js';

export interface MqttLogin { url: string; username: string; password: string; clientId: string }

export type ConsumerSetup =
  | { mode: 'ingest'; mqtt: MqttLogin; store: StoreConfig; deadLetterPath: string }
  | { mode: 'plain'; mqtt: MqttLogin };

export interface ConsumerStats {
  /** Readings written (ingest) or messages received (plain). */
  count: number;
  unit: 'readings' | 'messages';
  /** Ingest only: messages received, refused as dead letters, awaiting their write. */
  received?: number;
  rejected?: number;
  pending?: number;
}

const counter = new ProgressCounter();
let unit: ConsumerStats['unit'] = 'messages';
let ingest: { service: IngestService; store: TelemetryStore; deadLetters: DeadLetterStore } | undefined;
let subscriber: MqttClient | undefined;

async function startPlainSubscriber(login: MqttLogin): Promise<MqttClient> {
  // Same session kind as ingest (persistent, QoS 1), so the broker does the same work per message.
  const client = await mqtt.connectAsync(login.url, { ...login, clean: false, reconnectPeriod: 0, protocolVersion: 4 });
  client.on('message', () => counter.add(1));
  const granted = await client.subscribeAsync(filters.allTelemetry, { qos: 1 });
  if (granted.some((g) => g.qos !== 1)) throw new Error(`subscription to ${filters.allTelemetry} not granted at QoS 1`);
  return client;
}

const api = {
  async start(setup: ConsumerSetup): Promise<void> {
    if (setup.mode === 'plain') {
      subscriber = await startPlainSubscriber(setup.mqtt);
      unit = 'messages';
      return;
    }
    const logger = benchLogger('ingest');
    const store = countingStore(createStore(setup.store, logger), counter);
    await store.init();
    const deadLetters = new DeadLetterStore(setup.deadLetterPath);
    const service = startIngest({ mqtt: setup.mqtt, store, deadLetters, logger, registry: createRegistry({ processMetrics: false }) });
    ingest = { service, store, deadLetters };
    unit = 'readings';
    await service.ready;
  },
  waitFor(target: number, timeoutMs: number): Promise<CountReached> {
    return counter.until(target, timeoutMs);
  },
  stats(): ConsumerStats {
    const extra = ingest ? (({ received, rejected, pending }) => ({ received, rejected, pending }))(ingest.service.stats()) : {};
    return { count: counter.count, unit, ...extra };
  },
  async close(): Promise<void> {
    if (subscriber) await subscriber.endAsync();
    if (ingest) {
      await ingest.service.close();
      await ingest.store.close();
      ingest.deadLetters.close();
    }
    subscriber = undefined;
    ingest = undefined;
  },
};

export type ConsumerThreadApi = typeof api;
serveThreadApi(api);
