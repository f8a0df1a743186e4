// What one message costs the broker's persistence while a subscriber's queue holds a backlog:
// the three calls Aedes makes per QoS 1 message to a persistent subscriber (queue it, record
// the packet id it was sent with, clear it on PUBACK), with `backlog` messages already queued
// and sent but not acknowledged — as when ingest lags. Measured on aedes-persistence's own
// in-memory store and on ours (broker/indexed-persistence.ts), in this process.
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';

export interface QueueCostOptions {
  backlog: number;
  /** Messages measured at most… */
  messages: number;
  /** …and for at most this long (the scanning store gets slow with a large backlog). */
  maxMs: number;
}

const CLIENT = { id: 'ingest' };
const SUB = { clientId: CLIENT.id };
const ID_SPACE = 65_535;

/** Microseconds per message (queue + id + PUBACK), steady state, acknowledgements in order. */
export async function measureQueueCost(store: MemoryPersistence, options: QueueCostOptions): Promise<{ usPerMessage: number; messages: number }> {
  let counter = 0;
  let nextId = 1;
  const inFlight: number[] = [];
  const sendOne = async (): Promise<void> => {
    const packet = { cmd: 'publish', topic: 'sb/v1/gw/s/g/telemetry/d', payload: Buffer.from('{}'), qos: 1, brokerId: 'bench', brokerCounter: ++counter };
    await store.outgoingEnqueue(SUB, packet);
    const messageId = nextId;
    nextId = nextId === ID_SPACE ? 1 : nextId + 1;
    await store.outgoingUpdate(CLIENT, { ...packet, messageId });
    inFlight.push(messageId);
  };
  for (let i = 0; i < options.backlog; i++) await sendOne();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(options.maxMs) * 1_000_000n;
  let measured = 0;
  while (measured < options.messages && (measured % 256 !== 0 || process.hrtime.bigint() < deadline)) {
    await sendOne();
    await store.outgoingClearMessageId(CLIENT, { cmd: 'puback', messageId: inFlight.shift() });
    measured++;
  }
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
  return { usPerMessage: elapsedUs / measured, messages: measured };
}
