// What each registry route needs (api/auth.ts says which role holds which permission):
// provisioning (sites, gateways, revocation) and configuring (devices, cameras) change the
// network. Reading the registry shows no secret, but it is the installation's inventory
// (addresses of every device and camera), so it takes `configure` too, not just `read`.
import type { FastifyContextConfig } from 'fastify';

export const PROVISION: FastifyContextConfig = { permission: 'provision' };
export const CONFIGURE: FastifyContextConfig = { permission: 'configure' };
export const READ_REGISTRY: FastifyContextConfig = { permission: 'configure' };
