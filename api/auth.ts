// Who may do what through the API: three roles, viewer < emergency < admin, and bearer
// tokens that map to a name and a role. The configuration holds each token's SHA-256, never
// the token itself (tokens are long random strings, so a plain hash is enough; no salt or
// slow hash needed). A request without a token gets the configured anonymous role.
//
// Routes declare the role they need in their config (`config: { minRole: 'emergency' }`);
// routes that declare nothing need `viewer`, and `public` routes (health, docs) need none.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readConfigFile, ConfigError } from '../lib/config.js';

export const ROLES = ['viewer', 'emergency', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** What a route needs: a role, or nothing at all. */
export type RouteAccess = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role that may call the route (default viewer). */
    minRole?: RouteAccess;
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

export function hasRole(have: Role | undefined, need: Role): boolean {
  return have !== undefined && ROLES.indexOf(have) >= ROLES.indexOf(need);
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
  constructor(readonly statusCode: 401 | 403, message: string) {
    super(message);
    this.name = statusCode === 401 ? 'Unauthorized' : 'Forbidden';
  }
}

/** Decides who a request is and whether it may call a route needing `need`; throws AuthError if not. */
export function authorize(table: TokenTable, anonymousRole: AnonymousRole, authorization: string | undefined, need: RouteAccess): Principal {
  let principal: Principal;
  if (authorization === undefined) {
    principal = { name: 'anonymous', role: anonymousRole === 'none' ? undefined : anonymousRole };
  } else {
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) throw new AuthError(401, 'the Authorization header must be "Bearer <token>"');
    const found = table.lookup(match[1]!);
    if (!found) throw new AuthError(401, 'unknown or revoked API token');
    principal = found;
  }
  if (need === 'public' || hasRole(principal.role, need)) return principal;
  if (principal.role === undefined) throw new AuthError(401, `this needs the ${need} role: send "Authorization: Bearer <token>"`);
  throw new AuthError(403, `this needs the ${need} role; ${principal.name === 'anonymous' ? 'anonymous requests have' : `token "${principal.name}" has`} the ${principal.role} role`);
}

/** Installs the check on every route of `app` (call before registering routes). */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const table = new TokenTable(options.tokens);
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.routeOptions.url ?? '';
    const need: RouteAccess = url === '/docs' || url.startsWith('/docs/') ? 'public' : (request.routeOptions.config?.minRole ?? 'viewer');
    try {
      request.principal = authorize(table, options.anonymousRole, request.headers.authorization, need);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="shaobing"');
      return reply.code(err.statusCode).send({ error: err.name, message: err.message });
    }
  });
}
