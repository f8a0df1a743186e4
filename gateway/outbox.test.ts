// The outbox against SQLite on disk and a scripted transport: commit before publish, order,
// the in-flight window, what a lost connection does, the size and age bounds with their drop
// counts, a full disk, and reopening after the process is gone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from '../lib/wait.js';
import { decodeSnapshot, encodeSnapshot, eventSchema, telemetrySchema, type Sample } from '../protocol/index.js';
import { openGatewayDatabase, type GatewayDatabase } from './local-db.js';
import { Outbox, type OutboxLimits, type OutboxOptions } from './outbox.js';
import { OutboxStore } from './outbox-store.js';

const T0 = Date.UTC(2026, 0, 16, 5, 0, 0);
const HOUR = 3_600_000;
const TOPIC = (device: string) => `sb/v1/gw/tj/gw-1/telemetry/${device}`;
const HEAD = { measurement: 'weather', profile: 'th-transmitter' };

interface Sent {
  topic: string;
  payload: string | Buffer;
  ack(): void;
  fail(err?: Error): void;
}

/** A transport whose publishes wait until the test acknowledges (or fails) them. */
function scriptedTransport() {
  const sent: Sent[] = [];
  let maxOutstanding = 0;
  let outstanding = 0;
  const send = (topic: string, payload: string | Buffer): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      const settle = () => { outstanding--; };
      sent.push({ topic, payload, ack: () => { settle(); resolve(); }, fail: (err = new Error('Message removed')) => { settle(); reject(err); } });
    });
  return { sent, send, maxOutstanding: () => maxOutstanding, outstanding: () => outstanding };
}

const seqs = (payloads: ReadonlyArray<{ payload: string | Buffer }>): number[] =>
  payloads.flatMap((p) => telemetrySchema.parse(JSON.parse(p.payload.toString())).samples.map((s) => s.seq));

const SNAPSHOT_TOPIC = (camera: string) => `sb/v1/gw/tj/gw-1/snapshot/${camera}`;
/** A snapshot envelope of about `size` bytes whose bytes say which one it is. */
const snapshotPayload = (n: number, size = 10_000): Buffer => {
  const jpeg = Buffer.alloc(size, n);
  jpeg.set([0xff, 0xd8], 0);
  jpeg.set([0xff, 0xd9], size - 2);
  return encodeSnapshot({ ts: T0 + n * 1000, trigger: 'schedule' }, jpeg);
};

const sampleAt = (seq: number): Sample => ({ ts: T0 + seq * 1000, seq, values: { temperature: -20 + seq / 10, humidity: 70 }, quality: 'good' });

const limits: OutboxLimits = { maxBytes: 10 * 1024 * 1024, maxAgeMs: 24 * HOUR, window: 4, maxSamplesPerMessage: 1000, maxMessageBytes: 200_000 };

let dir: string;
let file: string;
let now: number;
const open: Array<{ outbox: Outbox; db: GatewayDatabase }> = [];

function openOutbox(overrides: Partial<OutboxOptions> & { maxPageCount?: number } = {}) {
  const { maxPageCount, ...rest } = overrides;
  const db = openGatewayDatabase(file, { synchronous: 'full', ...(maxPageCount !== undefined ? { maxPageCount } : {}) });
  const transport = scriptedTransport();
  const outbox = new Outbox({ db, clock: () => now, logger: silentLogger(), send: transport.send, ...limits, ...rest });
  open.push({ outbox, db });
  return { outbox, db, transport };
}

function closeAll(): void {
  for (const { outbox, db } of open.splice(0)) {
    outbox.close();
    if (db.open) db.close();
  }
}

