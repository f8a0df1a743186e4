// Gateways: online/offline and last seen, from their retained status messages.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { GatewayDirectory } from '../gateway-directory.js';
import { idParam } from '../params.js';

const gatewaysResponse = z.object({
  gateways: z.array(z.object({
    site: z.string(), gateway: z.string(), state: z.enum(['online', 'offline']),
    lastSeen: z.string(), reason: z.string().optional(),
    version: z.string().optional(), uptimeS: z.number().optional(), configVersion: z.number().optional(),
    outboxDepth: z.number().optional(),
    devices: z.record(z.string(), z.object({ online: z.boolean(), pollsOk: z.number().optional(), pollsFailed: z.number().optional(), lastError: z.string().optional() })).optional(),
  })),
});

export const gatewaysRoutes: FastifyPluginAsync<{ directory: GatewayDirectory }> = async (app, { directory }) => {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/gateways', {
    config: { permission: 'read' },
    schema: {
      summary: 'Gateways with their state (online/offline) and when they were last seen',
      tags: ['gateways'],
      querystring: z.strictObject({ site: idParam.optional(), state: z.enum(['online', 'offline']).optional() }),
      response: { 200: gatewaysResponse },
    },
  }, async (request) => {
    const { site, state } = request.query;
    const gateways = directory.list()
      .filter((g) => (site === undefined || g.site === site) && (state === undefined || g.state === state))
      .map((g) => ({
        site: g.site, gateway: g.gateway, state: g.state, lastSeen: new Date(g.lastSeen).toISOString(),
        reason: g.status.reason, version: g.status.version, uptimeS: g.status.uptimeS,
        configVersion: g.status.configVersion, outboxDepth: g.status.outboxDepth, devices: g.status.devices,
      }));
    return { gateways };
  });
};
