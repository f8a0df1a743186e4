// Roles, permissions and bearer tokens: the role → permission table, the decision table of
// authorize(), the token table's checks, and the hook on a real Fastify server over HTTP (401
// with WWW-Authenticate, 403 naming the permission, undeclared routes refused to all but admins).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError, authorize, generateToken, hashToken, hasPermission, installAuth, loadTokensFile, PERMISSIONS, registeredRoutes, ROLE_PERMISSIONS, ROLES,
  rolesWith, TokenTable, type AnonymousRole, type RouteAccess,
} from './auth.js';

const tokens = { viewer: generateToken(), emergency: generateToken(), technician: generateToken(), admin: generateToken() };
const table = new TokenTable([
  { name: 'dashboard', role: 'viewer', sha256: hashToken(tokens.viewer) },
  { name: 'duty-officer', role: 'emergency', sha256: hashToken(tokens.emergency) },
  { name: 'field-tech', role: 'technician', sha256: hashToken(tokens.technician) },
  { name: 'ops-admin', role: 'admin', sha256: hashToken(tokens.admin) },
]);

describe('roles and permissions', () => {
  it('gives each role its permissions (not a ladder) and admin all of them', () => {
    expect(Object.fromEntries(ROLES.map((role) => [role, PERMISSIONS.filter((p) => hasPermission(role, p))]))).toEqual({
      viewer: ['read'],
      emergency: ['read', 'camera-stream', 'camera-control', 'alarm-ack'],
      technician: ['read', 'configure', 'provision'],
      admin: [...PERMISSIONS],
    });
    expect(ROLE_PERMISSIONS.admin).toEqual(PERMISSIONS);
    expect(rolesWith('provision')).toEqual(['technician', 'admin']);
    expect(hasPermission(undefined, 'read')).toBe(false);
  });
});

describe('authorize', () => {
  const cases: Array<[string, AnonymousRole, string | undefined, RouteAccess, string]> = [
    ['anonymous viewer reads', 'viewer', undefined, 'read', 'anonymous:viewer'],
    ['anonymous viewer wants a stream address', 'viewer', undefined, 'camera-stream', '403 this needs the "camera-stream" permission (roles: emergency, admin); anonymous requests have the viewer role'],
    ['anonymous refused when anonymousRole is none', 'none', undefined, 'read', '401 this needs the "read" permission (roles: viewer, emergency, technician, admin): send "Authorization: Bearer <token>"'],
    ['public route needs nothing', 'none', undefined, 'public', 'anonymous:none'],
    ['viewer token reads', 'none', `Bearer ${tokens.viewer}`, 'read', 'dashboard:viewer'],
    ['viewer token wants PTZ', 'viewer', `Bearer ${tokens.viewer}`, 'camera-control', '403 this needs the "camera-control" permission (roles: emergency, admin); token "dashboard" has the viewer role'],
    ['emergency acknowledges', 'viewer', `Bearer ${tokens.emergency}`, 'alarm-ack', 'duty-officer:emergency'],
    ['emergency cannot provision', 'viewer', `bearer ${tokens.emergency}`, 'provision', '403 this needs the "provision" permission (roles: technician, admin); token "duty-officer" has the emergency role'],
    ['technician provisions', 'none', `Bearer ${tokens.technician}`, 'provision', 'field-tech:technician'],
    ['technician cannot move a camera', 'none', `Bearer ${tokens.technician}`, 'camera-control', '403 this needs the "camera-control" permission (roles: emergency, admin); token "field-tech" has the technician role'],
    ['technician cannot read the audit log', 'none', `Bearer ${tokens.technician}`, 'admin', '403 this needs the "admin" permission (roles: admin); token "field-tech" has the technician role'],
    ['admin does everything', 'none', `Bearer ${tokens.admin}`, 'camera-stream', 'ops-admin:admin'],
    ['unknown token', 'admin', 'Bearer sbt_guessed', 'read', '401 unknown or revoked API token'],
    ['unknown token, even on public routes', 'viewer', 'Bearer sbt_guessed', 'public', '401 unknown or revoked API token'],
    ['not a bearer header', 'viewer', `Basic ${Buffer.from('a:b').toString('base64')}`, 'read', '401 the Authorization header must be "Bearer <token>"'],
    ['an anonymous emergency (a closed training room)', 'emergency', undefined, 'camera-control', 'anonymous:emergency'],
  ];
  it.each(cases)('%s', (_name, anonymousRole, header, need, expected) => {
    let outcome: string;
    try {
      const principal = authorize(table, anonymousRole, header, need);
      outcome = `${principal.name}:${principal.role ?? 'none'}`;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      outcome = `${err.statusCode} ${err.message}`;
    }
    expect(outcome).toBe(expected);
  });
});

