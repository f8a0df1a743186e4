// Rate limits of the API, with @fastify/rate-limit: a generous limit on every route per
// client (the token's name, or the address of an anonymous caller), a stricter one shared by
// the command routes (PTZ, capture, acknowledging alarms: they move hardware or page people),
// and a limit on failed authentication per address — past it, that address is refused (429)
// without its tokens being checked, so tokens cannot be guessed by brute force.
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AuthHooks, Permission } from '../auth.js';

export interface RateLimitSettings {
  /** Length of the fixed window every limit counts in. */
  windowMs: number;
  /** Requests per window per client on any route (token name, or address when anonymous); 0: no limit. */
  perClient: number;
  /** Command requests (PTZ, capture, alarm acknowledgement) per window per client; 0: no limit. */
  commands: number;
  /** Failed authentications (unknown or malformed token) per window per address before it is refused; 0: no limit. */
  authFailures: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = { windowMs: 60_000, perClient: 1200, commands: 30, authFailures: 10 };

/** Routes needing these permissions are commands: they share the stricter `commands` limit. */
export const COMMAND_PERMISSIONS: readonly Permission[] = ['camera-control', 'alarm-ack'];

export type RateLimitName = 'requests' | 'commands' | 'auth-failures';

/** A 429: the body names the limit that was exceeded. */
export class RateLimitError extends Error {
  readonly statusCode = 429;
  constructor(readonly limit: RateLimitName, message: string) {
    super(message);
    this.name = 'Too Many Requests';
  }

  body(): { error: string; message: string; limit: RateLimitName } {
    return { error: this.name, message: this.message, limit: this.limit };
  }
}

/** Who a limit counts: the token's name, or the address of a caller without a (valid) token. */
export function clientKey(request: FastifyRequest): string {
  const principal = request.principal as FastifyRequest['principal'] | null;
  return principal && principal.name !== 'anonymous' && principal.role !== undefined ? `token:${principal.name}` : `ip:${request.ip}`;
}

const perWindow = (windowMs: number) => (windowMs % 60_000 === 0 ? `${windowMs / 60_000} min` : `${windowMs / 1000} s`);
const retryIn = (ttlMs: number) => `retry in ${Math.max(1, Math.ceil(ttlMs / 1000))} s`;

function describe(limit: RateLimitName, max: number, windowMs: number, ttlMs: number): string {
  const what = {
    requests: 'requests per client',
    commands: 'command requests (PTZ, capture, alarm acknowledgement) per client',
    'auth-failures': 'failed authentications per address',
  }[limit];
  return `rate limit "${limit}": at most ${max} ${what} per ${perWindow(windowMs)}; ${retryIn(ttlMs)}`;
}

/**
 * Registers the limits on `app` (before the routes: they are attached as routes register) and
 * returns the hooks for installAuth that count failed authentication.
 */
export async function installRateLimits(app: FastifyInstance, settings: RateLimitSettings): Promise<AuthHooks> {
  const { windowMs } = settings;
  await app.register(fastifyRateLimit, {
    global: settings.perClient > 0,
    max: settings.perClient,
    timeWindow: windowMs,
    keyGenerator: clientKey,
    // After the auth hook (a route-level onRequest hook runs after the app's), so the token's name is known.
    hook: 'onRequest',
    errorResponseBuilder: (_request, context) => new RateLimitError('requests', describe('requests', Number(context.max), windowMs, context.ttl)),
  });

  if (settings.perClient > 0) {
    // Unknown URLs count too (scanners), with the same limit; the answer is Fastify's usual 404.
    app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) =>
      reply.code(404).send({ message: `Route ${request.method}:${request.url} not found`, error: 'Not Found', statusCode: 404 }));
  }

  if (settings.commands > 0) {
    // One limiter (one counter store) shared by every command route.
    const commandLimiter = app.createRateLimit({ max: settings.commands, timeWindow: windowMs, keyGenerator: clientKey });
    const checkCommand = async (request: FastifyRequest, reply: FastifyReply) => {
      const outcome = await commandLimiter(request);
      if (outcome.isAllowed || !outcome.isExceeded) return;
      reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.ttl / 1000))));
      throw new RateLimitError('commands', describe('commands', settings.commands, windowMs, outcome.ttl));
    };
    app.addHook('onRoute', (route: RouteOptions) => {
      const permission = route.config?.permission;
      if (permission === undefined || permission === 'public' || !COMMAND_PERMISSIONS.includes(permission)) return;
      const existing = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
      route.preHandler = [checkCommand, ...existing];
    });
  }

  if (settings.authFailures <= 0) return {};
  const failureLimiter = app.createRateLimit({ max: settings.authFailures, timeWindow: windowMs, keyGenerator: (request) => `ip:${request.ip}` });
  /** Addresses over the failure limit, until when. */
  const blockedUntil = new Map<string, number>();
  const refuse = (reply: FastifyReply, untilMs: number) => {
    const ttl = untilMs - Date.now();
    reply.header('retry-after', String(Math.max(1, Math.ceil(ttl / 1000))));
    return reply.code(429).send(new RateLimitError('auth-failures', describe('auth-failures', settings.authFailures, windowMs, ttl)).body());
  };
  return {
    blocked: async (request, reply) => {
      const until = blockedUntil.get(request.ip);
      if (until === undefined) return false;
      if (until <= Date.now()) {
        blockedUntil.delete(request.ip);
        return false;
      }
      await refuse(reply, until);
      return true;
    },
    failed: async (request, reply) => {
      const outcome = await failureLimiter(request);
      if (outcome.isAllowed || !outcome.isExceeded) return false;
      if (blockedUntil.size >= 10_000) {
        const now = Date.now();
        for (const [ip, until] of blockedUntil) if (until <= now) blockedUntil.delete(ip);
      }
      const until = Date.now() + outcome.ttl;
      blockedUntil.set(request.ip, until);
      await refuse(reply, until);
      return true;
    },
  };
}
