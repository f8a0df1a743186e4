// Cameras: health and metadata from the gateways' retained status with the latest snapshot,
// the stream address (operators only), and PTZ / capture commands sent to the gateway over
// MQTT, answered with the gateway's command result.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cameraStateSchema } from '../../protocol/index.js';
import type { SnapshotReader } from '../../store/snapshots/index.js';
import { hasPermission } from '../auth.js';
import { cameraHealth, cameraViews, type CameraView } from '../camera-views.js';
import type { CommandBody, CommandClient } from '../command-client.js';
import type { GatewayDirectory } from '../gateway-directory.js';
import { idParam } from '../params.js';

export const cameraParams = z.strictObject({ site: idParam, gateway: idParam, camera: idParam });

const lastSnapshotSchema = z.object({ ts: z.number(), time: z.string(), sha256: z.string(), url: z.string() }).nullable();
const cameraSchema = z.object({
  site: z.string(), gateway: z.string(), camera: z.string(),
  state: z.enum([...cameraStateSchema.options, 'unknown']),
  lastKnownState: cameraStateSchema.optional(),
  gatewayState: z.enum(['online', 'offline']), gatewayLastSeen: z.string(),
  since: z.string().optional(), lastError: z.string().optional(),
  manufacturer: z.string().optional(), model: z.string().optional(), firmware: z.string().optional(),
  serial: z.string().optional(), hardwareId: z.string().optional(),
  profiles: z.array(z.object({ token: z.string(), name: z.string().optional(), encoding: z.string().optional(), width: z.number().optional(), height: z.number().optional() })).optional(),
  ptz: z.boolean().optional(), linkedDevices: z.array(z.string()).optional(),
  snapshotsOk: z.number().optional(), snapshotsFailed: z.number().optional(),
  xaddr: z.string().optional().describe('ONVIF service address; operators and admins only'),
  lastSnapshot: lastSnapshotSchema,
});
const errorSchema = z.object({ error: z.string(), message: z.string() });

const commandResultSchema = z.object({
  id: z.string().describe('the command id, also in the gateway\'s command-result event'),
  ok: z.boolean(),
  message: z.string().optional(),
  result: z.record(z.string(), z.unknown()).optional().describe('data of the command-result event'),
  error: z.string().optional(),
});
const commandResponses = {
  200: commandResultSchema.describe('the gateway ran the command'),
  404: errorSchema, 409: errorSchema,
  502: commandResultSchema.describe('the gateway refused or failed the command'),
  503: commandResultSchema.describe('the command could not be sent (gateway offline, broker unreachable)'),
  504: commandResultSchema.describe('no answer from the gateway in time; the command may still run'),
};

const ptzBody = z.strictObject({
  action: z.enum(['move', 'stop', 'preset']),
  pan: z.number().min(-1).max(1).optional().describe('speed −1…1 (move)'),
  tilt: z.number().min(-1).max(1).optional().describe('speed −1…1 (move)'),
  zoom: z.number().min(-1).max(1).optional().describe('speed −1…1 (move)'),
  preset: z.string().min(1).max(64).optional().describe('preset token (action preset)'),
  timeoutMs: z.number().int().min(100).max(60_000).optional().describe('a move stops by itself after this long'),
}).superRefine((body, ctx) => {
  if (body.action === 'move' && body.pan === undefined && body.tilt === undefined && body.zoom === undefined) {
    ctx.addIssue({ code: 'custom', path: ['pan'], message: 'a move needs at least one of pan, tilt, zoom' });
  }
  if (body.action === 'preset' && body.preset === undefined) ctx.addIssue({ code: 'custom', path: ['preset'], message: 'a preset move needs the preset token' });
});

const captureBody = z.strictObject({ reason: z.string().max(500).optional() });

export interface CamerasRoutesOptions {
  directory: GatewayDirectory;
  snapshots: SnapshotReader;
  commands?: CommandClient;
  commandTimeoutMs?: number;
}

function notFound(reply: FastifyReply, message: string) {
  return reply.code(404).send({ error: 'Not Found', message });
}

