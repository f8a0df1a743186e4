// Fault injection under a steady load, every part a separate process started from the CLI as
// an installation runs them: `shaobing broker`, `shaobing ingest` (InfluxDB store, a real
// influxd 1.6), `shaobing sim modbus` (5 devices on one bus) and `shaobing gateway` polling
// them at 10 Hz each (50 readings/s). The gateway reaches the broker through a TCP proxy (the
// uplink) and ingest reaches influxd through another (the database link). One after another:
// kill -9 of ingest, of the broker, of the gateway and of influxd, InfluxDB unreachable, and the
// uplink cut. After each recovery every reading the gateway took (its sequence numbers 1..last,
// from its outbox file) must be in InfluxDB exactly once: no sequence number missing, none under
// two timestamps. Figures of each fault are printed and written to SB_FAULTS_REPORT (JSON) when
// set; docs/RELIABILITY.md holds them. `npm run faults:long` runs the long outages (InfluxDB
// unreachable 60 s, uplink cut 10 min); CI runs 15 s and 20 s.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../broker/index.js';
import { freePort } from '../lib/net.js';
import { delay, waitFor } from '../lib/wait.js';
import { startInfluxd, type InfluxdServer } from './harness/influxd.js';
import { runCli, type CliProcess } from './harness/processes.js';
import { readOutboxFile } from './harness/outbox-file.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';

const LONG = process.env.SB_FAULTS_LONG === '1';
const INFLUX_OUTAGE_MS = Number(process.env.SB_FAULTS_INFLUX_OUTAGE_MS ?? (LONG ? 60_000 : 15_000));
const UPLINK_CUT_MS = Number(process.env.SB_FAULTS_UPLINK_CUT_MS ?? (LONG ? 600_000 : 20_000));
const SITE = 'tongjiang-east';
const GATEWAY = 'gw-01';
const DEVICES = 5;
const POLL_MS = 100;
const DATABASE = 'shaobing_faults';

export interface FaultFigures {
  fault: string;
  /** How long the fault lasted (kill → restarted, or cut → restored), ms. */
  outageMs: number;
  /** Readings the gateway took during the fault (its sequence numbers). */
  takenDuringFault: number;
  /** All readings taken since the start of the run, when this fault's check ran. */
  takenTotal: number;
  storedTotal: number;
  lost: number;
  /** Sequence numbers stored under more than one timestamp (a duplicate a reader would see). */
  visibleDuplicates: number;
  /** Samples the broker delivered more than once during this phase (absorbed by the idempotent write). */
  redelivered: number;
  /** From the end of the fault until every reading taken so far was in the store, ms. */
  recoveryMs: number;
  /** Most rows in the gateway's outbox during this phase. */
  outboxPeak: number;
  outboxDropped: number;
}

const figures: FaultFigures[] = [];
const running: CliProcess[] = [];
let dir: string;
let env: Record<string, string>;
let influxd: InfluxdServer;
let influxLink: TcpProxy;
let uplink: TcpProxy;
let brokerPort: number;
let broker: CliProcess;
let ingest: CliProcess;
let gateway: CliProcess;
let observer: mqtt.MqttClient;
const passwords = { ingest: 'ingest-password-faults', observer: 'observer-password-faults', gw: 'gateway-password-faults' };

/** Deliveries seen by a second subscriber, per sequence number (counts redeliveries). */
const deliveries = new Map<number, number>();
let outboxPeak = 0;
let sampler: NodeJS.Timeout | undefined;

function start(args: string[], extraEnv: Record<string, string> = {}): CliProcess {
  const cli = runCli(args, { ...env, ...extraEnv });
  running.push(cli);
  return cli;
}

async function startBroker(): Promise<CliProcess> {
  const cli = start(['broker']);
  await waitFor(() => cli.output().includes('broker listening'), { timeoutMs: 45_000, what: `the broker to listen (output: ${cli.output().slice(-2000)})` });
  return cli;
}

async function startIngest(): Promise<CliProcess> {
  const cli = start(['ingest'], { SB_MQTT_USERNAME: 'ingest', SB_MQTT_PASSWORD: passwords.ingest });
  await waitFor(() => cli.output().includes('ingest running'), { timeoutMs: 60_000, what: `ingest to run (output: ${cli.output().slice(-2000)})` });
  return cli;
}

function startGateway(): CliProcess {
  return start(['gateway', '--config', path.join(dir, 'gw.yaml')]);
}

const outboxState = () => readOutboxFile(path.join(dir, 'gateway'));

