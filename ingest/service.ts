// The ingest service: subscribes to all gateways' telemetry (QoS 1, persistent
// session), validates each message, writes accepted samples to the store in
// batches and acknowledges each message only after its batch is written.
// Refused messages go to the dead-letter table with the reason, and are counted.
// With a snapshot store and an event log it also takes camera snapshots (image to disk +
// index, metadata point to the store) and events (event log, motion/tamper as readings),
// acknowledged only once all of it is durable.
import type { MqttClient } from 'mqtt';
import {
  MAX_TELEMETRY_BYTES, decodeJson, decodeSnapshot, eventSchema, filters, parseTopic, telemetrySchema, type GatewayEvent,
} from '../protocol/index.js';
import type { Logger } from '../lib/logger.js';
import type { MqttTlsMaterial } from '../lib/mqtt-tls.js';
import { connectService } from '../lib/service-mqtt.js';
import { subscribeOnEveryConnect } from '../lib/mqtt-subscribe.js';
import { Counter, Gauge, Histogram, getOrCreate, type Registry } from '../lib/metrics.js';
import { delay } from '../lib/wait.js';
import type { EventLog } from '../store/events/event-log.js';
import type { SnapshotStore } from '../store/snapshots/index.js';
import type { StoredSample, TelemetryStore } from '../store/types.js';
import { cameraEventSample, snapshotSample } from './camera-samples.js';
import type { DeadLetterStore } from './dead-letters.js';
import { installDeferredAcks } from './deferred-acks.js';
import { futureTimestampProblem, toStoredSamples } from './telemetry-to-samples.js';
import { WriteBatcher } from './write-batcher.js';

export interface IngestOptions {
  mqtt: { url: string; username: string; password: string; clientId: string; tls?: MqttTlsMaterial | undefined };
  store: TelemetryStore;
  deadLetters: DeadLetterStore;
  logger: Logger;
  registry: Registry;
  maxBatchSamples?: number;
  maxBatchDelayMs?: number;
  /** Samples read but not yet acked before ingest stops reading (backpressure). Default 4 batches. */
  maxUnackedSamples?: number;
  maxFutureSkewMs?: number;
  /** Takes camera snapshots (`filters.allSnapshots`) into this store; without it ingest does not subscribe to them. */
  snapshots?: SnapshotStore;
  /** Takes gateway events (`filters.allEvents`) into this log; without it ingest does not subscribe to them. */
  events?: EventLog;
  /** Alarm evaluation (ingest/alarms/alarm-service.ts): fed what is durably stored, before its message is acked. */
  alarms?: IngestAlarmFeed;
}

/** What ingest hands the alarm service. Must not throw: it runs between a write and its ack. */
export interface IngestAlarmFeed {
  /** Telemetry (and camera state) samples now in the store; `receivedAt`: when their message arrived. */
  samplesStored(samples: readonly StoredSample[], receivedAt: number): void;
  /** A gateway event now in the event log (device-online/offline feed gateway health). */
  eventStored(source: { site: string; gateway: string; device: string }, event: GatewayEvent): void;
}

/** Largest event payload accepted (events are small JSON). */
export const MAX_EVENT_BYTES = 64 * 1024;

