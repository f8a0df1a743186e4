// One soak run: broker, ingest (on InfluxDB) and the publishers each in a child process
// of their own, a steady single-sample load at a target rate for a warm-up plus a
// measured period, memory and progress sampled every second, then a drain and a count
// of what InfluxDB holds. Used by `npm run soak` (run.ts) and by test/soak.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay } from '../../lib/wait.js';
import { readMemory } from '../gateway/proc-stats.js';
import { makeBenchAccounts } from '../ingest/bench-accounts.js';
import { cpuBetween, readCpuSnapshot, statPath, type CpuSnapshot } from '../ingest/cpu-usage.js';
import { formatCount } from '../ingest/formatting.js';
import { countInflux } from '../ingest/store-counts.js';
import { benchGateways } from '../ingest/synthetic-telemetry.js';
import { lastLiveHeap } from './analysis.js';
import type { BrokerProcessApi } from './broker-process.js';
import type { IngestProcessApi, IngestProgress } from './ingest-process.js';
import { emptyLatencies, latencyDifference, latencyQuantile, type LatencyCounts } from './latency-histogram.js';
import type { LoadProcessApi, LoadProgress } from './load-process.js';
import { ProcessHandle } from './process-rpc.js';
import type { NodePart, SoakRun, SoakSample, SoakShape } from './soak-types.js';

export interface SoakSettings extends SoakShape {
  progressEveryMs: number;
  influx: { url: string; pid: number | undefined };
  database: string;
  /** Holds ingest's dead-letter file. */
  tempDir: string;
  /** Longest wait, after publishing stops, for ingest to write what the broker acknowledged. */
  drainTimeoutMs: number;
  say(line: string): void;
}

const INGEST_CLIENT_ID = 'shaobing-ingest';
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The children run compiled. From dist/ they sit next to this file; from source (under
 * vitest) they are taken from dist/, which `npm run build` must have brought up to date.
 */
