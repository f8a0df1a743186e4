// The batching and acknowledgement rules, with a plain function as the store write.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from '../lib/wait.js';
import { RejectedWriteError, type StoredSample } from '../store/types.js';
import { WriteBatcher, type PendingMessage } from './write-batcher.js';

function sample(device: string, ts: number, value: number): StoredSample {
  return { measurement: 'weather', site: 's', gateway: 'g', device, profile: 'p', ts, seq: ts, values: { t: value } };
}

function message(id: string, samples: StoredSample[], acked: string[]): PendingMessage {
  return { topic: `t/${id}`, payload: Buffer.from(id), samples, ack: () => acked.push(id) };
}

describe('WriteBatcher', () => {
  it('acks messages only after the write holding them succeeded, batching up to the limit', async () => {
    const writes: number[] = [];
    const acked: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const batcher = new WriteBatcher({
      write: async (samples) => { writes.push(samples.length); await gate; },
      reject: () => { throw new Error('nothing should be rejected'); },
      logger: silentLogger(), maxBatchSamples: 3, maxDelayMs: 5,
    });
    batcher.add(message('a', [sample('d', 1, 1), sample('d', 2, 2)], acked));
    batcher.add(message('b', [sample('d', 3, 3)], acked)); // reaches 3 samples: flushes a+b
    batcher.add(message('c', [sample('d', 4, 4)], acked));
    await waitFor(() => writes.length === 1, { what: 'first write to start' });
    expect(acked).toEqual([]); // write still in flight
    release();
    await batcher.drain();
    expect(writes).toEqual([3, 1]);
    expect(acked).toEqual(['a', 'b', 'c']);
  });

  it('keeps messages un-acked through an outage and writes them once the store is back', async () => {
    const acked: string[] = [];
    let failuresLeft = 3;
    const written: StoredSample[] = [];
    const errors: string[] = [];
    const batcher = new WriteBatcher({
      write: async (samples) => {
        if (failuresLeft-- > 0) throw new Error('connect ECONNREFUSED');
        written.push(...samples);
      },
      reject: () => { throw new Error('an outage must not reject'); },
      logger: silentLogger(), maxBatchSamples: 100, maxDelayMs: 1, retryInitialMs: 5, retryMaxMs: 20,
      onWriteFailed: (err) => errors.push(`${err.message}, acked so far: ${acked.length}`),
    });
    batcher.add(message('a', [sample('d', 1, 1)], acked));
    await batcher.drain();
    expect(errors).toEqual(Array(3).fill('connect ECONNREFUSED, acked so far: 0'));
    expect(written.map((s) => s.ts)).toEqual([1]);
    expect(acked).toEqual(['a']);
  });

  it('isolates a message the database refuses and still writes the good ones', async () => {
    const acked: string[] = [];
    const rejected: string[] = [];
    const written: string[] = [];
    const batcher = new WriteBatcher({
      write: async (samples) => {
        if (samples.some((s) => s.device === 'bad')) throw new RejectedWriteError('field type conflict');
        written.push(...samples.map((s) => s.device));
      },
      reject: (m, reason) => rejected.push(`${m.topic}: ${reason}`),
      logger: silentLogger(), maxBatchSamples: 10, maxDelayMs: 1,
    });
    batcher.add(message('a', [sample('good-1', 1, 1)], acked));
    batcher.add(message('b', [sample('bad', 2, 2)], acked));
    batcher.add(message('c', [sample('good-2', 3, 3)], acked));
    await batcher.drain();
    expect(written).toEqual(['good-1', 'good-2']);
    expect(rejected).toEqual(['t/b: store refused the data: field type conflict']);
    expect(acked).toEqual(['a', 'b', 'c']);
  });

  it('tells each written message so just before its ack (alarm evaluation), never a refused one', async () => {
    const log: string[] = [];
    const tracked = (id: string, device: string): PendingMessage => ({
      ...message(id, [sample(device, 1, 1)], log), written: () => log.push(`written ${id}`),
    });
    const batcher = new WriteBatcher({
      write: async (samples) => {
        if (samples.some((s) => s.device === 'bad')) throw new RejectedWriteError('field type conflict');
      },
      reject: () => undefined,
      logger: silentLogger(), maxBatchSamples: 10, maxDelayMs: 1,
    });
    batcher.add(tracked('a', 'good-1'));
    await batcher.drain();
    batcher.add(tracked('b', 'bad'));
    batcher.add(tracked('c', 'good-2'));
    await batcher.drain();
    expect(log).toEqual(['written a', 'a', 'b', 'written c', 'c']);
  });

  it('close() stops retrying and leaves the messages un-acked for redelivery', async () => {
    const acked: string[] = [];
    let attempts = 0;
    const batcher = new WriteBatcher({
      write: async () => { attempts++; throw new Error('down'); },
      reject: () => undefined,
      logger: silentLogger(), maxBatchSamples: 10, maxDelayMs: 1, retryInitialMs: 5,
    });
    batcher.add(message('a', [sample('d', 1, 1)], acked));
    await waitFor(() => attempts >= 2, { what: 'retries' });
    await batcher.close();
    expect(acked).toEqual([]);
  });
});
