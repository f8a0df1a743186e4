// The live hub over real HTTP: a node http server hands each request to the hub and real
// fetch streams read it as EventSource would. Filters, monotonic ids, resume with
// Last-Event-ID (exact replay, or a reset once outside the window), heartbeats, and the drop
// policy: a client that stops reading is dropped while another keeps receiving everything.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../lib/metrics.js';
import { waitFor } from '../../lib/wait.js';
import type { Alarm } from '../../protocol/index.js';
import { SseStream } from '../../test/harness/sse.js';
import { LIVE_EVENT_TYPES, type LiveEventType, type LiveFilter, type LiveReading } from './live-event.js';
import { LiveHub, type LiveHubOptions } from './live-hub.js';

const T0 = Date.UTC(2026, 2, 20, 6, 0, 0);

function reading(n: number, over: Partial<LiveReading> = {}): LiveReading {
  return { site: 'jiejinkou', gateway: 'gw-01', device: 'th-1', measurement: 'weather', profile: 'th-transmitter', ts: T0 + n, seq: n, values: { temperature: n / 10 }, ...over };
}
function alarm(id: string, severity: Alarm['severity'], over: Partial<Alarm> = {}): Alarm {
  return { v: 1, id, ts: T0, site: 'jiejinkou', device: 'level-1', gateway: 'gw-01', rule: 'water-level', severity, state: 'raised', message: `${id} ${severity}`, ...over };
}

interface Harness { hub: LiveHub; registry: Registry; url: string; close(): Promise<void> }
const harnesses: Harness[] = [];
const streams: SseStream[] = [];

