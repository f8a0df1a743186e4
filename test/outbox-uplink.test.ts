// The outbox with the real uplink (MQTT.js) and the real broker, through the TCP proxy:
// nothing is left in MQTT.js's own offline queue, a backlog drains in order with a bounded
// window once the link is back, and a link cut in the middle of a drain loses nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from '../lib/wait.js';
import { openGatewayDatabase, type GatewayDatabase } from '../gateway/local-db.js';
import { Outbox, type OutboxLimits } from '../gateway/outbox.js';
import { Uplink } from '../gateway/uplink.js';
import { buildWillStatus } from '../gateway/messages.js';
import { eventSchema, telemetrySchema, topics, type GatewayRef } from '../protocol/index.js';
import { recordMessages, startTestBroker, type Recorder, type TestBroker } from './harness/mqtt-broker.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';

const REF: GatewayRef = { site: 'fuyuan', gateway: 'gw-7' };
const T0 = Date.UTC(2026, 2, 20, 2, 0, 0); // spring ice-jam season
const DEVICES = ['level-1', 'level-2', 'flow-1', 'rain-1', 'th-1'];

let broker: TestBroker;
let recorder: Recorder;
let dir: string;

beforeAll(async () => {
  broker = await startTestBroker([REF]);
  recorder = await recordMessages(broker.url, broker.ingest, 'test-ingest', ['sb/v1/gw/+/+/telemetry/+', 'sb/v1/gw/+/+/event/+']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-outbox-uplink-'));
});
afterAll(async () => {
  await recorder?.close();
  await broker?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Rig {
  proxy: TcpProxy;
  uplink: Uplink;
  outbox: Outbox;
  db: GatewayDatabase;
  maxInFlight(): number;
  close(): Promise<void>;
}

/** Uplink through a proxy, outbox on disk, wired as gateway.ts wires them. */
async function rig(name: string, limits: Partial<OutboxLimits>, delayMs = 0): Promise<Rig> {
  const proxy = await startTcpProxy({ target: { port: broker.port }, delay: { toTargetMs: delayMs, fromTargetMs: delayMs } });
  const db = openGatewayDatabase(path.join(dir, `${name}.db`), { synchronous: 'full' });
  let inFlight = 0;
  let maxInFlight = 0;
  const outbox = new Outbox({
    db, clock: Date.now, logger: silentLogger(),
    maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000, window: 64, maxSamplesPerMessage: 1000, maxMessageBytes: 240 * 1024, ...limits,
    send: async (topic, payload) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await uplink.publishAcked(topic, payload);
      } finally {
        inFlight--;
      }
    },
  });
  const uplink = new Uplink({
    url: `mqtt://127.0.0.1:${proxy.port}`, ...broker.gateway(REF.site, REF.gateway), clientId: `test-${name}`,
    keepaliveS: 30, reconnectPeriodMs: 100, will: { topic: topics.status(REF), payload: buildWillStatus() },
  }, silentLogger());
  uplink.onConnect(() => outbox.setOnline(true));
  uplink.onClose(() => outbox.setOnline(false));
  return {
    proxy, uplink, outbox, db, maxInFlight: () => maxInFlight,
    close: async () => {
      await uplink.close();
      outbox.close();
      db.close();
      await proxy.close();
    },
  };
}

/** Readings of DEVICES, round robin, with seqs from `first`. */
function enqueueReadings(outbox: Outbox, first: number, count: number): void {
  for (let seq = first; seq < first + count; seq++) {
    const device = DEVICES[seq % DEVICES.length]!;
    outbox.enqueueSample(topics.telemetry(REF, device), { measurement: 'water', profile: 'tuf-2000m' }, {
      ts: T0 + seq * 1000, seq, values: { level: 100 + seq / 100, flow: seq % 7 }, quality: 'good',
    });
  }
}

/** Seqs received per device (in arrival order) from the recorder, for messages after `from`. */
function receivedSeqs(from: number): Map<string, number[]> {
  const byDevice = new Map<string, number[]>();
  for (const message of recorder.messages.slice(from)) {
    if (!message.topic.includes('/telemetry/')) continue;
    const device = message.topic.split('/').at(-1)!;
    const seqs = byDevice.get(device) ?? [];
    seqs.push(...telemetrySchema.parse(JSON.parse(message.payload.toString())).samples.map((s) => s.seq));
    byDevice.set(device, seqs);
  }
  return byDevice;
}

const pendingPublishes = (uplink: Uplink): number => Object.values(uplink.client.outgoing).filter((o) => o.cmd === 'publish').length;

describe('outbox over the real uplink and broker', () => {
  it('holds the backlog itself while the link is cut, then drains it in order with a bounded window', async () => {
    const r = await rig('backlog', { window: 8, maxSamplesPerMessage: 50 });
    try {
      await waitFor(() => r.uplink.connected, { what: 'the uplink to connect' });
      const from = recorder.messages.length;
      r.proxy.cut();
      await waitFor(() => !r.uplink.connected, { what: 'the uplink to notice the cut' });
      enqueueReadings(r.outbox, 1, 2000);
      r.outbox.enqueueMessage(topics.event(REF, 'level-1'), { v: 1, ts: T0, type: 'device-offline', message: 'level-1 is not answering' });
      await waitFor(() => r.outbox.stats().depth === 2001, { what: 'the backlog committed' });
      // Nothing was handed to MQTT.js while offline: its own queue stays empty.
      expect(pendingPublishes(r.uplink)).toBe(0);
      expect(r.outbox.stats().inFlight).toBe(0);

      r.proxy.restore();
      await waitFor(() => r.outbox.stats().depth === 0, { timeoutMs: 20_000, what: 'the backlog drained' });
      await waitFor(() => [...receivedSeqs(from).values()].flat().length === 2000, { what: 'every reading received' });
      const received = receivedSeqs(from);
      for (const [index, device] of DEVICES.entries()) {
        const expected = Array.from({ length: 400 }, (_, i) => (index === 0 ? 5 : index) + i * 5);
        expect(received.get(device), device).toEqual(expected);
      }
      const telemetryMessages = recorder.messages.slice(from).filter((m) => m.topic.includes('/telemetry/')).length;
      expect(telemetryMessages).toBe(40); // 400 per device in batches of 50
      expect(r.maxInFlight()).toBe(8);
      const events = recorder.messages.slice(from).filter((m) => m.topic.includes('/event/')).map((m) => eventSchema.parse(JSON.parse(m.payload.toString())));
      expect(events.map((e) => e.type)).toEqual(['device-offline']);
    } finally {
      await r.close();
    }
  });

  it('a cut in the middle of a drain over a slow link loses nothing and leaves MQTT.js nothing to replay', async () => {
    const r = await rig('cut-mid-drain', { window: 16, maxSamplesPerMessage: 5 }, 10);
    try {
      await waitFor(() => r.uplink.connected, { what: 'the uplink to connect' });
      const from = recorder.messages.length;
      r.proxy.cut();
      await waitFor(() => !r.uplink.connected, { what: 'the uplink to notice the cut' });
      enqueueReadings(r.outbox, 10_001, 3000);
      await waitFor(() => r.outbox.stats().depth === 3000, { what: 'the backlog committed' });
      r.proxy.restore();
      await waitFor(() => r.outbox.stats().ackedRows >= 600, { timeoutMs: 20_000, what: 'part of the backlog acknowledged' });
      r.proxy.cut();
      await waitFor(() => !r.uplink.connected, { what: 'the second cut noticed' });
      expect(pendingPublishes(r.uplink)).toBe(0);
      const left = r.outbox.stats().depth;
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThan(3000);

      r.proxy.restore();
      await waitFor(() => r.outbox.stats().depth === 0, { timeoutMs: 30_000, what: 'the rest drained' });
      await waitFor(() => new Set([...receivedSeqs(from).values()].flat()).size === 3000, { what: 'every reading received' });
      const all = [...receivedSeqs(from).values()].flat();
      // In flight at the cut: the broker may have had some whose PUBACK was lost; they come twice, never less.
      expect(all.length - 3000).toBeLessThanOrEqual(16 * 5);
      for (const seqs of receivedSeqs(from).values()) {
        const firsts = seqs.filter((s, i) => seqs.indexOf(s) === i);
        expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
      }
    } finally {
      await r.close();
    }
  });
});
