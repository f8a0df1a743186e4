// Child process running the Shaobing broker (broker/: Aedes with accounts, ACLs and
// the durable session for ingest, as `shaobing broker` starts it), for the soak.
import { ingestSessions } from '../../broker/durable-sessions.js';
import { AccountStore, startBroker, type Account, type BrokerStats, type RunningBroker } from '../../broker/index.js';
import { benchLogger } from '../ingest/bench-logger.js';
import { serveProcessApi } from './process-rpc.js';

let broker: RunningBroker | undefined;

const api = {
  async start(accounts: Account[], ingestClientId: string): Promise<{ url: string }> {
    const ingestUsers = accounts.filter((a) => a.role === 'ingest').map((a) => a.username);
    broker = await startBroker({
      port: 0, accounts: new AccountStore(accounts), logger: benchLogger('broker'),
      durableSessions: ingestSessions(ingestUsers, ingestClientId),
    });
    return { url: broker.url };
  },
  stats(): BrokerStats | undefined {
    return broker?.stats();
  },
  async close(): Promise<void> {
    await broker?.close();
    broker = undefined;
  },
};

export type BrokerProcessApi = typeof api;
serveProcessApi(api);
