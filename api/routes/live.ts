// The live stream: Server-Sent Events of readings and alarm changes as they pass through the
// broker, filtered per client, resumable with Last-Event-ID (live/live-hub.ts does the work).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alarmSeveritySchema } from '../../protocol/index.js';
import { LIVE_EVENT_TYPES, type LiveEventType } from '../live/live-event.js';
import type { LiveHub } from '../live/live-hub.js';
import { idParam } from '../params.js';

const TYPE_WORDS: Record<string, LiveEventType> = { readings: 'reading', reading: 'reading', alarms: 'alarm', alarm: 'alarm' };

const typesParam = z
  .string()
  .transform((text) => text.split(',').map((t) => t.trim()).filter((t) => t.length > 0))
  .refine((words) => words.length > 0 && words.every((w) => w in TYPE_WORDS), 'comma-separated: readings, alarms')
  .transform((words) => new Set(words.map((w) => TYPE_WORDS[w]!)));

export const liveQuery = z.strictObject({
  types: typesParam.optional().describe('which events: "readings", "alarms" or both (default)'),
  site: idParam.optional().describe('readings and alarms of this site'),
  gateway: idParam.optional().describe('readings and alarms of this gateway'),
  device: idParam.optional().describe('readings and alarms of this device'),
  measurement: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'measurement names are lowercase letters, digits and "_"').optional()
    .describe('readings of this measurement (air, water, gas, …); alarms are not filtered by it'),
  minSeverity: alarmSeveritySchema.optional().describe('alarms of at least this severity (info < warning < major < critical)'),
});

const DESCRIPTION = `Server-Sent Events (text/event-stream). Events:
- \`event: reading\`, \`data\`: {site, gateway, device, measurement, profile, ts, seq, values, quality?} — one per sample;
- \`event: alarm\`, \`data\`: the alarm message as published on sb/v1/alarm/{site}/{device} (raised, acknowledged, cleared);
- \`event: reset\` — the Last-Event-ID sent is older than the recent-events window (about 5 minutes) or unknown: events were missed; reload state;
- \`event: dropped\` — the connection was too slow and is being closed; reconnect with Last-Event-ID.
Every reading and alarm has a monotonic \`id:\`; a filtered stream skips ids. Reconnecting with the \`Last-Event-ID\` header
replays what was missed within the window, without gaps. Comments (\`: heartbeat\`) every 15 s; \`retry:\` suggests the reconnect delay.`;

export const liveRoutes: FastifyPluginAsync<{ hub: LiveHub }> = async (app, { hub }) => {
  // Open streams would keep the server from closing: end them first (clients reconnect elsewhere).
  app.addHook('preClose', async () => { hub.closeClients(); });

  app.withTypeProvider<ZodTypeProvider>().get('/v1/live', {
    config: { permission: 'read' },
    schema: { summary: 'Live readings and alarm changes (Server-Sent Events)', description: DESCRIPTION, tags: ['live'], querystring: liveQuery },
  }, (request, reply) => {
    const { types, ...filter } = request.query;
    const lastEventId = request.headers['last-event-id'];
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const client = hub.connect(res, { ...filter, types: types ?? new Set(LIVE_EVENT_TYPES) }, typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : undefined);
    res.on('close', () => hub.disconnect(client));
  });
};
