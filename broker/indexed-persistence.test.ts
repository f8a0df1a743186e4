// The indexed outgoing queues against the library they replace: the same operations, as Aedes
// makes them, applied to aedes-persistence's own in-memory store and to ours must give the same
// answers and leave the same queues — including packet ids that wrap at 65535 while a backlog
// larger than that is in flight. Then aedes-persistence's own conformance suite, run on ours.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import { describe, expect, it } from 'vitest';
import { Prng } from '../test/harness/fuzz.js';
import { IndexedMemoryPersistence } from './indexed-persistence.js';
import { OutgoingQueue } from './outgoing-queue.js';

const BROKER = { id: 'broker-1', counter: 0 };
/**
 * Packet ids handed out in the random test: a small space, so that several messages in flight
 * share an id, as they do when Aedes sends a backlog of more than 65,535 at once.
 */
const ID_SPACE = 400;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Stored { topic: string; brokerCounter: number; messageId?: number }

const view = (packets: Array<object | undefined>): Array<Stored | undefined> =>
  packets.map((p) => (p === undefined ? undefined : { topic: (p as Stored).topic, brokerCounter: (p as Stored).brokerCounter, messageId: (p as Stored).messageId }));

async function streamed(store: MemoryPersistence, clientId: string): Promise<object[]> {
  const out: object[] = [];
  for await (const packet of store.outgoingStream({ id: clientId })) out.push(packet as object);
  return out;
}

describe('OutgoingQueue', () => {
  it.each([
    {
      what: 'a delivery records its packet id; a PUBACK clears that message; order is kept',
      run: (q: OutgoingQueue<Stored & { brokerId?: string }>) => {
        q.enqueue({ topic: 'a', brokerId: 'b', brokerCounter: 1 });
        q.enqueue({ topic: 'b', brokerId: 'b', brokerCounter: 2 });
        q.update({ topic: 'a', brokerId: 'b', brokerCounter: 1, messageId: 7 });
        return [q.clearMessageId(7)?.topic, q.snapshot().map((p) => p.topic)];
      },
      expected: ['a', ['b']],
    },
    {
      what: 'two messages in flight under one wrapped id: the oldest is cleared first',
      run: (q: OutgoingQueue<Stored & { brokerId?: string }>) => {
        q.enqueue({ topic: 'old', brokerId: 'b', brokerCounter: 1 });
        q.enqueue({ topic: 'new', brokerId: 'b', brokerCounter: 2 });
        q.update({ topic: 'old', brokerId: 'b', brokerCounter: 1, messageId: 5 });
        q.update({ topic: 'new', brokerId: 'b', brokerCounter: 2, messageId: 5 });
        return [q.clearMessageId(5)?.topic, q.clearMessageId(5)?.topic, q.clearMessageId(5)];
      },
      expected: ['old', 'new', undefined],
    },
    {
      what: 'a message sent again after a reconnect gets a new id; the old id no longer clears it',
      run: (q: OutgoingQueue<Stored & { brokerId?: string }>) => {
        q.enqueue({ topic: 'a', brokerId: 'b', brokerCounter: 1 });
        q.update({ topic: 'a', brokerId: 'b', brokerCounter: 1, messageId: 1 });
        q.update({ topic: 'a', brokerId: 'b', brokerCounter: 1, messageId: 2 });
        return [q.clearMessageId(1), q.clearMessageId(2)?.topic, q.size];
      },
      expected: [undefined, 'a', 0],
    },
    {
      what: 'a packet from elsewhere replaces the message holding its id, in place',
      run: (q: OutgoingQueue<Stored & { brokerId?: string }>) => {
        q.enqueue({ topic: 'a', brokerId: 'b', brokerCounter: 1 });
        q.enqueue({ topic: 'c', brokerId: 'b', brokerCounter: 2 });
        q.update({ topic: 'a', brokerId: 'b', brokerCounter: 1, messageId: 9 });
        const replaced = q.update({ topic: 'pubrel', brokerCounter: 0, messageId: 9 });
        return [replaced, q.snapshot().map((p) => p.topic)];
      },
      expected: [true, ['pubrel', 'c']],
    },
    {
      what: 'an update for nothing queued is refused; clearing nothing answers undefined',
      run: (q: OutgoingQueue<Stored & { brokerId?: string }>) => [q.update({ topic: 'x', brokerId: 'b', brokerCounter: 3, messageId: 1 }), q.clearMessageId(1), q.clearMessageId(undefined)],
      expected: [false, undefined, undefined],
    },
  ])('$what', ({ run, expected }) => {
    expect(run(new OutgoingQueue())).toEqual(expected);
  });
});