export function childScript(name: string): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), `${name}.js`);
  const compiled = path.resolve(path.dirname(here), '../../dist/bench/soak', `${name}.js`);
  const source = path.join(path.dirname(here), `${name}.ts`);
  if (!fs.existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build first`);
  if (fs.statSync(source).mtimeMs > fs.statSync(compiled).mtimeMs) throw new Error(`${compiled} is older than ${source}: run npm run build first`);
  return compiled;
}

interface Parts {
  broker: ProcessHandle<BrokerProcessApi>;
  ingest: ProcessHandle<IngestProcessApi>;
  publishers: ProcessHandle<LoadProcessApi>;
}

function statFiles(parts: Parts, influxdPid: number | undefined): Record<string, string> {
  const files: Record<string, string> = { runner: statPath(process.pid) };
  for (const [name, part] of Object.entries(parts) as Array<[NodePart, Parts[NodePart]]>) if (part.pid !== undefined) files[name] = statPath(part.pid);
  if (influxdPid !== undefined) files.influxd = statPath(influxdPid);
  return files;
}

async function takeSample(parts: Parts, influxdPid: number | undefined, atMs: number, collect: boolean): Promise<SoakSample> {
  // Progress first: a forced GC in a part would otherwise delay what it reports.
  const [load, ingestProgress] = await Promise.all([parts.publishers.call('progress'), parts.ingest.call('progress')]);
  const [broker, ingest, publishers] = await Promise.all([parts.broker.memory(collect), parts.ingest.memory(collect), parts.publishers.memory(collect)]);
  const influxd = influxdPid === undefined ? undefined : readMemory(influxdPid);
  const collected = broker.collected && ingest.collected && publishers.collected;
  return {
    atMs, memory: { broker, ingest, publishers }, influxdRss: influxd === undefined ? undefined : influxd.rss * 1024,
    ...(collected ? { liveHeap: { broker: broker.heapUsed, ingest: ingest.heapUsed, publishers: publishers.heapUsed } } : {}),
    due: load.due, published: load.published, acked: load.acked, written: ingestProgress.written, ingestPending: ingestProgress.pending,
  };
}

function progressLine(sample: SoakSample, settings: SoakSettings, previous: SoakSample | undefined, live: SoakSample['liveHeap']): string {
  const MiB = (bytes: number | undefined): string => (bytes === undefined ? '?' : `${(bytes / 2 ** 20).toFixed(0)}`);
  const phase = sample.atMs < settings.warmupMs ? 'warm-up' : `${((sample.atMs - settings.warmupMs) / 60_000).toFixed(1)} of ${(settings.durationMs / 60_000).toFixed(1)} min`;
  const rate = previous ? ((sample.acked - previous.acked) * 1000) / (sample.atMs - previous.atMs) : NaN;
  return `  [${phase}] ${formatCount(rate)} msgs/s acked (target ${formatCount(settings.msgsPerSec)}); behind schedule ${formatCount(sample.due - sample.published)}, ` +
    `acked, not yet written ${formatCount(sample.acked - sample.written)}; RSS MiB: broker ${MiB(sample.memory.broker.rss)}, ` +
    `ingest ${MiB(sample.memory.ingest.rss)}, influxd ${MiB(sample.influxdRss)}; live heap MiB: broker ${MiB(live?.broker)}, ingest ${MiB(live?.ingest)}`;
}

async function waitForDrain(ingest: Parts['ingest'], acked: number, timeoutMs: number): Promise<{ drained: boolean; progress: IngestProgress }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const progress = await ingest.call('progress');
    if (progress.written >= acked) return { drained: true, progress };
    if (performance.now() > deadline) return { drained: false, progress };
    await delay(100);
  }
}

export async function runSoak(settings: SoakSettings): Promise<SoakRun> {
  const { say } = settings;
  const accounts = await makeBenchAccounts(benchGateways(settings.gateways));
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0] ?? NaN;
  const parts: Parts = {
    broker: new ProcessHandle<BrokerProcessApi>(childScript('broker-process'), 'broker'),
    ingest: new ProcessHandle<IngestProcessApi>(childScript('ingest-process'), 'ingest'),
    publishers: new ProcessHandle<LoadProcessApi>(childScript('load-process'), 'publishers'),
  };
  const samples: SoakSample[] = [];
  let error: string | undefined;
  let finalLoad: LoadProgress = { due: 0, published: 0, acked: 0, failed: 0 };
  let finalIngest: IngestProgress = { written: 0, received: 0, rejected: 0, pending: 0, latencies: emptyLatencies() };
  let drainMs = NaN;
  let cpuStart: CpuSnapshot | undefined;
  let cpuEnd: CpuSnapshot | undefined;
  let latencyStart: LatencyCounts = emptyLatencies();
  let latencyEnd: LatencyCounts = emptyLatencies();

  try {
    const { url } = await parts.broker.call('start', accounts.accounts, INGEST_CLIENT_ID);
    await parts.ingest.call('start', {
      mqtt: { url, ...accounts.ingest, clientId: INGEST_CLIENT_ID },
      store: { kind: 'influx', url: settings.influx.url, database: settings.database },
      deadLetterPath: path.join(settings.tempDir, `dead-letters-${settings.database}.db`),
    });
    const { clients } = await parts.publishers.call('connect', { url, gateways: accounts.gateways, devicesPerGateway: settings.devicesPerGateway, window: settings.window });
    say(`  broker pid ${parts.broker.pid}, ingest pid ${parts.ingest.pid}, publishers pid ${parts.publishers.pid} (${clients} gateway clients), influxd pid ${settings.influx.pid}`);
    const files = statFiles(parts, settings.influx.pid);

    await parts.publishers.call('start', settings.msgsPerSec);
    const t0 = performance.now();
    const endAt = settings.warmupMs + settings.durationMs;
    let lastProgressAt = -Infinity;
    let lastReported: SoakSample | undefined;
    for (let next = settings.sampleEveryMs, count = 1; ; next += settings.sampleEveryMs, count++) {
      await delay(Math.max(0, t0 + Math.min(next, endAt) - performance.now()));
      const atMs = performance.now() - t0;
      if (cpuStart === undefined && atMs >= settings.warmupMs) {
        cpuStart = readCpuSnapshot(files, performance.now());
        latencyStart = [...(await parts.ingest.call('progress')).latencies];
      }
      const sample = await takeSample(parts, settings.influx.pid, atMs, count % settings.liveHeapEverySamples === 0 || atMs >= endAt);
      samples.push(sample);
      if (atMs - lastProgressAt >= settings.progressEveryMs) {
        say(progressLine(sample, settings, lastReported, lastLiveHeap(samples)));
        lastProgressAt = atMs;
        lastReported = sample;
      }
      if (atMs >= endAt) break;
    }
    cpuEnd = readCpuSnapshot(files, performance.now());
    latencyEnd = [...(await parts.ingest.call('progress')).latencies];

    const stopAt = performance.now();
    finalLoad = await parts.publishers.call('stop');
    const drain = await waitForDrain(parts.ingest, finalLoad.acked, settings.drainTimeoutMs);
    finalIngest = drain.progress;
    drainMs = performance.now() - stopAt;
    if (!drain.drained) error = `ingest wrote ${formatCount(drain.progress.written)} of ${formatCount(finalLoad.acked)} acknowledged readings within ${settings.drainTimeoutMs / 1000} s of the end`;
    else say(`  publishing stopped; ingest had written every acknowledged reading ${(drainMs / 1000).toFixed(1)} s later`);
    if (finalLoad.failed > 0) error ??= `${finalLoad.failed} publishes failed, first: ${finalLoad.firstError}`;
  } catch (err) {
    error = (err as Error).message;
    say(`  FAILED: ${error}`);
  } finally {
    for (const part of [parts.publishers, parts.ingest, parts.broker]) {
      // A clean close first (ingest acks its last batch, clients disconnect), but bounded: MQTT.js
      // never ends a client with QoS 1 messages pending on a dead connection. Then stop by PID.
      const closed = new AbortController();
      await Promise.race([part.call('close').catch(() => undefined).finally(() => closed.abort()), delay(CLOSE_TIMEOUT_MS, closed.signal)]);
      await part.stop();
    }
  }

  let stored = { readings: 0, values: 0 };
  try {
    stored = await countInflux(settings.influx.url, settings.database);
  } catch (err) {
    error ??= `counting InfluxDB: ${(err as Error).message}`;
  }

  const shares = cpuStart && cpuEnd ? cpuBetween(cpuStart, cpuEnd) : { machineBusy: NaN, cores: {} };
  const machineCores = os.availableParallelism();
  const ours = Object.values(shares.cores).reduce((sum, cores) => sum + cores, 0);
  const measuredLatencies = latencyDifference(latencyEnd, latencyStart);
  return {
    msgsPerSec: settings.msgsPerSec, durationMs: settings.durationMs, warmupMs: settings.warmupMs,
    gateways: settings.gateways, devicesPerGateway: settings.devicesPerGateway, window: settings.window,
    sampleEveryMs: settings.sampleEveryMs, liveHeapEverySamples: settings.liveHeapEverySamples,
    startedAt, loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? NaN }, samples,
    totals: {
      published: finalLoad.published, acked: finalLoad.acked, failed: finalLoad.failed,
      written: finalIngest.written, rejected: finalIngest.rejected, stored: stored.readings, storedValues: stored.values,
    },
    drainMs,
    latency: { p50: latencyQuantile(measuredLatencies, 0.5), p99: latencyQuantile(measuredLatencies, 0.99), p999: latencyQuantile(measuredLatencies, 0.999) },
    cpu: { ...shares, machineCores, otherCores: Math.max(0, shares.machineBusy * machineCores - ours) },
    ...(error ? { error } : {}),
  };
}
