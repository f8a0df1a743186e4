// Aedes' in-memory persistence (aedes-persistence 11) with each client's outgoing queue kept in
// an OutgoingQueue (broker/outgoing-queue.ts) instead of an array scanned on every delivery and
// PUBACK. Everything else — subscriptions, retained messages, wills, incoming QoS 2 — is the
// library's own code; only the five outgoing-queue methods are replaced, with the same meaning.
import { Readable } from 'node:stream';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import { CallBackPersistence } from 'aedes-persistence/callBackPersistence.js';
import { OutgoingQueue, type QueuedPacket } from './outgoing-queue.js';

type StoredPacket = QueuedPacket & object;

export class IndexedMemoryPersistence extends MemoryPersistence {
  readonly #queues = new Map<string, OutgoingQueue<StoredPacket>>();

  #queueOf(clientId: string): OutgoingQueue<StoredPacket> {
    let queue = this.#queues.get(clientId);
    if (!queue) {
      queue = new OutgoingQueue<StoredPacket>();
      this.#queues.set(clientId, queue);
    }
    return queue;
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void> {
    // A copy, as the library keeps: the broker goes on using (and changing) its own packet.
    this.#queueOf(sub.clientId).enqueue(new MemoryPersistence.Packet(packet) as StoredPacket);
  }

  override async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: object): Promise<void> {
    for (const sub of subs) this.#queueOf(sub.clientId).enqueue(new MemoryPersistence.Packet(packet) as StoredPacket);
  }

  override async outgoingUpdate(client: { id: string }, packet: object): Promise<void> {
    if (!this.#queueOf(client.id).update(packet as StoredPacket)) throw new Error('no such packet');
  }

  override async outgoingClearMessageId(client: { id: string }, packet: object): Promise<object | undefined> {
    return this.#queues.get(client.id)?.clearMessageId((packet as StoredPacket).messageId);
  }

  override outgoingStream(client: { id: string }): Readable {
    return Readable.from(this.#queues.get(client.id)?.snapshot() ?? []);
  }
}

/** The persistence to hand Aedes: callback API (as `aedes-persistence()` returns) over the indexed store. */
export function createBrokerPersistence(): CallBackPersistence {
  return new CallBackPersistence((opts) => new IndexedMemoryPersistence(opts));
}
