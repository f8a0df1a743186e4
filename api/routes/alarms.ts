// Alarms: the active ones, history over a time range, one alarm with its changes, and
// acknowledging (emergency role) — published to ingest over MQTT, answered once the store
// shows it recorded (alarm-acknowledge.ts).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alarmSchema, alarmSeveritySchema, alarmStateSchema, type AlarmState } from '../../protocol/index.js';
import type { AlarmReader } from '../../store/alarms/types.js';
import { acknowledgeAlarm } from '../alarm-acknowledge.js';
import type { AlarmPublisher } from '../live/live-feed.js';
import { idParam, parseTimeRange } from '../params.js';

export const MAX_ALARMS_PER_REQUEST = 1000;
const HISTORY_DEFAULT_SPAN_MS = 7 * 86_400_000;

const storedAlarmSchema = alarmSchema.extend({
  raisedAt: z.number(), updatedAt: z.number(), ackedAt: z.number().optional(), clearedAt: z.number().optional(),
});
const errorSchema = z.object({ error: z.string(), message: z.string() });
const alarmIdParams = z.strictObject({ id: z.string().min(1).max(128) });

const stateListParam = z
  .string()
  .transform((text) => text.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
  .refine((states) => states.length > 0 && states.every((s) => (alarmStateSchema.options as readonly string[]).includes(s)),
    `comma-separated states: ${alarmStateSchema.options.join(', ')}`)
  .transform((states) => states as AlarmState[]);

const filterQuery = {
  site: idParam.optional(), gateway: idParam.optional(), device: idParam.optional(),
  rule: z.string().min(1).max(128).optional(),
  minSeverity: alarmSeveritySchema.optional().describe('at least this severity: info < warning < major < critical'),
  limit: z.coerce.number().int().min(1).max(MAX_ALARMS_PER_REQUEST).optional().describe(`at most ${MAX_ALARMS_PER_REQUEST}; default 100`),
};

export interface AlarmsRoutesOptions {
  reader: AlarmReader;
  /** Without it acknowledging answers 503. */
  publisher?: AlarmPublisher;
  /** How long an acknowledgement waits for ingest to record it (default 5 s). */
  ackTimeoutMs?: number;
}

export const alarmsRoutes: FastifyPluginAsync<AlarmsRoutesOptions> = async (app, { reader, publisher, ackTimeoutMs = 5000 }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get('/v1/alarms', {
    config: { permission: 'read' },
    schema: {
      summary: 'Active alarms (raised or acknowledged, not cleared), most severe first, then newest',
      tags: ['alarms'],
      querystring: z.strictObject(filterQuery),
      response: { 200: z.object({ alarms: z.array(storedAlarmSchema) }) },
    },
  }, async (request) => {
    const { limit, ...filter } = request.query;
    return { alarms: reader.active({ ...filter, limit: limit ?? 100 }) };
  });

  api.get('/v1/alarms/history', {
    config: { permission: 'read' },
    schema: {
      summary: 'Alarms active at any time in a range (raised before `to`, not cleared before `from`), newest first',
      tags: ['alarms'],
      querystring: z.strictObject({
        ...filterQuery,
        state: stateListParam.optional().describe('current state, comma-separated: raised, acknowledged, cleared'),
        from: z.string().optional().describe('start: ISO 8601 with zone, epoch ms, or relative like "-6h"; default 7 days before `to`'),
        to: z.string().optional().describe('end: same forms as `from`; default now'),
      }),
      response: { 200: z.object({ from: z.string(), to: z.string(), alarms: z.array(storedAlarmSchema) }) },
    },
  }, async (request) => {
    const { from: fromText, to: toText, limit, ...filter } = request.query;
    const { from, to } = parseTimeRange(fromText, toText, HISTORY_DEFAULT_SPAN_MS);
    return {
      from: new Date(from).toISOString(), to: new Date(to).toISOString(),
      alarms: reader.history({ ...filter, from, to, limit: limit ?? 100 }),
    };
  });

  api.get('/v1/alarms/:id', {
    config: { permission: 'read' },
    schema: {
      summary: 'One alarm as it stands, with every change (raised, escalated, acknowledged, cleared), oldest first',
      tags: ['alarms'],
      params: alarmIdParams,
      response: { 200: z.object({ alarm: storedAlarmSchema, changes: z.array(alarmSchema) }), 404: errorSchema },
    },
  }, async (request, reply) => {
    const alarm = reader.get(request.params.id);
    if (!alarm) return reply.code(404).send({ error: 'Not Found', message: `no alarm "${request.params.id}"` });
    return { alarm, changes: reader.changes(alarm.id) };
  });

  api.post('/v1/alarms/:id/ack', {
    config: { permission: 'alarm-ack' },
    schema: {
      summary: 'Acknowledge an alarm (alarm-ack permission: emergency, admin): recorded by ingest, sent to every live client',
      description: 'The acknowledgement carries the token\'s name as `by`. Answers once ingest recorded it (at most about '
        + `${Math.round(ackTimeoutMs / 1000)} s); 409 when the alarm is cleared or already acknowledged.`,
      tags: ['alarms'],
      params: alarmIdParams,
      // nullish: a POST without a body is fine (Fastify passes null).
      body: z.strictObject({ note: z.string().max(2000).optional().describe('what is being done, for the log') }).nullish(),
      response: {
        200: z.object({ alarm: storedAlarmSchema }),
        404: errorSchema,
        409: errorSchema.extend({ alarm: storedAlarmSchema }),
        503: errorSchema.describe('the API cannot reach the broker'),
        504: errorSchema.describe('ingest did not record the acknowledgement in time; it may still'),
      },
    },
  }, async (request, reply) => {
    if (!publisher) return reply.code(503).send({ error: 'Service Unavailable', message: 'this API has no broker link to send acknowledgements' });
    const outcome = await acknowledgeAlarm(reader, publisher, {
      id: request.params.id, by: request.principal.name, note: request.body?.note, timeoutMs: ackTimeoutMs,
    });
    switch (outcome.status) {
      case 'acknowledged':
        request.log.info({ alarm: outcome.alarm.id, by: request.principal.name }, 'alarm acknowledged');
        return { alarm: outcome.alarm };
      case 'unknown': return reply.code(404).send({ error: 'Not Found', message: outcome.message });
      case 'conflict': return reply.code(409).send({ error: 'Conflict', message: outcome.message, alarm: outcome.alarm });
      case 'not-sent': return reply.code(503).send({ error: 'Service Unavailable', message: outcome.message });
      case 'timeout': return reply.code(504).send({ error: 'Gateway Timeout', message: outcome.message });
    }
  });
};
