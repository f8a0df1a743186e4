// The embedded TelemetryStore on SQLite (better-sqlite3): the demo's default and the
// store of a single small site. Schema in sqlite-schema.ts; WAL so the api can read
// while ingest writes; one transaction per batch so writes are all-or-nothing.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../lib/logger.js';
import { compareSeriesFields } from './ordering.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './sqlite-schema.js';
import type {
  HistoryQuery, HistorySeries, LatestReading, SeriesFilter, SeriesKey, StoredSample, TelemetryStore,
} from './types.js';
import { assertWritableSamples, effectiveAggregate, filterMatchesNothing, normalizeHistoryQuery, storedValue } from './validation.js';
import { aggregateWindows } from './windows.js';

export type SqliteDatabase = Database.Database;

export interface SqliteStoreOptions {
  logger?: Logger;
  /** How long a statement waits for another connection's lock before failing, ms. */
  busyTimeoutMs?: number;
}

/** One field of one series, with its latest value: the unit every read works on. */
interface FieldRow extends SeriesKey {
  seriesId: number;
  field: string;
  ts: number;
  value: number;
}

interface Statements {
  findSeries: Database.Statement<[string, string, string, string, string], { id: number }>;
  insertSeries: Database.Statement<[string, string, string, string, string], { id: number }>;
  upsertSample: Database.Statement<[number, number, number, string | null]>;
  upsertReading: Database.Statement<[number, string, number, number]>;
  upsertLatest: Database.Statement<[number, string, number, number]>;
  selectFields: Database.Statement<[Record<string, string | null>], FieldRow>;
  selectRange: Database.Statement<[number, string, number, number, number], [number, number]>;
}

const SERIES_COLUMNS = 'measurement, site, gateway, device, profile';

function isInMemory(file: string): boolean {
  return file === ':memory:' || file === '' || file.startsWith('file::memory:');
}

export class SqliteStore implements TelemetryStore {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly #log: Logger | undefined;
  #db: SqliteDatabase | undefined;
  #statements: Statements | undefined;
  /** series key → id; ids never change once committed, so the cache stays valid across connections. */
  readonly #seriesIds = new Map<string, number>();
  #writeSamples: ((samples: readonly StoredSample[]) => void) | undefined;

