// A real Shaobing broker (Aedes with accounts and ACLs) for tests and benchmarks that need
// only the broker: made-up passwords for the gateway, ingest and api accounts, and a
// subscriber helper that records what arrives.
import crypto from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { AccountStore, hashPassword, startBroker, type Account, type BrokerOptions, type RunningBroker } from '../../broker/index.js';
import type { Logger } from '../../lib/logger.js';
import { silentLogger } from '../../lib/logger.js';

export interface Login {
  username: string;
  password: string;
}

export interface TestBroker {
  broker: RunningBroker;
  url: string;
  port: number;
  gateway(site: string, gateway: string): Login;
  ingest: Login;
  api: Login;
  close(): Promise<void>;
}

/** Starts the broker with one account per gateway given, plus `ingest` and `api` service accounts. */
export async function startTestBroker(
  gateways: ReadonlyArray<{ site: string; gateway: string }>,
  logger: Logger = silentLogger(),
  brokerOptions: Pick<BrokerOptions, 'limits' | 'maxPacketSize' | 'durableSessions'> = {},
): Promise<TestBroker> {
  const accounts: Account[] = [];
  const logins = new Map<string, Login>();
  // Low scrypt cost is not available through the public API; one hash per account is fast enough.
  const add = async (username: string, make: (passwordHash: string) => Account): Promise<Login> => {
    const password = crypto.randomBytes(18).toString('base64url');
    accounts.push(make(await hashPassword(password)));
    const login = { username, password };
    logins.set(username, login);
    return login;
  };
  const ingest = await add('ingest', (passwordHash) => ({ role: 'ingest', username: 'ingest', passwordHash }));
  const api = await add('api', (passwordHash) => ({ role: 'api', username: 'api', passwordHash }));
  for (const { site, gateway } of gateways) {
    const username = `${site}.${gateway}`;
    await add(username, (passwordHash) => ({ role: 'gateway', username, passwordHash, site, gateway }));
  }
  const broker = await startBroker({ ...brokerOptions, port: 0, accounts: new AccountStore(accounts), logger });
  return {
    broker, url: broker.url, port: broker.port, ingest, api,
    gateway: (site, gateway) => {
      const login = logins.get(`${site}.${gateway}`);
      if (!login) throw new Error(`no account for gateway ${site}/${gateway}`);
      return login;
    },
    close: () => broker.close(),
  };
}

export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export interface Recorder {
  client: MqttClient;
  messages: ReceivedMessage[];
  close(): Promise<void>;
}

/** Connects, subscribes to `filters` with QoS 1 and records every message. */
export async function recordMessages(url: string, login: Login, clientId: string, filters: string[]): Promise<Recorder> {
  const client = await connectAsync(url, { ...login, clientId, protocolVersion: 4, reconnectPeriod: 200, clean: true });
  const messages: ReceivedMessage[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  const granted = await client.subscribeAsync(filters, { qos: 1 });
  const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
  if (refused.length > 0) throw new Error(`subscription refused: ${refused.join(', ')}`);
  return { client, messages, close: async () => { await client.endAsync(true); } };
}
