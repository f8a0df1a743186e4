// The seam between ingest (writes) and the api (reads): one interface, two
// implementations (InfluxDB for production, SQLite embedded). Nothing here knows
// its callers; the conformance suite (store/conformance.ts) holds both to it.

/** Tags of a series: low cardinality by design (no values or ever-growing ids). */
export interface SeriesKey {
  measurement: string;
  site: string;
  gateway: string;
  device: string;
  profile: string;
}

/** One sample of one device as written to the store: all values share the timestamp. */
export interface StoredSample extends SeriesKey {
  /** Gateway sample time, ms since the epoch (UTC). Same series + ts overwrites. */
  ts: number;
  /** Per-gateway sequence number, kept so gaps can be detected. */
  seq: number;
  quality?: 'good' | 'uncertain' | 'bad';
  /** Booleans are stored as 1/0 so a field never changes type in the database. */
  values: Record<string, number | boolean>;
}

export interface SeriesFilter {
  site?: string;
  gateway?: string;
  device?: string;
  measurement?: string;
  /** Only these fields (all when absent or empty). */
  fields?: string[];
}

export interface LatestReading extends SeriesKey {
  field: string;
  ts: number;
  value: number;
}

export type Aggregate = 'mean' | 'min' | 'max' | 'last';

export interface HistoryQuery extends SeriesFilter {
  /** Inclusive start, ms since the epoch. */
  from: number;
  /** Exclusive end, ms since the epoch. */
  to: number;
  /** Window length in ms; windows are aligned to the epoch (as InfluxQL GROUP BY time does). Absent: raw samples. */
  windowMs?: number;
  aggregate?: Aggregate;
  /** Maximum points per series (raw or windowed), oldest first. */
  limit?: number;
}

export interface HistorySeries extends SeriesKey {
  field: string;
  /** [ts, value] pairs in ascending time; for windows ts is the window start. */
  points: Array<[number, number]>;
}

export interface TelemetryStore {
  readonly kind: 'sqlite' | 'influx';
  /** Connects, creates the database/schema if missing. Idempotent. */
  init(): Promise<void>;
  /** Writes all samples or throws; a throw means none may be assumed written (retry the batch). */
  writeBatch(samples: StoredSample[]): Promise<void>;
  /** Latest value of every matching field of every matching series, sorted by series key then field. */
  latest(filter?: SeriesFilter): Promise<LatestReading[]>;
  history(query: HistoryQuery): Promise<HistorySeries[]>;
  close(): Promise<void>;
}

/** Thrown by writeBatch when the database refused the data itself (not an outage): retrying will not help. */
export class RejectedWriteError extends Error {
  override readonly name = 'RejectedWriteError';
}