/** Every stored reading of the gateway: (device, ts, seq), straight from influxd (not through the proxy). */
async function storedReadings(): Promise<Array<{ device: string; ts: number; seq: number }>> {
  const q = `SELECT "sb_seq" FROM "weather" WHERE "site" = '${SITE}' AND "gateway" = '${GATEWAY}' GROUP BY "device"`;
  const response = await fetch(`${influxd.url}/query?db=${DATABASE}&epoch=ms&q=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`influxd query: HTTP ${response.status}`);
  const body = (await response.json()) as { results: Array<{ error?: string; series?: Array<{ tags: { device: string }; values: Array<[number, number]> }> }> };
  const [result] = body.results;
  if (result?.error) {
    if (/database not found/.test(result.error)) return [];
    throw new Error(result.error);
  }
  return (result?.series ?? []).flatMap((s) => s.values.map(([ts, seq]) => ({ device: s.tags.device, ts, seq })));
}

interface Coverage { stored: number; missing: number; visibleDuplicates: number }

/** How the store covers sequence numbers 1..taken. */
async function coverage(taken: number): Promise<Coverage> {
  const stored = (await storedReadings()).filter((r) => r.seq <= taken);
  const perSeq = new Map<number, number>();
  for (const r of stored) perSeq.set(r.seq, (perSeq.get(r.seq) ?? 0) + 1);
  let missing = 0;
  for (let seq = 1; seq <= taken; seq++) if (!perSeq.has(seq)) missing++;
  const visibleDuplicates = [...perSeq.values()].filter((n) => n > 1).length;
  return { stored: stored.length, missing, visibleDuplicates };
}

function redeliveredCount(): number {
  let n = 0;
  for (const count of deliveries.values()) n += count - 1;
  return n;
}

/** Waits until readings are being taken and stored again after `seqBefore`. */
async function readingsFlowPast(seqBefore: number, what: string): Promise<void> {
  await waitFor(() => outboxState().lastSeq >= seqBefore + 2 * DEVICES, { timeoutMs: 45_000, what: `${what}: readings taken (gateway output: ${gateway.output().slice(-1500)})` });
}

/**
 * Runs one fault: `inject` returns when the fault is over (process restarted, link restored);
 * then waits until every reading taken so far is stored and records the figures.
 */
async function runFault(fault: string, inject: () => Promise<void>, { settleMs = 60_000 } = {}): Promise<FaultFigures> {
  await readingsFlowPast(outboxState().lastSeq, `before ${fault}`);
  deliveries.clear();
  outboxPeak = outboxState().rows;
  const before = outboxState();
  const faultStart = Date.now();
  await inject();
  const faultEnd = Date.now();
  const afterFault = outboxState();
  // Readings taken after the recovery are part of the check too: the load never stops.
  await readingsFlowPast(afterFault.lastSeq, `after ${fault}`);
  const taken = outboxState().lastSeq;
  await waitFor(async () => (await coverage(taken)).missing === 0, { timeoutMs: settleMs, intervalMs: 100, what: `every reading from 1 to ${taken} stored after ${fault}` })
    .catch((err: Error) => { throw new Error(`${err.message}; ingest: ${ingest.output().slice(-1500)}; gateway: ${gateway.output().slice(-1500)}`); });
  const recoveredAt = Date.now();
  const cover = await coverage(taken);
  const state = outboxState();
  const result: FaultFigures = {
    fault,
    outageMs: faultEnd - faultStart,
    takenDuringFault: afterFault.lastSeq - before.lastSeq,
    takenTotal: taken,
    storedTotal: cover.stored,
    lost: cover.missing,
    visibleDuplicates: cover.visibleDuplicates,
    redelivered: redeliveredCount(),
    recoveryMs: recoveredAt - faultEnd,
    outboxPeak,
    outboxDropped: state.dropped,
  };
  figures.push(result);
  process.stdout.write(`fault figures: ${JSON.stringify(result)}\n`);
  expect(cover.visibleDuplicates).toBe(0);
  expect(state.dropped).toBe(0);
  expect(cover.missing).toBe(0);
  return result;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-faults-'));
  influxd = await startInfluxd();
  influxLink = await startTcpProxy({ target: { port: influxd.port } });
  brokerPort = await freePort();
  uplink = await startTcpProxy({ target: { port: brokerPort } });
  const simPort = await freePort();
  fs.writeFileSync(path.join(dir, 'accounts.yaml'), stringify({
    services: [
      { username: 'ingest', role: 'ingest', passwordHash: await hashPassword(passwords.ingest) },
      { username: 'observer', role: 'ingest', passwordHash: await hashPassword(passwords.observer) },
    ],
    gateways: [{ username: `${SITE}.${GATEWAY}`, site: SITE, gateway: GATEWAY, passwordHash: await hashPassword(passwords.gw) }],
  }));
  fs.writeFileSync(path.join(dir, 'gw.yaml'), stringify({
    site: SITE, gateway: GATEWAY,
    mqtt: { url: `mqtt://127.0.0.1:${uplink.port}`, username: `${SITE}.${GATEWAY}`, password: passwords.gw, reconnectPeriodMs: 200 },
    dataDir: path.join(dir, 'gateway'),
    statusIntervalMs: 1000,
    devices: Array.from({ length: DEVICES }, (_, i) => ({
      id: `th-${i + 1}`, profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: simPort }, unit: i + 1, pollIntervalMs: POLL_MS, timeoutMs: 500,
    })),
  }));
  env = {
    SB_DATA_DIR: dir, SB_BROKER_PORT: String(brokerPort), SB_BROKER_ACCOUNTS: path.join(dir, 'accounts.yaml'),
    SB_MQTT_URL: `mqtt://127.0.0.1:${brokerPort}`,
    SB_STORE: 'influx', SB_INFLUX_URL: `http://127.0.0.1:${influxLink.port}`, SB_INFLUX_DB: DATABASE,
  };
  broker = await startBroker();
  ingest = await startIngest();
  start(['sim', 'modbus', '--port', String(simPort), ...Array.from({ length: DEVICES }, (_, i) => ['--device', `th-transmitter:${i + 1}`]).flat()]);
  observer = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { username: 'observer', password: passwords.observer, clientId: 'fault-observer', reconnectPeriod: 200, clean: true });
  observer.on('connect', () => { observer.subscribe('sb/v1/gw/+/+/telemetry/+', { qos: 0 }); });
  observer.on('message', (_topic, payload) => {
    try {
      const message = JSON.parse(payload.toString()) as { samples: Array<{ seq: number }> };
      for (const s of message.samples) deliveries.set(s.seq, (deliveries.get(s.seq) ?? 0) + 1);
    } catch {
      // not ours to judge
    }
  });
  observer.on('error', () => undefined);
  gateway = startGateway();
  await waitFor(async () => (await storedReadings()).length >= 5 * DEVICES, { timeoutMs: 60_000, what: `readings in InfluxDB (gateway: ${gateway.output().slice(-1500)}; ingest: ${ingest.output().slice(-1500)})` });
  sampler = setInterval(() => {
    try {
      outboxPeak = Math.max(outboxPeak, outboxState().rows);
    } catch {
      // the file is being created
    }
  }, 100);
}, 180_000);