  /** Opens (creating parent directories and the file if needed) `file`, or ':memory:'. */
  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.path = file;
    this.#log = options.logger;
    if (!isInMemory(file)) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    // NORMAL under WAL: a power cut may lose the last commits, never corrupts the file.
    db.pragma('synchronous = NORMAL');
    this.#db = db;
  }

  /**
   * The open connection, for modules that keep their own tables in the same file
   * (alarms, dead letters, ...). They must not touch the tables of sqlite-schema.ts.
   */
  get database(): SqliteDatabase {
    if (!this.#db) throw new Error('SqliteStore is closed');
    return this.#db;
  }

  async init(): Promise<void> {
    if (this.#statements) return;
    const db = this.database;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${this.path} has store schema version ${version}, newer than this program's ${SCHEMA_VERSION}`);
    }
    db.exec(SCHEMA_SQL);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.#statements = this.#prepare(db);
    this.#writeSamples = db.transaction((samples: readonly StoredSample[]) => this.#writeInTransaction(samples));
    this.#log?.debug({ path: this.path, journalMode: db.pragma('journal_mode', { simple: true }) }, 'sqlite store ready');
  }

  #prepare(db: SqliteDatabase): Statements {
    return {
      findSeries: db.prepare(
        'SELECT id FROM series WHERE measurement = ? AND site = ? AND gateway = ? AND device = ? AND profile = ?',
      ),
      insertSeries: db.prepare(`INSERT INTO series (${SERIES_COLUMNS}) VALUES (?, ?, ?, ?, ?) RETURNING id`),
      upsertSample: db.prepare(
        `INSERT INTO samples (series_id, ts, seq, quality) VALUES (?, ?, ?, ?)
         ON CONFLICT (series_id, ts) DO UPDATE SET seq = excluded.seq, quality = coalesce(excluded.quality, samples.quality)`,
      ),
      upsertReading: db.prepare(
        `INSERT INTO readings (series_id, field, ts, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (series_id, field, ts) DO UPDATE SET value = excluded.value`,
      ),
      // ">=" so a replay of the newest sample with a corrected value still updates it.
      upsertLatest: db.prepare(
        `INSERT INTO latest (series_id, field, ts, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (series_id, field) DO UPDATE SET ts = excluded.ts, value = excluded.value
         WHERE excluded.ts >= latest.ts`,
      ),
      selectFields: db.prepare(
        `SELECT s.id AS seriesId, s.measurement, s.site, s.gateway, s.device, s.profile, l.field, l.ts, l.value
         FROM series s JOIN latest l ON l.series_id = s.id
         WHERE (@measurement IS NULL OR s.measurement = @measurement)
           AND (@site IS NULL OR s.site = @site)
           AND (@gateway IS NULL OR s.gateway = @gateway)
           AND (@device IS NULL OR s.device = @device)`,
      ),
      selectRange: db
        .prepare<[number, string, number, number, number], [number, number]>(
          'SELECT ts, value FROM readings WHERE series_id = ? AND field = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?',
        )
        .raw(true),
    };
  }

  #ready(): Statements {
    if (!this.#db) throw new Error('SqliteStore is closed');
    if (!this.#statements) throw new Error('SqliteStore: call init() before using the store');
    return this.#statements;
  }

  async writeBatch(samples: StoredSample[]): Promise<void> {
    this.#ready();
    assertWritableSamples(samples);
    if (samples.length === 0) return;
    try {
      this.#writeSamples?.(samples);
    } catch (err) {
      // The transaction rolled back: series ids created inside it no longer exist.
      this.#seriesIds.clear();
      throw err;
    }
  }

  #writeInTransaction(samples: readonly StoredSample[]): void {
    const st = this.#ready();
    for (const sample of samples) {
      const seriesId = this.#seriesId(st, sample);
      st.upsertSample.run(seriesId, sample.ts, sample.seq, sample.quality ?? null);
      for (const [field, raw] of Object.entries(sample.values)) {
        const value = storedValue(raw);
        st.upsertReading.run(seriesId, field, sample.ts, value);
        st.upsertLatest.run(seriesId, field, sample.ts, value);
      }
    }
  }

  #seriesId(st: Statements, key: SeriesKey): number {
    const cacheKey = `${key.measurement}\0${key.site}\0${key.gateway}\0${key.device}\0${key.profile}`;
    const cached = this.#seriesIds.get(cacheKey);
    if (cached !== undefined) return cached;
    const args = [key.measurement, key.site, key.gateway, key.device, key.profile] as const;
    const row = st.findSeries.get(...args) ?? st.insertSeries.get(...args);
    if (!row) throw new Error('SqliteStore: inserting a series returned no id');
    this.#seriesIds.set(cacheKey, row.id);
    return row.id;
  }

  /** Fields of the series matching `filter`, in result order. */
  #matchingFields(st: Statements, filter: SeriesFilter): FieldRow[] {
    if (filterMatchesNothing(filter)) return [];
    const rows = st.selectFields.all({
      measurement: filter.measurement ?? null,
      site: filter.site ?? null,
      gateway: filter.gateway ?? null,
      device: filter.device ?? null,
    });
    const wanted = filter.fields?.length ? new Set(filter.fields) : undefined;
    return (wanted ? rows.filter((row) => wanted.has(row.field)) : rows).sort(compareSeriesFields);
  }

  async latest(filter: SeriesFilter = {}): Promise<LatestReading[]> {
    const st = this.#ready();
    return this.#matchingFields(st, filter).map(({ seriesId: _id, ...reading }) => reading);
  }

  async history(query: HistoryQuery): Promise<HistorySeries[]> {
    const st = this.#ready();
    const q = normalizeHistoryQuery(query);
    if (q.empty) return [];
    const aggregate = effectiveAggregate(q);
    const out: HistorySeries[] = [];
    for (const row of this.#matchingFields(st, q)) {
      let points: Array<[number, number]>;
      if (q.windowMs === undefined || aggregate === undefined) {
        points = st.selectRange.all(row.seriesId, row.field, q.from, q.to, q.limit ?? -1);
      } else {
        // Windows are folded in JS from one ordered range scan (see windows.ts for why).
        points = aggregateWindows(st.selectRange.iterate(row.seriesId, row.field, q.from, q.to, -1), q.windowMs, aggregate, q.limit);
      }
      if (points.length === 0) continue;
      const { seriesId: _id, ts: _ts, value: _value, ...key } = row;
      out.push({ ...key, points });
    }
    return out;
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#statements = undefined;
    this.#writeSamples = undefined;
    db?.close();
  }
}
