// Types for the two modules of aedes-persistence 11 (CommonJS, no exports map) that
// broker/indexed-persistence.ts builds on, written from their source: the in-memory store
// (asyncPersistence.js, promise-based) and the wrapper that gives Aedes its callback API.
declare module 'aedes-persistence/asyncPersistence.js' {
  import type { Readable } from 'node:stream';

  interface ClientRef { id: string }
  interface SubRef { clientId: string }

  class MemoryPersistence {
    constructor(opts?: object);
    outgoingEnqueue(sub: SubRef, packet: object): Promise<void>;
    outgoingEnqueueCombi(subs: SubRef[], packet: object): Promise<void>;
    outgoingUpdate(client: ClientRef, packet: object): Promise<void>;
    outgoingClearMessageId(client: ClientRef, packet: object): Promise<object | undefined>;
    outgoingStream(client: ClientRef): Readable;
  }
  namespace MemoryPersistence {
    /** aedes-packet's Packet: the copy the store keeps of each queued message. */
    const Packet: new (original: object, broker?: object) => object;
  }
  export = MemoryPersistence;
}

declare module 'aedes-persistence/callBackPersistence.js' {
  import type { EventEmitter } from 'node:events';

  export class CallBackPersistence extends EventEmitter {
    constructor(asyncInstanceFactory: (opts: object) => object, opts?: object);
  }
}
