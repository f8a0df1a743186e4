// Acknowledging against a real broker and a real alarm store, with this test standing in for
// ingest (subscribing to the alarm topics as the ingest account and recording what it is told):
// recorded in time, not recorded (timeout), overtaken by a clear, and the broker unreachable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { alarmSchema, filters, type Alarm } from '../protocol/index.js';
import { AlarmStore } from '../store/alarms/alarm-store.js';
import { startTestBroker, type TestBroker } from '../test/harness/mqtt-broker.js';
import { acknowledgeAlarm, acknowledgement } from './alarm-acknowledge.js';
import { connectLiveFeed, type LiveFeed } from './live/live-feed.js';
import { LiveHub } from './live/live-hub.js';

const T0 = Date.now() - 60_000;
const raised = (id: string): Alarm => ({
  v: 1, id, ts: T0, site: 'tongjiang-port', device: 'level-1', gateway: 'gw-a', rule: 'water-level', kind: 'threshold', field: 'water_level',
  severity: 'major', level: 'warning level', state: 'raised', value: 3.2, threshold: 3, unit: 'm', message: 'water level 3.2 m', raisedAt: T0, receivedAt: T0 + 5,
});

describe('acknowledgeAlarm', () => {
  let broker: TestBroker;
  let dir: string;
  let store: AlarmStore;
  let hub: LiveHub;
  let feed: LiveFeed;
  let ingest: MqttClient;
  /** What the stand-in ingest does with an acknowledgement it receives. */
  let onAck: (alarm: Alarm) => void = () => undefined;

  beforeAll(async () => {
    broker = await startTestBroker([]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ack-'));
    store = new AlarmStore(path.join(dir, 'alarms.db'), { retentionIntervalMs: 0 });
    hub = new LiveHub();
    feed = connectLiveFeed({ url: broker.url, ...broker.api, clientId: 'api-live' }, hub, silentLogger());
    await feed.ready;
    ingest = await mqtt.connectAsync(broker.url, { ...broker.ingest, clientId: 'ingest-stand-in', reconnectPeriod: 0 });
    ingest.on('message', (_topic, payload) => {
      const alarm = alarmSchema.parse(JSON.parse(payload.toString('utf8')));
      if (alarm.state === 'acknowledged') onAck(alarm);
    });
    await ingest.subscribeAsync(filters.allAlarms, { qos: 1 });
  });
  afterAll(async () => {
    await ingest?.endAsync(true);
    await feed?.close();
    hub?.close();
    store?.close();
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('builds the message from the stored alarm: new state, who, why, when; no store fields, no receivedAt', () => {
    store.record(raised('msg'));
    const message = acknowledgement(store.get('msg')!, 'duty-officer', 'crew sent', T0 + 1000);
    const { receivedAt: _r, ...rest } = raised('msg');
    expect(message).toEqual({ ...rest, state: 'acknowledged', ts: T0 + 1000, by: 'duty-officer', note: 'crew sent' });
  });

  it('answers once the store shows the acknowledgement recorded', async () => {
    store.record(raised('a-1'));
    onAck = (alarm) => store.record(alarm);
    const outcome = await acknowledgeAlarm(store, feed, { id: 'a-1', by: 'duty-officer', note: 'crew sent', timeoutMs: 5000 });
    expect(outcome).toEqual({ status: 'acknowledged', alarm: expect.objectContaining({ id: 'a-1', state: 'acknowledged', by: 'duty-officer', note: 'crew sent' }) });
    expect(await acknowledgeAlarm(store, feed, { id: 'a-1', by: 'li', timeoutMs: 5000 })).toEqual({
      status: 'conflict', message: expect.stringMatching(/^alarm "a-1" is already acknowledged by duty-officer at /), alarm: expect.anything(),
    });
    expect(await acknowledgeAlarm(store, feed, { id: 'nope', by: 'li', timeoutMs: 5000 })).toEqual({ status: 'unknown', message: 'no alarm "nope"' });
  });

  it('times out (bounded) when ingest does not record it', async () => {
    store.record(raised('a-2'));
    onAck = () => undefined;
    const started = Date.now();
    const outcome = await acknowledgeAlarm(store, feed, { id: 'a-2', by: 'duty-officer', timeoutMs: 300 });
    expect(outcome).toEqual({ status: 'timeout', message: expect.stringContaining('ingest did not record it within 300 ms') });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(store.get('a-2')?.state).toBe('raised');
  });

  it('reports a clear that overtook the acknowledgement as a conflict', async () => {
    store.record(raised('a-3'));
    onAck = (alarm) => store.record({ ...alarm, state: 'cleared', ts: alarm.ts + 1, message: 'back to normal' });
    const outcome = await acknowledgeAlarm(store, feed, { id: 'a-3', by: 'duty-officer', timeoutMs: 5000 });
    expect(outcome).toEqual({ status: 'conflict', message: expect.stringMatching(/was cleared at .* \(while this acknowledgement was on its way\)$/), alarm: expect.objectContaining({ state: 'cleared' }) });
  });

  it('does not send when the API has no broker connection', async () => {
    store.record(raised('a-4'));
    const offline = connectLiveFeed({ url: 'mqtt://127.0.0.1:1', ...broker.api, clientId: 'api-offline' }, hub, silentLogger());
    try {
      expect(await acknowledgeAlarm(store, offline, { id: 'a-4', by: 'duty-officer', timeoutMs: 300 })).toEqual({
        status: 'not-sent', message: expect.stringContaining('not connected to the broker'),
      });
    } finally {
      await offline.close();
    }
  });
});