/** Enqueues and waits for the group commit. */
async function enqueue(outbox: Outbox, seqList: number[], device = 'th-1'): Promise<void> {
  for (const seq of seqList) outbox.enqueueSample(TOPIC(device), HEAD, sampleAt(seq));
  await new Promise((resolve) => setImmediate(resolve));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-outbox-'));
  file = path.join(dir, 'outbox.db');
  now = T0;
});
afterEach(() => {
  closeAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('outbox', () => {
  it('commits before publishing, sends nothing while offline, then the backlog in order, batched', async () => {
    const { outbox, transport } = openOutbox();
    await enqueue(outbox, range(1, 10));
    outbox.enqueueMessage('sb/v1/gw/tj/gw-1/event/th-1', { v: 1, ts: T0, type: 'device-online' });
    await enqueue(outbox, range(11, 12), 'pm-1');
    expect(transport.sent).toHaveLength(0);
    expect(outbox.stats()).toMatchObject({ depth: 13, inFlight: 0, lastSeq: 12 });
    // Committed already: another connection to the file sees every row.
    const reader = openGatewayDatabase(file, { synchronous: 'normal' });
    expect(reader.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 13 });
    reader.close();

    outbox.setOnline(true);
    expect(transport.sent.map((s) => s.topic)).toEqual([TOPIC('th-1'), 'sb/v1/gw/tj/gw-1/event/th-1', TOPIC('pm-1')]);
    expect(seqs([transport.sent[0]!])).toEqual(range(1, 10));
    expect(eventSchema.parse(JSON.parse(transport.sent[1]!.payload.toString())).type).toBe('device-online');
    for (const s of transport.sent) s.ack();
    expect(await outbox.waitUntilEmpty(2000)).toBe(true);
    expect(outbox.stats()).toMatchObject({ depth: 0, bytes: 0, inFlight: 0, ackedMessages: 3, ackedRows: 13, droppedTotal: 0 });
  });

  it('keeps at most `window` messages awaiting their acknowledgement, and refills as acks come', async () => {
    const { outbox, transport } = openOutbox({ window: 8, maxSamplesPerMessage: 1 });
    await enqueue(outbox, range(1, 100));
    outbox.setOnline(true);
    expect(transport.sent).toHaveLength(8);
    expect(outbox.stats().inFlight).toBe(8);
    for (const s of transport.sent.slice(0, 3)) s.ack();
    await waitFor(() => transport.sent.length === 11, { what: 'three more sent' });
    let acked = 3;
    while (acked < transport.sent.length) {
      transport.sent[acked++]!.ack();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await outbox.waitUntilEmpty(5000)).toBe(true);
    expect(transport.maxOutstanding()).toBe(8);
    expect(seqs(transport.sent)).toEqual(range(1, 100));
  });

  it('after a lost connection sends again from the oldest unacknowledged row; late acks still count', async () => {
    const { outbox, transport } = openOutbox({ window: 2, maxSamplesPerMessage: 1 });
    await enqueue(outbox, range(1, 5));
    outbox.setOnline(true);
    const [first, second] = transport.sent;
    first!.ack();
    await waitFor(() => transport.sent.length === 3, { what: 'the third message' });
    outbox.setOnline(false); // messages 2 and 3 were in flight
    second!.fail();
    transport.sent[2]!.ack(); // the PUBACK made it before the link died
    await waitFor(() => outbox.stats().depth === 3, { what: 'rows 1 and 3 deleted' });
    expect(outbox.stats().inFlight).toBe(0);

    const before = transport.sent.length;
    outbox.setOnline(true);
    const resent = transport.sent.slice(before);
    expect(seqs(resent)).toEqual([2, 4]);
    resent[0]!.ack();
    resent[1]!.ack();
    await waitFor(() => transport.sent.length === before + 3, { what: 'the last row' });
    transport.sent.at(-1)!.ack();
    expect(await outbox.waitUntilEmpty(2000)).toBe(true);
  });

  it('retries after a publish fails while still connected', async () => {
    const { outbox, transport } = openOutbox({ retryDelayMs: 20 });
    await enqueue(outbox, [1]);
    outbox.setOnline(true);
    transport.sent[0]!.fail(new Error('broker said no'));
    await waitFor(() => transport.sent.length === 2, { what: 'a second attempt' });
    transport.sent[1]!.ack();
    expect(await outbox.waitUntilEmpty(2000)).toBe(true);
    expect(seqs(transport.sent)).toEqual([1, 1]);
  });

  it('bounded by size: drops the oldest rows, counts them, keeps the newest', async () => {
    const probe = openOutbox();
    await enqueue(probe.outbox, [1]);
    const rowSize = probe.outbox.stats().bytes;
    closeAll();
    fs.rmSync(file);
    fs.rmSync(`${file}-wal`, { force: true });

    const { outbox, transport } = openOutbox({ maxBytes: rowSize * 20 + rowSize / 2 });
    await enqueue(outbox, range(1, 50));
    expect(outbox.stats()).toMatchObject({ depth: 20, dropped: { size: 30, age: 0, diskFull: 0, refused: 0 }, droppedTotal: 30 });
    expect(outbox.stats().bytes).toBeLessThanOrEqual(rowSize * 20 + rowSize / 2);
    outbox.setOnline(true);
    expect(seqs(transport.sent)).toEqual(range(31, 50));
  });

  it('bounded by age: drops what is older than maxAgeMs, oldest first, also while running', async () => {
    const { outbox, transport } = openOutbox({ maxAgeMs: HOUR, ageCheckIntervalMs: 10 });
    await enqueue(outbox, range(1, 5));
    now += 30 * 60_000;
    await enqueue(outbox, range(6, 8));
    now += 45 * 60_000; // the first five are 75 minutes old, the others 45
    await waitFor(() => outbox.stats().dropped.age === 5, { what: 'five rows aged out' });
    expect(outbox.stats()).toMatchObject({ depth: 3, oldestAgeMs: 45 * 60_000 });
    outbox.setOnline(true);
    expect(seqs(transport.sent)).toEqual([6, 7, 8]);
  });

  it('survives the process going away: rows, sequence number and drop counts are there after reopening', async () => {
    const first = openOutbox({ maxBytes: 64 * 1024 });
    await enqueue(first.outbox, range(1, 2000)); // more than 64 KiB: the oldest are dropped
    const before = first.outbox.stats();
    expect(before.dropped.size).toBeGreaterThan(0);
    // No close(): the handle is left as a killed process leaves it (the WAL holds the commits).
    open.splice(0);
    first.outbox.setOnline(false);

    const second = openOutbox({ maxBytes: 64 * 1024 });
    expect(second.outbox.committedSeq).toBe(2000);
    expect(second.outbox.stats()).toMatchObject({ depth: before.depth, bytes: before.bytes, dropped: before.dropped });
    second.outbox.setOnline(true);
    for (const s of second.transport.sent) s.ack();
    expect(seqs(second.transport.sent)).toEqual(range(2001 - before.depth, 2000));
    first.db.close();
  });

  it('on a full disk drops the oldest rows to make room, refuses what cannot fit, and recovers', async () => {
    const { outbox, db, transport } = openOutbox({ maxPageCount: 40 });
    for (let batch = 0; batch < 40; batch++) await enqueue(outbox, range(batch * 50 + 1, batch * 50 + 50));
    const full = outbox.stats();
    expect(full.dropped.diskFull).toBeGreaterThan(0);
    expect(full.dropped.refused).toBe(0);
    expect(full.storageError).toBeUndefined();
    expect(full.lastSeq).toBe(2000);

    // Nothing can be dropped (all rows in flight) and nothing fits: refused, counted, still running.
    outbox.setOnline(true); // hands out the rows it holds
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    await enqueue(outbox, range(2001, 2400));
    const refused = outbox.stats();
    expect(refused.dropped.refused).toBeGreaterThan(0);
    expect(refused.storageError).toMatch(/disk full/);

    // Space comes back: new readings are stored again, the error clears.
    db.pragma('max_page_count = 100000');
    for (const s of transport.sent) s.ack();
    await enqueue(outbox, [2401]);
    expect(outbox.stats().storageError).toBeUndefined();
    await waitFor(() => transport.sent.some((s) => seqs([s]).includes(2401)), { what: 'the reading after recovery sent' });
  });

  it('keeps snapshots as bytes across a restart and sends them unchanged, in order with readings', async () => {
    const first = openOutbox();
    await enqueue(first.outbox, [1]);
    first.outbox.enqueueSnapshot(SNAPSHOT_TOPIC('cam-1'), snapshotPayload(1));
    await enqueue(first.outbox, [2]);
    open.splice(0);
    first.outbox.setOnline(false);
    first.db.close();

    const second = openOutbox();
    second.outbox.setOnline(true);
    const sent = second.transport.sent;
    // The device's two samples share one message, placed by its oldest row.
    expect(sent.map((s) => s.topic)).toEqual([TOPIC('th-1'), SNAPSHOT_TOPIC('cam-1')]);
    expect(seqs([sent[0]!])).toEqual([1, 2]);
    expect(Buffer.isBuffer(sent[1]!.payload)).toBe(true);
    expect((sent[1]!.payload as Buffer).equals(snapshotPayload(1))).toBe(true);
    const decoded = decodeSnapshot(sent[1]!.payload as Buffer, 20_000);
    expect(decoded.ok && decoded.value.header.ts).toBe(T0 + 1000);
    for (const s of sent) s.ack();
    await waitFor(() => second.outbox.stats().depth === 0, { what: 'outbox emptied' });
  });

  it('snapshots have their own budget: the oldest snapshots go, never readings', async () => {
    const { outbox, transport } = openOutbox({ maxSnapshotBytes: 35_000 });
    for (let n = 1; n <= 6; n++) {
      await enqueue(outbox, [n]);
      outbox.enqueueSnapshot(SNAPSHOT_TOPIC('cam-1'), snapshotPayload(n));
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(outbox.stats()).toMatchObject({ depth: 6 + 3, dropped: { size: 3 } });
    outbox.setOnline(true);
    const all: Sent[] = [];
    while (outbox.stats().depth > 0) {
      const batch = transport.sent.splice(0);
      all.push(...batch);
      for (const s of batch) s.ack();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const snapshots = all.filter((s) => s.topic.includes('/snapshot/')).map((s) => decodeSnapshot(s.payload as Buffer, 20_000));
    expect(snapshots.map((d) => (d.ok ? d.value.header.ts : 0))).toEqual([4, 5, 6].map((n) => T0 + n * 1000));
    expect(seqs(all.filter((s) => s.topic.includes('/telemetry/')))).toEqual(range(1, 6));
  });

  it('reads a backlog of large rows in chunks bounded by bytes', async () => {
    const { outbox, db } = openOutbox();
    for (let n = 1; n <= 5; n++) outbox.enqueueSnapshot(SNAPSHOT_TOPIC('cam-1'), snapshotPayload(n));
    await new Promise((resolve) => setImmediate(resolve));
    const store = new OutboxStore(db);
    expect(store.readAfter(0, 1000, 25_000)).toHaveLength(3); // the row that reaches the bound is the last
    expect(store.readAfter(0, 1000)).toHaveLength(5);
  });
});
