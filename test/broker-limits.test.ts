// Broker hardening against abusive clients, over real sockets: a connection flood
// from one source IP (127.0.0.2: all of 127/8 is local on Linux) is throttled
// while a gateway on 127.0.0.1 keeps publishing; a silent socket is closed at the
// CONNECT timeout; a client probing forbidden topics is disconnected, alone.
import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { topics } from '../protocol/index.js';
import type { BrokerLimits } from '../broker/index.js';
import { recordMessages, startTestBroker, type Login, type TestBroker } from './harness/mqtt-broker.js';

/** Figures for docs/RELIABILITY.md and docs/SECURITY.md, printed with the test output. */
const report = (line: string) => void process.stdout.write(`${line}\n`);

const EAST = { site: 'tj-east', gateway: 'gw-1' };
const WEST = { site: 'tj-west', gateway: 'gw-1' };
const FLOOD_SOURCE = '127.0.0.2';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function brokerWith(limits: Partial<BrokerLimits>): Promise<TestBroker> {
  const broker = await startTestBroker([EAST, WEST], undefined, { limits });
  cleanups.push(() => broker.close());
  return broker;
}

async function connect(url: string, login: Login, clientId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { ...login, clientId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
  cleanups.push(() => client.endAsync(true));
  return client;
}

/**
 * A raw TCP connection from `localAddress` that sends nothing; resolves how it ended:
 * closed by the broker, or still open `openForMs` after it connected. (Timed from
 * the connect: in a flood, SYNs beyond the listen backlog are retried a second later.)
 */
function rawConnection(port: number, localAddress: string, openForMs: number): Promise<'closed' | 'open' | 'error'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    let timer: NodeJS.Timeout | undefined;
    socket.once('connect', () => { timer = setTimeout(() => { socket.destroy(); resolve('open'); }, openForMs); });
    socket.once('error', () => { clearTimeout(timer); resolve('error'); });
    socket.once('close', () => { clearTimeout(timer); resolve('closed'); });
  });
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

