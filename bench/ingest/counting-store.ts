// A TelemetryStore wrapper that counts the samples each successful writeBatch stored,
// so the benchmark knows the moment the last reading reached the store without
// polling the database (which would compete with ingest for the CPU).
import type { TelemetryStore, StoredSample } from '../../store/types.js';
import { ProgressCounter } from './progress-counter.js';

export function countingStore(inner: TelemetryStore, written: ProgressCounter): TelemetryStore {
  return {
    kind: inner.kind,
    init: () => inner.init(),
    async writeBatch(samples: StoredSample[]): Promise<void> {
      await inner.writeBatch(samples);
      written.add(samples.length);
    },
    latest: (filter) => inner.latest(filter),
    history: (query) => inner.history(query),
    close: () => inner.close(),
  };
}
