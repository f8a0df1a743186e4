// The live stream's fan-out: readings and alarm changes come in (from the MQTT feed), get a
// monotonic id, are framed once, kept in the resume ring, and offered to every connected
// client. Fan-out is synchronous and never waits for a socket: each client has its own
// bounded queue and is dropped when it cannot keep up (live-client.ts).
//
// Ids continue across API restarts without clashing: the first id of a hub is its start time
// in ms × 1000, so an id from an earlier run is always older than the current window (the
// client gets a reset), as long as the API issues fewer than 1000 events per ms on average.
import type { Alarm } from '../../protocol/index.js';
import type { Histogram, Registry } from '../../lib/metrics.js';
import { EventRing, type ResumePlan, type RingLimits } from './event-ring.js';
import { LiveClient, type ClientLimits, type SseSocket } from './live-client.js';
import { alarmEntry, matchesFilter, readingEntry, sseComment, sseFrame, type LiveEntry, type LiveFilter, type LiveReading } from './live-event.js';
import { registerLiveMetrics } from './live-metrics.js';

export interface LiveHubOptions {
  ring?: Partial<RingLimits>;
  client?: Partial<ClientLimits>;
  heartbeatMs?: number;
  /** Reconnect delay suggested to EventSource clients (`retry:`). */
  retryMs?: number;
  clock?: () => number;
  registry?: Registry;
}

export const DEFAULT_RING_LIMITS: RingLimits = { maxEvents: 50_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 5 * 60_000 };
export const DEFAULT_CLIENT_LIMITS: ClientLimits = { maxQueueEvents: 10_000, maxQueueBytes: 8 * 1024 * 1024 };

export interface LiveHubStats {
  clients: number;
  dropped: number;
  sent: { reading: number; alarm: number };
  published: { reading: number; alarm: number };
  resets: number;
  ring: { size: number; bytes: number; oldestId?: number; latestId?: number };
  latestId: number;
}

export class LiveHub {
  readonly #ring: EventRing<LiveEntry>;
  readonly #clientLimits: ClientLimits;
  readonly #clients = new Set<LiveClient>();
  readonly #clock: () => number;
  readonly #retryMs: number;
  readonly #heartbeat: NodeJS.Timeout;
  #latestId: number;
  #dropped = 0;
  #resets = 0;
  /** Sent by clients already gone (the live ones are summed on demand). */
  readonly #sentByGone = { reading: 0, alarm: 0 };
  readonly #published = { reading: 0, alarm: 0 };
  readonly #alarmVisible?: Histogram<'severity' | 'state'>;

  constructor(options: LiveHubOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#ring = new EventRing({ ...DEFAULT_RING_LIMITS, ...options.ring });
    this.#clientLimits = { ...DEFAULT_CLIENT_LIMITS, ...options.client };
    this.#retryMs = options.retryMs ?? 3000;
    this.#latestId = this.#clock() * 1000;
    this.#heartbeat = setInterval(() => this.heartbeat(), options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
    if (options.registry) this.#alarmVisible = registerLiveMetrics(options.registry, this);
  }

  get latestId(): number {
    return this.#latestId;
  }

  publishReading(reading: LiveReading): void {
    this.#publish(readingEntry(this.#latestId + 1, this.#clock(), reading));
    this.#published.reading += 1;
  }

  /**
   * Publishes an alarm change and records how long it took from ingest receiving the
   * reading (`receivedAt`) to reaching the live clients' sockets.
   */
  publishAlarm(alarm: Alarm): void {
    this.#publish(alarmEntry(this.#latestId + 1, this.#clock(), alarm));
    this.#published.alarm += 1;
    if (alarm.receivedAt !== undefined) {
      this.#alarmVisible?.observe({ severity: alarm.severity, state: alarm.state }, Math.max(0, Date.now() - alarm.receivedAt) / 1000);
    }
  }

  #publish(entry: LiveEntry): void {
    this.#latestId = entry.id;
    this.#ring.push(entry, entry.at);
    for (const client of this.#clients) client.offer(entry);
  }

  /**
   * Attaches a client. With `lastEventId` it first gets what it missed from the ring, or a
   * `reset` event when the ring no longer holds it (or the id is not one of ours).
   */
  connect(socket: SseSocket, filter: LiveFilter, lastEventId?: string): LiveClient {
    const client = new LiveClient(socket, filter, this.#clientLimits, () => {
      this.#dropped += 1;
      this.#forget(client);
    });
    this.#clients.add(client);
    const control = (frame: string) => client.send({ type: 'control', frame, bytes: Buffer.byteLength(frame) });
    control(`retry: ${this.#retryMs}\n${sseComment(`shaobing live stream, latest id ${this.#latestId}`)}`);
    if (lastEventId !== undefined) {
      // Not one of our ids at all (garbled, another server's): a reset, not a 400, so EventSource keeps going.
      const plan: ResumePlan<LiveEntry> = /^\d{1,16}$/.test(lastEventId)
        ? this.#ring.resume(Number(lastEventId), this.#latestId)
        : { kind: 'gap', reason: 'unknown-id', oldestId: this.#ring.oldestId };
      if (plan.kind === 'replay') {
        for (const entry of plan.events) {
          if (client.closed) break;
          if (matchesFilter(client.filter, entry)) client.send(entry, { replay: true });
        }
      } else {
        this.#resets += 1;
        // The reset carries the latest id: from here on the client is current again.
        control(sseFrame('reset', {
          reason: plan.reason === 'unknown-id'
            ? `event id "${lastEventId.slice(0, 32)}" is not one this API issued (restarted?): events may have been missed`
            : `event id "${lastEventId}" is older than the recent-events window: events were missed`,
          lastEventId: lastEventId.slice(0, 32), oldestAvailableId: plan.oldestId ?? null, latestId: this.#latestId,
          hint: 'reload the current state (GET /v1/alarms, /v1/readings/latest); the stream continues from here',
        }, this.#latestId));
      }
    }
    return client;
  }

  /** The client's socket closed by itself. */
  disconnect(client: LiveClient): void {
    client.markClosed();
    this.#forget(client);
  }

  #forget(client: LiveClient): void {
    if (!this.#clients.delete(client)) return;
    this.#sentByGone.reading += client.sent.reading;
    this.#sentByGone.alarm += client.sent.alarm;
  }

  /** A comment to every client with nothing queued (a queued one has data coming anyway); ages the ring. */
  heartbeat(): void {
    const now = this.#clock();
    this.#ring.evict(now);
    const frame = sseComment(`heartbeat ${new Date(now).toISOString()}`);
    for (const client of this.#clients) {
      if (client.queuedEvents === 0) client.send({ type: 'control', frame, bytes: Buffer.byteLength(frame) });
    }
  }

  stats(): LiveHubStats {
    const sent = { ...this.#sentByGone };
    for (const client of this.#clients) {
      sent.reading += client.sent.reading;
      sent.alarm += client.sent.alarm;
    }
    return {
      clients: this.#clients.size, dropped: this.#dropped, sent, published: { ...this.#published }, resets: this.#resets,
      ring: { size: this.#ring.size, bytes: this.#ring.bytes, oldestId: this.#ring.oldestId, latestId: this.#ring.latestId },
      latestId: this.#latestId,
    };
  }

  /** Ends every client's stream (the API is stopping: EventSource clients will reconnect). */
  closeClients(): void {
    for (const client of [...this.#clients]) {
      client.close(sseComment('the API is stopping; reconnect with Last-Event-ID'));
      this.#forget(client);
    }
  }

  close(): void {
    clearInterval(this.#heartbeat);
    this.closeClients();
  }
}