describe('token table and tokens file', () => {
  it('keeps only hashes, and refuses duplicate names or hashes', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(generateToken()).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    const sha256 = hashToken('x');
    expect(() => new TokenTable([{ name: 'a', role: 'viewer', sha256 }, { name: 'a', role: 'admin', sha256: hashToken('y') }])).toThrow(/name "a" is used twice/);
    expect(() => new TokenTable([{ name: 'a', role: 'viewer', sha256 }, { name: 'b', role: 'admin', sha256 }])).toThrow(/"a" and "b" have the same hash/);
  });

  it('reads a YAML tokens file and names what is wrong in a bad one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-tokens-'));
    try {
      const file = path.join(dir, 'tokens.yaml');
      fs.writeFileSync(file, `tokens:\n  - { name: duty-officer, role: emergency, sha256: ${hashToken(tokens.emergency)} }\n  - { name: field-tech, role: technician, sha256: ${hashToken(tokens.technician)} }\n`);
      expect(loadTokensFile(file)).toEqual([
        { name: 'duty-officer', role: 'emergency', sha256: hashToken(tokens.emergency) },
        { name: 'field-tech', role: 'technician', sha256: hashToken(tokens.technician) },
      ]);
      fs.writeFileSync(file, `tokens:\n  - { name: x, role: superuser, sha256: ${hashToken('x')} }\n`);
      expect(() => loadTokensFile(file)).toThrow(/tokens file .*tokens.yaml: tokens.0.role/);
      fs.writeFileSync(file, 'tokens:\n  - { name: x, role: viewer, token: plain-text }\n');
      expect(() => loadTokensFile(file)).toThrow(/tokens\.0/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the auth hook over HTTP', () => {
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    app = Fastify({ logger: false });
    installAuth(app, { tokens: [{ name: 'duty-officer', role: 'emergency', sha256: hashToken(tokens.emergency) }], anonymousRole: 'none' });
    app.get('/open', { config: { permission: 'public' } }, async () => ({ ok: true }));
    app.get('/read', { config: { permission: 'read' } }, async (request) => ({ who: request.principal.name }));
    app.post('/act', { config: { permission: 'camera-control' } }, async (request) => ({ who: request.principal.name, role: request.principal.role }));
    app.post('/admin', { config: { permission: 'admin' } }, async () => ({ ok: true }));
    app.get('/forgotten', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => { await app?.close(); });

  const call = async (method: string, route: string, token?: string) => {
    const response = await fetch(`${url}${route}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() as Record<string, unknown> };
  };

  it('answers 401 with a challenge, 403 naming the permission, and passes the principal to the route', async () => {
    expect(await call('GET', '/open')).toEqual({ status: 200, challenge: null, body: { ok: true } });
    expect(await call('GET', '/read')).toEqual({
      status: 401, challenge: 'Bearer realm="shaobing"', body: { error: 'Unauthorized', message: expect.stringContaining('needs the "read" permission'), permission: 'read' },
    });
    expect(await call('GET', '/read', 'sbt_wrong')).toEqual({ status: 401, challenge: 'Bearer realm="shaobing"', body: { error: 'Unauthorized', message: 'unknown or revoked API token' } });
    expect(await call('GET', '/read', tokens.emergency)).toEqual({ status: 200, challenge: null, body: { who: 'duty-officer' } });
    expect(await call('POST', '/act', tokens.emergency)).toEqual({ status: 200, challenge: null, body: { who: 'duty-officer', role: 'emergency' } });
    expect(await call('POST', '/admin', tokens.emergency)).toEqual({
      status: 403, challenge: null,
      body: { error: 'Forbidden', message: 'this needs the "admin" permission (roles: admin); token "duty-officer" has the emergency role', permission: 'admin' },
    });
  });

  it('refuses a route that declares no permission to everyone but admins, and lists it as undeclared', async () => {
    expect((await call('GET', '/forgotten', tokens.emergency)).status).toBe(403);
    expect(registeredRoutes(app).filter((r) => r.permission === undefined).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /forgotten', 'HEAD /forgotten']);
  });
});
