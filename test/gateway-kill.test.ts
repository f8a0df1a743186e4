// Store-and-forward for real: the gateway runs as its own process (`shaobing gateway
// --config`), its uplink goes through a TCP proxy, and the test cuts the link, kills the
// gateway with SIGKILL while the link is down, starts it again, and restores the link. Every
// reading taken must reach the store exactly once: sequence numbers 1..last with no gap and no
// repeat, one sample per timestamp, each value what the simulator served at that time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RunningSystem } from '../cli/system.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import { waitFor } from '../lib/wait.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { readOutboxFile } from './harness/outbox-file.js';
import { runCli, type CliProcess } from './harness/processes.js';
import { startTestSystem } from './harness/system.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';

const SITE = 'tongjiang-port';
const GATEWAY = 'gw-01';
const POLL_MS = 100;

let system: RunningSystem & { dataDir: string };
let sim: ModbusSimulator;
let proxy: TcpProxy;
let dir: string;
let configFile: string;
const processes: CliProcess[] = [];

const outboxState = () => readOutboxFile(path.join(dir, 'gateway'));

/** Every stored sample of this gateway: seq and ts from the store's samples table. */
function storedSamples(): Array<{ seq: number; ts: number }> {
  return (system.store as SqliteStore).database
    .prepare('SELECT s.seq AS seq, s.ts AS ts FROM samples s JOIN series r ON r.id = s.series_id WHERE r.site = ? AND r.gateway = ? ORDER BY s.seq')
    .all(SITE, GATEWAY) as Array<{ seq: number; ts: number }>;
}

function startGatewayProcess(): CliProcess {
  const gateway = runCli(['gateway', '--config', configFile]);
  processes.push(gateway);
  return gateway;
}

const outputOf = (gateway: CliProcess) => gateway.output().slice(-3000);

beforeAll(async () => {
  system = await startTestSystem((d) => ({ kind: 'sqlite', path: path.join(d, 'shaobing.db') }), []);
  const login = await system.addGatewayAccount(SITE, GATEWAY);
  const profiles = await loadProfileLibrary(defaultProfilesDir());
  sim = await startModbusSimulator({ profile: profiles.get('th-transmitter')!, seed: 44 });
  proxy = await startTcpProxy({ target: { port: system.broker.port } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-gw-kill-'));
  configFile = path.join(dir, 'gw.yaml');
  fs.writeFileSync(configFile, stringify({
    site: SITE, gateway: GATEWAY,
    mqtt: { url: `mqtt://127.0.0.1:${proxy.port}`, ...login, reconnectPeriodMs: 200 },
    dataDir: path.join(dir, 'gateway'),
    statusIntervalMs: 1000,
    devices: [{ id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unit: 1, pollIntervalMs: POLL_MS, timeoutMs: 500 }],
  }));
});

afterAll(async () => {
  for (const gateway of processes) await gateway.stop('SIGKILL');
  await proxy?.close();
  await sim?.close();
  await system?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('gateway killed with SIGKILL while its uplink is down', () => {
  it('delivers every reading taken exactly once after restart and reconnection', async () => {
    const first = startGatewayProcess();
    await waitFor(() => storedSamples().length >= 5, { timeoutMs: 30_000, what: `readings in the store (gateway output: ${outputOf(first)})` });

    proxy.cut();
    const cutAt = Date.now();
    const atCut = outboxState();
    await waitFor(() => outboxState().lastSeq >= atCut.lastSeq + 20, { what: '20 readings taken while the link is down' });
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const atKill = outboxState();
    expect(atKill.rows).toBeGreaterThanOrEqual(20);
    expect(storedSamples().length).toBeLessThan(atKill.lastSeq);

    const second = startGatewayProcess();
    await waitFor(() => outboxState().lastSeq >= atKill.lastSeq + 20, { timeoutMs: 20_000, what: `20 readings after the restart, link still down (output: ${outputOf(second)})` });
    const restoredAt = Date.now();
    proxy.restore();
    await waitFor(() => outboxState().rows === 0, { timeoutMs: 20_000, what: `the backlog delivered (output: ${outputOf(second)})` });

    expect(await second.stop('SIGTERM')).toBe(0);
    const final = outboxState();
    expect(final.dropped).toBe(0);
    const taken = final.lastSeq;
    await waitFor(() => storedSamples().length === taken - final.rows, { timeoutMs: 20_000, what: `all ${taken} readings in the store` });

    const stored = storedSamples();
    expect(final.rows).toBe(0);
    expect(stored.map((s) => s.seq)).toEqual(Array.from({ length: taken }, (_, i) => i + 1));
    expect(new Set(stored.map((s) => s.ts)).size).toBe(taken);
    // Readings from both lives of the gateway fell inside the outage.
    expect(stored.filter((s) => s.ts > cutAt && s.seq <= atKill.lastSeq).length).toBeGreaterThanOrEqual(20);
    expect(stored.filter((s) => s.seq > atKill.lastSeq && s.ts < restoredAt).length).toBeGreaterThanOrEqual(20);

    // Each value is what the simulator served at the sample's time (or a few ms later, when
    // the request reached it: its values step once a second).
    const history = await system.store.history({ site: SITE, from: 0, to: Date.now() + 60_000 });
    let compared = 0;
    for (const series of history) {
      for (const [ts, value] of series.points) {
        expect([sim.valueAt(series.field, ts), sim.valueAt(series.field, ts + 100)]).toContain(value);
        compared++;
      }
    }
    expect(compared).toBe(taken * 2); // temperature and humidity of every reading
    expect(system.deadLetters.count()).toBe(0);
  });
});