export interface IngestService {
  /** Resolves once subscribed. */
  readonly ready: Promise<void>;
  stats(): { received: number; rejected: number; samplesWritten: number; pending: number; snapshotsStored: number; eventsStored: number };
  /** Writes what is queued (tests, shutdown). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

function ingestMetrics(registry: Registry) {
  return {
    received: getOrCreate(registry, 'shaobing_ingest_messages_received_total', () =>
      new Counter({ name: 'shaobing_ingest_messages_received_total', help: 'Messages received from the broker (telemetry, snapshots, events)', registers: [registry] })),
    rejected: getOrCreate(registry, 'shaobing_ingest_messages_rejected_total', () =>
      new Counter({ name: 'shaobing_ingest_messages_rejected_total', help: 'Messages refused and kept as dead letters, by cause', labelNames: ['cause'] as const, registers: [registry] })),
    samples: getOrCreate(registry, 'shaobing_ingest_samples_written_total', () =>
      new Counter({ name: 'shaobing_ingest_samples_written_total', help: 'Samples written to the store', registers: [registry] })),
    writeFailures: getOrCreate(registry, 'shaobing_ingest_write_failures_total', () =>
      new Counter({ name: 'shaobing_ingest_write_failures_total', help: 'Store writes that failed and were retried', registers: [registry] })),
    writeSeconds: getOrCreate(registry, 'shaobing_ingest_write_seconds', () =>
      new Histogram({ name: 'shaobing_ingest_write_seconds', help: 'Time to write one batch to the store', buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10], registers: [registry] })),
    pending: getOrCreate(registry, 'shaobing_ingest_pending_messages', () =>
      new Gauge({ name: 'shaobing_ingest_pending_messages', help: 'Messages received and not yet written', registers: [registry] })),
    snapshots: getOrCreate(registry, 'shaobing_ingest_snapshots_stored_total', () =>
      new Counter({ name: 'shaobing_ingest_snapshots_stored_total', help: 'Camera snapshots stored (redeliveries not counted)', registers: [registry] })),
    snapshotBytes: getOrCreate(registry, 'shaobing_ingest_snapshot_bytes_total', () =>
      new Counter({ name: 'shaobing_ingest_snapshot_bytes_total', help: 'Bytes of the camera snapshots stored', registers: [registry] })),
    events: getOrCreate(registry, 'shaobing_ingest_events_stored_total', () =>
      new Counter({ name: 'shaobing_ingest_events_stored_total', help: 'Gateway events stored in the event log (redeliveries not counted)', registers: [registry] })),
    sideWriteFailures: getOrCreate(registry, 'shaobing_ingest_side_write_failures_total', () =>
      new Counter({ name: 'shaobing_ingest_side_write_failures_total', help: 'Failed writes to the snapshot store or event log (retried, message un-acked)', labelNames: ['target'] as const, registers: [registry] })),
  };
}

export function startIngest(options: IngestOptions): IngestService {
  const { logger, store, deadLetters } = options;
  const metrics = ingestMetrics(options.registry);
  const maxFutureSkewMs = options.maxFutureSkewMs ?? 10 * 60_000;
  const counts = { received: 0, rejected: 0, samplesWritten: 0, snapshotsStored: 0, eventsStored: 0 };
  const { snapshots, events } = options;
  const stopping = new AbortController();

  // Persistent session: the broker keeps what we have not acked while we are away.
  const client: MqttClient = connectService(options.mqtt, { persistent: true });

  function deadLetter(topic: string, payload: Buffer, cause: string, reason: string): void {
    counts.rejected++;
    metrics.rejected.inc({ cause });
    logger.warn({ topic, cause, reason, bytes: payload.length }, 'message rejected');
    deadLetters.add(topic, reason, payload);
  }

  const batcher = new WriteBatcher({
    write: (samples) => store.writeBatch(samples),
    reject: (message, reason) => deadLetter(message.topic, message.payload, 'store-refused', reason),
    logger,
    maxBatchSamples: options.maxBatchSamples ?? 5000,
    maxDelayMs: options.maxBatchDelayMs ?? 20,
    onWritten: (samples, _messages, seconds) => {
      counts.samplesWritten += samples;
      metrics.samples.inc(samples);
      metrics.writeSeconds.observe(seconds);
    },
    onWriteFailed: () => metrics.writeFailures.inc(),
  });

  installDeferredAcks(client, {
    // Counted in samples, not messages: 20 000 messages of 50 samples were 1M decoded
    // samples on the heap (GC) and 20 000 entries in the broker's in-flight list.
    maxUnacked: options.maxUnackedSamples ?? 4 * (options.maxBatchSamples ?? 5000),
    onMessage: ({ topic, payload, ack }) => {
      counts.received++;
      metrics.received.inc();
      const receivedAt = Date.now();
      const parsed = parseTopic(topic);
      if (!parsed || parsed.kind !== 'gateway' || parsed.channel !== 'telemetry' || !parsed.device) {
        if (parsed?.kind === 'gateway' && parsed.device) {
          const source = { site: parsed.site, gateway: parsed.gateway, camera: parsed.device };
          if (parsed.channel === 'snapshot' && snapshots) return takeSnapshot(snapshots, source, topic, payload, ack);
          if (parsed.channel === 'event' && events) return takeEvent(events, source, topic, payload, ack, receivedAt);
        }
        deadLetter(topic, payload, 'topic', `topic "${topic}" is not a v1 telemetry, snapshot or event topic`);
        ack();
        return 0;
      }
      const decoded = decodeJson(telemetrySchema, payload, MAX_TELEMETRY_BYTES);
      const problem = decoded.ok ? futureTimestampProblem(decoded.value, Date.now(), maxFutureSkewMs) : decoded.reason;
      if (!decoded.ok || problem) {
        deadLetter(topic, payload, decoded.ok ? 'timestamp' : 'invalid', problem!);
        ack(); // kept in the dead letters: acking stops the broker from redelivering it forever
        return 0;
      }
      const samples = toStoredSamples({ site: parsed.site, gateway: parsed.gateway, device: parsed.device }, decoded.value);
      batcher.add({ topic, payload, samples, ack, ...feedAlarms(samples, receivedAt) });
      metrics.pending.set(batcher.pending);
      return samples.length;
    },
  });

  const alarms = options.alarms;
  function feedAlarms(samples: StoredSample[], receivedAt: number): { written?: () => void } {
    return alarms ? { written: () => alarms.samplesStored(samples, receivedAt) } : {};
  }

  /** Retries a write to the snapshot store or event log until it succeeds; undefined if ingest stops first (the message stays un-acked). */
  async function durably<T>(target: 'snapshots' | 'events', write: () => T | Promise<T>): Promise<T | undefined> {
    let backoff = 100;
    while (!stopping.signal.aborted) {
      try {
        return await write();
      } catch (err) {
        metrics.sideWriteFailures.inc({ target });
        logger.warn({ err: (err as Error).message, target, retryInMs: backoff }, 'write failed; message stays un-acked, retrying');
        await delay(backoff, stopping.signal);
        backoff = Math.min(5000, backoff * 2);
      }
    }
    return undefined;
  }

