// Part (c)'s measurements: how fast a backlog left by an outage reaches the broker once the
// uplink is back, over a link with added round-trip time (the delaying TCP proxy of
// test/harness). Two senders: the gateway's outbox (gateway/outbox.ts over gateway/uplink.ts,
// SQLite on disk) and MQTT.js's own offline queue (QoS 1 messages published while
// disconnected, replayed by MQTT.js after it reconnects). Both time from the broker's CONNACK
// to the last PUBACK; a subscriber on the broker checks that every reading arrived.
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { silentLogger } from '../../lib/logger.js';
import { waitFor } from '../../lib/wait.js';
import { openGatewayDatabase } from '../../gateway/local-db.js';
import { buildWillStatus } from '../../gateway/messages.js';
import { Outbox } from '../../gateway/outbox.js';
import { Uplink } from '../../gateway/uplink.js';
import { topics, type GatewayRef } from '../../protocol/index.js';
import { recordMessages, type Recorder, type TestBroker } from '../../test/harness/mqtt-broker.js';
import { startTcpProxy } from '../../test/harness/tcp-proxy.js';
import { BACKLOG_HEAD, backlogReadings, backlogSize, type BacklogSpec } from './backlog.js';

export const BENCH_SITE = 'bench';

export interface DrainEnv {
  broker: TestBroker;
  tempDir: string;
  /** Added round trip, ms (half each way). */
  rttMs: number;
}

export interface DrainOutcome {
  readings: number;
  messages: number;
  /** CONNACK to the last PUBACK. */
  drainMs: number;
  /** Readings the subscriber received (each counted once). */
  delivered: number;
  /** Outbox only: writing the backlog into SQLite before the link came back. */
  fillMs?: number;
  error?: string;
}

/** Counts the samples each gateway delivered to a subscriber on the broker itself (not behind the proxy). */
export async function startCounter(broker: TestBroker): Promise<Recorder> {
  return recordMessages(broker.url, broker.ingest, 'bench-counter', [`sb/v1/gw/${BENCH_SITE}/+/telemetry/+`]);
}

/** Distinct sequence numbers received for one gateway (duplicates of a resend count once). */
export function deliveredSeqs(counter: Recorder, gateway: string): number {
  const prefix = `sb/v1/gw/${BENCH_SITE}/${gateway}/`;
  const seqs = new Set<number>();
  for (const message of counter.messages) {
    if (!message.topic.startsWith(prefix)) continue;
    for (const match of message.payload.toString().matchAll(/"seq":(\d+)/g)) seqs.add(Number(match[1]));
  }
  return seqs.size;
}

const halfRtt = (env: DrainEnv) => ({ toTargetMs: env.rttMs / 2, fromTargetMs: env.rttMs / 2 });

/** Resolves with performance.now() at the next CONNACK the client receives. */
function nextConnack(client: MqttClient): Promise<number> {
  return new Promise((resolve) => {
    const onPacket = (packet: { cmd: string }): void => {
      if (packet.cmd !== 'connack') return;
      client.off('packetreceive', onPacket);
      resolve(performance.now());
    };
    client.on('packetreceive', onPacket);
  });
}

export interface OutboxDrainSettings {
  window: number;
  maxSamplesPerMessage: number;
}

