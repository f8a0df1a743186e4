// `npm run bench:ingest`: readings per second from MQTT to the store, end to end
// (QoS 1, zero loss), on SQLite and on a throwaway InfluxDB 1.x, for single-sample
// and batched messages; plus the two ceilings they are judged against (the broker's
// QoS 1 rate, InfluxDB's /write rate). Prints progress and rewrites the ingest
// section of docs/BENCHMARKS.md.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInfluxd, type InfluxdServer } from '../../test/harness/influxd.js';
import { requireTool } from '../../test/harness/tools.js';
import { makeBenchAccounts } from './bench-accounts.js';
import { batchedRunMs, MEASUREMENT_IDS, parseBenchOptions, USAGE, type BenchOptions, type MeasurementId } from './bench-options.js';
import { writeBenchmarksSection } from './benchmarks-doc.js';
import { say } from './console-output.js';
import { measureInfluxCeiling } from './influx-ceiling.js';
import { waitForQuietMachine } from './quiet-machine.js';
import { describeMachine, packageVersions } from './machine.js';
import { lossOf, type StoreKind, type WorkloadKind } from './measurements.js';
import { runMqttScenario, type ScenarioSettings, type Workload } from './mqtt-scenario.js';
import { renderIngestSection, summaryLines, type BenchResults } from './report.js';
import { dropInfluxDatabase } from './store-counts.js';
import { benchGateways, FIELDS_PER_SAMPLE, type SampleClock } from './synthetic-telemetry.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BENCHMARKS_DOC = path.join(REPO_ROOT, 'docs', 'BENCHMARKS.md');
const MEASURED_PACKAGES = ['aedes', 'mqtt', 'better-sqlite3', '@influxdata/influxdb-client'];
const DAY_MS = 86_400_000;

/** Samples one second apart, starting in the past so no sample is ever "in the future" for ingest. */
function sampleClock(daysAgo: number): SampleClock {
  return { firstTs: Math.floor((Date.now() - daysAgo * DAY_MS) / 1000) * 1000, intervalMs: 1000 };
}

function workloads(options: BenchOptions): Record<WorkloadKind, Workload> {
  return {
    single: { samplesPerMessage: 1, window: options.singleWindow },
    batched: { samplesPerMessage: options.samplesPerBatch, window: options.batchedWindow },
  };
}

function workloadTitle(options: BenchOptions, workload: WorkloadKind): string {
  return workload === 'single'
    ? `single-sample messages (1 × ${FIELDS_PER_SAMPLE} fields), window ${options.singleWindow}`
    : `batched messages (${options.samplesPerBatch} × ${FIELDS_PER_SAMPLE} fields), window ${options.batchedWindow}`;
}

