// One live-stream client: its filter, and a bounded queue in front of its socket. Frames are
// written while the socket takes them; once it reports backpressure they wait in the queue
// until 'drain'. A client whose queue grows past its limits is too slow: it is dropped, so
// that it holds neither memory nor the others back (fan-out never waits for a socket).
import { matchesFilter, sseFrame, type LiveEntry, type LiveFilter } from './live-event.js';

/** The part of an HTTP response (or any writable) the client needs. */
export interface SseSocket {
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  destroy(): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

export interface ClientLimits {
  /** Most events waiting for a slow socket (replayed events not counted: the ring bounds those). */
  maxQueueEvents: number;
  maxQueueBytes: number;
}

/** Frames that are not events: heartbeats, the retry hint, reset and dropped notices. */
export interface ControlFrame {
  type: 'control';
  frame: string;
  bytes: number;
}

type Queued = LiveEntry | ControlFrame;

export interface DropNotice {
  reason: 'slow';
  queuedEvents: number;
  queuedBytes: number;
}

export class LiveClient {
  readonly #queue: Queued[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  /** Replayed events still in the queue: exempt from the limits. */
  #replayEvents = 0;
  #replayBytes = 0;
  #waitingForDrain = false;
  #closed = false;
  /** Events written to the socket, by type (read by the hub for its metrics). */
  readonly sent = { reading: 0, alarm: 0 };

  constructor(
    readonly socket: SseSocket,
    readonly filter: LiveFilter,
    private readonly limits: ClientLimits,
    private readonly onDrop: (client: LiveClient, notice: DropNotice) => void,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  get queuedEvents(): number {
    return this.#queue.length - this.#queueHead;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Sends `entry` if it matches the filter; returns false once the client is gone. */
  offer(entry: LiveEntry): boolean {
    if (this.#closed) return false;
    if (!matchesFilter(this.filter, entry)) return true;
    return this.send(entry);
  }

  /** Sends a frame regardless of the filter (control frames, replayed events). */
  send(item: Queued, { replay = false } = {}): boolean {
    if (this.#closed) return false;
    if (!this.#waitingForDrain && this.queuedEvents === 0) {
      this.#write(item);
      return true;
    }
    this.#queue.push(item);
    this.#queuedBytes += item.bytes;
    if (replay) {
      this.#replayEvents += 1;
      this.#replayBytes += item.bytes;
    } else if (this.queuedEvents - this.#replayEvents > this.limits.maxQueueEvents || this.#queuedBytes - this.#replayBytes > this.limits.maxQueueBytes) {
      this.#drop();
      return false;
    }
    return true;
  }

  /** Ends the stream with a last frame (best effort: a stalled socket will not deliver it). */
  close(lastFrame?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#queueHead = 0;
    this.#queuedBytes = 0;
    this.socket.end(lastFrame);
  }

  /** The socket went away by itself. */
  markClosed(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }

  #write(item: Queued): void {
    if (item.type !== 'control') this.sent[item.type] += 1;
    if (!this.socket.write(item.frame)) {
      this.#waitingForDrain = true;
      this.socket.once('drain', () => this.#flush());
    }
  }

  #flush(): void {
    this.#waitingForDrain = false;
    while (!this.#closed && !this.#waitingForDrain && this.queuedEvents > 0) {
      const item = this.#queue[this.#queueHead]!;
      this.#queueHead += 1;
      this.#queuedBytes -= item.bytes;
      if (this.#replayEvents > 0) {
        this.#replayEvents -= 1;
        this.#replayBytes -= item.bytes;
      }
      this.#write(item);
    }
    if (this.#queueHead > 0 && (this.queuedEvents === 0 || this.#queueHead > 4096)) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #drop(): void {
    const notice: DropNotice = { reason: 'slow', queuedEvents: this.queuedEvents, queuedBytes: this.#queuedBytes };
    this.close(sseFrame('dropped', {
      reason: 'slow', message: 'too slow: events waiting for this connection passed the limit',
      queuedEvents: notice.queuedEvents, queuedBytes: notice.queuedBytes, limits: this.limits,
      hint: 'reconnect with Last-Event-ID to resume from the recent-events window',
    }));
    // A socket that does not drain will not take the last frame either: free it.
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    timer.unref();
    this.onDrop(this, notice);
  }
}
