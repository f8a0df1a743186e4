// Groups accepted telemetry into store writes and acknowledges each message only
// once the write holding it has succeeded. One write is in flight at a time; an
// outage is retried with back-off while the messages stay un-acked (the broker
// keeps them), and a write the database refuses is split so that one bad message
// cannot hold the good ones hostage. A few writes may be in flight at once, so the
// next batch is on its way while the database answers the previous one.
import type { Logger } from '../lib/logger.js';
import { delay } from '../lib/wait.js';
import { RejectedWriteError, type StoredSample } from '../store/types.js';

export interface PendingMessage {
  topic: string;
  payload: Buffer;
  samples: StoredSample[];
  /** Called once the samples are in the store, just before ack (the alarm engine evaluates stored data only). */
  written?(): void;
  ack(): void;
}

export interface WriteBatcherOptions {
  write(samples: StoredSample[]): Promise<void>;
  /** Called for a message the database refused on its own (after splitting). It must keep the message. */
  reject(message: PendingMessage, reason: string): void;
  logger: Logger;
  /** Flush when this many samples wait. */
  maxBatchSamples: number;
  /** Flush at the latest this long after the first message of a batch arrived. */
  maxDelayMs: number;
  /** Batches written concurrently (default 2). Acks need no order: each message is acked after its own batch. */
  maxConcurrentWrites?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  onWritten?(samples: number, messages: number, seconds: number): void;
  onWriteFailed?(error: Error): void;
}

export class WriteBatcher {
  private queue: PendingMessage[] = [];
  private queuedSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly writing = new Set<Promise<void>>();
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: WriteBatcherOptions) {}

  /** Messages received and not yet written. */
  get pending(): number {
    return this.queue.length;
  }

  add(message: PendingMessage): void {
    this.queue.push(message);
    this.queuedSamples += message.samples.length;
    if (this.queuedSamples >= this.options.maxBatchSamples) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
  }

  /** Writes whatever is queued and waits for it (used at shutdown and in tests). */
  async drain(): Promise<void> {
    while (this.writing.size > 0 || this.queue.length > 0) {
      this.kick();
      await Promise.race(this.writing);
    }
  }

  /** Stops retrying; messages not yet written stay un-acked for the broker to redeliver. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    clearTimeout(this.timer);
    await Promise.all(this.writing);
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const maxWrites = this.options.maxConcurrentWrites ?? 2;
    while (this.writing.size < maxWrites && this.queue.length > 0 && !this.closed) {
      const write: Promise<void> = this.writeWithRetry(this.takeBatch()).finally(() => {
        this.writing.delete(write);
        if (this.queue.length > 0) {
          if (this.queuedSamples >= this.options.maxBatchSamples) this.kick();
          else this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
        }
      });
      this.writing.add(write);
    }
  }

  private takeBatch(): PendingMessage[] {
    const batch: PendingMessage[] = [];
    let samples = 0;
    while (this.queue.length > 0 && (batch.length === 0 || samples + this.queue[0]!.samples.length <= this.options.maxBatchSamples)) {
      const message = this.queue.shift()!;
      samples += message.samples.length;
      batch.push(message);
    }
    this.queuedSamples -= samples;
    return batch;
  }

  private async writeWithRetry(batch: PendingMessage[]): Promise<void> {
    let backoff = this.options.retryInitialMs ?? 100;
    const maxBackoff = this.options.retryMaxMs ?? 5000;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.writeBatch(batch);
        return;
      } catch (err) {
        const error = err as Error;
        this.options.onWriteFailed?.(error);
        this.options.logger.warn({ err: error.message, attempt, messages: batch.length, retryInMs: backoff }, 'store write failed; messages stay un-acked, retrying');
        await delay(backoff, this.abort.signal);
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  }

  private async writeBatch(batch: PendingMessage[]): Promise<void> {
    const started = process.hrtime.bigint();
    const samples = batch.flatMap((m) => m.samples);
    try {
      await this.options.write(samples);
    } catch (err) {
      if (!(err instanceof RejectedWriteError)) throw err;
      await this.isolateRejected(batch, err);
      return;
    }
    for (const message of batch) {
      message.written?.();
      message.ack();
    }
    this.options.onWritten?.(samples.length, batch.length, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** The database refused the batch: write message by message, keeping the refused ones as dead letters. */
  private async isolateRejected(batch: PendingMessage[], first: RejectedWriteError): Promise<void> {
    if (batch.length === 1) {
      this.options.reject(batch[0]!, `store refused the data: ${first.message}`);
      batch[0]!.ack();
      return;
    }
    for (const message of batch) {
      try {
        await this.options.write(message.samples);
        message.written?.();
      } catch (err) {
        if (!(err instanceof RejectedWriteError)) throw err; // an outage mid-way: retry from the caller
        this.options.reject(message, `store refused the data: ${err.message}`);
      }
      message.ack();
    }
  }
}
