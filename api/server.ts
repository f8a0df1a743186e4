// The Fastify application: routes as plugins, zod-typed, with generated OpenAPI at
// /docs. Bad parameters get a 400 whose message names the parameter.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from '../lib/logger.js';
import { Counter, Histogram, getOrCreate, type Registry } from '../lib/metrics.js';
import type { EventLogReader } from '../store/events/event-log.js';
import type { SnapshotReader } from '../store/snapshots/index.js';
import type { AlarmReader } from '../store/alarms/types.js';
import type { TelemetryStore } from '../store/types.js';
import type { Baselines } from './ecology/baselines.js';
import { ecologyRoutes } from './ecology/routes.js';
import { installAuth, PERMISSION_MEANING, rolesWith, type AuthOptions, type Permission } from './auth.js';
import { auditRoutes, installAuditHook } from './access/audit-routes.js';
import type { AuditLog } from './access/audit-log.js';
import { DEFAULT_RATE_LIMITS, installRateLimits, RateLimitError, type RateLimitSettings } from './access/rate-limits.js';
import { carbonRoutes, type CarbonOptions } from './carbon/routes.js';
import type { CommandClient } from './command-client.js';
import type { GatewayDirectory } from './gateway-directory.js';
import type { AlarmPublisher } from './live/live-feed.js';
import type { LiveHub } from './live/live-hub.js';
import { alarmsRoutes } from './routes/alarms.js';
import { camerasRoutes } from './routes/cameras.js';
import { eventsRoutes } from './routes/events.js';
import { gatewaysRoutes } from './routes/gateways.js';
import { liveRoutes } from './routes/live.js';
import { BadParameterError, readingsRoutes } from './routes/readings.js';
import { snapshotsRoutes } from './routes/snapshots.js';
import { registryRoutes, type RegistryRoutesOptions } from './registry/routes.js';
import { systemRoutes } from './routes/system.js';

export interface ApiOptions {
  store: TelemetryStore;
  directory: GatewayDirectory;
  registry: Registry;
  logger: Logger;
  version?: string;
  /** Camera routes (with the directory's camera health) need the snapshot index. */
  snapshots?: SnapshotReader;
  events?: EventLogReader;
  /** PTZ and capture commands go through it; without it those routes answer 503. */
  commands?: CommandClient;
  /** How long a command waits for the gateway's result (default 10 s). */
  commandTimeoutMs?: number;
  /** Tokens and the anonymous role; default: no tokens, anonymous requests are viewers. */
  auth?: AuthOptions;
  /** Rate limits (default DEFAULT_RATE_LIMITS in api/access/rate-limits.ts). */
  rateLimits?: Partial<RateLimitSettings>;
  /** Where changes and stream-address reads are recorded; serves GET /v1/audit (admin). Without it nothing is recorded. */
  audit?: AuditLog;
  /** The live stream's hub (fed from the broker): serves GET /v1/live. */
  live?: LiveHub;
  /** The alarm store's read side serves /v1/alarms; acknowledging also needs the publisher. */
  alarms?: { reader: AlarmReader; publisher?: AlarmPublisher; ackTimeoutMs?: number };
  /** Baselines of the ecology summary (default: none configured). */
  ecologyBaselines?: Baselines;
  /** Carbon accounting: sources file and factor sets (default: built-in profile defaults and factor sets). */
  carbon?: CarbonOptions;
  /** Serve HTTPS with this PEM certificate (chain) and key instead of HTTP (setting api.tls). */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** The provisioning registry (sites, gateways, devices, cameras): serves /v1/registry/…. */
  provisioning?: RegistryRoutesOptions;
}

interface ValidationIssue { instancePath?: string; message?: string; params?: Record<string, unknown> }

