// Access control on every route of the real API (the whole system, anonymous role `none`):
// walks every route the server registered — so a route added later is walked too — and
// checks that it declares a permission, that every role without it is refused (403 naming the
// permission), that no token or a wrong one is refused (401), and that every role holding it
// gets past the check. The OpenAPI document lists the same routes with their permission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPermission, registeredRoutes, ROLES, rolesWith, type RouteAccessEntry } from '../api/auth.js';
import { startTestSystem } from './harness/system.js';

const PARAM_VALUES: Record<string, string> = {
  site: 'walk-site', gateway: 'gw-walk', camera: 'cam-walk', device: 'dev-walk', id: 'no-such-id', sha256: '0'.repeat(64),
};
const concrete = (url: string) => url.replace(/:(\w+)/g, (_m, name: string) => PARAM_VALUES[name] ?? 'x').replace(/\*$/, 'index.html');

describe('access control on every route', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let routes: RouteAccessEntry[];

  beforeAll(async () => {
    // No rate limits here: the walk sends many refused requests from one address on purpose.
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [], {
      anonymousRole: 'none', rateLimits: { perClient: 0, commands: 0, authFailures: 0 },
    });
    routes = registeredRoutes(system.api).filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
  });
  afterAll(async () => { await system?.close(); });

  /** Calls a route; streams (the live SSE) are cut once the status is known. */
  const call = async (route: RouteAccessEntry, token?: string) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
    if (hasBody) headers['content-type'] = 'application/json';
    const controller = new AbortController();
    const response = await fetch(`${system.apiUrl}${concrete(route.url)}`, {
      method: route.method, headers, body: hasBody ? '{}' : undefined, signal: controller.signal,
    });
    const type = response.headers.get('content-type') ?? '';
    let body: Record<string, unknown> | undefined;
    if (type.includes('application/json')) body = await response.json() as Record<string, unknown>;
    else controller.abort();
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body };
  };

  it('walks the whole API, and every route declares a permission', () => {
    const names = routes.map((r) => `${r.method} ${r.url}`);
    // The system wires every part: these must be among the routes walked.
    for (const expected of [
      'GET /healthz', 'GET /v1/readings/latest', 'GET /v1/live', 'GET /v1/cameras/:site/:gateway/:camera/stream',
      'POST /v1/cameras/:site/:gateway/:camera/ptz', 'POST /v1/alarms/:id/ack', 'GET /v1/audit', 'GET /v1/carbon/emissions', 'GET /docs/json',
    ]) expect(names).toContain(expected);
    expect(routes.filter((r) => r.permission === undefined).map((r) => `${r.method} ${r.url}`), 'routes without config.permission').toEqual([]);
  });

  it('refuses every role without the permission (403 naming it) and lets every role with it through', async () => {
    const problems: string[] = [];
    for (const route of routes) {
      const need = route.permission!;
      for (const role of ROLES) {
        const { status, body } = await call(route, system.apiTokens[role]);
        const allowed = need === 'public' || hasPermission(role, need);
        if (allowed && (status === 401 || status === 403 || status === 429)) problems.push(`${role} refused on ${route.method} ${route.url}: ${status} ${JSON.stringify(body)}`);
        if (!allowed) {
          const ok = status === 403 && body?.permission === need && String(body?.message).includes(`"${need}" permission`)
            && String(body?.message).includes(`token "system-${role}" has the ${role} role`);
          if (!ok) problems.push(`${role} not refused on ${route.method} ${route.url} (needs ${need}): ${status} ${JSON.stringify(body)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers 401 with a challenge without a token (anonymous role none) and with an unknown one', async () => {
    const problems: string[] = [];
    for (const route of routes) {
      const anonymous = await call(route);
      if (route.permission === 'public') {
        if (anonymous.status === 401 || anonymous.status === 403) problems.push(`public ${route.method} ${route.url} refused: ${anonymous.status}`);
      } else if (anonymous.status !== 401 || anonymous.challenge !== 'Bearer realm="shaobing"' || anonymous.body?.permission !== route.permission) {
        problems.push(`anonymous not refused on ${route.method} ${route.url}: ${anonymous.status} ${JSON.stringify(anonymous.body)}`);
      }
      const wrong = await call(route, 'sbt_not-a-token-of-this-api');
      if (wrong.status !== 401 || wrong.body?.message !== 'unknown or revoked API token') problems.push(`wrong token on ${route.method} ${route.url}: ${wrong.status}`);
    }
    expect(problems).toEqual([]);
  });

  it('answers 404 for an unknown URL to anyone, but 401 for a wrong token', async () => {
    const unknown = { method: 'GET', url: '/v1/no-such-thing', permission: 'public' } as const;
    expect((await call(unknown)).status).toBe(404);
    expect((await call(unknown, system.apiTokens.viewer)).status).toBe(404);
    expect((await call(unknown, 'sbt_not-a-token-of-this-api')).status).toBe(401);
  });

  it('names each operation\'s permission in the OpenAPI document, for the same routes', async () => {
    const response = await fetch(`${system.apiUrl}/docs/json`);
    const doc = await response.json() as { paths: Record<string, Record<string, { description?: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, description: op.description ?? '',
    })));
    const walked = new Map(routes.map((r) => [`${r.method} ${r.url}`, r.permission!]));
    for (const { key, description } of documented) {
      expect(walked.has(key), `${key} documented but not walked`).toBe(true);
      const need = walked.get(key)!;
      expect(description).toContain(need === 'public' ? 'Permission: none (public).' : `Permission: \`${need}\` (roles: ${rolesWith(need).join(', ')}).`);
    }
    expect(documented.length).toBeGreaterThan(15);
  });
});
