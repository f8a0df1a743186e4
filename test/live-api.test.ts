// The live stream and the alarm API end to end, for real: gateway clients (their own accounts,
// real MQTT.js) publish telemetry through the Aedes broker; the API's live feed fans it out on
// GET /v1/live, read here as real fetch streams and parsed as Server-Sent Events. Alarm changes
// published on the alarm topic by a service account arrive as `event: alarm`, filtered by
// severity; a threshold rule in ingest raises a real alarm, which the alarm routes serve from
// the store and an emergency token acknowledges (published, recorded by ingest, seen live).
// A client reconnecting with Last-Event-ID gets exactly what it missed; a client that stops
// reading is dropped while another keeps receiving everything.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { topics, type Alarm } from '../protocol/index.js';
import type { LiveReading } from '../api/live/live-event.js';
import type { StoredAlarm } from '../store/alarms/types.js';
import { waterLevelRules } from './harness/alarm-rules.js';
import { SseStream } from './harness/sse.js';
import { startTestSystem } from './harness/system.js';

const SITE = 'tongjiang-port';
const OTHER_SITE = 'bachahe';
const GW = 'gw-a';
const REF = { site: SITE, gateway: GW };
const OTHER_REF = { site: OTHER_SITE, gateway: GW };
const LEVEL = 'level-1';

const RULES = waterLevelRules(3, 3.5);

