// Child process running the real ingest service (ingest/service.ts: persistent QoS 1
// session, zod validation, batched writes, PUBACK only after the write) on InfluxDB,
// for the soak. Its store is wrapped to count what was written and how long each
// reading took from its sample time (the publisher's clock, same machine) to the end
// of its write: end-to-end latency.
import { DeadLetterStore } from '../../ingest/dead-letters.js';
import { startIngest, type IngestService } from '../../ingest/service.js';
import { createRegistry } from '../../lib/metrics.js';
import { createStore, type StoreConfig, type TelemetryStore } from '../../store/index.js';
import type { StoredSample } from '../../store/types.js';
import { benchLogger } from '../ingest/bench-logger.js';
import type { MqttLogin } from '../ingest/consumer-thread.js';
import { emptyLatencies, recordLatency, type LatencyCounts } from './latency-histogram.js';
import { serveProcessApi } from './process-rpc.js';

export interface IngestSetup {
  mqtt: MqttLogin;
  store: StoreConfig;
  deadLetterPath: string;
}

export interface IngestProgress {
  /** Readings whose write succeeded (a redelivered message counts again). */
  written: number;
  received: number;
  rejected: number;
  /** Messages received and not yet written. */
  pending: number;
  latencies: LatencyCounts;
}

const latencies = emptyLatencies();
let written = 0;
let running: { service: IngestService; store: TelemetryStore; deadLetters: DeadLetterStore } | undefined;

function measuredStore(inner: TelemetryStore): TelemetryStore {
  return {
    kind: inner.kind,
    init: () => inner.init(),
    async writeBatch(samples: StoredSample[]): Promise<void> {
      await inner.writeBatch(samples);
      const now = Date.now();
      for (const sample of samples) recordLatency(latencies, now - sample.ts);
      written += samples.length;
    },
    latest: (filter) => inner.latest(filter),
    history: (query) => inner.history(query),
    close: () => inner.close(),
  };
}

const api = {
  async start(setup: IngestSetup): Promise<void> {
    const logger = benchLogger('ingest');
    const store = measuredStore(createStore(setup.store, logger));
    await store.init();
    const deadLetters = new DeadLetterStore(setup.deadLetterPath);
    const service = startIngest({ mqtt: setup.mqtt, store, deadLetters, logger, registry: createRegistry({ processMetrics: false }) });
    running = { service, store, deadLetters };
    await service.ready;
  },
  progress(): IngestProgress {
    const stats = running?.service.stats();
    return { written, received: stats?.received ?? 0, rejected: stats?.rejected ?? 0, pending: stats?.pending ?? 0, latencies };
  },
  async close(): Promise<void> {
    if (!running) return;
    await running.service.close();
    await running.store.close();
    running.deadLetters.close();
    running = undefined;
  },
};

export type IngestProcessApi = typeof api;
serveProcessApi(api);
