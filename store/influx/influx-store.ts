// The production TelemetryStore on InfluxDB through @influxdata/influxdb-client. One
// code path serves 1.x (1.6 included: writes are mapped to /write, see transport.ts),
// 1.8+, 2.x and 3.x: writes go through the library's WriteApi, reads are InfluxQL on
// /query (2.x needs a DBRP mapping for the bucket).
import http from 'node:http';
import https from 'node:https';
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';
import type { Logger } from '../../lib/logger.js';
import { compareSeriesFields } from '../ordering.js';
import type {
  HistoryQuery, HistorySeries, LatestReading, SeriesFilter, StoredSample, TelemetryStore,
} from '../types.js';
import { assertWritableSamples, effectiveAggregate, filterMatchesNothing, normalizeHistoryQuery } from '../validation.js';
import { describeInfluxError, writeFailure } from './errors.js';
import {
  createDatabaseStatement, historyStatement, latestStatement, showFieldKeysStatement, type Target,
} from './influxql.js';
import { samplesToLines } from './line-protocol.js';
import { parseFieldKeys, parseQueryResponse, toHistorySeries, toLatestReadings, type InfluxSeries } from './query-results.js';
import { authorizationHeader, hasV2WriteEndpoint, parseServerVersion, type ServerVersion } from './server-version.js';
import { adaptTransport } from './transport.js';

export interface InfluxStoreOptions {
  /** Base URL, e.g. http://127.0.0.1:8086. */
  url: string;
  /** 1.x database; on 2.x/3.x also the bucket (2.x: with a DBRP mapping for reads). */
  database: string;
  /** 1.x retention policy; the server's default when absent. */
  retentionPolicy?: string;
  /** 2.x organization (name or id). */
  org?: string;
  /** 2.x/3.x API token (sent as `Token …`). */
  token?: string;
  /** 1.x user (sent with Basic authentication). */
  username?: string;
  password?: string;
  /** Longest time one HTTP request may take. Default 10 000 ms. */
  timeoutMs?: number;
  logger?: Logger;
}

/** Lines per write request: bounded bodies, far below InfluxDB's 25 MB default limit. */
const MAX_LINES_PER_REQUEST = 5000;
/** Statements per /query request. */
const MAX_STATEMENTS_PER_REQUEST = 100;

interface Connection {
  version: ServerVersion;
  transport: Transport;
}

export class InfluxStore implements TelemetryStore {
  readonly kind = 'influx' as const;
  readonly #options: InfluxStoreOptions;
  readonly #timeoutMs: number;
  /** The URL without user:password, for messages. */
  readonly #displayUrl: string;
  readonly #target: Target;
  readonly #agent: http.Agent;
  readonly #baseTransport: Transport;
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #closed = false;