describe('live stream and alarms through the API', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let gateway: MqttClient;
  let otherGateway: MqttClient;
  let service: MqttClient;
  const streams: SseStream[] = [];
  let seq = 0;
  let lastTs = 0;

  const live = async (query = '', options: { headers?: Record<string, string>; paused?: boolean } = {}) => {
    // The hub attaches the client before the response headers go out: no need to wait for it.
    const stream = await SseStream.open(`${system.apiUrl}/v1/live${query ? `?${query}` : ''}`, options);
    streams.push(stream);
    return stream;
  };
  /**
   * Sample times strictly increase (two readings in one millisecond would be one sample to the
   * store and the rules), unless `firstTs` places a bulk batch elsewhere.
   */
  const publishTelemetry = (client: MqttClient, ref: typeof REF, device: string, measurement: string, profile: string, samples: Array<Record<string, number>>, firstTs?: number) =>
    client.publishAsync(topics.telemetry(ref, device), JSON.stringify({
      v: 1, measurement, profile,
      samples: samples.map((values, i) => ({ ts: firstTs === undefined ? (lastTs = Math.max(Date.now(), lastTs + 1)) : firstTs + i, seq: ++seq, values })),
    }), { qos: 1 });
  const publishLevel = (mm: number) => publishTelemetry(gateway, REF, LEVEL, 'water', 'hlk-ld8001h', [{ water_level: mm }]);
  const api = (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(`${system.apiUrl}${path}`, { ...init, headers });
  };
  const json = async <T = Record<string, unknown>>(response: Response | Promise<Response>) => {
    const r = await response;
    return { status: r.status, body: (await r.json()) as T };
  };
  const metrics = async () => (await fetch(`${system.apiUrl}/metrics`)).text();

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [], {
      alarmRules: RULES, alarmAckTimeoutMs: 5000,
      live: { client: { maxQueueEvents: 2000, maxQueueBytes: 1024 * 1024 } },
    });
    const connect = async (site: string, clientId: string) => mqtt.connectAsync(system.brokerUrl, {
      ...(await system.addGatewayAccount(site, GW)), clientId, reconnectPeriod: 0, clean: true,
    });
    gateway = await connect(SITE, `${SITE}.${GW}`);
    otherGateway = await connect(OTHER_SITE, `${OTHER_SITE}.${GW}`);
    service = await mqtt.connectAsync(system.brokerUrl, { ...system.serviceLogin, clientId: 'alarm-publisher', reconnectPeriod: 0, clean: true });
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await otherGateway?.endAsync(true);
    await service?.endAsync(true);
    // Streams still open must not keep the API from stopping: it ends them (cleanly) first.
    const open = streams.filter((s) => !s.isEnded);
    await system?.close();
    expect(await Promise.all(open.map((s) => s.ended))).toEqual(open.map(() => undefined));
    for (const stream of streams) stream.close();
  });

  it('streams readings from the broker, one event per sample, filtered by site and device', async () => {
    const all = await live('types=readings');
    const oneDevice = await live(`site=${SITE}&device=th-1`);
    const otherSite = await live(`site=${OTHER_SITE}`);
    const air = await live('measurement=air&types=readings');
    await publishTelemetry(gateway, REF, 'th-1', 'weather', 'th-transmitter', [{ temperature: -31.5, humidity: 80 }, { temperature: -31.4, humidity: 81 }]);
    await publishTelemetry(gateway, REF, 'pm-1', 'air', 'pm-sensor', [{ pm25: 35 }]);
    await publishTelemetry(otherGateway, OTHER_REF, 'th-1', 'weather', 'th-transmitter', [{ temperature: -28 }]);
    await all.waitForEvents((e) => e.length === 4, 'four readings on the unfiltered stream');

    expect(all.events.map((e) => e.event)).toEqual(['reading', 'reading', 'reading', 'reading']);
    expect(all.data<LiveReading>('reading')[0]).toEqual({
      site: SITE, gateway: GW, device: 'th-1', measurement: 'weather', profile: 'th-transmitter',
      ts: expect.any(Number), seq: expect.any(Number), values: { temperature: -31.5, humidity: 80 },
    });
    const ids = all.events.map((e) => Number(e.id));
    expect(ids).toEqual([ids[0], ids[0]! + 1, ids[0]! + 2, ids[0]! + 3]);
    await oneDevice.waitForEvents((e) => e.length === 2, 'two readings of th-1 at the port');
    expect(oneDevice.data<LiveReading>('reading').map((r) => [r.site, r.device, r.values.temperature])).toEqual([[SITE, 'th-1', -31.5], [SITE, 'th-1', -31.4]]);
    await otherSite.waitForEvents((e) => e.length === 1, 'the other site\'s reading');
    expect(otherSite.data<LiveReading>('reading').map((r) => [r.site, r.device])).toEqual([[OTHER_SITE, 'th-1']]);
    await air.waitForEvents((e) => e.length === 1, 'the air reading');
    expect(air.data<LiveReading>('reading').map((r) => r.values)).toEqual([{ pm25: 35 }]);
    expect(oneDevice.events).toHaveLength(2);
    expect(otherSite.events).toHaveLength(1);
    expect(all.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(all.retry).toBe(3000);
    for (const s of [all, oneDevice, otherSite, air]) s.close();
  });

  it('refuses bad parameters with a 400 naming them', async () => {
    for (const [query, parameter] of [['types=photos', 'types'], ['minSeverity=urgent', 'minSeverity'], ['site=Tongjiang', 'site'], ['colour=red', 'colour']]) {
      const { status, body } = await json<{ parameter: string; message: string }>(api(`/v1/live?${query}`));
      expect([query, status, body.parameter]).toEqual([query, 400, parameter]);
    }
  });

  it('streams alarm changes published on the alarm topic, filtered by minSeverity', async () => {
    const all = await live('types=alarms');
    const major = await live('types=alarms&minSeverity=major');
    const base = { v: 1 as const, site: SITE, gateway: GW, device: 'gas-1', rule: 'gas-lel', field: 'lel', kind: 'threshold', state: 'raised' as const };
    const warning: Alarm = { ...base, id: 'gas-1-w', ts: Date.now(), severity: 'warning', message: 'gas 12 %LEL', receivedAt: Date.now() };
    const critical: Alarm = { ...base, id: 'gas-1-c', ts: Date.now(), severity: 'critical', message: 'gas 30 %LEL', receivedAt: Date.now() };
    await service.publishAsync(topics.alarm(SITE, 'gas-1'), JSON.stringify(warning), { qos: 1 });
    await service.publishAsync(topics.alarm(SITE, 'gas-1'), JSON.stringify(critical), { qos: 1 });
    // A message whose site disagrees with its topic is not trusted.
    await service.publishAsync(topics.alarm(OTHER_SITE, 'gas-1'), JSON.stringify({ ...critical, id: 'forged' }), { qos: 1 });
    await service.publishAsync(topics.alarm(SITE, 'gas-1'), JSON.stringify({ ...critical, id: 'gas-1-c2' }), { qos: 1 });
    await all.waitForEvents((e) => e.length === 3, 'three alarms');
    expect(all.data<Alarm>('alarm')).toEqual([warning, critical, { ...critical, id: 'gas-1-c2' }]);
    await major.waitForEvents((e) => e.length === 2, 'the critical ones');
    expect(major.data<Alarm>('alarm').map((a) => a.id)).toEqual(['gas-1-c', 'gas-1-c2']);
    await waitFor(async () => /^shaobing_alarm_visible_seconds_count\{severity="critical",state="raised"\} 2$/m.test(await metrics()), { what: 'the latency observed' });
    expect(await metrics()).toMatch(/^shaobing_live_feed_invalid_total\{kind="alarm"\} 1$/m);
    all.close();
    major.close();
  });

  it('resumes with Last-Event-ID: exactly the events missed while away', async () => {
    const first = await live(`site=${SITE}&types=readings`);
    await publishTelemetry(gateway, REF, 'th-1', 'weather', 'th-transmitter', [{ temperature: 1 }, { temperature: 2 }]);
    await first.waitForEvents((e) => e.length === 2, 'the first two');
    first.close();
    await waitFor(() => system.liveHub.stats().clients === 0, { what: 'the client gone' });
    const published = system.liveHub.stats().published.reading;
    await publishTelemetry(gateway, REF, 'th-1', 'weather', 'th-transmitter', [{ temperature: 3 }, { temperature: 4 }]);
    await publishTelemetry(otherGateway, OTHER_REF, 'th-1', 'weather', 'th-transmitter', [{ temperature: 99 }]); // not ours
    await publishTelemetry(gateway, REF, 'pm-1', 'air', 'pm-sensor', [{ pm25: 5 }]);
    await waitFor(() => system.liveHub.stats().published.reading === published + 4, { what: 'the hub to have the missed readings' });

    const again = await live(`site=${SITE}&types=readings`, { headers: { 'last-event-id': first.lastEventId! } });
    await publishTelemetry(gateway, REF, 'th-1', 'weather', 'th-transmitter', [{ temperature: 6 }]);
    await again.waitForEvents((e) => e.length === 4, 'the three missed and one live');
    expect(again.data<LiveReading>('reading').map((r) => Object.values(r.values)[0])).toEqual([3, 4, 5, 6]);
    expect(again.events.some((e) => e.event === 'reset')).toBe(false);

    // An id from before this API started: told explicitly that events were missed.
    const stale = await live('types=readings', { headers: { 'last-event-id': '1000' } });
    await stale.waitForEvents((e) => e.length === 1, 'the reset');
    expect(stale.events[0]!.event).toBe('reset');
    expect(stale.data<{ reason: string; latestId: number }>('reset')[0]).toEqual(expect.objectContaining({ reason: expect.stringContaining('events were missed'), latestId: system.liveHub.latestId }));
    again.close();
    stale.close();
  });

  it('drops a client that stops reading while another keeps receiving every reading', async () => {
    const slow = await live('types=readings', { paused: true });
    const fast = await live('types=readings');
    const values = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`channel_${String(i).padStart(2, '0')}`, 1000 + i / 7]));
    let sent = 0;
    const bulkStart = Date.now() - 3_600_000;
    while (system.liveHub.stats().dropped === 0) {
      if (sent > 100_000) throw new Error('the stalled client was never dropped');
      // 150 samples of 40 values: about 170 KB, inside the 256 KiB telemetry limit.
      await publishTelemetry(gateway, REF, 'logger-1', 'energy', 'chint-dtsu666', Array.from({ length: 150 }, () => values), bulkStart + sent);
      sent += 150;
      await fast.waitForEvents((e) => e.length === sent, `the fast client to have ${sent} readings`);
    }
    await publishTelemetry(gateway, REF, 'logger-1', 'energy', 'chint-dtsu666', [values], bulkStart + sent);
    sent += 1;
    await fast.waitForEvents((e) => e.length === sent, 'the fast client to have every reading');
    const seqs = fast.data<LiveReading>('reading').map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(sent);
    expect(system.liveHub.stats()).toEqual(expect.objectContaining({ clients: 1, dropped: 1 }));
    expect(await metrics()).toMatch(/^shaobing_live_clients_dropped_total 1$/m);
    // Read at last, the dropped client holds a gap-free run of the readings, then its stream ends.
    slow.resume();
    await slow.ended;
    const got = slow.data<LiveReading>('reading').map((r) => r.seq);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(seqs.slice(0, got.length));
    fast.close();
  });

  describe('alarms from ingest', () => {
    let live1: SseStream;
    let raised: Alarm;

    it('a reading over the threshold raises an alarm that reaches live clients and the alarm routes', async () => {
      live1 = await live(`types=alarms&site=${SITE}&minSeverity=warning`);
      await publishLevel(2500);
      await publishLevel(3200);
      await live1.waitForEvents((e) => e.some((x) => x.event === 'alarm' && JSON.parse(x.data).rule === 'water-level'), 'the water-level alarm on the live stream');
      raised = live1.data<Alarm>('alarm').find((a) => a.rule === 'water-level')!;
      expect(raised).toEqual(expect.objectContaining({ site: SITE, gateway: GW, device: LEVEL, severity: 'major', state: 'raised', receivedAt: expect.any(Number) }));
      await waitFor(async () => /^shaobing_alarm_visible_seconds_count\{severity="major",state="raised"\} 1$/m.test(await metrics()), { what: 'the latency observed' });
      const visible = Number(/^shaobing_alarm_visible_seconds_sum\{severity="major",state="raised"\} (\S+)$/m.exec(await metrics())![1]);
      expect(visible).toBeLessThan(2); // reading received by ingest → on the live clients' sockets

      const active = await json<{ alarms: StoredAlarm[] }>(api(`/v1/alarms?site=${SITE}`));
      expect(active.status).toBe(200);
      expect(active.body.alarms.map((a) => [a.id, a.state, a.raisedAt])).toEqual([[raised.id, 'raised', raised.ts]]);
      expect((await json<{ alarms: unknown[] }>(api(`/v1/alarms?site=${SITE}&minSeverity=critical`))).body.alarms).toEqual([]);
      expect((await json<{ alarms: unknown[] }>(api(`/v1/alarms?device=${LEVEL}&gateway=${GW}`))).body.alarms).toHaveLength(1);
      const one = await json<{ alarm: StoredAlarm; changes: Alarm[] }>(api(`/v1/alarms/${raised.id}`));
      expect(one).toEqual({ status: 200, body: { alarm: expect.objectContaining({ id: raised.id, state: 'raised' }), changes: [expect.objectContaining({ state: 'raised' })] } });
      expect(await json(api('/v1/alarms/no-such-alarm'))).toEqual({ status: 404, body: { error: 'Not Found', message: 'no alarm "no-such-alarm"' } });
    });

    it('acknowledging needs the alarm-ack permission (emergency, admin); it is recorded by ingest, returned, and seen live', async () => {
      const asViewer = await api(`/v1/alarms/${raised.id}/ack`, { method: 'POST', token: system.apiTokens.viewer, body: JSON.stringify({}) });
      expect(asViewer.status).toBe(403);
      const anonymous = await api(`/v1/alarms/${raised.id}/ack`, { method: 'POST' });
      expect(anonymous.status).toBe(403);

      const acked = await json<{ alarm: StoredAlarm }>(api(`/v1/alarms/${raised.id}/ack`, {
        method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ note: 'crew sent to the pier' }),
      }));
      expect(acked).toEqual({ status: 200, body: { alarm: expect.objectContaining({ id: raised.id, state: 'acknowledged', by: 'system-emergency', note: 'crew sent to the pier', ackedAt: expect.any(Number) }) } });
      expect(system.alarmStore.get(raised.id)?.state).toBe('acknowledged');
      await live1.waitForEvents((e) => e.some((x) => x.event === 'alarm' && JSON.parse(x.data).state === 'acknowledged'), 'the acknowledgement on the live stream');
      expect(live1.data<Alarm>('alarm').filter((a) => a.id === raised.id).map((a) => [a.state, a.by])).toEqual([['raised', undefined], ['acknowledged', 'system-emergency']]);

      const again = await json<{ message: string }>(api(`/v1/alarms/${raised.id}/ack`, { method: 'POST', token: system.apiTokens.emergency }));
      expect(again.status).toBe(409);
      expect(again.body.message).toMatch(/already acknowledged by system-emergency at /);
      expect((await json(api('/v1/alarms/no-such-alarm/ack', { method: 'POST', token: system.apiTokens.admin }))).status).toBe(404);
      const badBody = await json<{ parameter: string }>(api(`/v1/alarms/${raised.id}/ack`, { method: 'POST', token: system.apiTokens.emergency, body: JSON.stringify({ note: 'x', by: 'someone-else' }) }));
      expect([badBody.status, badBody.body.parameter]).toEqual([400, 'by']);
    });

    it('history over a time range with state filters; a cleared alarm cannot be acknowledged', async () => {
      await publishLevel(2700);
      await live1.waitForEvents((e) => e.some((x) => JSON.parse(x.data).state === 'cleared'), 'the clear on the live stream');
      await waitFor(() => system.alarmStore.get(raised.id)?.state === 'cleared', { what: 'the clear stored' });
      expect((await json<{ alarms: unknown[] }>(api(`/v1/alarms?site=${SITE}`))).body.alarms).toEqual([]);

      const history = await json<{ from: string; to: string; alarms: StoredAlarm[] }>(api(`/v1/alarms/history?site=${SITE}&from=-1h&state=cleared,acknowledged`));
      expect(history.status).toBe(200);
      expect(history.body.alarms.map((a) => [a.id, a.state, a.by])).toEqual([[raised.id, 'cleared', 'system-emergency']]);
      expect((await json<{ alarms: unknown[] }>(api(`/v1/alarms/history?site=${SITE}&state=raised`))).body.alarms).toEqual([]);
      expect((await json<{ alarms: unknown[] }>(api(`/v1/alarms/history?site=${SITE}&to=${raised.ts - 60_000}`))).body.alarms).toEqual([]);
      const one = await json<{ changes: Alarm[] }>(api(`/v1/alarms/${raised.id}`));
      expect(one.body.changes.map((c) => c.state)).toEqual(['raised', 'acknowledged', 'cleared']);

      const late = await json<{ message: string; alarm: StoredAlarm }>(api(`/v1/alarms/${raised.id}/ack`, { method: 'POST', token: system.apiTokens.emergency }));
      expect(late.status).toBe(409);
      expect(late.body.message).toMatch(/was cleared at .*nothing to acknowledge/);

      for (const [query, parameter] of [['from=yesterday', 'from'], ['state=open', 'state'], ['minSeverity=high', 'minSeverity'], ['limit=5000', 'limit'], ['from=-1h&to=-2h', 'from']]) {
        const { status, body } = await json<{ parameter: string }>(api(`/v1/alarms/history?${query}`));
        expect([query, status, body.parameter]).toEqual([query, 400, parameter]);
      }
    });
  });
});