/** Fills an outbox on disk with the backlog, then connects through the delaying proxy and times the drain. */
export async function drainThroughOutbox(env: DrainEnv, counter: Recorder, gateway: string, spec: BacklogSpec, settings: OutboxDrainSettings): Promise<DrainOutcome> {
  const ref: GatewayRef = { site: BENCH_SITE, gateway };
  const readings = backlogSize(spec);
  const proxy = await startTcpProxy({ target: { port: env.broker.port }, delay: halfRtt(env) });
  const db = openGatewayDatabase(path.join(env.tempDir, `outbox-${gateway}.db`), { synchronous: 'full' });
  let uplink: Uplink | undefined;
  const outbox = new Outbox({
    db, clock: Date.now, logger: silentLogger(),
    maxBytes: 1024 * 1024 * 1024, maxAgeMs: 86_400_000, window: settings.window,
    maxSamplesPerMessage: settings.maxSamplesPerMessage, maxMessageBytes: 240 * 1024,
    send: (topic, payload) => uplink!.publishAcked(topic, payload),
  });
  try {
    // As the pollers would: readings committed a poll round at a time (one transaction each).
    const fillStarted = performance.now();
    let inRound = 0;
    for (const { device, sample } of backlogReadings(spec, Date.now() - 1000)) {
      outbox.enqueueSample(topics.telemetry(ref, device), BACKLOG_HEAD, sample);
      if (++inRound === spec.devices) {
        inRound = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await waitFor(() => outbox.stats().depth === readings, { what: 'the backlog committed' });
    const fillMs = performance.now() - fillStarted;

    const link = new Uplink({
      url: `mqtt://127.0.0.1:${proxy.port}`, ...env.broker.gateway(BENCH_SITE, gateway), clientId: `bench-${gateway}`,
      keepaliveS: 60, reconnectPeriodMs: 100, will: { topic: topics.status(ref), payload: buildWillStatus() },
    }, silentLogger());
    uplink = link;
    const connack = nextConnack(link.client);
    link.onConnect(() => outbox.setOnline(true));
    link.onClose(() => outbox.setOnline(false));
    const emptied = outbox.waitUntilEmpty(10 * 60_000);
    const connectedAt = await connack;
    const ok = await emptied;
    const drainMs = performance.now() - connectedAt;
    const messages = outbox.stats().ackedMessages;
    await link.close();
    const delivered = await waitFor(() => deliveredSeqs(counter, gateway) === readings && readings, { timeoutMs: 30_000, what: 'every reading at the subscriber' })
      .catch(() => deliveredSeqs(counter, gateway));
    return { readings, messages, drainMs, delivered, fillMs, ...(ok ? {} : { error: 'the outbox did not empty within 10 minutes' }) };
  } finally {
    outbox.close();
    db.close();
    await proxy.close();
  }
}

/**
 * MQTT.js on its own: one QoS 1 message per reading published while the client cannot reach
 * the broker (kept in its in-memory store), then the link comes back and MQTT.js replays them.
 */
export async function drainThroughMqttJs(env: DrainEnv, counter: Recorder, gateway: string, spec: BacklogSpec, timeoutMs: number): Promise<DrainOutcome> {
  const ref: GatewayRef = { site: BENCH_SITE, gateway };
  const readings = backlogSize(spec);
  const proxy = await startTcpProxy({ target: { port: env.broker.port }, delay: halfRtt(env) });
  proxy.cut();
  const client = mqtt.connect(`mqtt://127.0.0.1:${proxy.port}`, {
    ...env.broker.gateway(BENCH_SITE, gateway), clientId: `bench-${gateway}`, protocolVersion: 4, clean: true, reconnectPeriod: 100, keepalive: 60,
  });
  client.on('error', () => undefined); // resets while the link is cut
  try {
    let acked = 0;
    let failed = 0;
    let lastAckAt = 0;
    for (const { device, sample } of backlogReadings(spec, Date.now() - 1000)) {
      const payload = JSON.stringify({ v: 1, ...BACKLOG_HEAD, samples: [sample] });
      client.publish(topics.telemetry(ref, device), payload, { qos: 1 }, (err) => {
        if (err) failed++;
        else acked++;
        lastAckAt = performance.now();
      });
    }
    const connack = nextConnack(client);
    proxy.restore();
    const connectedAt = await connack;
    const done = await waitFor(() => acked + failed === readings, { timeoutMs, intervalMs: 20, what: 'MQTT.js to replay its queue' }).then(() => true, () => false);
    const drainMs = (done ? lastAckAt : performance.now()) - connectedAt;
    const delivered = await waitFor(() => deliveredSeqs(counter, gateway) === acked && acked, { timeoutMs: 30_000, what: 'every acknowledged reading at the subscriber' })
      .catch(() => deliveredSeqs(counter, gateway));
    const error = !done ? `not drained after ${Math.round(timeoutMs / 1000)} s (${acked} of ${readings} acknowledged)` : failed > 0 ? `${failed} publishes failed` : undefined;
    return { readings, messages: acked, drainMs, delivered, ...(error ? { error } : {}) };
  } finally {
    await client.endAsync(true);
    await proxy.close();
  }
}
