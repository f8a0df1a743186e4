// The store's public face: createStore() picks the implementation from configuration;
// callers (ingest, api, cli) import from here and see only the TelemetryStore interface.
import type { Logger } from '../lib/logger.js';
import { InfluxStore, type InfluxStoreOptions } from './influx/influx-store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { TelemetryStore } from './types.js';

export * from './types.js';
export { SqliteStore, type SqliteStoreOptions, type SqliteDatabase } from './sqlite-store.js';
export { InfluxStore, type InfluxStoreOptions } from './influx/influx-store.js';

export type StoreConfig =
  | ({ kind: 'sqlite'; path: string } & Omit<SqliteStoreOptions, 'logger'>)
  | ({ kind: 'influx' } & Omit<InfluxStoreOptions, 'logger'>);

/** Builds the configured store; the caller still calls init() (it may fail and be retried). */
export function createStore(config: StoreConfig, logger?: Logger): TelemetryStore {
  switch (config.kind) {
    case 'sqlite': {
      const { kind: _kind, path, ...options } = config;
      return new SqliteStore(path, { ...options, logger });
    }
    case 'influx': {
      const { kind: _kind, ...options } = config;
      return new InfluxStore({ ...options, logger });
    }
  }
}