afterAll(async () => {
  clearInterval(sampler);
  await observer?.endAsync(true);
  for (const cli of running.reverse()) await cli.stop('SIGKILL');
  await uplink?.close();
  await influxLink?.close();
  await influxd?.cleanup();
  if (process.env.SB_FAULTS_REPORT) fs.writeFileSync(process.env.SB_FAULTS_REPORT, `${JSON.stringify({ influxOutageMs: INFLUX_OUTAGE_MS, uplinkCutMs: UPLINK_CUT_MS, devices: DEVICES, pollMs: POLL_MS, figures }, null, 2)}\n`);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe(`faults under a steady load (${DEVICES} devices × ${1000 / POLL_MS} Hz, every part a separate process)`, () => {
  it('kill -9 of ingest: the broker keeps its persistent session; nothing lost', async () => {
    await runFault('kill -9 ingest', async () => {
      expect(await ingest.stop('SIGKILL')).toBe('SIGKILL');
      await readingsFlowPast(outboxState().lastSeq, 'ingest down');
      ingest = await startIngest();
    });
  }, 180_000);

  it('kill -9 of the broker, restarted on the same port: gateway outbox and ingest recover, nothing lost', async () => {
    await runFault('kill -9 broker', async () => {
      expect(await broker.stop('SIGKILL')).toBe('SIGKILL');
      await waitFor(() => outboxState().rows >= 2 * DEVICES, { timeoutMs: 30_000, what: 'readings held in the outbox while the broker is down' });
      // The restarted broker holds ingest's session from its start (broker/durable-sessions.ts):
      // the gateway's backlog, usually sent before ingest is back, is queued for ingest.
      broker = await startBroker();
    });
  }, 180_000);

  it('kill -9 of the gateway, restarted with the same data directory: outbox on disk', async () => {
    await runFault('kill -9 gateway', async () => {
      expect(await gateway.stop('SIGKILL')).toBe('SIGKILL');
      gateway = startGateway();
    });
  }, 180_000);

  it('kill -9 of influxd, restarted on the same directory and port: ingest retries', async () => {
    await runFault('kill -9 influxd', async () => {
      await influxd.kill();
      await readingsFlowPast(outboxState().lastSeq, 'influxd down');
      await influxd.restart();
    });
  }, 180_000);

  it(`InfluxDB unreachable for ${INFLUX_OUTAGE_MS / 1000} s under load`, async () => {
    await runFault(`InfluxDB unreachable ${INFLUX_OUTAGE_MS / 1000} s`, async () => {
      influxLink.cut('reset');
      await delay(INFLUX_OUTAGE_MS); // the fault's duration is the point of this test, not a wait for settling
      influxLink.restore();
    }, { settleMs: 120_000 });
  }, INFLUX_OUTAGE_MS + 180_000);

  it(`gateway uplink cut for ${UPLINK_CUT_MS / 1000} s`, async () => {
    await runFault(`uplink cut ${UPLINK_CUT_MS / 1000} s`, async () => {
      uplink.cut('reset');
      await delay(UPLINK_CUT_MS); // the fault's duration
      uplink.restore();
    }, { settleMs: 120_000 });
  }, UPLINK_CUT_MS + 180_000);
});
