// The gateway's outbox on a filesystem that is really full (a few-MiB tmpfs, filled to the last
// byte by another file): it keeps taking readings by dropping the oldest, counts every drop,
// refuses nothing, and once space comes back takes its reserve again and delivers in order.
// Without the reserve the same disk makes it refuse readings: the reason the reserve exists.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { DiskReserve } from '../gateway/disk-reserve.js';
import { openGatewayDatabase, type GatewayDatabase } from '../gateway/local-db.js';
import { Outbox } from '../gateway/outbox.js';
import { telemetrySchema, type Sample } from '../protocol/index.js';
import { describeUnless } from './harness/tools.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './harness/small-disk.js';

const T0 = Date.UTC(2026, 11, 1, 6, 0, 0);
const TOPIC = 'sb/v1/gw/tj/gw-1/telemetry/th-1';
const HEAD = { measurement: 'weather', profile: 'th-transmitter' };
const DISK_BYTES = 4 * 1024 * 1024;
const RESERVE_BYTES = 1024 * 1024;
const RESERVE_RETRY_MS = 10_000;
/** Readings per poll round (one group commit each), as a gateway with 50 devices polls. */
const ROUND = 50;

const sampleAt = (seq: number): Sample => ({ ts: T0 + seq * 100, seq, values: { temperature: -20 + (seq % 400) / 10, humidity: 70 }, quality: 'good' });

let disk: SmallDisk | undefined;
let db: GatewayDatabase | undefined;
let outbox: Outbox | undefined;

afterEach(() => {
  outbox?.close();
  db?.close();
  disk?.unmount();
  outbox = db = disk = undefined;
});

interface Rig {
  outbox: Outbox;
  sent: Array<{ payload: string | Buffer; ack(): void }>;
  setClock(ms: number): void;
  enqueueRounds(from: number, rounds: number): Promise<number>;
}

function openRig(withReserve: boolean): Rig {
  disk = mountSmallDisk(DISK_BYTES);
  let now = T0;
  const sent: Rig['sent'] = [];
  db = openGatewayDatabase(path.join(disk.dir, 'outbox.db'), { synchronous: 'full' });
  const box = new Outbox({
    db, clock: () => now, logger: silentLogger(),
    maxBytes: 256 * 1024 * 1024, maxAgeMs: 7 * 86_400_000, window: 8, maxSamplesPerMessage: 1000, maxMessageBytes: 200_000,
    send: (_topic, payload) => new Promise<void>((resolve) => sent.push({ payload, ack: resolve })),
    ...(withReserve ? { diskReserve: new DiskReserve(path.join(disk.dir, 'outbox.reserve'), RESERVE_BYTES), reserveRetryMs: RESERVE_RETRY_MS } : {}),
  });
  outbox = box;
  return {
    outbox: box,
    sent,
    setClock: (ms) => { now = ms; },
    async enqueueRounds(from, rounds) {
      let seq = from;
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < ROUND; i++) box.enqueueSample(TOPIC, HEAD, sampleAt(seq++));
        await new Promise((resolve) => setImmediate(resolve));
      }
      return seq;
    },
  };
}

const seqsOf = (payload: string | Buffer): number[] => telemetrySchema.parse(JSON.parse(payload.toString())).samples.map((s) => s.seq);

describeUnless(smallDiskUnavailable(), 'outbox on a really full disk (tmpfs)', () => {
  it.each([
    // A row takes about 370 bytes of the file here. Filled with a backlog: the file's 2000 rows
    // plus what the released reserve adds. Fresh: only the reserve's 1 MiB, of which the WAL
    // takes about half.
    { when: 'holding a backlog', roundsBefore: 40, minimumHeld: 4000 },
    { when: 'fresh, its WAL still small', roundsBefore: 0, minimumHeld: 800 },
  ])('filled while $when: drops the oldest with a count, refuses nothing, takes its reserve back when space returns, and delivers the newest in order', async ({ roundsBefore, minimumHeld }) => {
    const rig = openRig(true);
    expect(fs.statSync(path.join(disk!.dir, 'outbox.reserve')).size).toBe(RESERVE_BYTES);
    let next = await rig.enqueueRounds(1, roundsBefore);
    expect(rig.outbox.stats()).toMatchObject({ depth: roundsBefore * ROUND, lowDisk: false, dropped: { diskFull: 0, refused: 0 } });

    disk!.fill();
    expect(disk!.freeBytes()).toBeLessThan(64 * 1024);

    // The uplink stays down: a long outage on a full disk. 20,000 readings more than fit.
    next = await rig.enqueueRounds(next, 400);
    const taken = next - 1;
    const full = rig.outbox.stats();
    process.stdout.write(`full disk, filled after ${roundsBefore * ROUND} rows: ${JSON.stringify({ taken, held: full.depth, droppedDiskFull: full.dropped.diskFull, refused: full.dropped.refused, files: fs.readdirSync(disk!.dir).map((f) => `${f}=${fs.statSync(path.join(disk!.dir, f)).size}`), free: disk!.freeBytes() })}\n`);
    expect(full.lowDisk).toBe(true);
    expect(full.dropped.refused).toBe(0);
    expect(full.storageError).toBeUndefined();
    expect(full.dropped.diskFull).toBeGreaterThan(0);
    // Every reading is either held or counted as dropped; the newest is held.
    expect(full.depth + full.dropped.diskFull).toBe(taken);
    // …and the outbox keeps about what its file and the reserve can hold, not a handful of rows.
    expect(full.depth).toBeGreaterThanOrEqual(minimumHeld);
    expect(full.lastSeq).toBe(taken);
    expect(fs.existsSync(path.join(disk!.dir, 'outbox.reserve'))).toBe(false);

    // Space comes back (the runaway file is deleted); the reserve is taken again on the next
    // commit after the retry interval, and the outbox leaves low-disk mode.
    fs.rmSync(path.join(disk!.dir, 'filler.bin'));
    rig.setClock(T0 + RESERVE_RETRY_MS + 1);
    next = await rig.enqueueRounds(next, 1);
    const recovered = rig.outbox.stats();
    expect(recovered.lowDisk).toBe(false);
    expect(fs.statSync(path.join(disk!.dir, 'outbox.reserve')).size).toBe(RESERVE_BYTES);
    expect(recovered.dropped.diskFull).toBe(full.dropped.diskFull);

    // The uplink returns: what was held goes out once, in order, and ends with the newest.
    rig.outbox.setOnline(true);
    const delivered: number[] = [];
    while (rig.outbox.stats().depth > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const message of rig.sent.splice(0)) {
        delivered.push(...seqsOf(message.payload));
        message.ack();
      }
    }
    const firstKept = full.dropped.diskFull + 1;
    expect(delivered).toEqual(Array.from({ length: next - firstKept }, (_, i) => firstKept + i));
  }, 60_000);

  it('without the reserve, the same full disk makes it refuse readings (the drop itself needs space)', async () => {
    const rig = openRig(false);
    let next = await rig.enqueueRounds(1, 40);
    disk!.fill();
    next = await rig.enqueueRounds(next, 400);
    const stats = rig.outbox.stats();
    process.stdout.write(`full disk, no reserve: ${JSON.stringify({ taken: next - 1, held: stats.depth, droppedDiskFull: stats.dropped.diskFull, refused: stats.dropped.refused })}\n`);
    expect(stats.dropped.refused).toBeGreaterThan(0);
    expect(stats.storageError).toMatch(/disk full/);
    expect(stats.depth + stats.dropped.diskFull + stats.dropped.refused).toBe(next - 1);
  }, 60_000);
});
