// Malformed telemetry through the real broker and ingest: each bad message is kept as
// a dead letter with a reason and counted, while good readings keep flowing; a
// gateway cannot write under another gateway's name.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../protocol/index.js';
import { waitFor } from '../lib/wait.js';
import { getJson, startTestSystem, storedSampleCount } from './harness/system.js';

const SITE = 'jiejinkou';
const now = () => Date.now();
const goodMessage = (seq: number, ts = now()) => ({ v: 1, measurement: 'weather', profile: 'th-transmitter', samples: [{ ts, seq, values: { temperature: -30.5, humidity: 77 } }] });

const MALFORMED: Array<[string, () => string | Buffer, RegExp]> = [
  ['not JSON', () => 'temperature=-30.5', /not valid JSON/],
  ['binary garbage', () => Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x37]), /not valid JSON/],
  ['NaN literal', () => JSON.stringify(goodMessage(1)).replace('-30.5', 'NaN'), /not valid JSON/],
  ['string instead of number', () => JSON.stringify({ ...goodMessage(1), samples: [{ ts: now(), seq: 1, values: { temperature: 'cold' } }] }), /samples\.0\.values\.temperature/],
  ['missing samples', () => JSON.stringify({ v: 1, measurement: 'weather', profile: 'th-transmitter' }), /samples/],
  ['missing ts', () => JSON.stringify({ ...goodMessage(1), samples: [{ seq: 1, values: { t: 1 } }] }), /samples\.0\.ts/],
  ['far-future timestamp', () => JSON.stringify(goodMessage(1, now() + 365 * 86_400_000)), /ahead of the ingest clock/],
  ['oversized (300 KiB)', () => JSON.stringify({ ...goodMessage(1), profile: 'x'.repeat(300 * 1024) }), /exceeds the limit/],
  ['empty payload', () => '', /empty payload/],
];

describe('ingest refuses bad telemetry and keeps the good', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let rogue: MqttClient;

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }));
    const login = await system.addGatewayAccount(SITE, 'gw-77');
    rogue = await mqtt.connectAsync(system.brokerUrl, { ...login, clientId: 'gw-77', reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await rogue?.endAsync(true);
    await system?.close();
  });

  it('dead-letters each malformed message with its reason and counts it, while the real gateway keeps flowing', async () => {
    const startedAt = now() - 1000;
    await waitFor(async () => (await storedSampleCount(system, SITE, startedAt)) >= 4, { what: 'readings from the simulated gateway' });
    const topic = topics.telemetry({ site: SITE, gateway: 'gw-77' }, 'th-9');
    for (const [, payload] of MALFORMED) await rogue.publishAsync(topic, payload(), { qos: 1 });
    // A good message from the same client after the bad ones is stored.
    const goodTs = now();
    await rogue.publishAsync(topic, JSON.stringify(goodMessage(42, goodTs)), { qos: 1 });

    await waitFor(() => system.ingest.stats().rejected === MALFORMED.length, { what: `${MALFORMED.length} rejections` });
    const letters = system.deadLetters.recent(100).reverse();
    expect(letters).toHaveLength(MALFORMED.length);
    MALFORMED.forEach(([name, , reason], i) => {
      expect({ name, topic: letters[i]!.topic, reason: letters[i]!.reason }).toEqual({ name, topic, reason: expect.stringMatching(reason) });
    });
    expect(letters[7]!.size).toBeGreaterThan(300 * 1024); // the real size is kept beside the truncated payload

    await waitFor(async () => {
      const latest = await system.store.latest({ site: SITE, gateway: 'gw-77', device: 'th-9', fields: ['temperature'] });
      return latest[0]?.ts === goodTs && latest[0].value === -30.5;
    }, { what: 'the good message after the bad ones to be stored' });

    const metrics = await (await fetch(`${system.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/shaobing_ingest_messages_rejected_total\{cause="invalid"\} 8/);
    expect(metrics).toMatch(/shaobing_ingest_messages_rejected_total\{cause="timestamp"\} 1/);

    // The simulated gateway's readings kept arriving through all this.
    const before = await storedSampleCount(system, SITE, startedAt);
    await waitFor(async () => (await storedSampleCount(system, SITE, startedAt)) >= before + 4, { what: 'readings still flowing' });
  });

  it("refuses a gateway publishing under another gateway's name: nothing reaches the store", async () => {
    const spoofTs = now() - 5000;
    const spoofTopic = topics.telemetry({ site: SITE, gateway: 'gw-01' }, 'th-1');
    const closed = new Promise<void>((resolve) => rogue.once('close', () => resolve()));
    rogue.publish(spoofTopic, JSON.stringify({ ...goodMessage(1, spoofTs), samples: [{ ts: spoofTs, seq: 1, values: { temperature: 99.9 } }] }), { qos: 1 });
    await closed; // MQTT 3.1.1 has no per-publish refusal: the broker ends the connection
    const metrics = await (await fetch(`${system.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/shaobing_broker_publish_denied_total 1\b/);
    const history = await system.store.history({ site: SITE, gateway: 'gw-01', device: 'th-1', fields: ['temperature'], from: spoofTs, to: spoofTs + 1 });
    expect(history).toEqual([]);
  });

  it('refuses anonymous and wrong-password connections', async () => {
    await expect(mqtt.connectAsync(system.brokerUrl, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized|Bad username or password/i);
    await expect(mqtt.connectAsync(system.brokerUrl, { username: 'jiejinkou.gw-01', password: 'wrong', reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized|Bad username or password/i);
    const { body } = await getJson<{ gateways: Array<{ gateway: string }> }>(`${system.apiUrl}/v1/gateways`);
    expect(body.gateways.map((g) => g.gateway)).toContain('gw-01');
  });
});
