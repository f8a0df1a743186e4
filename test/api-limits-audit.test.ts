// Rate limits and the audit log on the real API (the whole system on loopback, small limits):
// every change and stream-address read is recorded with who, what (secrets redacted), when and
// the outcome, in an append-only table that only admins read back; past a limit the API answers
// 429 naming it — per token, stricter for commands, and per address for failed authentication.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../api/access/audit-log.js';
import { startTestSystem } from './harness/system.js';

const LIMITS = { windowMs: 3_600_000, perClient: 30, commands: 3, authFailures: 3 };
const CAMERA = '/v1/cameras/walk-site/gw-walk/cam-walk';

interface AuditEntry { actor: string; role?: string; method: string; route: string; params?: unknown; body?: unknown; status: number; time: string; ip: string }

describe('audit log and rate limits', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  const api = async (url: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${system.apiUrl}${url}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as Record<string, unknown> };
  };

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [], { rateLimits: LIMITS });
  });
  afterAll(async () => { await system?.close(); });

  it('records changes and stream reads — who, what, when, outcome — with secrets redacted, and not plain reads', async () => {
    const started = Date.now();
    const { admin, emergency, viewer, technician } = system.apiTokens;
    expect((await api(`${CAMERA}/ptz`, { method: 'POST', token: admin, body: { action: 'stop' } })).status).toBe(404);
    expect((await api(`${CAMERA}/ptz`, { method: 'POST', token: admin, body: { action: 'stop', password: 'hunter2-camera', note: 'rtsp://admin:s3cret@192.0.2.9/live' } })).status).toBe(400);
    expect((await api(`${CAMERA}/stream`, { token: emergency })).status).toBe(404);
    expect((await api('/v1/alarms/al-1/ack', { method: 'POST', token: viewer, body: { note: 'not mine' } })).status).toBe(403);
    expect((await api('/v1/alarms/al-2/ack', { method: 'POST' })).status).toBe(403); // anonymous viewer
    expect((await api('/v1/readings/latest', { token: admin })).status).toBe(200); // a read: not recorded

    const all = await api('/v1/audit?from=-1h', { token: admin });
    expect(all.status).toBe(200);
    const entries = all.body.entries as AuditEntry[];
    expect(entries.map((e) => [e.actor, e.role, e.method, e.route, e.status])).toEqual([
      ['anonymous', 'viewer', 'POST', '/v1/alarms/:id/ack', 403],
      ['system-viewer', 'viewer', 'POST', '/v1/alarms/:id/ack', 403],
      ['system-emergency', 'emergency', 'GET', '/v1/cameras/:site/:gateway/:camera/stream', 404],
      ['system-admin', 'admin', 'POST', '/v1/cameras/:site/:gateway/:camera/ptz', 400],
      ['system-admin', 'admin', 'POST', '/v1/cameras/:site/:gateway/:camera/ptz', 404],
    ]);
    expect(entries[3]).toMatchObject({
      params: { site: 'walk-site', gateway: 'gw-walk', camera: 'cam-walk' },
      body: { action: 'stop', password: '[redacted]', note: 'rtsp://[redacted]@192.0.2.9/live' },
      ip: '127.0.0.1',
    });
    // Refused before the body is read: a refusal records the route and parameters only.
    expect(entries[1]).toMatchObject({ params: { id: 'al-1' } });
    expect(entries[1]!.body).toBeUndefined();
    expect(Date.parse(entries[4]!.time)).toBeGreaterThanOrEqual(started - 1000);
    expect(JSON.stringify(entries)).not.toMatch(/hunter2|s3cret/);

    // Filters: who, what, outcome.
    const list = async (query: string) => ((await api(`/v1/audit?${query}`, { token: admin })).body.entries as AuditEntry[]).map((e) => `${e.actor} ${e.status}`);
    expect(await list('actor=system-admin')).toEqual(['system-admin 400', 'system-admin 404']);
    expect(await list('outcome=refused')).toEqual(['anonymous 403', 'system-viewer 403']);
    expect(await list('route=/v1/cameras*&method=GET')).toEqual(['system-emergency 404']);
    expect(await list('status=400')).toEqual(['system-admin 400']);
    expect(await list('limit=1')).toEqual(['anonymous 403']);
    expect(await list(`to=${started - 60_000}`)).toEqual([]);
    // Only admins read it.
    expect(await api('/v1/audit', { token: technician })).toMatchObject({ status: 403, body: { permission: 'admin' } });
    expect((await api('/v1/audit?outcome=maybe', { token: admin })).status).toBe(400);

    // Append-only, even for someone with the file.
    const db = new Database(path.join(system.dataDir, 'audit.db'));
    try {
      expect(() => db.prepare("UPDATE audit SET actor = 'someone-else'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
      expect((db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n).toBe(5);
    } finally {
      db.close();
    }
  });

  it('limits requests per token (429 naming the limit); other tokens and anonymous callers keep their own budget', async () => {
    const { viewer, technician } = system.apiTokens;
    for (let i = 0; i < LIMITS.perClient; i++) expect((await api('/v1/gateways', { token: viewer })).status).toBe(200);
    const over = await api('/v1/gateways', { token: viewer });
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ error: 'Too Many Requests', limit: 'requests', message: expect.stringMatching(/^rate limit "requests": at most 30 requests per client per 60 min; retry in \d+ s$/) });
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect((await api('/v1/gateways', { token: technician })).status).toBe(200);
    expect((await api('/v1/gateways')).status).toBe(200);
    // Unknown URLs count too (404 until the budget is spent).
    let status = 404;
    let calls = 0;
    let last: Awaited<ReturnType<typeof api>> | undefined;
    while (status === 404 && calls <= LIMITS.perClient) {
      last = await api(`/v1/no-such-route-${calls++}`, { token: technician });
      status = last.status;
    }
    expect(last).toMatchObject({ status: 429, body: { limit: 'requests' } });
  });

  it('limits commands more strictly, shared by PTZ, capture and acknowledgement', async () => {
    const { emergency } = system.apiTokens;
    expect((await api(`${CAMERA}/ptz`, { method: 'POST', token: emergency, body: { action: 'stop' } })).status).toBe(404);
    expect((await api(`${CAMERA}/capture`, { method: 'POST', token: emergency, body: {} })).status).toBe(404);
    expect((await api('/v1/alarms/al-3/ack', { method: 'POST', token: emergency })).status).toBe(404);
    const over = await api('/v1/alarms/al-3/ack', { method: 'POST', token: emergency });
    expect(over).toMatchObject({ status: 429, body: { limit: 'commands', message: expect.stringContaining('at most 3 command requests (PTZ, capture, alarm acknowledgement) per client') } });
    expect((await api(`${CAMERA}/ptz`, { method: 'POST', token: emergency, body: { action: 'stop' } })).body.limit).toBe('commands');
    // Reads are not commands.
    expect((await api('/v1/alarms', { token: emergency })).status).toBe(200);
    // The refusal is in the audit log.
    const refused = (await api('/v1/audit?status=429', { token: system.apiTokens.admin })).body.entries as AuditEntry[];
    expect(refused.map((e) => `${e.actor} ${e.route}`)).toEqual(['system-emergency /v1/cameras/:site/:gateway/:camera/ptz', 'system-emergency /v1/alarms/:id/ack']);
  });

  it('refuses an address after repeated failed authentication, even with a good token, until the window ends', async () => {
    for (let i = 0; i < LIMITS.authFailures; i++) {
      expect((await api('/v1/alarms/al-4/ack', { method: 'POST', token: `sbt_guess-${i}` })).status).toBe(401);
    }
    const blocked = await api('/v1/alarms/al-4/ack', { method: 'POST', token: 'sbt_guess-next' });
    expect(blocked).toMatchObject({
      status: 429, body: { error: 'Too Many Requests', limit: 'auth-failures', message: expect.stringContaining('at most 3 failed authentications per address per 60 min') },
    });
    expect(Number(blocked.retryAfter)).toBeGreaterThan(3000);
    // A brute forcer learns nothing more: the right token is refused too.
    expect((await api('/v1/readings/latest', { token: system.apiTokens.admin })).body.limit).toBe('auth-failures');
    // Anonymous reads (no token to check) still work.
    expect((await api('/v1/readings/latest')).status).toBe(200);
    // The attempts are in the audit log (read from the file: this address may not use a token now).
    const db = new Database(path.join(system.dataDir, 'audit.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT actor, role, status FROM audit WHERE route = '/v1/alarms/:id/ack' AND json_extract(params, '$.id') = 'al-4' ORDER BY id").all();
      expect(rows).toEqual([
        ...Array.from({ length: LIMITS.authFailures }, () => ({ actor: '(unknown token)', role: null, status: 401 })),
        { actor: '(unknown token)', role: null, status: 429 },
      ]);
    } finally {
      db.close();
    }
  });
});

describe('audit summaries', () => {
  it('redacts secrets at any depth and in URLs, and cuts what is long', () => {
    expect(summarize({
      name: 'cam-1', password: 'p', camera: { username: 'gw', credentials: { user: 'a' }, xaddr: 'http://u:p@10.0.0.5/onvif' },
      apiToken: 'sbt_x', privateKey: '---', items: Array.from({ length: 60 }, (_, i) => i), text: 'x'.repeat(300),
    })).toEqual({
      name: 'cam-1', password: '[redacted]', camera: { username: 'gw', credentials: '[redacted]', xaddr: 'http://[redacted]@10.0.0.5/onvif' },
      apiToken: '[redacted]', privateKey: '[redacted]', items: [...Array.from({ length: 50 }, (_, i) => i), '… (60 items)'],
      text: `${'x'.repeat(256)}… (300 characters)`,
    });
  });
});
