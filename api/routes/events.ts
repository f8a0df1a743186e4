// Gateway events (device online/offline, command results, camera health, motion, tamper)
// from the event log ingest keeps, newest first.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventLogReader } from '../../store/events/event-log.js';
import { idParam, parseTimeRange } from '../params.js';

export const MAX_EVENTS_PER_REQUEST = 1000;

export const eventsRoutes: FastifyPluginAsync<{ events: EventLogReader }> = async (app, { events }) => {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/events', {
    config: { permission: 'read' },
    schema: {
      summary: 'Gateway events over a time range, newest first',
      tags: ['events'],
      querystring: z.strictObject({
        site: idParam.optional(), gateway: idParam.optional(), device: idParam.optional(),
        type: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'event types are lowercase letters, digits and "-", e.g. motion, command-result').optional(),
        from: z.string().optional().describe('start (inclusive): ISO 8601 with zone, epoch ms, or relative like "-6h"; default 24 hours before `to`'),
        to: z.string().optional().describe('end (exclusive): same forms as `from`; default now'),
        limit: z.coerce.number().int().min(1).max(MAX_EVENTS_PER_REQUEST).optional().describe(`at most ${MAX_EVENTS_PER_REQUEST}; default 100`),
      }),
      response: {
        200: z.object({
          from: z.string(), to: z.string(),
          events: z.array(z.object({
            site: z.string(), gateway: z.string(), device: z.string(), ts: z.number(), time: z.string(), type: z.string(),
            message: z.string().optional(), data: z.record(z.string(), z.unknown()).optional(),
          })),
        }),
      },
    },
  }, async (request) => {
    const { from: fromText, to: toText, limit, ...filter } = request.query;
    const { from, to } = parseTimeRange(fromText, toText, 86_400_000);
    const found = events.query({ ...filter, from, to, limit: limit ?? 100 });
    return {
      from: new Date(from).toISOString(), to: new Date(to).toISOString(),
      events: found.map(({ id: _id, receivedAt: _receivedAt, ...event }) => ({ ...event, time: new Date(event.ts).toISOString() })),
    };
  });
};
