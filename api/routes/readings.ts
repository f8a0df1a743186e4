// Readings: the latest value of every series, and history over a time range with
// window aggregation. Both read through the TelemetryStore, whichever it is.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TelemetryStore } from '../../store/types.js';
import { BadParameterError, MAX_POINTS_PER_SERIES, parseDuration, parseTimeRange, seriesFilterQuery } from '../params.js';

export { BadParameterError };

const seriesKey = {
  measurement: z.string(), site: z.string(), gateway: z.string(), device: z.string(), profile: z.string(), field: z.string(),
};

const latestResponse = z.object({
  readings: z.array(z.object({ ...seriesKey, ts: z.number(), time: z.string(), value: z.number() })),
});

const historyQuery = seriesFilterQuery.extend({
  from: z.string().optional().describe('start (inclusive): ISO 8601 with zone, epoch ms, or relative like "-6h"; default 1 hour before `to`'),
  to: z.string().optional().describe('end (exclusive): same forms as `from`; default now'),
  window: z.string().optional().describe('aggregation window such as "1m", "15m", "1h"; omit for raw samples'),
  aggregate: z.enum(['mean', 'min', 'max', 'last']).optional().describe('aggregate per window; default mean'),
  limit: z.coerce.number().int().min(1).max(MAX_POINTS_PER_SERIES).optional().describe(`points per series, at most ${MAX_POINTS_PER_SERIES}`),
});

const historyResponse = z.object({
  from: z.string(), to: z.string(), window: z.string().nullable(), aggregate: z.string().nullable(),
  series: z.array(z.object({ ...seriesKey, points: z.array(z.tuple([z.number(), z.number()])) })),
});

export const readingsRoutes: FastifyPluginAsync<{ store: TelemetryStore }> = async (app, { store }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get('/v1/readings/latest', {
    config: { permission: 'read' },
    schema: {
      summary: 'Latest value of every matching field of every matching series',
      tags: ['readings'],
      querystring: seriesFilterQuery,
      response: { 200: latestResponse },
    },
  }, async (request) => {
    const { field, ...filter } = request.query;
    const readings = await store.latest({ ...filter, fields: field });
    return { readings: readings.map((r) => ({ ...r, time: new Date(r.ts).toISOString() })) };
  });

  api.get('/v1/readings/history', {
    config: { permission: 'read' },
    schema: {
      summary: 'Readings over a time range, raw or aggregated per window',
      tags: ['readings'],
      querystring: historyQuery,
      response: { 200: historyResponse },
    },
  }, async (request) => {
    const { field, from: fromText, to: toText, window, aggregate, limit, ...filter } = request.query;
    const { from, to } = parseTimeRange(fromText, toText, 3_600_000);
    let windowMs: number | undefined;
    if (window !== undefined) {
      windowMs = parseDuration(window);
      if (windowMs === undefined || windowMs < 1000) throw new BadParameterError('window', `"${window}" is not a duration of at least 1s (e.g. 30s, 5m, 1h, 1d)`);
      if ((to - from) / windowMs > MAX_POINTS_PER_SERIES) {
        throw new BadParameterError('window', `${window} windows over this range give more than ${MAX_POINTS_PER_SERIES} points; choose a larger window`);
      }
    } else if (aggregate !== undefined) {
      throw new BadParameterError('aggregate', 'needs a "window"');
    }
    const series = await store.history({
      ...filter, fields: field, from, to, windowMs,
      aggregate: windowMs === undefined ? undefined : (aggregate ?? 'mean'),
      limit: limit ?? MAX_POINTS_PER_SERIES,
    });
    return {
      from: new Date(from).toISOString(), to: new Date(to).toISOString(),
      window: window ?? null, aggregate: windowMs === undefined ? null : (aggregate ?? 'mean'),
      series,
    };
  });
};
