// Building InfluxQL statements for the reads. Every name and tag value that reaches a
// statement comes from a caller (ultimately a user), so identifiers are always double-
// quoted and tag values always single-quoted string literals, both escaped: no input
// can end the literal and add InfluxQL of its own.
import type { Aggregate, SeriesFilter } from '../types.js';

/** The tags every series carries, in the order results are grouped by. */
export const SERIES_TAGS = ['site', 'gateway', 'device', 'profile'] as const;

/** Escapes the characters InfluxQL's string scanner treats specially: `\`, the quote, line breaks. */
function escapeQuoted(text: string, quote: '"' | "'"): string {
  let out = '';
  for (const c of text) {
    if (c === '\\') out += '\\\\';
    else if (c === quote) out += `\\${quote}`;
    else if (c === '\n') out += '\\n';
    // The scanner has no escape for CR; a literal one is harmless inside quotes.
    else out += c;
  }
  return out;
}

export function quoteIdentifier(name: string): string {
  return `"${escapeQuoted(name, '"')}"`;
}

export function quoteString(value: string): string {
  return `'${escapeQuoted(value, "'")}'`;
}

export interface Target {
  database: string;
  retentionPolicy?: string;
}

/** FROM clause; the database travels as the `db` parameter, the retention policy in the name. */
export function fromClause(measurement: string, target: Target): string {
  const rp = target.retentionPolicy ? `${quoteIdentifier(target.retentionPolicy)}.` : '';
  return `${rp}${quoteIdentifier(measurement)}`;
}

/** WHERE conditions of a filter; `::tag` keeps a field that happens to share a tag's name out of it. */
export function tagConditions(filter: SeriesFilter): string[] {
  const out: string[] = [];
  for (const tag of ['site', 'gateway', 'device'] as const) {
    const value = filter[tag];
    if (value !== undefined) out.push(`${quoteIdentifier(tag)}::tag = ${quoteString(value)}`);
  }
  return out;
}

/** Epoch-ms time literal; callers pass integers (see validation.ts). */
function timeLiteral(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new Error(`InfluxQL: time bound ${ms} is not an integer`);
  return `${ms}ms`;
}

function whereClause(conditions: string[]): string {
  return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
}

const GROUP_BY_TAGS = SERIES_TAGS.map(quoteIdentifier).join(',');

export function createDatabaseStatement(database: string): string {
  return `CREATE DATABASE ${quoteIdentifier(database)}`;
}

/**
 * Field keys per measurement. Without FROM, 1.x looks only at the default retention
 * policy, so with a named one every measurement is asked for by regex.
 */
export function showFieldKeysStatement(measurement: string | undefined, target: Target): string {
  if (measurement !== undefined) return `SHOW FIELD KEYS FROM ${fromClause(measurement, target)}`;
  return target.retentionPolicy ? `SHOW FIELD KEYS FROM ${quoteIdentifier(target.retentionPolicy)}./.*/` : 'SHOW FIELD KEYS';
}

/** Newest value of one field in every matching series; with a lone selector the row keeps the point's own time. */
export function latestStatement(measurement: string, field: string, filter: SeriesFilter, target: Target): string {
  return `SELECT last(${quoteIdentifier(field)}::field) FROM ${fromClause(measurement, target)}` +
    `${whereClause(tagConditions(filter))} GROUP BY ${GROUP_BY_TAGS}`;
}

/** InfluxQL function per aggregate: a lookup, so nothing but these four names reaches a statement. */
const AGGREGATE_FUNCTIONS: Readonly<Record<Aggregate, string>> = { mean: 'mean', min: 'min', max: 'max', last: 'last' };

export interface HistoryStatementOptions {
  from: number;
  to: number;
  windowMs?: number;
  aggregate?: Aggregate;
  limit?: number;
}

/**
 * One field of every matching series over [from, to). One statement per field, so
 * LIMIT (per series in InfluxQL) counts the points of that field only.
 */
export function historyStatement(
  measurement: string, field: string, filter: SeriesFilter, target: Target, options: HistoryStatementOptions,
): string {
  const conditions = [`time >= ${timeLiteral(options.from)}`, `time < ${timeLiteral(options.to)}`, ...tagConditions(filter)];
  const fieldRef = `${quoteIdentifier(field)}::field`;
  let select = fieldRef;
  let groupBy = GROUP_BY_TAGS;
  if (options.windowMs !== undefined && options.aggregate !== undefined) {
    if (!Object.hasOwn(AGGREGATE_FUNCTIONS, options.aggregate)) throw new Error(`InfluxQL: unknown aggregate "${String(options.aggregate)}"`);
    select = `${AGGREGATE_FUNCTIONS[options.aggregate]}(${fieldRef})`;
    groupBy = `time(${timeLiteral(options.windowMs)}),${GROUP_BY_TAGS} fill(none)`;
  }
  if (options.limit !== undefined && (!Number.isSafeInteger(options.limit) || options.limit <= 0)) {
    throw new Error(`InfluxQL: limit ${options.limit} is not a positive integer`);
  }
  const limit = options.limit !== undefined ? ` LIMIT ${options.limit}` : '';
  return `SELECT ${select} FROM ${fromClause(measurement, target)}${whereClause(conditions)} GROUP BY ${groupBy} ORDER BY time ASC${limit}`;
}
