// aedes-persistence's own conformance suite (node:test) run on Shaobing's broker persistence
// (broker/indexed-persistence.ts, compiled in dist/): the store directly, and through the
// callback wrapper Aedes is given. Run by broker/indexed-persistence.test.ts.
import { test } from 'node:test';
import abstractPersistence from 'aedes-persistence/abstract.js';
import { IndexedMemoryPersistence, createBrokerPersistence } from '../../dist/broker/indexed-persistence.js';

abstractPersistence({ test, persistence: () => new IndexedMemoryPersistence(), testAsync: true });
abstractPersistence({ test, persistence: () => createBrokerPersistence(), testAsync: true });
