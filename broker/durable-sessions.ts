// Sessions the broker holds from its first moment for the backend's persistent subscribers.
// Aedes keeps sessions in memory: after a broker restart it has forgotten ingest's
// subscriptions, and gateways usually reconnect before ingest does (they retry faster). Their
// backlog was then acknowledged with nobody subscribed, and the gateway outbox deleted it: a
// broker `kill -9` lost every reading held in the outboxes (test/faults.test.ts measured 268–388
// of them). Registering ingest's subscriptions at start makes the broker queue those messages
// for ingest's session until it connects (clean: false), so the outboxes' backlog reaches the store.
import { filters } from '../protocol/index.js';

export interface DurableSession {
  /** The broker-side client id: `{username}:{clientId}` (access-hooks.ts prefixes the username). */
  clientId: string;
  /** Filters subscribed at QoS 1, exactly as the service subscribes them. */
  filters: string[];
}

/** Ingest's two sessions (readings, snapshots and events; the alarm service's status and alarms) for each ingest account. */
export function ingestSessions(ingestUsernames: readonly string[], ingestClientId: string): DurableSession[] {
  return ingestUsernames.flatMap((username) => [
    { clientId: `${username}:${ingestClientId}`, filters: [filters.allTelemetry, filters.allSnapshots, filters.allEvents] },
    { clientId: `${username}:${ingestClientId}-alarms`, filters: [filters.allStatus, filters.allAlarms] },
  ]);
}