/** A hub behind a real HTTP server; query `types`, `site`, `device`, `measurement`, `minSeverity` as in the route. */
async function startHub(options: LiveHubOptions = {}): Promise<Harness> {
  const registry = createRegistry({ processMetrics: false });
  const hub = new LiveHub({ heartbeatMs: 3_600_000, registry, ...options });
  const server = http.createServer((req, res) => {
    const query = new URL(req.url!, 'http://x').searchParams;
    const filter: LiveFilter = {
      types: new Set((query.get('types')?.split(',') ?? LIVE_EVENT_TYPES) as LiveEventType[]),
      ...Object.fromEntries(['site', 'gateway', 'device', 'measurement', 'minSeverity'].flatMap((k) => (query.has(k) ? [[k, query.get(k)]] : []))),
    };
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const header = req.headers['last-event-id'];
    const client = hub.connect(res, filter, typeof header === 'string' ? header : undefined);
    res.on('close', () => hub.disconnect(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const harness: Harness = {
    hub, registry, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: async () => {
      hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  harnesses.push(harness);
  return harness;
}

async function open(h: Harness, query = '', options: { headers?: Record<string, string>; paused?: boolean } = {}): Promise<SseStream> {
  // The hub attaches the client before the response headers go out.
  const stream = await SseStream.open(`${h.url}?${query}`, options);
  streams.push(stream);
  return stream;
}

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  for (const h of harnesses.splice(0)) await h.close();
});

describe('live hub', () => {
  it('frames readings and alarms with monotonic ids and a retry hint', async () => {
    const h = await startHub({ retryMs: 2500 });
    const all = await open(h);
    h.hub.publishReading(reading(1));
    h.hub.publishAlarm(alarm('a-1', 'major'));
    h.hub.publishReading(reading(2, { quality: 'uncertain' }));
    await all.waitForEvents((e) => e.length === 3, 'three events');
    expect(all.retry).toBe(2500);
    expect(all.events.map((e) => e.event)).toEqual(['reading', 'alarm', 'reading']);
    const ids = all.events.map((e) => Number(e.id));
    expect(ids[1]).toBe(ids[0]! + 1);
    expect(ids[2]).toBe(ids[1]! + 1);
    expect(ids[2]).toBe(h.hub.latestId);
    expect(all.data('reading')).toEqual([reading(1), reading(2, { quality: 'uncertain' })]);
    expect(all.data('alarm')).toEqual([alarm('a-1', 'major')]);
  });

  it('filters by type, site, gateway, device, measurement (readings) and minSeverity (alarms)', async () => {
    const h = await startHub();
    const cases: Array<[string, string[]]> = [
      ['types=reading', ['r1', 'r2', 'r3', 'r4', 'r99']],
      ['types=alarm', ['warning', 'critical', 'other-site']],
      ['site=jiejinkou', ['r1', 'r2', 'r3', 'warning', 'critical', 'r99']],
      ['device=th-1', ['r1', 'r3', 'r4', 'r99']],
      ['measurement=air', ['r2', 'warning', 'critical', 'other-site']], // alarms are not filtered by measurement
      ['minSeverity=major', ['r1', 'r2', 'r3', 'r4', 'critical', 'r99']], // readings are not filtered by severity
      ['types=alarm&minSeverity=critical&site=jiejinkou', ['critical']],
      ['gateway=gw-02', ['r3']],
    ];
    const clients = await Promise.all(cases.map(([query]) => open(h, query)));
    h.hub.publishReading(reading(1, { values: { tag: 1 } }));
    h.hub.publishReading(reading(2, { device: 'pm-1', measurement: 'air', values: { tag: 2 } }));
    h.hub.publishReading(reading(3, { gateway: 'gw-02', values: { tag: 3 } }));
    h.hub.publishReading(reading(4, { site: 'bachahe', values: { tag: 4 } }));
    h.hub.publishAlarm(alarm('warning', 'warning'));
    h.hub.publishAlarm(alarm('critical', 'critical'));
    h.hub.publishAlarm(alarm('other-site', 'info', { site: 'bachahe' }));
    h.hub.publishReading(reading(99, { values: { tag: 99 } }));
    const names = (s: SseStream) => s.events.map((e) => {
      const data = JSON.parse(e.data) as { id?: string; values?: { tag: number } };
      return e.event === 'alarm' ? data.id! : `r${data.values!.tag}`;
    });
    const total = cases.reduce((n, [, want]) => n + want.length, 0);
    await waitFor(() => h.hub.stats().sent.reading + h.hub.stats().sent.alarm === total, { what: `${total} events written` });
    for (const [i, [query, want]] of cases.entries()) {
      await clients[i]!.waitForEvents((e) => e.length >= want.length, `${query}: ${want.length} events`);
      expect([query, names(clients[i]!)]).toEqual([query, want]);
    }
  });

  it('resumes with Last-Event-ID: exactly the missed events (filtered), then live ones', async () => {
    const h = await startHub();
    const first = await open(h, 'device=th-1');
    for (let n = 1; n <= 3; n++) h.hub.publishReading(reading(n));
    await first.waitForEvents((e) => e.length === 3, 'the first three');
    const lastSeen = first.lastEventId!;
    first.close();
    await waitFor(() => h.hub.stats().clients === 0, { what: 'the client to go' });
    for (let n = 4; n <= 9; n++) h.hub.publishReading(reading(n, n % 2 === 0 ? {} : { device: 'pm-1' }));
    const again = await open(h, 'device=th-1', { headers: { 'last-event-id': lastSeen } });
    h.hub.publishReading(reading(10));
    await again.waitForEvents((e) => e.some((x) => JSON.parse(x.data).seq === 10), 'the live event after the replay');
    expect(again.events.map((e) => e.event)).not.toContain('reset');
    expect(again.data<LiveReading>('reading').map((r) => r.seq)).toEqual([4, 6, 8, 10]);
    // Ids keep increasing across the replay and the live part.
    const ids = again.events.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(ids[0]).toBeGreaterThan(Number(lastSeen));

    // Up to date: nothing replayed, nothing reset.
    const current = await open(h, '', { headers: { 'last-event-id': String(h.hub.latestId) } });
    h.hub.publishReading(reading(11));
    await current.waitForEvents((e) => e.length === 1, 'one live event');
    expect(current.data<LiveReading>('reading').map((r) => r.seq)).toEqual([11]);
  });

  it('sends a reset when the id is older than the window (count or age), unknown, or garbled', async () => {
    let now = T0;
    const h = await startHub({ ring: { maxEvents: 5, maxAgeMs: 60_000 }, clock: () => now });
    const before = h.hub.latestId;
    for (let n = 1; n <= 8; n++) h.hub.publishReading(reading(n));
    const old = await open(h, '', { headers: { 'last-event-id': String(before + 1) } }); // missed 2..8, ring holds 4..8
    await old.waitForEvents((e) => e.length === 1, 'the reset');
    expect(old.events[0]).toEqual({ id: String(h.hub.latestId), event: 'reset', data: expect.any(String), receivedAt: expect.any(Number) });
    expect(old.data('reset')[0]).toEqual(expect.objectContaining({
      lastEventId: String(before + 1), oldestAvailableId: before + 4, latestId: h.hub.latestId, reason: expect.stringContaining('older than the recent-events window'),
    }));
    h.hub.publishReading(reading(9));
    await old.waitForEvents((e) => e.length === 2, 'live events after the reset');
    expect(old.data<LiveReading>('reading').map((r) => r.seq)).toEqual([9]);

    // Inside the count window, but aged out: the heartbeat evicts without new events.
    const justBefore = String(h.hub.latestId - 1);
    now += 61_000;
    h.hub.heartbeat();
    const aged = await open(h, '', { headers: { 'last-event-id': justBefore } });
    await aged.waitForEvents((e) => e.length === 1, 'the reset for an aged-out id');
    expect(aged.data('reset')[0]).toEqual(expect.objectContaining({ oldestAvailableId: null }));

    for (const id of [String(h.hub.latestId + 10), 'not-a-number']) {
      const stranger = await open(h, '', { headers: { 'last-event-id': id } });
      await stranger.waitForEvents((e) => e.length === 1, `the reset for ${id}`);
      expect(stranger.data<{ reason: string }>('reset')[0]!.reason).toContain('is not one this API issued');
    }
    expect(h.hub.stats().resets).toBe(4);
  });

  it('heartbeat comments keep idle streams warm', async () => {
    const h = await startHub();
    const idle = await open(h);
    h.hub.heartbeat();
    await waitFor(() => idle.comments.some((c) => c.startsWith('heartbeat ')), { what: 'a heartbeat comment' });
    expect(idle.events).toEqual([]);
  });

  it('drops a client that stops reading while another keeps receiving everything, in order', async () => {
    const h = await startHub({ client: { maxQueueEvents: 500, maxQueueBytes: 1024 * 1024 } });
    const slow = await open(h, '', { paused: true });
    const fast = await open(h);
    const values = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field_${i}`, 1000 + i / 7]));
    let published = 0;
    // Bursts of 200; the next once the fast client has the previous (it reads as fast as it can).
    while (h.hub.stats().dropped === 0) {
      if (published > 200_000) throw new Error('the stalled client was never dropped');
      for (let i = 0; i < 200; i++) h.hub.publishReading(reading(++published, { values }));
      const target = published;
      await fast.waitForEvents((e) => e.length === target, `the fast client to have ${target} events`);
    }
    for (let i = 0; i < 200; i++) h.hub.publishReading(reading(++published, { values }));
    await fast.waitForEvents((e) => e.length === published, 'the fast client to have every event');
    expect(fast.data<LiveReading>('reading').map((r) => r.seq)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect(h.hub.stats()).toEqual(expect.objectContaining({ clients: 1, dropped: 1 }));

    // The stalled client, read at last: a gap-free prefix, then the connection ends.
    slow.resume();
    await slow.ended;
    const got = slow.data<LiveReading>('reading').map((r) => r.seq);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(published);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));

    // It resumes from where it stopped, without gaps (the ring still holds everything).
    const back = await open(h, '', { headers: { 'last-event-id': slow.lastEventId! } });
    await back.waitForEvents((e) => e.length === published - got.length, 'the rest replayed');
    expect(back.data<LiveReading>('reading').map((r) => r.seq)).toEqual(Array.from({ length: published - got.length }, (_, i) => got.length + i + 1));

    const metrics = await h.registry.metrics();
    expect(metrics).toMatch(/^shaobing_live_clients_dropped_total 1$/m);
    expect(metrics).toMatch(/^shaobing_live_clients 2$/m);
    expect(metrics).toMatch(new RegExp(`^shaobing_live_events_published_total\\{type="reading"\\} ${published}$`, 'm'));
    const sent = Number(/^shaobing_live_events_sent_total\{type="reading"\} (\d+)$/m.exec(metrics)![1]);
    expect(sent).toBeGreaterThanOrEqual(2 * published); // fast + (slow before the drop) + replay
  });

  it('observes alarm latency from ingest receiving the reading to the live clients', async () => {
    const h = await startHub();
    await open(h);
    h.hub.publishAlarm(alarm('a-1', 'critical', { receivedAt: Date.now() - 40 }));
    h.hub.publishAlarm(alarm('a-1', 'critical', { state: 'acknowledged', by: 'li' })); // no receivedAt: not observed
    const metrics = await h.registry.metrics();
    expect(metrics).toMatch(/^shaobing_alarm_visible_seconds_count\{severity="critical",state="raised"\} 1$/m);
    const sum = Number(/^shaobing_alarm_visible_seconds_sum\{severity="critical",state="raised"\} (\S+)$/m.exec(metrics)![1]);
    expect(sum).toBeGreaterThanOrEqual(0.04);
    expect(sum).toBeLessThan(5);
  });
});
