// Registry routes: sites, gateways (provisioning: broker credentials shown once, stored as a
// scrypt hash; revocation, which also clears the gateway's retained config), and each gateway's
// devices and cameras. A device or camera change is validated with the protocol's schemas and
// pushed to the gateway as its next remote config. Camera passwords are write-only: lists and
// answers say "set"; only the config pushed to the gateway carries them.
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hashPassword } from '../../broker/passwords.js';
import { deviceConfigSchema, describeIssues, idSchema, type DeviceConfig, type GatewayConfig } from '../../protocol/index.js';
import { parseRegistryCamera } from './camera-schema.js';
import type { ConfigPublisher } from './config-publisher.js';
import { RegistryError, type RegistryStore } from './registry-store.js';
import { PROVISION, CONFIGURE, READ_REGISTRY } from './access.js';

export interface RegistryRoutesOptions {
  registry: RegistryStore;
  /** Pushes (and on revocation clears) remote configs; without it changes are stored but not pushed. */
  publisher?: ConfigPublisher;
  /** The broker address gateways should use, returned with new credentials (the CLI's default). */
  brokerUrl?: string;
}

const gatewayParams = z.strictObject({ site: idSchema, gateway: idSchema });
const deviceParams = z.strictObject({ site: idSchema, gateway: idSchema, device: idSchema });
const cameraParams = z.strictObject({ site: idSchema, gateway: idSchema, camera: idSchema });

/** 32 random bytes: a generated secret, so scrypt's defaults are ample (broker/passwords.ts). */
export function newGatewayPassword(): string {
  return randomBytes(32).toString('base64url');
}

function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).send({ error: 'Bad Request', message });
}

