// Who may do what through the API: four roles, each a set of permissions, and bearer tokens
// that map to a name and a role. The roles are not a ladder (a technician provisions gateways
// but cannot move a camera; an emergency operator moves cameras but cannot provision), so
// routes declare the *permission* they need (`config: { permission: 'camera-control' }`) and
// ROLE_PERMISSIONS below is the one place that says which role holds which permission.
// `public` routes (health, docs) need nothing. A route that declares nothing is refused to
// everyone but admins (fail closed), and test/api-access.test.ts fails on it.
//
// The configuration holds each token's SHA-256, never the token itself (tokens are long random
// strings, so a plain hash is enough; no salt or slow hash needed). A request without a token
// gets the configured anonymous role (`none`: refused).
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import { readConfigFile, ConfigError } from '../lib/config.js';

export const ROLES = ['viewer', 'emergency', 'technician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['read', 'camera-stream', 'camera-control', 'alarm-ack', 'configure', 'provision', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];
/** What a route needs: a permission, or nothing at all. */
export type RouteAccess = Permission | 'public';

/** What each permission allows, for docs, the OpenAPI description and error messages. */
export const PERMISSION_MEANING: Readonly<Record<Permission, string>> = {
  read: 'read readings, AQI, carbon, gateways, cameras (list and snapshots), events, alarms and the live stream',
  'camera-stream': 'camera stream addresses (RTSP URI, ONVIF address)',
  'camera-control': 'camera commands: PTZ and capture',
  'alarm-ack': 'acknowledge alarms',
  configure: 'change gateway, device and camera configuration',
  provision: 'provision and revoke gateways (broker credentials)',
  admin: 'administration: the audit log, and everything else',
};

/** The one table of who holds what. Admin holds every permission. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read'],
  emergency: ['read', 'camera-stream', 'camera-control', 'alarm-ack'],
  technician: ['read', 'configure', 'provision'],
  admin: PERMISSIONS,
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a caller's role must hold (see ROLE_PERMISSIONS), or `public`. Every route must declare it. */
    permission?: RouteAccess;
    /** Record successful and refused calls in the audit log although the method is a GET (e.g. stream addresses). */
    audit?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling: a token's name and role, or anonymous with the anonymous role (undefined: none). */
    principal: Principal;
  }
}

export interface Principal {
  name: string;
  role: Role | undefined;
}

export const apiTokenSchema = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 of the token: 64 lowercase hex digits (shaobing hash-token)'),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;

export const tokensFileSchema = z.strictObject({ tokens: z.array(apiTokenSchema) });

export const anonymousRoleSchema = z.enum(['none', ...ROLES]);
export type AnonymousRole = z.infer<typeof anonymousRoleSchema>;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token (256 bits). */
export function generateToken(): string {
  return `sbt_${randomBytes(32).toString('base64url')}`;
}

export function hasPermission(role: Role | undefined, need: Permission): boolean {
  return role !== undefined && ROLE_PERMISSIONS[role].includes(need);
}

/** The roles that hold a permission, e.g. for "this needs … (roles: emergency, admin)". */
export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((role) => hasPermission(role, permission));
}

