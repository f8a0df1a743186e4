// Health and Prometheus metrics of the API process.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from '../../lib/metrics.js';
import type { TelemetryStore } from '../../store/types.js';
import type { GatewayDirectory } from '../gateway-directory.js';

export const systemRoutes: FastifyPluginAsync<{ store: TelemetryStore; directory?: GatewayDirectory; registry: Registry }> = async (
  app, { store, directory, registry },
) => {
  app.get('/healthz', {
    config: { permission: 'public' },
    schema: { summary: 'Liveness and readiness: the store answers and the broker is connected', tags: ['system'] },
  }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await store.latest({ measurement: 'sb_healthcheck' });
      checks.store = 'ok';
    } catch (err) {
      checks.store = `failing: ${(err as Error).message}`;
    }
    if (directory) checks.broker = directory.connected() ? 'ok' : 'disconnected';
    const healthy = Object.values(checks).every((c) => c === 'ok');
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', store: store.kind, checks });
  });

  app.get('/metrics', {
    config: { permission: 'read' },
    schema: { summary: 'Prometheus metrics', tags: ['system'] },
  }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};
