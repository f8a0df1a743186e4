// Counting what actually arrived in a store after a scenario, straight from the
// database (not from ingest's own counters): readings (one sample of one device)
// and values (readings × fields). Also drops a finished InfluxDB benchmark database.
import Database from 'better-sqlite3';
import { FIELD_NAMES, MEASUREMENT } from './synthetic-telemetry.js';

export interface StoredCounts {
  readings: number;
  values: number;
}

/** Counts in the embedded store's tables (sqlite-schema.ts): a `samples` row per reading, a `readings` row per value. */
export function countSqlite(file: string): StoredCounts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT (SELECT count(*) FROM samples) AS readings, (SELECT count(*) FROM readings) AS "values"').get() as StoredCounts;
    return { readings: row.readings, values: row.values };
  } finally {
    db.close();
  }
}

interface InfluxQueryBody {
  results?: Array<{ error?: string; series?: Array<{ columns: string[]; values: unknown[][] }> }>;
  error?: string;
}

/** Reads `SELECT count(*)` output: readings = count of the first field, values = sum over the benchmark's fields. */
export function parseInfluxCounts(body: InfluxQueryBody): StoredCounts {
  const result = body.results?.[0];
  const error = body.error ?? result?.error;
  if (error) throw new Error(`InfluxDB count failed: ${error}`);
  const series = result?.series?.[0];
  if (!series) return { readings: 0, values: 0 };
  const row = series.values[0] ?? [];
  const countOf = (field: string): number => {
    const i = series.columns.indexOf(`count_${field}`);
    return i < 0 ? 0 : Number(row[i] ?? 0);
  };
  return { readings: countOf(FIELD_NAMES[0]), values: FIELD_NAMES.reduce((sum, field) => sum + countOf(field), 0) };
}

async function influxQuery(url: string, database: string, statement: string): Promise<InfluxQueryBody> {
  const response = await fetch(`${url}/query?${new URLSearchParams({ db: database })}`, {
    method: 'POST',
    body: new URLSearchParams({ q: statement }),
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await response.json()) as InfluxQueryBody;
  if (!response.ok) throw new Error(`InfluxDB answered ${response.status}: ${body.error ?? ''}`);
  return body;
}

export async function countInflux(url: string, database: string): Promise<StoredCounts> {
  return parseInfluxCounts(await influxQuery(url, database, `SELECT count(*) FROM "${MEASUREMENT}"`));
}

export async function createInfluxDatabase(url: string, database: string): Promise<void> {
  await influxQuery(url, database, `CREATE DATABASE "${database}"`);
}

/** So the next scenario does not share the CPU with this database's background compactions. */
export async function dropInfluxDatabase(url: string, database: string): Promise<void> {
  await influxQuery(url, database, `DROP DATABASE "${database}"`);
}