export const camerasRoutes: FastifyPluginAsync<CamerasRoutesOptions> = async (app, { directory, snapshots, commands, commandTimeoutMs }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const views = (showAddresses: boolean, filter: { site?: string; gateway?: string } = {}): CameraView[] =>
    cameraViews(
      directory.list().filter((g) => (filter.site === undefined || g.site === filter.site) && (filter.gateway === undefined || g.gateway === filter.gateway)),
      snapshots.latestPerCamera(filter),
      { showAddresses },
    );
  const unknownCamera = (site: string, gateway: string, camera: string) => {
    const known = views(false, { site, gateway }).map((v) => v.camera);
    return `no camera "${camera}" on gateway ${site}/${gateway}${known.length ? ` (its cameras: ${known.join(', ')})` : ' (the gateway has reported no cameras)'}`;
  };

  api.get('/v1/cameras', {
    config: { permission: 'read' },
    schema: {
      summary: 'Cameras of all gateways with health, metadata and latest snapshot',
      description: 'From the gateways\' retained status; an offline gateway\'s cameras show as `unknown` with their last known details. Never includes the stream address (see /stream).',
      tags: ['cameras'],
      querystring: z.strictObject({ site: idParam.optional(), gateway: idParam.optional(), state: z.enum([...cameraStateSchema.options, 'unknown']).optional() }),
      response: { 200: z.object({ cameras: z.array(cameraSchema) }) },
    },
  }, async (request) => {
    const { site, gateway, state } = request.query;
    const cameras = views(hasPermission(request.principal.role, 'camera-stream'), { site, gateway }).filter((v) => state === undefined || v.state === state);
    return { cameras };
  });

  api.get('/v1/cameras/:site/:gateway/:camera', {
    config: { permission: 'read' },
    schema: { summary: 'One camera', tags: ['cameras'], params: cameraParams, response: { 200: cameraSchema, 404: errorSchema } },
  }, async (request, reply) => {
    const { site, gateway, camera } = request.params;
    const view = views(hasPermission(request.principal.role, 'camera-stream'), { site, gateway }).find((v) => v.camera === camera);
    return view ?? notFound(reply, unknownCamera(site, gateway, camera));
  });

  api.get('/v1/cameras/:site/:gateway/:camera/stream', {
    config: { permission: 'camera-stream', audit: true },
    schema: {
      summary: 'The camera\'s RTSP stream address (camera-stream permission: emergency, admin)', tags: ['cameras'], params: cameraParams,
      response: { 200: z.object({ site: z.string(), gateway: z.string(), camera: z.string(), streamUri: z.string(), xaddr: z.string().optional(), gatewayState: z.enum(['online', 'offline']) }), 404: errorSchema },
    },
  }, async (request, reply) => {
    const { site, gateway, camera } = request.params;
    const known = cameraHealth(directory.list(), site, gateway, camera);
    if (!known) return notFound(reply, unknownCamera(site, gateway, camera));
    if (!known.health.streamUri) return notFound(reply, `gateway ${site}/${gateway} has not reported a stream address for camera "${camera}"`);
    return { site, gateway, camera, streamUri: known.health.streamUri, ...(known.health.xaddr ? { xaddr: known.health.xaddr } : {}), gatewayState: known.entry.state };
  });

  /** Sends the command and turns the gateway's answer into the HTTP answer. */
  async function runCommand(reply: FastifyReply, params: { site: string; gateway: string; camera: string }, body: CommandBody, needsPtz: boolean) {
    const { site, gateway, camera } = params;
    const known = cameraHealth(directory.list(), site, gateway, camera);
    if (!known) return notFound(reply, unknownCamera(site, gateway, camera));
    if (needsPtz && known.health.ptz === false) return reply.code(409).send({ error: 'Conflict', message: `camera "${camera}" has no PTZ` });
    if (!commands) return reply.code(503).send({ id: '', ok: false, error: 'this API has no command channel to the gateways' });
    if (known.entry.state === 'offline') return reply.code(503).send({ id: '', ok: false, error: `gateway ${site}/${gateway} is offline: the command was not sent` });
    const outcome = await commands.send({ site, gateway }, body, { timeoutMs: commandTimeoutMs });
    switch (outcome.status) {
      case 'ok':
        return reply.code(200).send({ id: outcome.id, ok: true, message: outcome.message, result: outcome.result });
      case 'failed':
        return reply.code(502).send({ id: outcome.id, ok: false, message: outcome.message, result: outcome.result, error: outcome.result.error ?? 'the gateway reported a failure' });
      case 'timeout':
        return reply.code(504).send({ id: outcome.id, ok: false, error: `no answer from gateway ${site}/${gateway} within ${Math.round((commandTimeoutMs ?? 10_000) / 100) / 10} s; the command may still run (its result will be in /v1/events)` });
      case 'not-sent':
        return reply.code(503).send({ id: outcome.id, ok: false, error: outcome.error });
    }
  }

  api.post('/v1/cameras/:site/:gateway/:camera/ptz', {
    config: { permission: 'camera-control' },
    schema: { summary: 'Pan/tilt/zoom: move, stop or go to a preset (camera-control permission: emergency, admin)', tags: ['cameras'], params: cameraParams, body: ptzBody, response: commandResponses },
  }, async (request, reply) => {
    const { camera } = request.params;
    return runCommand(reply, request.params, { type: 'ptz', camera, ...request.body }, true);
  });

  api.post('/v1/cameras/:site/:gateway/:camera/capture', {
    config: { permission: 'camera-control' },
    schema: { summary: 'Take a snapshot now (camera-control permission: emergency, admin); it arrives as the camera\'s latest snapshot', tags: ['cameras'], params: cameraParams, body: captureBody.optional(), response: commandResponses },
  }, async (request, reply) => {
    const { camera } = request.params;
    return runCommand(reply, request.params, { type: 'capture', cameras: [camera], ...(request.body?.reason ? { reason: request.body.reason } : {}) }, false);
  });
};