  function takeSnapshot(store: SnapshotStore, source: { site: string; gateway: string; camera: string }, topic: string, payload: Buffer, ack: () => void): number {
    const decoded = decodeSnapshot(payload);
    const problem = decoded.ok && decoded.value.header.ts > Date.now() + maxFutureSkewMs
      ? `ts: ${new Date(decoded.value.header.ts).toISOString()} is more than ${Math.round(maxFutureSkewMs / 1000)} s ahead of the ingest clock (gateway clock wrong?)`
      : undefined;
    if (!decoded.ok || problem) {
      deadLetter(topic, payload, decoded.ok ? 'timestamp' : 'snapshot-invalid', decoded.ok ? problem! : decoded.reason);
      ack();
      return 0;
    }
    const { header, image } = decoded.value;
    void durably('snapshots', () => store.put({
      ...source, ts: header.ts, sha256: header.sha256, width: header.width, height: header.height, trigger: header.trigger,
      alarmId: header.alarmId, commandId: header.commandId, device: header.device, reason: header.reason,
    }, image)).then((result) => {
      if (!result) return;
      if (result.inserted) {
        counts.snapshotsStored++;
        metrics.snapshots.inc();
        metrics.snapshotBytes.inc(header.bytes);
      }
      // The metadata point goes through the batcher, which acks once it is in the store too.
      batcher.add({ topic, payload, samples: [snapshotSample(source, header)], ack });
    });
    // Weighed by size (1 per KiB) against the read-ahead bound, which counts samples otherwise.
    return Math.ceil(payload.length / 1024);
  }

  function takeEvent(log: EventLog, source: { site: string; gateway: string; camera: string }, topic: string, payload: Buffer, ack: () => void, receivedAt: number): number {
    const decoded = decodeJson(eventSchema, payload, MAX_EVENT_BYTES);
    let problem: string | undefined;
    let sample: StoredSample | undefined;
    if (decoded.ok) {
      if (decoded.value.ts > Date.now() + maxFutureSkewMs) {
        problem = `ts: ${new Date(decoded.value.ts).toISOString()} is more than ${Math.round(maxFutureSkewMs / 1000)} s ahead of the ingest clock (gateway clock wrong?)`;
      } else {
        ({ sample, problem } = cameraEventSample(source, decoded.value));
      }
    }
    if (!decoded.ok || problem) {
      deadLetter(topic, payload, decoded.ok && problem?.startsWith('ts:') ? 'timestamp' : 'event-invalid', decoded.ok ? problem! : decoded.reason);
      ack();
      return 0;
    }
    const event = decoded.value;
    void durably('events', () => log.add({ site: source.site, gateway: source.gateway, device: source.camera }, event)).then((added) => {
      if (added === undefined) return;
      if (added) {
        counts.eventsStored++;
        metrics.events.inc();
      }
      alarms?.eventStored({ site: source.site, gateway: source.gateway, device: source.camera }, event);
      if (sample) batcher.add({ topic, payload, samples: [sample], ack, ...feedAlarms([sample], receivedAt) });
      else ack();
    });
    return 1;
  }

  const subscriptions = [filters.allTelemetry, ...(snapshots ? [filters.allSnapshots] : []), ...(events ? [filters.allEvents] : [])];

  client.on('connect', (connack) => logger.info({ url: options.mqtt.url, sessionPresent: connack.sessionPresent }, 'ingest connected to broker'));
  const subscribed = subscribeOnEveryConnect(client, subscriptions, logger, 'ingest');
  // A first connection that fails outright (bad credentials) rejects at once instead of retrying unseen.
  const firstConnectFailed = new Promise<never>((_, reject) => {
    const onError = (err: Error) => {
      logger.error({ err: err.message }, 'ingest MQTT connection failed');
      reject(err);
    };
    client.once('error', onError);
    client.once('connect', () => client.off('error', onError));
  });
  const ready = Promise.race([subscribed, firstConnectFailed]);
  ready.catch(() => undefined);
  client.on('error', (err) => logger.warn({ err: err.message }, 'ingest MQTT error'));
  client.on('offline', () => logger.warn('ingest lost the broker; reconnecting'));

  return {
    ready,
    stats: () => ({ ...counts, pending: batcher.pending }),
    drain: () => batcher.drain(),
    async close() {
      stopping.abort();
      await batcher.close();
      await client.endAsync(true);
    },
  };
}
