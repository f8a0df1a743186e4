// A gateway whose disk fills during an uplink outage, every part a separate process started
// from the CLI (`shaobing broker`, `shaobing ingest` on SQLite, `shaobing sim modbus`,
// `shaobing gateway`), the gateway's data directory on a small tmpfs that another file fills to
// the last byte. The gateway must keep polling and keep the newest readings, dropping the
// oldest with a count and refusing none; when the file is deleted and the uplink returns, every
// reading it kept reaches the store, and what is missing is exactly what it counted as dropped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../broker/index.js';
import { OUTBOX_RESERVE_FILE } from '../gateway/index.js';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { readOutboxFile } from './harness/outbox-file.js';
import { runCli, type CliProcess } from './harness/processes.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './harness/small-disk.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';
import { describeUnless } from './harness/tools.js';

const SITE = 'jiejinkou';
const GATEWAY = 'gw-07';
const DEVICES = 20;
const POLL_MS = 100;
const RESERVE_BYTES = 256 * 1024;
/** Readings to take on the full disk: well past what its file and the reserve can hold. */
const TAKEN_WHILE_FULL = 4000;

const running: CliProcess[] = [];
let dir: string;
let disk: SmallDisk | undefined;
let uplink: TcpProxy | undefined;
let gateway: CliProcess;
let ingest: CliProcess;

const gatewayDir = () => path.join(disk!.dir, 'gateway');
const outboxState = () => readOutboxFile(gatewayDir());

function start(args: string[], env: Record<string, string>): CliProcess {
  const cli = runCli(args, env);
  running.push(cli);
  return cli;
}

function storedSeqs(): Set<number> {
  const db = new Database(path.join(dir, 'store.db'), { readonly: true, fileMustExist: true });
  try {
    return new Set((db.prepare('SELECT seq FROM samples').all() as Array<{ seq: number }>).map((r) => r.seq));
  } finally {
    db.close();
  }
}