/** Reads a tokens file (YAML/JSON: `tokens: [{ name, role, sha256 }]`). */
export function loadTokensFile(file: string): ApiToken[] {
  const parsed = tokensFileSchema.safeParse(readConfigFile(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`tokens file ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data.tokens;
}

export class TokenTable {
  readonly #byHash = new Map<string, { name: string; role: Role }>();

  constructor(tokens: readonly ApiToken[]) {
    const names = new Set<string>();
    for (const token of tokens) {
      if (names.has(token.name)) throw new ConfigError(`API token name "${token.name}" is used twice`);
      if (this.#byHash.has(token.sha256)) throw new ConfigError(`API tokens "${this.#byHash.get(token.sha256)!.name}" and "${token.name}" have the same hash`);
      names.add(token.name);
      this.#byHash.set(token.sha256, { name: token.name, role: token.role });
    }
  }

  get size(): number {
    return this.#byHash.size;
  }

  lookup(token: string): { name: string; role: Role } | undefined {
    return this.#byHash.get(hashToken(token));
  }
}

export interface AuthOptions {
  tokens: readonly ApiToken[];
  /** Role of requests without a token; `none` refuses them (401). */
  anonymousRole: AnonymousRole;
}

export class AuthError extends Error {
  constructor(readonly statusCode: 401 | 403, message: string, readonly permission?: Permission) {
    super(message);
    this.name = statusCode === 401 ? 'Unauthorized' : 'Forbidden';
  }
}

/** Who sends this Authorization header (undefined: none sent)? Throws AuthError 401 on a malformed header or unknown token. */
export function identify(table: TokenTable, anonymousRole: AnonymousRole, authorization: string | undefined): Principal {
  if (authorization === undefined) return { name: 'anonymous', role: anonymousRole === 'none' ? undefined : anonymousRole };
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  if (!match) throw new AuthError(401, 'the Authorization header must be "Bearer <token>"');
  const found = table.lookup(match[1]!);
  if (!found) throw new AuthError(401, 'unknown or revoked API token');
  return found;
}

/** Decides who a request is and whether it may call a route needing `need`; throws AuthError if not. */
export function authorize(table: TokenTable, anonymousRole: AnonymousRole, authorization: string | undefined, need: RouteAccess): Principal {
  const principal = identify(table, anonymousRole, authorization);
  if (need === 'public' || hasPermission(principal.role, need)) return principal;
  const holders = rolesWith(need).join(', ');
  if (principal.role === undefined) {
    throw new AuthError(401, `this needs the "${need}" permission (roles: ${holders}): send "Authorization: Bearer <token>"`, need);
  }
  const who = principal.name === 'anonymous' ? 'anonymous requests have' : `token "${principal.name}" has`;
  throw new AuthError(403, `this needs the "${need}" permission (roles: ${holders}); ${who} the ${principal.role} role`, need);
}

/** A route as the access check sees it: for tests that walk every route, and the docs. */
export interface RouteAccessEntry {
  method: string;
  url: string;
  /** Undefined: the route declares nothing (a bug: refused to all but admins). */
  permission: RouteAccess | undefined;
}

const routeTables = new WeakMap<FastifyInstance, RouteAccessEntry[]>();

/** Every route registered after installAuth, with the permission it declares. */
export function registeredRoutes(app: FastifyInstance): readonly RouteAccessEntry[] {
  return routeTables.get(app) ?? [];
}

const isDocs = (url: string) => url === '/docs' || url.startsWith('/docs/');

/** The permission the check applies to a route: /docs is public; a route without a declaration needs admin. */
export function routeNeed(url: string, declared: RouteAccess | undefined): RouteAccess {
  if (isDocs(url)) return 'public';
  return declared ?? 'admin';
}

export interface AuthHooks {
  /**
   * Called with the client's address before the token is checked: answering true refuses the
   * request (429) without looking at the token, e.g. after too many failures from that address.
   */
  blocked?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean> | boolean;
  /** Called when a request presents a malformed or unknown token; answering true means it replied (e.g. 429) instead of the 401. */
  failed?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean> | boolean;
}

/** Installs the check on every route of `app` (call before registering routes). */
export function installAuth(app: FastifyInstance, options: AuthOptions, hooks: AuthHooks = {}): void {
  const table = new TokenTable(options.tokens);
  const routes: RouteAccessEntry[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const permission = isDocs(route.url) ? 'public' : route.config?.permission;
    for (const method of methods) routes.push({ method, url: route.url, permission });
    if (permission === undefined) app.log.warn({ url: route.url }, 'route declares no permission: only admins may call it');
  });
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.routeOptions.url;
    // No such route: the 404 tells nothing, so it needs no permission (a bad token is still refused).
    const need = url === undefined ? 'public' : routeNeed(url, request.routeOptions.config?.permission);
    request.principal = { name: 'anonymous', role: undefined };
    if (request.headers.authorization !== undefined && hooks.blocked && await hooks.blocked(request, reply)) return reply;
    try {
      request.principal = authorize(table, options.anonymousRole, request.headers.authorization, need);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      if (err.statusCode === 401) {
        if (request.headers.authorization !== undefined && hooks.failed && await hooks.failed(request, reply)) return reply;
        reply.header('www-authenticate', 'Bearer realm="shaobing"');
      } else {
        // Refused for lack of permission: the caller is known, keep it for the audit log.
        request.principal = identify(table, options.anonymousRole, request.headers.authorization);
      }
      return reply.code(err.statusCode).send({ error: err.name, message: err.message, ...(err.permission ? { permission: err.permission } : {}) });
    }
  });
}