  constructor(options: InfluxStoreOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`InfluxStore: url must be http(s), got ${options.url}`);
    if (!options.database) throw new Error('InfluxStore: database is required');
    // "db/rp" is how v2 writes name a retention policy: a "/" in the name would be misread.
    if (options.database.includes('/')) throw new Error('InfluxStore: database names must not contain "/"');
    this.#displayUrl = `${url.origin}${url.pathname.replace(/\/$/, '')}`;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.#timeoutMs > 0)) throw new Error('InfluxStore: timeoutMs must be positive');
    this.#options = options;
    this.#target = { database: options.database, retentionPolicy: options.retentionPolicy || undefined };
    // Our own agent, so close() can destroy every socket this store opened.
    this.#agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.#baseTransport = new InfluxDB({ url: options.url, timeout: this.#timeoutMs, transportOptions: { agent: this.#agent } }).transport;
  }

  /** The server version seen by init(), e.g. "1.6.7~rc0". */
  get serverVersion(): string | undefined {
    return this.#connection?.version.raw;
  }

  async init(): Promise<void> {
    if (this.#closed) throw new Error('InfluxStore is closed');
    if (this.#connection) return;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    this.#connection = await this.#connecting;
  }

  async #connect(): Promise<Connection> {
    let versionHeader: string | string[] | undefined;
    try {
      await this.#baseTransport.request('/ping', '', { method: 'GET', signal: AbortSignal.timeout(this.#timeoutMs) }, (headers) => {
        versionHeader = headers['x-influxdb-version'];
      });
    } catch (err) {
      throw new Error(`InfluxDB at ${this.#displayUrl} did not answer /ping: ${describeInfluxError(err, this.#timeoutMs)}`, { cause: err });
    }
    const version = parseServerVersion(versionHeader);
    const transport = adaptTransport(this.#baseTransport, {
      useV1WriteEndpoint: !hasV2WriteEndpoint(version),
      authorization: authorizationHeader(this.#options, version),
      timeoutMs: this.#timeoutMs,
    });
    const connection: Connection = { version, transport };
    if (version.major === 1) await this.#createDatabase(connection);
    this.#options.logger?.info(
      { url: this.#displayUrl, version: version.raw, database: this.#options.database, v1Writes: !hasV2WriteEndpoint(version) },
      'connected to InfluxDB',
    );
    return connection;
  }

  /** CREATE DATABASE is idempotent on 1.x; a non-admin user may lack the right, and the database may already exist. */
  async #createDatabase(connection: Connection): Promise<void> {
    try {
      await this.#query(connection, [createDatabaseStatement(this.#options.database)]);
    } catch (err) {
      // 403 / "not authorized": a user without admin rights. A 401 (bad credentials) still fails init.
      const cause = (err as Error).cause;
      const forbidden = (cause instanceof HttpError && cause.statusCode === 403) || /not authorized/i.test((err as Error).message);
      if (!forbidden) throw err;
      this.#options.logger?.warn({ database: this.#options.database, err: (err as Error).message }, 'not allowed to create the InfluxDB database; assuming it exists');
    }
  }

  #ready(): Connection {
    if (this.#closed) throw new Error('InfluxStore is closed');
    if (!this.#connection) throw new Error('InfluxStore: call init() before using the store');
    return this.#connection;
  }

  async writeBatch(samples: StoredSample[]): Promise<void> {
    const connection = this.#ready();
    assertWritableSamples(samples);
    const lines = samplesToLines(samples);
    for (let i = 0; i < lines.length; i += MAX_LINES_PER_REQUEST) {
      await this.#writeLines(connection, lines.slice(i, i + MAX_LINES_PER_REQUEST));
    }
  }

  /**
   * One request per call, straight through the adapted transport (v2 path mapped to
   * /write on 1.x, auth, deadline). The library's WriteApi would add a line buffer,
   * per-line byte counting, its own retries and gzip on top of our batching: none of
   * which ingest wants (it batches and retries itself), and ~10 % of its CPU.
   */
  async #writeLines(connection: Connection, lines: string[]): Promise<void> {
    const { database, retentionPolicy } = this.#target;
    const bucket = retentionPolicy ? `${database}/${retentionPolicy}` : database;
    const query = new URLSearchParams({ org: this.#options.org ?? '', bucket, precision: 'ms' });
    try {
      await connection.transport.request(`/api/v2/write?${query.toString()}`, lines.join('\n'), {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    } catch (err) {
      throw writeFailure(err, this.#timeoutMs);
    }
  }

  /** Runs statements over /query (POST: CREATE needs it), in requests of bounded size. */
  async #query(connection: Connection, statements: string[]): Promise<InfluxSeries[][]> {
    const out: InfluxSeries[][] = [];
    const path = `/query?${new URLSearchParams({ db: this.#options.database, epoch: 'ms' }).toString()}`;
    for (let i = 0; i < statements.length; i += MAX_STATEMENTS_PER_REQUEST) {
      const chunk = statements.slice(i, i + MAX_STATEMENTS_PER_REQUEST);
      let body: unknown;
      try {
        body = await connection.transport.request(path, new URLSearchParams({ q: chunk.join(';\n') }).toString(), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        });
      } catch (err) {
        throw new Error(`InfluxDB query failed: ${describeInfluxError(err, this.#timeoutMs)}`, { cause: err });
      }
      out.push(...parseQueryResponse(body, chunk.length));
    }
    return out;
  }

  /** (measurement, field) pairs to read, from SHOW FIELD KEYS, narrowed by the filter. */
  async #fieldPairs(connection: Connection, filter: SeriesFilter): Promise<Array<[string, string]>> {
    const [series = []] = await this.#query(connection, [showFieldKeysStatement(filter.measurement, this.#target)]);
    const wanted = filter.fields?.length ? new Set(filter.fields) : undefined;
    const pairs: Array<[string, string]> = [];
    for (const [measurement, fields] of parseFieldKeys(series)) {
      if (filter.measurement !== undefined && measurement !== filter.measurement) continue;
      for (const field of fields) if (!wanted || wanted.has(field)) pairs.push([measurement, field]);
    }
    return pairs;
  }

  async latest(filter: SeriesFilter = {}): Promise<LatestReading[]> {
    const connection = this.#ready();
    if (filterMatchesNothing(filter)) return [];
    const pairs = await this.#fieldPairs(connection, filter);
    if (pairs.length === 0) return [];
    const results = await this.#query(connection, pairs.map(([m, f]) => latestStatement(m, f, filter, this.#target)));
    return pairs.flatMap(([m, f], i) => toLatestReadings(m, f, results[i] ?? [])).sort(compareSeriesFields);
  }

  async history(query: HistoryQuery): Promise<HistorySeries[]> {
    const connection = this.#ready();
    const q = normalizeHistoryQuery(query);
    if (q.empty || filterMatchesNothing(q)) return [];
    const pairs = await this.#fieldPairs(connection, q);
    if (pairs.length === 0) return [];
    const options = { from: q.from, to: q.to, windowMs: q.windowMs, aggregate: effectiveAggregate(q), limit: q.limit };
    const results = await this.#query(connection, pairs.map(([m, f]) => historyStatement(m, f, q, this.#target, options)));
    return pairs.flatMap(([m, f], i) => toHistorySeries(m, f, results[i] ?? [])).sort(compareSeriesFields);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#connection = undefined;
    this.#agent.destroy();
  }
}
