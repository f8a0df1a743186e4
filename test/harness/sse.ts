// A Server-Sent Events client for tests: a real fetch (undici) stream, parsed by the
// text/event-stream rules (fields, comments, blank line ends an event). `paused` opens the
// stream without reading it, as a stalled consumer would.
import { waitFor } from '../../lib/wait.js';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  /** When this client had the whole event (Date.now()): for latency checks. */
  receivedAt: number;
}

export class SseStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry?: number;
  /** The id of the last event that carried one (what EventSource would send as Last-Event-ID). */
  lastEventId?: string;
  /** Resolves when the server ended the stream or it broke (error message then). */
  readonly ended: Promise<string | undefined>;
  #endedWith: string | undefined | null = null;
  readonly #abort: AbortController;
  readonly #body: ReadableStream<Uint8Array>;
  #reading = false;
  #resolveEnded!: (reason: string | undefined) => void;

  private constructor(readonly response: Response, abort: AbortController) {
    this.#abort = abort;
    this.#body = response.body!;
    this.ended = new Promise((resolve) => { this.#resolveEnded = resolve; });
  }

  static async open(url: string, options: { headers?: Record<string, string>; paused?: boolean } = {}): Promise<SseStream> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...options.headers }, signal: abort.signal });
    if (response.status !== 200) throw new Error(`live stream answered ${response.status}: ${await response.text()}`);
    const stream = new SseStream(response, abort);
    if (!options.paused) stream.resume();
    return stream;
  }

  get isEnded(): boolean {
    return this.#endedWith !== null;
  }

  /** Events of one type with their data parsed. */
  data<T = Record<string, unknown>>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => JSON.parse(e.data) as T);
  }

  /** Starts (or for a paused stream, begins) reading. */
  resume(): void {
    if (this.#reading) return;
    this.#reading = true;
    void this.#readLoop();
  }

  async waitForEvents(predicate: (events: SseEvent[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => predicate(this.events), { what, timeoutMs, intervalMs: 10 });
  }

  close(): void {
    this.#abort.abort();
  }

  async #readLoop(): Promise<void> {
    const reader = this.#body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.#parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      this.#finish(undefined);
    } catch (err) {
      this.#finish((err as Error).message);
    }
  }

  #finish(reason: string | undefined): void {
    this.#endedWith = reason;
    this.#resolveEnded(reason);
  }

  #parseBlock(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'retry') this.retry = Number(value);
    }
    if (id !== undefined) this.lastEventId = id;
    if (data.length > 0) this.events.push({ ...(id === undefined ? {} : { id }), event, data: data.join('\n'), receivedAt: Date.now() });
  }
}