export const registryRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (app, { registry, publisher, brokerUrl }) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['registry'];

  const push = async (site: string, gateway: string, config: GatewayConfig): Promise<{ version: number; pushed: boolean; error?: string }> => {
    if (!publisher) return { version: config.version, pushed: false, error: 'the API has no broker connection for configs' };
    try {
      await publisher.publish({ site, gateway }, config);
      return { version: config.version, pushed: true };
    } catch (err) {
      app.log.warn({ site, gateway, version: config.version, err: (err as Error).message }, 'remote config not pushed');
      return { version: config.version, pushed: false, error: `stored but not pushed: ${(err as Error).message} (PUT the list again or POST …/config/push)` };
    }
  };
  /** The registry decides revocation; a broker that cannot be reached only means the retained copy stays for now. */
  const clearConfig = async (site: string, gateway: string): Promise<boolean> => {
    if (!publisher) {
      app.log.warn({ site, gateway }, 'revoked gateway\'s retained config not cleared: the API has no broker connection for configs');
      return false;
    }
    try {
      await publisher.clear({ site, gateway });
      return true;
    } catch (err) {
      app.log.warn({ site, gateway, err: (err as Error).message }, 'revoked gateway\'s retained config not cleared (revoke again once the broker is reachable)');
      return false;
    }
  };

  const changeDevices = async (site: string, gateway: string, change: (devices: DeviceConfig[]) => DeviceConfig[]) => {
    const config = registry.changeDevices(site, gateway, change);
    app.log.info({ site, gateway, version: config.version, devices: config.devices.length }, 'device list changed');
    return { devices: config.devices, config: await push(site, gateway, config) };
  };

  routes.get('/v1/registry/sites', { config: READ_REGISTRY, schema: { summary: 'Sites in the registry', tags } }, async () => ({ sites: registry.listSites() }));

  routes.post('/v1/registry/sites', {
    config: PROVISION,
    schema: { summary: 'Create a site', tags, body: z.strictObject({ id: idSchema, name: z.string().min(1).max(200).optional() }) },
  }, async (request, reply) => reply.code(201).send(registry.createSite(request.body.id, request.body.name)));

  routes.get('/v1/registry/gateways', {
    config: READ_REGISTRY,
    schema: { summary: 'Gateways in the registry (state active or revoked; never their credentials)', tags, querystring: z.strictObject({ site: idSchema.optional() }) },
  }, async (request) => ({ gateways: registry.listGateways(request.query.site) }));

  routes.post('/v1/registry/gateways', {
    config: PROVISION,
    schema: {
      summary: 'Provision a gateway: creates its broker account. The password is in this answer only; the registry keeps its scrypt hash.',
      tags,
      body: z.strictObject({ site: idSchema, gateway: idSchema, description: z.string().min(1).max(500).optional() }),
    },
  }, async (request, reply) => {
    const { site, gateway, description } = request.body;
    const password = newGatewayPassword();
    const record = registry.createGateway({ site, gateway, passwordHash: await hashPassword(password), description });
    app.log.info({ site, gateway, by: request.principal?.name }, 'gateway provisioned');
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ ...record, mqtt: { ...(brokerUrl ? { url: brokerUrl } : {}), username: record.username, password } });
  });

  routes.get('/v1/registry/gateways/:site/:gateway', {
    config: READ_REGISTRY, schema: { summary: 'One gateway of the registry', tags, params: gatewayParams },
  }, async (request) => registry.getGateway(request.params.site, request.params.gateway));

  routes.post('/v1/registry/gateways/:site/:gateway/revoke', {
    config: PROVISION,
    schema: {
      summary: 'Revoke a gateway: the broker disconnects it within seconds and refuses it from then on (not reversible). '
        + 'Its retained config (device addresses, camera passwords) is cleared from the broker; configCleared says whether that worked.',
      tags, params: gatewayParams,
    },
  }, async (request) => {
    const record = registry.revokeGateway(request.params.site, request.params.gateway);
    app.log.warn({ site: record.site, gateway: record.gateway, by: request.principal?.name }, 'gateway revoked');
    return { ...record, configCleared: await clearConfig(record.site, record.gateway) };
  });

  routes.get('/v1/registry/gateways/:site/:gateway/devices', {
    config: READ_REGISTRY, schema: { summary: 'Modbus devices of a gateway (its remote config)', tags, params: gatewayParams },
  }, async (request) => {
    const { site, gateway } = request.params;
    return { devices: registry.listDevices(site, gateway), configVersion: registry.getGateway(site, gateway).configVersion };
  });

  routes.put('/v1/registry/gateways/:site/:gateway/devices', {
    config: CONFIGURE,
    schema: { summary: 'Replace the device list; pushed to the gateway as its next remote config', tags, params: gatewayParams, body: z.unknown() },
  }, async (request, reply) => {
    const parsed = z.strictObject({ devices: z.array(deviceConfigSchema).max(1000) }).safeParse(request.body);
    if (!parsed.success) return badRequest(reply, `body: ${describeIssues(parsed.error)}`);
    const ids = new Set<string>();
    for (const device of parsed.data.devices) {
      if (ids.has(device.id)) return badRequest(reply, `body: duplicate device id "${device.id}"`);
      ids.add(device.id);
    }
    return changeDevices(request.params.site, request.params.gateway, () => parsed.data.devices);
  });

  routes.put('/v1/registry/gateways/:site/:gateway/devices/:device', {
    config: CONFIGURE,
    schema: { summary: 'Add or replace one device; pushed to the gateway as its next remote config', tags, params: deviceParams, body: z.unknown() },
  }, async (request, reply) => {
    const { site, gateway, device: id } = request.params;
    const body = request.body && typeof request.body === 'object' ? { id, ...(request.body as object) } : request.body;
    const parsed = deviceConfigSchema.safeParse(body);
    if (!parsed.success) return badRequest(reply, `body: ${describeIssues(parsed.error)}`);
    if (parsed.data.id !== id) return badRequest(reply, `body: id "${parsed.data.id}" differs from the path's "${id}"`);
    const device = parsed.data;
    return changeDevices(site, gateway, (devices) => {
      const index = devices.findIndex((d) => d.id === id);
      return index < 0 ? [...devices, device] : devices.map((d, i) => (i === index ? device : d));
    });
  });

  routes.delete('/v1/registry/gateways/:site/:gateway/devices/:device', {
    config: CONFIGURE, schema: { summary: 'Remove one device; pushed to the gateway as its next remote config', tags, params: deviceParams },
  }, async (request) => {
    const { site, gateway, device: id } = request.params;
    return changeDevices(site, gateway, (devices) => {
      if (!devices.some((d) => d.id === id)) throw new RegistryError(404, `no device "${id}" on ${site}/${gateway}`);
      return devices.filter((d) => d.id !== id);
    });
  });

  routes.post('/v1/registry/gateways/:site/:gateway/config/push', {
    config: CONFIGURE, schema: { summary: 'Push the stored config (devices, and cameras once the registry manages them) again, after a failed push', tags, params: gatewayParams },
  }, async (request) => {
    const { site, gateway } = request.params;
    const config = registry.currentConfig(site, gateway);
    if (!config) throw new RegistryError(404, `${site}/${gateway} has no config yet (no device or camera change)`);
    return { config: await push(site, gateway, config) };
  });

  routes.get('/v1/registry/gateways/:site/:gateway/cameras', {
    config: READ_REGISTRY, schema: { summary: 'ONVIF cameras of a gateway (passwords shown only as "set")', tags, params: gatewayParams },
  }, async (request) => ({ cameras: registry.listCameras(request.params.site, request.params.gateway) }));

  routes.put('/v1/registry/gateways/:site/:gateway/cameras/:camera', {
    config: CONFIGURE,
    schema: {
      summary: 'Add or replace a camera (the password is stored encrypted; leave it out to keep the stored one); pushed to the gateway as its next remote config',
      tags, params: cameraParams, body: z.unknown(),
    },
  }, async (request, reply) => {
    const { site, gateway, camera: id } = request.params;
    const body = request.body && typeof request.body === 'object' ? { id, ...(request.body as object) } : request.body;
    const parsed = parseRegistryCamera(body);
    if (!parsed.ok) return badRequest(reply, `body: ${parsed.reason}`);
    if (parsed.camera.id !== id) return badRequest(reply, `body: id "${parsed.camera.id}" differs from the path's "${id}"`);
    const { created, camera, config } = registry.putCamera(site, gateway, parsed.camera);
    app.log.info({ site, gateway, camera: id, version: config.version, passwordChanged: parsed.camera.password !== undefined }, created ? 'camera added' : 'camera changed');
    return reply.code(created ? 201 : 200).send({ camera, config: await push(site, gateway, config) });
  });

  routes.delete('/v1/registry/gateways/:site/:gateway/cameras/:camera', {
    config: CONFIGURE, schema: { summary: 'Remove a camera; pushed to the gateway as its next remote config', tags, params: cameraParams },
  }, async (request) => {
    const { site, gateway, camera } = request.params;
    const config = registry.deleteCamera(site, gateway, camera);
    app.log.info({ site, gateway, camera, version: config.version }, 'camera removed');
    return { config: await push(site, gateway, config) };
  });
};
