// `shaobing broker` with `broker.registry` as a real process: it reads gateway accounts from the
// API's registry file (read-only, polled), so a gateway provisioned after the broker started
// connects without a restart, and a revoked one is disconnected within 5 s and refused after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryStore } from '../api/registry/registry-store.js';
import { SecretBox } from '../api/registry/secret-box.js';
import { hashPassword } from '../broker/index.js';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { runCli, type CliProcess } from './harness/processes.js';

describe('shaobing broker reading the registry', () => {
  let dir: string;
  let registry: RegistryStore;
  let broker: CliProcess;
  let url: string;
  const clients: MqttClient[] = [];

  const provision = async (gateway: string) => {
    const password = `pw-${gateway}-0123456789abcdef`;
    registry.createGateway({ site: 'raohe', gateway, passwordHash: await hashPassword(password) });
    return { username: `raohe.${gateway}`, password, clientId: `sb-gw-raohe-${gateway}` };
  };
  const connect = async (login: { username: string; password: string; clientId: string }) => {
    const client = await connectAsync(url, { ...login, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-broker-registry-'));
    fs.writeFileSync(path.join(dir, 'accounts.yaml'), 'services: []\n');
    registry = new RegistryStore(path.join(dir, 'registry.db'), SecretBox.fromKeyFile(path.join(dir, 'registry.key')));
    registry.createSite('raohe');
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    broker = runCli(['broker'], {
      SB_DATA_DIR: dir, SB_BROKER_PORT: String(port), SB_BROKER_ACCOUNTS: path.join(dir, 'accounts.yaml'), SB_BROKER_REGISTRY: registry.file,
    });
    await waitFor(() => broker.output().includes('broker listening'), { what: 'broker to listen', timeoutMs: 20_000 })
      .catch((err: Error) => { throw new Error(`${err.message}; broker output: ${broker.output()}`); });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await broker?.stop();
    registry?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('admits a gateway provisioned after the broker started, and drops it within 5 s of revocation', async () => {
    const login = await provision('gw-01');
    const client = await waitFor(() => connect(login), { timeoutMs: 5000, intervalMs: 200, what: 'the new gateway admitted' });
    await client.publishAsync('sb/v1/gw/raohe/gw-01/status', JSON.stringify({ v: 1, state: 'online', ts: Date.now() }), { qos: 1, retain: true });

    let closedAt: number | undefined;
    client.on('close', () => { closedAt ??= Date.now(); });
    const revokedAt = Date.now();
    registry.revokeGateway('raohe', 'gw-01');
    await waitFor(() => closedAt, { timeoutMs: 5000, intervalMs: 10, what: 'the revoked gateway disconnected' });
    expect(closedAt! - revokedAt).toBeLessThan(5000);
    process.stdout.write(`provisioning figures: ${JSON.stringify({ brokerProcessRevocationDisconnectMs: closedAt! - revokedAt })}\n`);
    await expect(connect(login)).rejects.toThrow(/Not authorized|Bad username or password/i);
  });
});
