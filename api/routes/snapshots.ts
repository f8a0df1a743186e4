// Snapshot images: a camera's latest (changes: revalidate every time), its history as JSON,
// and any image by its SHA-256 (content-addressed: cached for good). Images come from the
// snapshot store's directory, which the API shares read-only with ingest on the same host.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { snapshotTriggerSchema } from '../../protocol/index.js';
import { SHA256_PATTERN, type SnapshotReader, type SnapshotRecord } from '../../store/snapshots/index.js';
import { snapshotUrl } from '../camera-views.js';
import { parseTimeRange } from '../params.js';
import { cameraParams } from './cameras.js';

export const MAX_SNAPSHOTS_PER_REQUEST = 1000;
const DAY_MS = 86_400_000;

const imageResponse = z.any().describe('the JPEG image (image/jpeg); 304 when If-None-Match matches');
const errorSchema = z.object({ error: z.string(), message: z.string() });

/** If-None-Match holds our ETag (or `*`)? Weak validators compare equal for GET. */
function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === etag || t === '*');
}

async function sendImage(
  request: FastifyRequest, reply: FastifyReply, snapshots: SnapshotReader, record: SnapshotRecord, cacheControl: string,
) {
  const etag = `"${record.sha256}"`;
  reply.header('etag', etag).header('cache-control', cacheControl).header('last-modified', new Date(record.ts).toUTCString());
  if (matchesEtag(request, etag)) return reply.code(304).send();
  const image = await snapshots.image(record.sha256);
  if (!image) return reply.code(404).send({ error: 'Not Found', message: `image ${record.sha256} is no longer stored (retention)` });
  return reply.type('image/jpeg').send(image);
}

function listItem(record: SnapshotRecord) {
  return {
    ts: record.ts, time: new Date(record.ts).toISOString(), sha256: record.sha256, bytes: record.bytes,
    ...(record.width !== undefined ? { width: record.width } : {}),
    ...(record.height !== undefined ? { height: record.height } : {}),
    trigger: record.trigger,
    ...(record.alarmId !== undefined ? { alarmId: record.alarmId } : {}),
    ...(record.device !== undefined ? { device: record.device } : {}),
    ...(record.commandId !== undefined ? { commandId: record.commandId } : {}),
    url: snapshotUrl(record.sha256),
  };
}

const listItemSchema = z.object({
  ts: z.number(), time: z.string(), sha256: z.string(), bytes: z.number(), width: z.number().optional(), height: z.number().optional(),
  trigger: z.string(), alarmId: z.string().optional(), device: z.string().optional(), commandId: z.string().optional(), url: z.string(),
});

export const snapshotsRoutes: FastifyPluginAsync<{ snapshots: SnapshotReader }> = async (app, { snapshots }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get('/v1/cameras/:site/:gateway/:camera/snapshots/latest', {
    config: { permission: 'read' },
    schema: {
      summary: 'The camera\'s latest snapshot (JPEG)',
      description: 'ETag is the image\'s SHA-256; Cache-Control no-cache (revalidate: the latest changes); 404 before the first snapshot.',
      tags: ['cameras'], params: cameraParams, produces: ['image/jpeg'], response: { 200: imageResponse, 404: errorSchema },
    },
  }, async (request, reply) => {
    const { site, gateway, camera } = request.params;
    const record = snapshots.latest({ site, gateway, camera });
    if (!record) return reply.code(404).send({ error: 'Not Found', message: `no snapshot of camera ${site}/${gateway}/${camera} yet` });
    return sendImage(request, reply, snapshots, record, 'no-cache');
  });

  api.get('/v1/cameras/:site/:gateway/:camera/snapshots', {
    config: { permission: 'read' },
    schema: {
      summary: 'The camera\'s snapshots over a time range, newest first',
      tags: ['cameras'], params: cameraParams,
      querystring: z.strictObject({
        from: z.string().optional().describe('start (inclusive): ISO 8601 with zone, epoch ms, or relative like "-6h"; default 24 hours before `to`'),
        to: z.string().optional().describe('end (exclusive): same forms as `from`; default now'),
        limit: z.coerce.number().int().min(1).max(MAX_SNAPSHOTS_PER_REQUEST).optional().describe(`at most ${MAX_SNAPSHOTS_PER_REQUEST}; default 100`),
        trigger: snapshotTriggerSchema.optional(),
      }),
      response: { 200: z.object({ from: z.string(), to: z.string(), snapshots: z.array(listItemSchema) }) },
    },
  }, async (request) => {
    const { from: fromText, to: toText, limit, trigger } = request.query;
    const { from, to } = parseTimeRange(fromText, toText, DAY_MS);
    const records = snapshots.history(request.params, { from, to, limit: limit ?? 100, trigger });
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), snapshots: records.map(listItem) };
  });

  api.get('/v1/snapshots/:sha256', {
    config: { permission: 'read' },
    schema: {
      summary: 'A snapshot image by its SHA-256 (JPEG, cached for good)',
      tags: ['cameras'], params: z.strictObject({ sha256: z.string().regex(SHA256_PATTERN, 'must be 64 lowercase hex digits') }),
      produces: ['image/jpeg'], response: { 200: imageResponse, 404: errorSchema },
    },
  }, async (request, reply) => {
    const record = snapshots.bySha256(request.params.sha256);
    if (!record) return reply.code(404).send({ error: 'Not Found', message: `no snapshot with sha256 ${request.params.sha256}` });
    return sendImage(request, reply, snapshots, record, 'public, max-age=31536000, immutable');
  });
};
