// Parsing of API query parameters that people type: times (ISO 8601, epoch ms or
// relative to now like "-6h"), durations ("30s", "5m", "1h", "1d") and field lists.
// Pure functions, so the rules are tested with plain tables.
import { z } from 'zod';
import { ID_PATTERN } from '../protocol/index.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION_PATTERN = /^(\d{1,9})(ms|s|m|h|d|w)$/;

export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

/** "now", "-6h" (relative to now), epoch milliseconds, or an ISO 8601 date-time with a zone. */
export function parseTime(text: string, nowMs: number): number | undefined {
  const value = text.trim();
  if (value === 'now') return nowMs;
  if (value.startsWith('-')) {
    const span = parseDuration(value.slice(1));
    return span === undefined ? undefined : nowMs - span;
  }
  if (/^\d{10,16}$/.test(value)) return Number(value);
  // Require a zone: a time without one would silently mean the server's zone.
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value)) return undefined;
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isFinite(ms) ? ms : undefined;
}

export const idParam = z.string().regex(ID_PATTERN, 'must be lowercase letters, digits or "-", 1–64 characters');

/** Comma-separated field names, e.g. "temperature,humidity". */
export const fieldListParam = z
  .string()
  .transform((text) => text.split(',').map((f) => f.trim()).filter((f) => f.length > 0))
  .refine((fields) => fields.length > 0 && fields.length <= 64, 'give 1–64 comma-separated field names')
  .refine((fields) => fields.every((f) => /^[a-z][a-z0-9_]{0,63}$/.test(f)), 'field names are lowercase letters, digits and "_"');

export const seriesFilterQuery = z.strictObject({
  site: idParam.optional(),
  gateway: idParam.optional(),
  device: idParam.optional(),
  measurement: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'measurement names are lowercase letters, digits and "_"').optional(),
  field: fieldListParam.optional(),
});

/** A query parameter that passed its schema but makes no sense (e.g. "from" after "to"): a 400 naming it. */
export class BadParameterError extends Error {
  override readonly name = 'BadParameterError';
  readonly statusCode = 400;
  constructor(readonly parameter: string, problem: string) {
    super(`query parameter "${parameter}": ${problem}`);
  }
}

const TIME_FORMS = '(ISO 8601 with zone, epoch ms, "now" or "-6h")';

/** `from`/`to` query parameters as a range; `to` defaults to now, `from` to `defaultSpanMs` before `to`. */
export function parseTimeRange(fromText: string | undefined, toText: string | undefined, defaultSpanMs: number, nowMs = Date.now()): { from: number; to: number } {
  const to = toText === undefined ? nowMs : parseTime(toText, nowMs);
  if (to === undefined) throw new BadParameterError('to', `cannot read "${toText}" as a time ${TIME_FORMS}`);
  const from = fromText === undefined ? to - defaultSpanMs : parseTime(fromText, nowMs);
  if (from === undefined) throw new BadParameterError('from', `cannot read "${fromText}" as a time ${TIME_FORMS}`);
  if (from >= to) throw new BadParameterError('from', 'must be before "to"');
  return { from, to };
}

/** Most points one history request may return per series; ask for a larger window instead. */
export const MAX_POINTS_PER_SERIES = 10_000;