describe('broker limits', () => {
  it('throttles a connection flood from one IP while a gateway on another keeps publishing, losing nothing', async () => {
    const broker = await brokerWith({ connectRatePerIp: 20, connectBurstPerIp: 50 });
    const ingest = await recordMessages(broker.url, broker.ingest, 'ingest', ['sb/v1/gw/+/+/telemetry/+']);
    cleanups.push(() => ingest.close());
    const gateway = await connect(broker.url, broker.gateway(EAST.site, EAST.gateway), 'gw-east');

    const FLOOD = 1000;
    const GOOD = 300;
    const baseline = broker.broker.stats().socketsOpen;
    const startedAt = Date.now();
    // Flood sockets stay open until the broker has judged all of them: under load the broker
    // may accept a socket long after the kernel completed its handshake, so no client-side timer decides.
    const flood = Array.from({ length: FLOOD }, () => {
      const socket = net.connect({ host: '127.0.0.1', port: broker.port, localAddress: FLOOD_SOURCE });
      socket.on('error', () => {});
      const state = { closedByBroker: false };
      socket.once('close', () => { state.closedByBroker = true; });
      return { socket, state };
    });
    cleanups.push(async () => { for (const { socket } of flood) socket.destroy(); });
    const published = (async () => {
      for (let seq = 0; seq < GOOD; seq++) await gateway.publishAsync(topics.telemetry(EAST, 'meter-1'), `reading-${seq}`, { qos: 1 });
    })();
    const judged = () => {
      const stats = broker.broker.stats();
      return stats.connectionsRefusedByReason.rate + (stats.socketsOpen - baseline) === FLOOD;
    };
    await Promise.all([published, waitFor(judged, { what: 'the broker to admit or refuse every flood socket', timeoutMs: 30_000, intervalMs: 10 })]);
    const elapsedS = (Date.now() - startedAt) / 1000;
    const stats = broker.broker.stats();
    const admitted = stats.socketsOpen - baseline;
    report(`connection flood: ${FLOOD} connects from ${FLOOD_SOURCE} judged in ${elapsedS.toFixed(1)} s, ${admitted} admitted, ${stats.connectionsRefusedByReason.rate} refused; ${GOOD} QoS 1 readings from 127.0.0.1 meanwhile`);
    // Burst plus the rate over the flood's duration (+1 for rounding), and nothing more.
    expect(admitted).toBeLessThanOrEqual(50 + Math.ceil(20 * elapsedS) + 1);
    expect(admitted).toBeGreaterThanOrEqual(50);
    // Every refused socket was closed by the broker, and only those.
    await waitFor(() => flood.filter((f) => f.state.closedByBroker).length === FLOOD - admitted, { what: 'the refused sockets to be closed' });
    await waitFor(() => ingest.messages.length >= GOOD, { what: `${GOOD} readings at ingest` });
    expect(ingest.messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: GOOD }, (_, seq) => `reading-${seq}`));
    expect(gateway.connected).toBe(true);
  });

  it('caps the connections open from one IP without touching another IP', async () => {
    const broker = await brokerWith({ maxConnectionsPerIp: 5, connectBurstPerIp: 100 });
    const held = Array.from({ length: 5 }, () => net.connect({ host: '127.0.0.1', port: broker.port, localAddress: FLOOD_SOURCE }).on('error', () => {}));
    cleanups.push(async () => { for (const socket of held) socket.destroy(); });
    await waitFor(() => broker.broker.stats().socketsOpen === 5, { what: 'five sockets open' });
    expect(await rawConnection(broker.port, FLOOD_SOURCE, 10_000)).toBe('closed');
    expect(broker.broker.stats().connectionsRefusedByReason['per-ip']).toBe(1);
    const gateway = await connect(broker.url, broker.gateway(EAST.site, EAST.gateway), 'gw-east');
    expect(gateway.connected).toBe(true);
  });

  it('closes a socket that never sends CONNECT after the CONNECT timeout', async () => {
    const broker = await brokerWith({ connectTimeoutMs: 500 });
    const startedAt = Date.now();
    expect(await rawConnection(broker.port, FLOOD_SOURCE, 15_000)).toBe('closed');
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(8000); // 500 ms plus scheduling on a loaded machine
    expect(broker.broker.stats().connectTimeoutsTotal).toBe(1);
    expect(broker.broker.stats().protocolErrorsTotal).toBe(0);
  });

  it('disconnects a client that keeps subscribing where the ACL refuses, while a good one continues', async () => {
    const broker = await brokerWith({ maxDeniedSubscribes: 3 });
    const ingest = await recordMessages(broker.url, broker.ingest, 'ingest', ['sb/v1/gw/+/+/telemetry/+']);
    cleanups.push(() => ingest.close());
    const good = await connect(broker.url, broker.gateway(EAST.site, EAST.gateway), 'gw-east');
    const prober = await connect(broker.url, broker.gateway(WEST.site, WEST.gateway), 'gw-west');
    const proberGone = closed(prober);

    const forbidden = [topics.config(EAST), topics.command(EAST), 'sb/v1/gw/+/+/config', '$SYS/#', 'sb/v1/#'];
    for (const filter of forbidden) {
      if (!prober.connected) break;
      await prober.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
      await good.publishAsync(topics.telemetry(EAST, 'meter-1'), `during-${filter}`, { qos: 1 });
    }
    await proberGone;
    const stats = broker.broker.stats();
    expect(stats.subscribeDeniedTotal).toBe(4);
    expect(stats.subscribeAbuseDisconnectsTotal).toBe(1);
    expect(stats.protocolErrorsTotal).toBe(0);

    await good.publishAsync(topics.telemetry(EAST, 'meter-1'), 'after', { qos: 1 });
    await waitFor(() => ingest.messages.some((m) => m.payload.toString() === 'after'), { what: 'the good gateway still delivering' });
    expect(good.connected).toBe(true);
  });

  it('disconnects a client publishing where the ACL refuses, at the first refusal, while a good one continues', async () => {
    const broker = await brokerWith({});
    const ingest = await recordMessages(broker.url, broker.ingest, 'ingest', ['sb/v1/gw/+/+/telemetry/+']);
    cleanups.push(() => ingest.close());
    const good = await connect(broker.url, broker.gateway(EAST.site, EAST.gateway), 'gw-east');
    for (let attempt = 0; attempt < 5; attempt++) {
      const forger = await connect(broker.url, broker.gateway(WEST.site, WEST.gateway), `gw-west-${attempt}`);
      const gone = closed(forger);
      forger.publish(topics.telemetry(EAST, 'meter-1'), 'forged', { qos: 1 });
      await gone;
      await good.publishAsync(topics.telemetry(EAST, 'meter-1'), `good-${attempt}`, { qos: 1 });
    }
    await waitFor(() => ingest.messages.length >= 5, { what: 'the good readings' });
    expect(ingest.messages.map((m) => m.payload.toString())).toEqual(['good-0', 'good-1', 'good-2', 'good-3', 'good-4']);
    expect(broker.broker.stats().publishDeniedTotal).toBe(5);
    expect(broker.broker.stats().protocolErrorsTotal).toBe(0);
  });
});
