// Recording into the audit log (a hook on every route: changes and stream-address reads) and
// reading it back: GET /v1/audit (admin) with filters.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseTimeRange } from '../params.js';
import { summarize, type AuditLog } from './audit-log.js';

const AUDITED_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_AUDIT_PER_REQUEST = 1000;

/** Is this request recorded: a change, or a route marked `audit: true` (stream addresses)? Unmatched URLs are not. */
export function isAudited(request: FastifyRequest): boolean {
  if (request.routeOptions.url === undefined) return false;
  return AUDITED_METHODS.has(request.method) || request.routeOptions.config?.audit === true;
}

/** Records every audited request once answered (refusals too). A failed write is logged, never fails the request. */
export function installAuditHook(app: FastifyInstance, log: AuditLog): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!isAudited(request)) return;
    const principal = request.principal as FastifyRequest['principal'] | null;
    const unknownToken = request.headers.authorization !== undefined && (principal === null || principal.role === undefined);
    try {
      log.append({
        ts: Date.now(),
        actor: unknownToken ? '(unknown token)' : (principal?.name ?? 'anonymous'),
        role: unknownToken ? undefined : principal?.role,
        ip: request.ip,
        method: request.method,
        route: request.routeOptions.url!,
        params: nonEmpty(request.params) ? summarize(request.params) : undefined,
        query: nonEmpty(request.query) ? summarize(request.query) : undefined,
        body: request.body === undefined || request.body === null ? undefined : summarize(request.body),
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      });
    } catch (err) {
      request.log.error({ err: (err as Error).message, route: request.routeOptions.url }, 'audit log write failed');
    }
  });
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

const entrySchema = z.object({
  id: z.number(), ts: z.number(), time: z.string(), actor: z.string(), role: z.string().optional(), ip: z.string(),
  method: z.string(), route: z.string(), params: z.unknown().optional(), query: z.unknown().optional(), body: z.unknown().optional(),
  status: z.number(), durationMs: z.number(),
});

export const auditRoutes: FastifyPluginAsync<{ log: AuditLog }> = async (app, { log }) => {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/audit', {
    config: { permission: 'admin' },
    schema: {
      summary: 'The audit log: changes and stream-address reads, who, what, when, outcome (admin), newest first',
      tags: ['system'],
      querystring: z.strictObject({
        from: z.string().optional().describe('start (inclusive): ISO 8601 with zone, epoch ms, or relative like "-6h"; default 7 days before `to`'),
        to: z.string().optional().describe('end (exclusive): same forms as `from`; default now'),
        actor: z.string().min(1).max(64).optional().describe('token name, "anonymous" or "(unknown token)"'),
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
        route: z.string().min(1).max(300).optional().describe('route template, e.g. /v1/cameras/:site/:gateway/:camera/ptz, or a prefix ending in *'),
        outcome: z.enum(['ok', 'refused', 'failed']).optional().describe('ok: below 400; refused: 401, 403, 429; failed: other errors'),
        status: z.coerce.number().int().min(100).max(599).optional(),
        limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PER_REQUEST).optional().describe(`at most ${MAX_AUDIT_PER_REQUEST}; default 100`),
      }),
      response: { 200: z.object({ from: z.string(), to: z.string(), entries: z.array(entrySchema) }) },
    },
  }, async (request) => {
    const { from: fromText, to: toText, limit, ...filter } = request.query;
    const { from, to } = parseTimeRange(fromText, toText, 7 * 86_400_000);
    const entries = log.query({ ...filter, from, to, limit: limit ?? 100 }).map((e) => ({ ...e, time: new Date(e.ts).toISOString() }));
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), entries };
  });
};