describe('IndexedMemoryPersistence against aedes-persistence', () => {
  it('answers and queues as the library does over a random mix of Aedes operations, with packet ids shared in flight', async () => {
    const seed = 20261201;
    const prng = new Prng(seed);
    const reference = new MemoryPersistence();
    const indexed = new IndexedMemoryPersistence();
    const clients = ['ingest', 'observer'];
    /** Per client: queued and not yet given an id, and in flight (id given, no PUBACK yet). */
    const waiting = new Map(clients.map((c) => [c, [] as Stored[]]));
    const inFlight = new Map(clients.map((c) => [c, [] as Stored[]]));
    const nextId = new Map(clients.map((c) => [c, 1]));
    let counter = 0;
    const answers: Array<[unknown, unknown]> = [];

    for (let step = 0; step < 12_000; step++) {
      const client = prng.pick(clients);
      const roll = prng.next();
      if (roll < 0.45) {
        // Published: queued for one or both clients (outgoingEnqueueCombi).
        const packet = { cmd: 'publish', topic: `t/${step}`, payload: Buffer.from('x'), qos: 1, brokerId: BROKER.id, brokerCounter: ++counter };
        const subs = prng.next() < 0.5 ? [{ clientId: client }] : clients.map((clientId) => ({ clientId }));
        await reference.outgoingEnqueueCombi(subs, packet);
        await indexed.outgoingEnqueueCombi(subs, packet);
        for (const sub of subs) waiting.get(sub.clientId)!.push({ topic: packet.topic, brokerCounter: packet.brokerCounter });
      } else if (roll < 0.8 && waiting.get(client)!.length > 0) {
        // Delivered: given the next packet id, which wraps (outgoingUpdate).
        const message = waiting.get(client)!.shift()!;
        const id = nextId.get(client)!;
        nextId.set(client, id === ID_SPACE ? 1 : id + 1);
        const packet = { ...message, cmd: 'publish', qos: 1, brokerId: BROKER.id, messageId: id };
        answers.push([await reference.outgoingUpdate({ id: client }, packet), await indexed.outgoingUpdate({ id: client }, packet)]);
        inFlight.get(client)!.push({ ...message, messageId: id });
      } else if (inFlight.get(client)!.length > 0) {
        // PUBACK, mostly in order, sometimes out of it (outgoingClearMessageId).
        const list = inFlight.get(client)!;
        const index = prng.next() < 0.9 ? 0 : prng.int(list.length);
        const [acked] = list.splice(index, 1);
        const packet = { cmd: 'puback', messageId: acked!.messageId };
        answers.push([view([await reference.outgoingClearMessageId({ id: client }, packet)]), view([await indexed.outgoingClearMessageId({ id: client }, packet)])]);
      }
      if (step % 3000 === 2999) {
        for (const c of clients) expect(view(await streamed(indexed, c)), `queue of ${c} at step ${step} (seed ${seed})`).toEqual(view(await streamed(reference, c)));
      }
    }
    for (const [theirs, ours] of answers) expect(ours).toEqual(theirs);
    // Several messages in flight did share an id, so that case was exercised.
    expect(Math.max(...clients.map((c) => inFlight.get(c)!.length))).toBeGreaterThan(ID_SPACE);
    for (const c of clients) expect(view(await streamed(indexed, c))).toEqual(view(await streamed(reference, c)));
  });

  it('passes aedes-persistence’s own conformance suite', () => {
    // The suite is written for node:test; it runs in a Node process of its own on the compiled
    // class (npm test builds dist/ first).
    const output = execFileSync(process.execPath, ['--test', '--test-reporter=tap', path.join(ROOT, 'test/harness/persistence-conformance.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    const passed = Number(/^# pass (\d+)$/m.exec(output)?.[1] ?? 0);
    const failed = Number(/^# fail (\d+)$/m.exec(output)?.[1] ?? -1);
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThan(50);
  }, 150_000);
});
