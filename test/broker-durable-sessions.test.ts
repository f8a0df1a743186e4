// The broker holds ingest's sessions from its start (broker/durable-sessions.ts): readings a
// gateway publishes to a freshly (re)started broker before ingest has connected are queued for
// ingest and delivered when it connects with its persistent session. Without it they were
// acknowledged to the gateway and delivered to no one (test/faults.test.ts, broker kill).
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestSessions } from '../broker/durable-sessions.js';
import { waitFor } from '../lib/wait.js';
import { filters, topics } from '../protocol/index.js';
import { startTestBroker, type TestBroker } from './harness/mqtt-broker.js';

const REF = { site: 'jiejinkou', gateway: 'gw-01' };
const payload = (seq: number) => JSON.stringify({ v: 1, measurement: 'water', profile: 'hlk-ld8001h', samples: [{ ts: Date.UTC(2026, 3, 2) + seq, seq, values: { water_level: 5000 + seq } }] });

describe('durable ingest sessions', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  async function publishBeforeIngest(durable: boolean): Promise<number[]> {
    broker = await startTestBroker([REF], undefined, durable ? { durableSessions: ingestSessions(['ingest'], 'shaobing-ingest') } : {});
    const gateway = await mqtt.connectAsync(broker.url, { ...broker.gateway(REF.site, REF.gateway), clientId: 'gw', reconnectPeriod: 0 });
    for (let seq = 1; seq <= 20; seq++) await gateway.publishAsync(topics.telemetry(REF, 'level-1'), payload(seq), { qos: 1 });
    await gateway.endAsync();

    const received: number[] = [];
    const ingest = mqtt.connect(broker.url, { ...broker.ingest, clientId: 'shaobing-ingest', clean: false, reconnectPeriod: 0 });
    ingest.on('message', (_topic, message) => received.push((JSON.parse(message.toString()) as { samples: Array<{ seq: number }> }).samples[0]!.seq));
    await new Promise<void>((resolve, reject) => { ingest.once('connect', () => resolve()); ingest.once('error', reject); });
    // What a restarted ingest does: subscribe again on its persistent session.
    await ingest.subscribeAsync(filters.allTelemetry, { qos: 1 });
    if (durable) await waitFor(() => received.length === 20, { what: 'the 20 queued readings delivered to ingest' });
    else {
      // Control: a fresh reading after the subscription arrives, so the queue was really empty.
      const late = await mqtt.connectAsync(broker.url, { ...broker.gateway(REF.site, REF.gateway), clientId: 'gw', reconnectPeriod: 0 });
      await late.publishAsync(topics.telemetry(REF, 'level-1'), payload(21), { qos: 1 });
      await late.endAsync();
      await waitFor(() => received.includes(21), { what: 'the reading published after the subscription' });
    }
    await ingest.endAsync();
    return received;
  }

  it('queues what gateways publish before ingest is back, and delivers it in order', async () => {
    expect(await publishBeforeIngest(true)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('without it those readings reach no one (the failure it fixes)', async () => {
    expect(await publishBeforeIngest(false)).toEqual([21]);
  });
});
