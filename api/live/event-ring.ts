// The live stream's memory of recent events, so that a client reconnecting with
// Last-Event-ID gets what it missed. Bounded by count, bytes and age; ids in it are
// contiguous (the hub puts every event it issues here), so "is id N+1 still here?"
// decides between a replay without gaps and an explicit reset.

export interface RingLimits {
  maxEvents: number;
  maxBytes: number;
  maxAgeMs: number;
}

export interface RingItem {
  id: number;
  /** When it entered the ring (ms). */
  at: number;
  bytes: number;
}

/** What a client resuming after `lastId` gets: the events it missed, or the news that some are gone. */
export type ResumePlan<T> =
  | { kind: 'replay'; events: T[] }
  | { kind: 'gap'; reason: 'evicted' | 'unknown-id'; oldestId: number | undefined };

export class EventRing<T extends RingItem> {
  readonly #limits: RingLimits;
  #items: T[] = [];
  /** Index of the oldest live item in #items: eviction moves it, compaction resets it. */
  #head = 0;
  #bytes = 0;

  constructor(limits: RingLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get oldestId(): number | undefined {
    return this.#items[this.#head]?.id;
  }

  get latestId(): number | undefined {
    return this.size === 0 ? undefined : this.#items[this.#items.length - 1]!.id;
  }

  push(item: T, now: number): void {
    const latest = this.latestId;
    if (latest !== undefined && item.id !== latest + 1) throw new Error(`ring ids must be contiguous: ${item.id} after ${latest}`);
    this.#items.push(item);
    this.#bytes += item.bytes;
    this.evict(now);
  }

  /** Drops what is over the limits, oldest first (the newest item always stays). */
  evict(now: number): void {
    const { maxEvents, maxBytes, maxAgeMs } = this.#limits;
    while (this.size > 1) {
      const oldest = this.#items[this.#head]!;
      if (this.size <= maxEvents && this.#bytes <= maxBytes && now - oldest.at <= maxAgeMs) break;
      this.#bytes -= oldest.bytes;
      this.#head += 1;
    }
    if (this.size === 1 && now - this.#items[this.#head]!.at > maxAgeMs) {
      this.#bytes = 0;
      this.#head = this.#items.length;
    }
    // Compact once the dead prefix is as large as the live part: amortised O(1) per item.
    if (this.#head > 1024 && this.#head >= this.size) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Events after `lastId` for a client that saw everything up to it, given that the hub's
   * newest issued id is `latestIssued` (events may have aged out of an empty ring).
   */
  resume(lastId: number, latestIssued: number): ResumePlan<T> {
    if (lastId > latestIssued) return { kind: 'gap', reason: 'unknown-id', oldestId: this.oldestId };
    if (lastId === latestIssued) return { kind: 'replay', events: [] };
    const oldest = this.oldestId;
    if (oldest === undefined || oldest > lastId + 1) return { kind: 'gap', reason: 'evicted', oldestId: oldest };
    return { kind: 'replay', events: this.#items.slice(this.#head + (lastId + 1 - oldest)) };
  }
}
