// Turning stored samples into InfluxDB line protocol: tags site/gateway/device/profile,
// every value a float (never the `i` suffix, so a field never changes type), plus the
// sb_seq and sb_quality meta fields; timestamps in ms (the write precision we use).
import { storedValue } from '../validation.js';
import type { StoredSample } from '../types.js';

export const SEQ_FIELD = 'sb_seq';
export const QUALITY_FIELD = 'sb_quality';
/** Fields the store adds itself; reads leave them out. */
export const META_FIELD_PREFIX = 'sb_';

/**
 * Line protocol cannot carry a line break anywhere, and InfluxDB 1.x never unescapes
 * a backslash in names (a trailing one would swallow the separator): refuse both
 * rather than write something else than asked. Valid protocol names have neither.
 */
function assertRepresentable(kind: string, text: string): void {
  if (/[\n\r\\]/.test(text)) throw new Error(`line protocol: ${kind} ${JSON.stringify(text)} contains a line break or backslash`);
}

export function escapeMeasurement(name: string): string {
  assertRepresentable('measurement', name);
  return name.replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys share one escaping rule. */
export function escapeKey(text: string): string {
  assertRepresentable('name', text);
  return text.replace(/[,= ]/g, (c) => `\\${c}`);
}

export function formatStringField(text: string): string {
  if (/[\n\r]/.test(text)) throw new Error(`line protocol: string field ${JSON.stringify(text)} contains a line break`);
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * A float field value. String(n) is the shortest text that parses back to the same
 * double, and InfluxDB accepts its exponent form (1e+21, 1.5e-7).
 */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`line protocol: ${value} is not a finite number`);
  return String(value);
}

/** Tag set in key order (InfluxDB's canonical order, cheaper to index); empty tags are left out as line protocol requires. */
function formatTags(sample: StoredSample): string {
  const tags: Array<[string, string]> = [
    ['device', sample.device],
    ['gateway', sample.gateway],
    ['profile', sample.profile],
    ['site', sample.site],
  ];
  return tags
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `,${key}=${escapeKey(value)}`)
    .join('');
}

/**
 * Escaped text is the same every time for a series and a field name, and ingest writes
 * the same few hundred series over and over: remember it instead of running two
 * regular expressions per name per line. Bounded, so odd input cannot grow it forever.
 */
const MAX_REMEMBERED = 10_000;
const seriesPrefixes = new Map<string, string>();
const fieldKeys = new Map<string, string>();

function remembered(cache: Map<string, string>, key: string, make: () => string): string {
  let text = cache.get(key);
  if (text === undefined) {
    text = make();
    if (cache.size >= MAX_REMEMBERED) cache.clear();
    cache.set(key, text);
  }
  return text;
}

function seriesPrefix(sample: StoredSample): string {
  const key = `${sample.measurement}\0${sample.device}\0${sample.gateway}\0${sample.profile}\0${sample.site}`;
  return remembered(seriesPrefixes, key, () => `${escapeMeasurement(sample.measurement)}${formatTags(sample)}`);
}

export function sampleToLine(sample: StoredSample): string {
  if (!Number.isSafeInteger(sample.ts)) throw new Error(`line protocol: timestamp ${sample.ts} is not an integer`);
  let fields = '';
  for (const field in sample.values) {
    const key = remembered(fieldKeys, field, () => escapeKey(field));
    fields += `${key}=${formatFloat(storedValue(sample.values[field]!))},`;
  }
  fields += `${SEQ_FIELD}=${formatFloat(sample.seq)}`;
  if (sample.quality !== undefined) fields += `,${QUALITY_FIELD}=${formatStringField(sample.quality)}`;
  return `${seriesPrefix(sample)} ${fields} ${sample.ts}`;
}

export function samplesToLines(samples: readonly StoredSample[]): string[] {
  return samples.map(sampleToLine);
}