describeUnless(smallDiskUnavailable(), 'gateway disk full (tmpfs, every part a process)', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-disk-full-'));
    disk = mountSmallDisk(4 * 1024 * 1024);
    const brokerPort = await freePort();
    const simPort = await freePort();
    uplink = await startTcpProxy({ target: { port: brokerPort } });
    const passwords = { ingest: 'ingest-password-disk', gw: 'gateway-password-disk' };
    fs.writeFileSync(path.join(dir, 'accounts.yaml'), stringify({
      services: [{ username: 'ingest', role: 'ingest', passwordHash: await hashPassword(passwords.ingest) }],
      gateways: [{ username: `${SITE}.${GATEWAY}`, site: SITE, gateway: GATEWAY, passwordHash: await hashPassword(passwords.gw) }],
    }));
    fs.writeFileSync(path.join(dir, 'gw.yaml'), stringify({
      site: SITE, gateway: GATEWAY,
      mqtt: { url: `mqtt://127.0.0.1:${uplink.port}`, username: `${SITE}.${GATEWAY}`, password: passwords.gw, reconnectPeriodMs: 200 },
      dataDir: gatewayDir(),
      outbox: { diskReserveBytes: RESERVE_BYTES },
      devices: Array.from({ length: DEVICES }, (_, i) => ({
        id: `th-${i + 1}`, profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: simPort }, unit: i + 1, pollIntervalMs: POLL_MS, timeoutMs: 500,
      })),
    }));
    const env = {
      SB_DATA_DIR: dir, SB_BROKER_PORT: String(brokerPort), SB_BROKER_ACCOUNTS: path.join(dir, 'accounts.yaml'),
      SB_MQTT_URL: `mqtt://127.0.0.1:${brokerPort}`, SB_STORE: 'sqlite', SB_SQLITE_PATH: path.join(dir, 'store.db'),
    };
    const broker = start(['broker'], env);
    await waitFor(() => broker.output().includes('broker listening'), { timeoutMs: 45_000, what: `the broker to listen (${broker.output().slice(-1500)})` });
    ingest = start(['ingest'], { ...env, SB_MQTT_USERNAME: 'ingest', SB_MQTT_PASSWORD: passwords.ingest });
    await waitFor(() => ingest.output().includes('ingest running'), { timeoutMs: 60_000, what: `ingest to run (${ingest.output().slice(-1500)})` });
    start(['sim', 'modbus', '--port', String(simPort), ...Array.from({ length: DEVICES }, (_, i) => ['--device', `th-transmitter:${i + 1}`]).flat()], env);
    gateway = start(['gateway', '--config', path.join(dir, 'gw.yaml')], env);
    await waitFor(() => fs.existsSync(path.join(dir, 'store.db')) && storedSeqs().size >= 5 * DEVICES, { timeoutMs: 60_000, what: `readings in the store (gateway exit ${String(gateway.child.exitCode)}: ${gateway.output().slice(-1500)}; ingest: ${ingest.output().slice(-1500)})` });
  }, 180_000);

  afterAll(async () => {
    for (const cli of running.reverse()) await cli.stop('SIGKILL');
    await uplink?.close();
    disk?.unmount();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it(`gateway disk full during an uplink outage (${DEVICES} devices × ${1000 / POLL_MS} Hz): drops the oldest with a count, refuses none, recovers`, async () => {
    expect(fs.statSync(path.join(gatewayDir(), OUTBOX_RESERVE_FILE)).size).toBe(RESERVE_BYTES);
    uplink!.cut('reset');
    await waitFor(() => outboxState().rows >= 200, { timeoutMs: 30_000, what: 'a backlog in the outbox while the uplink is cut' });

    disk!.fill();
    const atFill = outboxState();
    await waitFor(() => outboxState().lastSeq >= atFill.lastSeq + TAKEN_WHILE_FULL, { timeoutMs: 90_000, intervalMs: 200, what: `${TAKEN_WHILE_FULL} readings taken on the full disk (gateway: ${gateway.output().slice(-1500)})` });
    const full = outboxState();
    process.stdout.write(`disk full figures: ${JSON.stringify({ atFill, full, freeBytes: disk!.freeBytes() })}\n`);
    expect(gateway.child.exitCode).toBeNull();
    expect(full.droppedDiskFull).toBeGreaterThan(0);
    expect(full.refused).toBe(0);
    expect(gateway.output()).toMatch(/released its reserve/);

    // Space comes back and so does the uplink: the reserve is taken again and every reading held
    // reaches the store.
    fs.rmSync(path.join(disk!.dir, 'filler.bin'));
    uplink!.restore();
    await waitFor(() => fs.existsSync(path.join(gatewayDir(), OUTBOX_RESERVE_FILE)) && fs.statSync(path.join(gatewayDir(), OUTBOX_RESERVE_FILE)).size === RESERVE_BYTES,
      { timeoutMs: 60_000, what: `the outbox reserve taken back (gateway: ${gateway.output().slice(-1500)})` });
    const taken = outboxState().lastSeq;
    await waitFor(() => {
      const stored = storedSeqs();
      return stored.has(taken) && outboxState().rows === 0;
    }, { timeoutMs: 60_000, intervalMs: 200, what: `reading ${taken} stored and the outbox empty (ingest: ${ingest.output().slice(-1500)})` });

    const stored = storedSeqs();
    const after = outboxState();
    const missing: number[] = [];
    for (let seq = 1; seq <= taken; seq++) if (!stored.has(seq)) missing.push(seq);
    process.stdout.write(`disk full recovery: ${JSON.stringify({ taken, stored: stored.size, missing: missing.length, droppedDiskFull: after.droppedDiskFull, refused: after.refused })}\n`);
    // Nothing is missing that was not counted. A counted row may still have been stored: one in
    // flight when the uplink was cut (the broker had it, its PUBACK was lost) goes back in line
    // and can be dropped later; at most the in-flight window (64 single-sample messages here).
    expect(missing.length).toBeLessThanOrEqual(after.droppedDiskFull);
    expect(missing.length).toBeGreaterThanOrEqual(after.droppedDiskFull - 64);
    expect(after.refused).toBe(0);
    // The oldest went first: the missing readings are one unbroken run, taken before the disk was
    // freed; everything after them is there.
    expect(Math.max(...missing) - Math.min(...missing) + 1).toBe(missing.length);
    expect(Math.max(...missing)).toBeLessThan(full.lastSeq);
    expect(gateway.output()).toMatch(/disk space back: outbox reserve restored/);
  }, 240_000);
});