/** "querystring parameter "from": …" from the first validation issue. */
function describeValidation(context: string | undefined, issues: ValidationIssue[]): { parameter: string; message: string } {
  const first = issues[0] ?? {};
  const path = (first.instancePath ?? '').replace(/^\//, '').split('/').filter(Boolean);
  const unknownKeys = first.params?.keys as string[] | undefined; // zod's unrecognized_keys issue
  const parameter = unknownKeys?.length ? unknownKeys.join(', ') : (path[0] ?? '(request)');
  const where = context === 'querystring' ? 'query parameter' : `${context ?? 'request'} field`;
  const detail = unknownKeys?.length ? `unknown parameter (not one this route accepts)` : (first.message ?? 'invalid');
  return { parameter, message: `${where} "${parameter}": ${detail}` };
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  // Fastify types its logger generic from the instance passed; we only need the base logger interface.
  const loggerInstance = options.logger as FastifyBaseLogger;
  const app = Fastify({
    loggerInstance,
    // Per-request lines would drown the service log; requests are counted in /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 200 },
    // Fastify types the instance by its server (https.Server here); routes and hooks do not care.
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key, minVersion: 'TLSv1.2' as const } } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const requests = getOrCreate(options.registry, 'shaobing_api_requests_total', () =>
    new Counter({ name: 'shaobing_api_requests_total', help: 'API requests by route and status', labelNames: ['route', 'status'] as const, registers: [options.registry] }));
  const latency = getOrCreate(options.registry, 'shaobing_api_request_seconds', () =>
    new Histogram({ name: 'shaobing_api_request_seconds', help: 'API request duration', labelNames: ['route'] as const, buckets: [0.005, 0.02, 0.1, 0.5, 2], registers: [options.registry] }));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, status: String(reply.statusCode) });
    latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const { parameter, message } = describeValidation(error.validationContext, error.validation as ValidationIssue[]);
      return reply.code(400).send({ error: 'Bad Request', message, parameter });
    }
    if (error instanceof RateLimitError) return reply.code(429).send(error.body());
    if (error instanceof BadParameterError) {
      return reply.code(400).send({ error: 'Bad Request', message: error.message, parameter: error.parameter });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ error: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'Internal Server Error', message: 'the request failed on the server; see the API log' });
  });

  const authHooks = await installRateLimits(app, { ...DEFAULT_RATE_LIMITS, ...options.rateLimits });
  installAuth(app, options.auth ?? { tokens: [], anonymousRole: 'viewer' }, authHooks);
  if (options.audit) installAuditHook(app, options.audit);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Shaobing API',
        description: 'Readings, gateways, cameras, events and health of the Shaobing sensing network. '
          + 'Send "Authorization: Bearer <token>"; without a token a request has the configured anonymous role. '
          + 'Each operation needs a permission (named at the start of its description), held by these roles: '
          + (Object.keys(PERMISSION_MEANING) as Permission[]).map((p) => `${p} (${rolesWith(p).join(', ')}): ${PERMISSION_MEANING[p]}`).join('; ')
          + '. Refused: 401 (no or unknown token), 403 naming the permission, 429 naming the rate limit.',
        version: options.version ?? '0.1.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Each operation's description starts with the permission it needs.
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      const permission = input.route.config?.permission;
      if (out.schema && permission !== undefined) {
        const need = permission === 'public' ? 'Permission: none (public).' : `Permission: \`${permission}\` (roles: ${rolesWith(permission).join(', ')}).`;
        const description = (out.schema as { description?: string }).description;
        out.schema = { ...out.schema, description: description ? `${need}\n\n${description}` : need };
      }
      return out;
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(readingsRoutes, { store: options.store });
  await app.register(ecologyRoutes, { store: options.store, baselines: options.ecologyBaselines });
  await app.register(gatewaysRoutes, { directory: options.directory });
  if (options.snapshots) {
    await app.register(camerasRoutes, { directory: options.directory, snapshots: options.snapshots, commands: options.commands, commandTimeoutMs: options.commandTimeoutMs });
    await app.register(snapshotsRoutes, { snapshots: options.snapshots });
  }
  if (options.events) await app.register(eventsRoutes, { events: options.events });
  if (options.live) await app.register(liveRoutes, { hub: options.live });
  if (options.alarms) await app.register(alarmsRoutes, options.alarms);
  await app.register(carbonRoutes, { store: options.store, carbon: options.carbon });
  if (options.audit) await app.register(auditRoutes, { log: options.audit });
  if (options.provisioning) await app.register(registryRoutes, options.provisioning);
  await app.register(systemRoutes, { store: options.store, directory: options.directory, registry: options.registry });
  return app;
}