async function runBench(options: BenchOptions, influxd: InfluxdServer, tempDir: string, results: BenchResults): Promise<void> {
  const gateways = benchGateways(options.gateways);
  const accounts = await makeBenchAccounts(gateways);
  const settings: ScenarioSettings = {
    accounts, devicesPerGateway: options.devicesPerGateway, clock: sampleClock(2),
    warmupMs: options.warmupMs, runMs: options.runMs, runs: options.runs,
    catchUpTimeoutMs: Math.max(60_000, 10 * options.runMs), pids: {},
  };
  const work = workloads(options);
  const wanted = (id: MeasurementId): boolean => options.only === undefined || options.only.has(id);
  const steps = options.only?.size ?? MEASUREMENT_IDS.length;
  let step = 0;
  const title = async (text: string): Promise<void> => {
    say(`\n[${++step}/${steps}] ${text}`);
    await waitForQuietMachine(options.maxQuietWaitMs, { influxd: influxd.pid });
  };

  if (wanted('broker-ceiling')) {
    await title(`Broker ceiling: ${options.gateways} publishers → Aedes → one QoS 1 subscriber that acks at once (no store)`);
    results.brokerCeiling = await runMqttScenario({ consumer: { mode: 'plain' }, workload: work.single }, settings);
  }

  const ingest = async (store: StoreKind, workload: WorkloadKind): Promise<void> => {
    if (!wanted(`${store}-${workload}`)) return;
    await title(`Ingest → ${store === 'sqlite' ? 'SQLite' : 'InfluxDB'}, ${workloadTitle(options, workload)}`);
    const database = `bench_${workload}`;
    const storeConfig = store === 'sqlite'
      ? { kind: 'sqlite' as const, path: path.join(tempDir, `store-${workload}.db`) }
      : { kind: 'influx' as const, url: influxd.url, database };
    const outcome = await runMqttScenario({
      consumer: { mode: 'ingest', store: storeConfig, deadLetterPath: path.join(tempDir, `dead-letters-${store}-${workload}.db`) },
      workload: work[workload],
    }, {
      ...settings,
      ...(workload === 'batched' ? { runMs: batchedRunMs(options), warmupMs: Math.max(500, options.warmupMs / 2) } : {}),
      pids: store === 'influx' ? { influxd: influxd.pid } : {},
    });
    results.ingest.push({ store, workload, ...outcome });
    // Its background compactions would otherwise share the CPU with the next measurement.
    if (store === 'influx') await dropInfluxDatabase(influxd.url, database).catch(() => undefined);
  };

  await ingest('sqlite', 'single');
  await ingest('sqlite', 'batched');

  if (wanted('influx-ceiling')) {
    await title(`InfluxDB ceiling: ${options.linesPerRequest}-line requests straight to /write, ${options.writeConcurrency} in flight`);
    results.influxCeiling = await measureInfluxCeiling({
      influxUrl: influxd.url, database: 'bench_ceiling', linesPerBody: options.linesPerRequest, concurrency: options.writeConcurrency,
      gateways, devicesPerGateway: options.devicesPerGateway, clock: sampleClock(4), warmupBodies: 10,
      runMs: options.runMs, runs: options.runs, influxdPid: influxd.pid,
    });
  }

  await ingest('influx', 'single');
  await ingest('influx', 'batched');
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    say(USAGE);
    return 0;
  }

  const started = Date.now();
  const machine = await describeMachine(requireTool('influxd'));
  say(`Shaobing ingest benchmark — ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB, Node ${machine.node}, ${machine.influxdb}`);
  if (machine.loadAverage > machine.cores * 0.25) say(`note: load average ${machine.loadAverage.toFixed(2)} before starting: other work on this machine will lower the figures`);

  const influxd = await startInfluxd();
  say(`influxd pid ${influxd.pid} on ${influxd.url}, data in ${influxd.dir}`);
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-bench-ingest-'));
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    say(`\n${signal}: stopping influxd (pid ${influxd.pid}) and removing temp files`);
    void influxd.cleanup().finally(() => fs.rm(tempDir, { recursive: true, force: true })).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const results: BenchResults = {
    machine, packages: await packageVersions(REPO_ROOT, MEASURED_PACKAGES), date: new Date(started), command: ['npm run bench:ingest', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    options, ingest: [], durationMs: 0,
  };
  try {
    await runBench(options, influxd, tempDir, results);
  } finally {
    const pid = influxd.pid;
    await influxd.cleanup();
    await fs.rm(tempDir, { recursive: true, force: true });
    say(`\ninfluxd (pid ${pid}) stopped, temp files removed`);
  }
  results.durationMs = Date.now() - started;

  say('');
  for (const line of summaryLines(results)) say(line);
  if (options.writeDoc) {
    await writeBenchmarksSection(BENCHMARKS_DOC, renderIngestSection(results));
    say(`\nwrote the "Ingest (bench/ingest)" section of ${path.relative(process.cwd(), BENCHMARKS_DOC)}`);
  }
  say(`total time ${(results.durationMs / 1000).toFixed(0)} s`);
  const outcomes = [results.brokerCeiling, results.influxCeiling, ...results.ingest].filter((o) => o !== undefined);
  const lost = outcomes.some((o) => lossOf(o.delivery).units > 0 || (lossOf(o.delivery).values ?? 0) > 0);
  if (lost) say('LOSS: readings the broker acknowledged are missing from the store (see the loss column)');
  return lost || outcomes.some((o) => o.error) ? 1 : 0;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`bench:ingest failed: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
