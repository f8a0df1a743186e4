// Worker thread running the Shaobing broker (broker/: Aedes with accounts, ACLs and
// the packet size guard), so it has an event loop of its own as in production,
// where `shaobing broker` is a process of its own.
import { AccountStore, startBroker, type Account, type BrokerStats, type RunningBroker } from '../../broker/index.js';
import { benchLogger } from './bench-logger.js';
import { serveThreadApi } from './thread-rpc.js';

let broker: RunningBroker | undefined;

const api = {
  async start(accounts: Account[]): Promise<{ url: string }> {
    broker = await startBroker({ port: 0, accounts: new AccountStore(accounts), logger: benchLogger('broker') });
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

export type BrokerThreadApi = typeof api;
serveThreadApi(api);
