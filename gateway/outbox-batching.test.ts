// Outbox rows into messages: per-device batches within the limits, order kept, payloads valid.
import { describe, expect, it } from 'vitest';
import { eventSchema, telemetrySchema } from '../protocol/index.js';
import { batchKeyOf, batchRows } from './outbox-batching.js';
import { rowBytes, type OutboxRow } from './outbox-store.js';

const TS = Date.UTC(2026, 0, 16, 5, 0, 0);
const TH = batchKeyOf({ measurement: 'weather', profile: 'th-transmitter' });
const PM = batchKeyOf({ measurement: 'air', profile: 'pm-sensor' });
const topic = (device: string, channel = 'telemetry') => `sb/v1/gw/s/g/${channel}/${device}`;

let nextId = 1;
function sample(device: string, key: string, seq: number): OutboxRow {
  const body = JSON.stringify({ ts: TS + seq * 1000, seq, values: { x: seq }, quality: 'good' });
  return { id: nextId++, createdAt: TS, topic: topic(device), kind: 'sample', batchKey: key, body, bytes: rowBytes(topic(device), key, body) };
}
function event(device: string, type: string): OutboxRow {
  const body = JSON.stringify({ v: 1, ts: TS, type, message: `${device} ${type}` });
  return { id: nextId++, createdAt: TS, topic: topic(device, 'event'), kind: 'message', batchKey: null, body, bytes: rowBytes(topic(device, 'event'), null, body) };
}

const text = (payload: string | Buffer): string => payload.toString();
const seqsOf = (payload: string | Buffer) => telemetrySchema.parse(JSON.parse(text(payload))).samples.map((s) => s.seq);

describe('batchRows', () => {
  it('puts each device’s samples in one message, in order, and keeps events whole', () => {
    const rows = [sample('th-1', TH, 1), sample('pm-1', PM, 2), event('th-1', 'device-online'), sample('th-1', TH, 3), sample('pm-1', PM, 4)];
    const messages = batchRows(rows, { maxSamples: 1000, maxBytes: 200_000 });
    expect(messages.map((m) => [m.topic, m.samples])).toEqual([
      [topic('th-1'), 2], [topic('pm-1'), 2], [topic('th-1', 'event'), 0],
    ]);
    expect(seqsOf(messages[0]!.payload)).toEqual([1, 3]);
    expect(JSON.parse(text(messages[1]!.payload))).toMatchObject({ v: 1, measurement: 'air', profile: 'pm-sensor' });
    expect(eventSchema.parse(JSON.parse(text(messages[2]!.payload))).type).toBe('device-online');
    expect(messages.flatMap((m) => m.rowIds).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
  });

  it.each([
    { what: 'sample count', limits: { maxSamples: 3, maxBytes: 200_000 }, sizes: [3, 3, 3, 1] },
    { what: 'bytes', limits: { maxSamples: 1000, maxBytes: 400 }, sizes: [4, 4, 2] },
  ])('splits a device’s backlog by $what, oldest batch first', ({ limits, sizes }) => {
    const rows = Array.from({ length: 10 }, (_, i) => sample('th-1', TH, i + 1));
    const messages = batchRows(rows, limits);
    expect(messages.map((m) => m.samples)).toEqual(sizes);
    expect(messages.flatMap((m) => seqsOf(m.payload))).toEqual(rows.map((_, i) => i + 1));
    for (const m of messages) expect(Buffer.byteLength(m.payload)).toBeLessThanOrEqual(limits.maxBytes);
  });

  it('gives one message per sample when batching is off', () => {
    const rows = [sample('th-1', TH, 1), sample('th-1', TH, 2)];
    expect(batchRows(rows, { maxSamples: 1, maxBytes: 200_000 }).map((m) => seqsOf(m.payload))).toEqual([[1], [2]]);
  });

  it('does not mix profiles of one device topic', () => {
    const messages = batchRows([sample('x-1', TH, 1), sample('x-1', PM, 2)], { maxSamples: 1000, maxBytes: 200_000 });
    expect(messages).toHaveLength(2);
  });
});
