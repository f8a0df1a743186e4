// Fuzzing the API, bounded and deterministic (seeded): ≥ 10 000 malformed requests
// against every route the OpenAPI document lists (random and hostile parameters,
// ids with injection strings, huge values, NaN/Infinity, bodies over the limit,
// wrong content types and methods). Never a 5xx; every 4xx carries a JSON error
// with a message; the server still serves good requests afterwards. Figures are
// printed (docs/RELIABILITY.md, "Fuzzing").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, Prng } from './harness/fuzz.js';
import { startTestSystem } from './harness/system.js';

/** Figures for docs/RELIABILITY.md and docs/SECURITY.md, printed with the test output. */
const report = (line: string) => void process.stdout.write(`${line}\n`);

const SEED = Number(process.env.SB_FUZZ_SEED ?? 20261201);
const REQUESTS = Number(process.env.SB_FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 16;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

interface Route { method: string; path: string; query: string[]; hasBody: boolean }
/** `errorShape`: for a 4xx, whether the body is JSON with a string `error` and a non-empty `message`. */
interface Outcome { status: number; route: string; method: string; url: string; body: string; errorShape: boolean }

const NUMBERISH = ['NaN', 'Infinity', '-Infinity', '1e309', '-1', '0', '9'.repeat(40), '1.5', '0x10', '', ' ', '2000-01-01', '99999999999999999999', String(Date.now())];
const VALUES = [...HOSTILE_STRINGS, ...NUMBERISH];

function pathValue(r: Prng): string {
  const raw = r.next() < 0.8 ? r.pick(VALUES) : r.text(1 + r.int(40));
  // Mostly encoded (what a client sends); sometimes raw, so "../", "%00" and "?" reach the router as they are.
  return r.next() < 0.8 ? encodeURIComponent(raw) : raw.replace(/[#\s]/g, '');
}

function queryString(r: Prng, names: string[]): string {
  const params: string[] = [];
  const count = r.int(5);
  for (let i = 0; i < count; i++) {
    const name = names.length > 0 && r.next() < 0.7 ? r.pick(names) : r.pick(['from', 'to', 'limit', 'x', '__proto__', 'constructor', 'a[b]', r.text(8)]);
    params.push(`${encodeURIComponent(name)}=${encodeURIComponent(r.next() < 0.85 ? r.pick(VALUES) : r.text(1 + r.int(300)))}`);
  }
  return params.length > 0 ? `?${params.join('&')}` : '';
}

const HUGE = 'x'.repeat(1024 * 1024 + 100);
function body(r: Prng): { body?: string | Buffer; contentType?: string } {
  switch (r.int(9)) {
    case 0: return {};
    case 1: return { body: '{"truncated": ', contentType: 'application/json' };
    case 2: return { body: JSON.stringify({ note: HUGE }), contentType: 'application/json' }; // over the 1 MiB body limit
    case 3: return { body: '<xml/>', contentType: 'application/xml' };
    case 4: return { body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' };
    case 5: return { body: Buffer.from(r.bytes(1 + r.int(200))), contentType: 'application/octet-stream' };
    case 6: return { body: JSON.stringify(r.pick<unknown>([null, [], 42, 'str', { __proto__: { admin: true } }, { constructor: { prototype: {} } }, { reason: r.pick(VALUES) }, { site: r.pick(VALUES), id: r.pick(VALUES) }])), contentType: 'application/json' };
    case 7: return { body: r.bytes(50), contentType: 'application/json' };
    default: return { body: r.text(100), contentType: 'text/plain' };
  }
}

function isJsonError(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    return typeof parsed.error === 'string' && typeof parsed.message === 'string' && parsed.message.length > 0;
  } catch {
    return false;
  }
}

describe('API fuzzing', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let routes: Route[];

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [], {
      commandTimeoutMs: 500, alarmAckTimeoutMs: 500, rateLimits: { perClient: 0, commands: 0, authFailures: 0 },
    });
    const doc = await (await fetch(`${system.apiUrl}/docs/json`)).json() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: unknown }>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      hasBody: op.requestBody !== undefined,
    })));
  }, 30_000);
  afterAll(async () => {
    await system?.close();
  });

  it(`answers ${REQUESTS} malformed requests on every route with a 4xx JSON error (or a 2xx), never a 5xx`, async () => {
    expect(routes.length).toBeGreaterThan(10);
    const prng = new Prng(SEED);
    const tokens = Object.values(system.apiTokens);
    const outcomes: Outcome[] = [];
    const startedAt = performance.now();
    let issued = 0;

    async function one(): Promise<void> {
      const route = routes[issued % routes.length]!; // round robin: every route gets its share
      issued++;
      const method = prng.next() < 0.8 ? route.method : prng.pick(METHODS);
      const path = route.path.replace(/\{[^}]+\}/g, () => pathValue(prng));
      const url = `${system.apiUrl}${path}${queryString(prng, route.query)}`;
      const headers: Record<string, string> = {};
      const auth = prng.int(10);
      if (auth < 7) headers.authorization = `Bearer ${prng.pick(tokens)}`;
      else if (auth === 7) headers.authorization = prng.pick(['Bearer ', 'Bearer x', 'Basic YTpi', `Bearer ${'A'.repeat(3000)}`, 'Bearer \u00e9']).replace(/[^\x20-\xff]/g, '?');
      const withBody = method !== 'GET' && method !== 'HEAD' && (route.hasBody || prng.next() < 0.5) ? body(prng) : {};
      if (withBody.contentType) headers['content-type'] = withBody.contentType;
      const abort = AbortSignal.timeout(5000);
      let status: number;
      let text = '';
      try {
        const payload = typeof withBody.body === 'string' || withBody.body === undefined ? withBody.body : new Uint8Array(withBody.body);
        const response = await fetch(url, { method, headers, body: payload, signal: abort });
        status = response.status;
        // The live stream (SSE) never ends on its own: its headers are the answer.
        if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) await response.body?.cancel();
        else text = await response.text();
      } catch (err) {
        status = -1;
        text = (err as Error).message;
      }
      outcomes.push({ status, route: `${route.method} ${route.path}`, method, url: url.slice(0, 300), body: text.slice(0, 300), errorShape: isJsonError(text) });
    }

    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (issued < REQUESTS) await one(); }));
    const seconds = (performance.now() - startedAt) / 1000;

    const failures = outcomes.filter((o) => o.status < 200 || o.status >= 500);
    expect(failures.slice(0, 5)).toEqual([]);
    // HEAD answers carry no body by definition.
    const badErrors = outcomes.filter((o) => o.status >= 400 && o.method !== 'HEAD' && !o.errorShape);
    expect(badErrors.slice(0, 5)).toEqual([]);

    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    const routesHit = new Set(outcomes.map((o) => o.route)).size;

    // Good requests are still served.
    const health = await fetch(`${system.apiUrl}/v1/gateways`, { headers: { authorization: `Bearer ${system.apiTokens.admin}` } });
    expect(health.status).toBe(200);
    report(`API fuzz (seed ${SEED}): ${outcomes.length} requests on ${routesHit} routes in ${seconds.toFixed(1)} s (${Math.round(outcomes.length / seconds)} req/s), `
      + `no 5xx; statuses ${[...byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  }, 400_000);
});
