// One client's queue of QoS 1/2 messages the broker owes it (queued while offline, or sent and
// not yet acknowledged), indexed so that each operation Aedes makes per message is O(1).
//
// Why: aedes-persistence's in-memory store keeps this queue as an array and finds a message by
// a linear scan on every delivery (to record its packet id) and every PUBACK. Aedes has no
// in-flight window: it hands a persistent subscriber its whole queue at once, so while ingest
// lags the array holds the whole backlog and each message costs a scan of it. Measured in the
// soak (docs/BENCHMARKS.md): at 12,400 msgs/s the broker's CPU rose from 0.36 to 0.79 cores and
// the rate sank minute by minute (9,190 → 3,630 msgs/s) as the backlog grew: an overload that
// fed itself. Here the same semantics hold — insertion order, the first match wins — without
// the scans. Pure data structure; the persistence class in indexed-persistence.ts uses it.

/** What the queue needs of a packet (aedes-packet's Packet has these fields). */
export interface QueuedPacket {
  brokerId?: string | undefined;
  brokerCounter?: number | undefined;
  messageId?: number | undefined;
}

export class OutgoingQueue<P extends QueuedPacket> {
  /** Entries in the order they were queued (a Map keeps insertion order; deletes are O(1)). */
  readonly #entries = new Map<number, P>();
  /**
   * Origin (broker id → broker counter) → entry: how a delivery finds the message it assigns an
   * id to. Nested maps, not a joined string key: no string built per message.
   */
  readonly #byOrigin = new Map<string, Map<number, number>>();
  /**
   * Packet id → entries that were given it, oldest first. Ids wrap at 65535, and with Aedes
   * sending a whole backlog at once, two messages in flight can share one; the oldest is the
   * one a PUBACK answers, as in the array. Entries are checked lazily: one may since have been
   * cleared or given another id.
   */
  readonly #byMessageId = new Map<number, number[]>();
  #nextKey = 0;

  get size(): number {
    return this.#entries.size;
  }

  enqueue(packet: P): void {
    const key = this.#nextKey++;
    this.#entries.set(key, packet);
    this.#rememberOrigin(packet, key);
    if (packet.messageId !== undefined) this.#indexMessageId(packet.messageId, key);
  }

  /**
   * Records the packet id given to a queued message (same origin), or replaces the queued
   * message holding that id when the packet comes from elsewhere (a PUBREL for a QoS 2
   * message). Answers false when neither is queued.
   */
  update(packet: P): boolean {
    const sameOrigin = this.#originKey(packet);
    if (sameOrigin !== undefined) {
      const entry = this.#entries.get(sameOrigin)!;
      entry.messageId = packet.messageId;
      if (packet.messageId !== undefined) this.#indexMessageId(packet.messageId, sameOrigin);
      return true;
    }
    if (packet.messageId === undefined) return false;
    const key = this.#firstWithMessageId(packet.messageId, (entry) => entry.brokerId !== packet.brokerId);
    if (key === undefined) return false;
    this.#forgetOrigin(this.#entries.get(key)!, key);
    this.#entries.set(key, packet);
    this.#rememberOrigin(packet, key);
    return true;
  }

  /** Removes and returns the oldest queued message holding this packet id (undefined if none). */
  clearMessageId(messageId: number | undefined): P | undefined {
    if (messageId === undefined) return undefined;
    const key = this.#firstWithMessageId(messageId, () => true);
    if (key === undefined) return undefined;
    const entry = this.#entries.get(key)!;
    this.#entries.delete(key);
    this.#forgetOrigin(entry, key);
    const keys = this.#byMessageId.get(messageId)!;
    keys.shift();
    if (keys.length === 0) this.#byMessageId.delete(messageId);
    return entry;
  }

  /** The entry queued with this packet's origin, if its broker stamped one. */
  #originKey(packet: P): number | undefined {
    if (!packet.brokerId) return undefined;
    return this.#byOrigin.get(packet.brokerId)?.get(packet.brokerCounter ?? 0);
  }

  #rememberOrigin(packet: P, key: number): void {
    if (!packet.brokerId) return;
    let counters = this.#byOrigin.get(packet.brokerId);
    if (!counters) {
      counters = new Map();
      this.#byOrigin.set(packet.brokerId, counters);
    }
    // A second copy of one origin stays reachable by packet id only, as the array found only
    // the first copy by origin as well.
    const counter = packet.brokerCounter ?? 0;
    if (!counters.has(counter)) counters.set(counter, key);
  }

  /** A copy of the queue, oldest first (Aedes streams it while the queue may change). */
  snapshot(): P[] {
    return [...this.#entries.values()];
  }

  #indexMessageId(messageId: number, key: number): void {
    const keys = this.#byMessageId.get(messageId);
    if (keys === undefined) this.#byMessageId.set(messageId, [key]);
    else if (!keys.includes(key)) keys.push(key);
  }

  /**
   * The oldest live entry holding `messageId` that `accept` takes, dropping stale keys from the
   * front of its list on the way (cleared entries, or entries given another id since).
   */
  #firstWithMessageId(messageId: number, accept: (entry: P) => boolean): number | undefined {
    const keys = this.#byMessageId.get(messageId);
    if (keys === undefined) return undefined;
    while (keys.length > 0 && this.#entries.get(keys[0]!)?.messageId !== messageId) keys.shift();
    if (keys.length === 0) {
      this.#byMessageId.delete(messageId);
      return undefined;
    }
    // Lists hold the ids in flight at once: short, except when a backlog wraps the id space.
    const key = keys.find((k) => {
      const entry = this.#entries.get(k);
      return entry?.messageId === messageId && accept(entry);
    });
    if (key !== undefined && key !== keys[0]) {
      // clearMessageId shifts the front: keep the found key there.
      keys.splice(keys.indexOf(key), 1);
      keys.unshift(key);
    }
    return key;
  }

  #forgetOrigin(entry: P, key: number): void {
    if (!entry.brokerId) return;
    const counters = this.#byOrigin.get(entry.brokerId);
    const counter = entry.brokerCounter ?? 0;
    if (counters?.get(counter) === key) counters.delete(counter);
  }
}
