// One end-to-end measurement over MQTT: publishers → broker → consumer (ingest with
// a store, or a plain QoS 1 subscriber), each on a thread of its own. Warm up, then
// a few timed runs; each run publishes for a fixed time and ends when the consumer
// has taken the last acknowledged message. Afterwards, count what arrived.
import type { StoreConfig } from '../../store/index.js';
import type { BenchAccounts } from './bench-accounts.js';
import type { BrokerThreadApi } from './broker-thread.js';
import { say } from './console-output.js';
import { formatCount, formatRun, formatSeconds } from './formatting.js';
import type { ConsumerSetup, ConsumerStats, ConsumerThreadApi } from './consumer-thread.js';
import type { LoadRun, LoadThreadApi } from './load-thread.js';
import { runMeasurement, wantsAnotherRun, type Delivery, type RunMeasurement, type ScenarioOutcome } from './measurements.js';
import { countInflux, countSqlite, type StoredCounts } from './store-counts.js';
import { FIELDS_PER_SAMPLE, type SampleClock } from './synthetic-telemetry.js';
import { ThreadHandle } from './thread-rpc.js';
import { takeUtilization, utilizationSince, type Watched } from './utilization.js';

export interface Workload {
  samplesPerMessage: number;
  /** PUBLISHes each client may have awaiting their PUBACK. */
  window: number;
}

export interface MqttScenario {
  consumer: { mode: 'plain' } | { mode: 'ingest'; store: StoreConfig; deadLetterPath: string };
  workload: Workload;
}

export interface ScenarioSettings {
  accounts: BenchAccounts;
  devicesPerGateway: number;
  clock: SampleClock;
  warmupMs: number;
  runMs: number;
  runs: number;
  /** Longest wait for the consumer to catch up after a run. */
  catchUpTimeoutMs: number;
  /** Processes to watch besides our threads (influxd). */
  pids: Record<string, number | undefined>;
}

function countStored(store: StoreConfig): Promise<StoredCounts> | StoredCounts {
  return store.kind === 'sqlite' ? countSqlite(store.path) : countInflux(store.url, store.database);
}

class Published {
  messages = 0;
  readings = 0;
  failed = 0;
  firstError: string | undefined;

  add(run: LoadRun): void {
    this.messages += run.messages;
    this.readings += run.readings;
    this.failed += run.failed;
    this.firstError ??= run.firstError;
  }
}

export async function runMqttScenario(scenario: MqttScenario, settings: ScenarioSettings): Promise<ScenarioOutcome> {
  const consumerName = scenario.consumer.mode === 'plain' ? 'subscriber' : 'ingest';
  const broker = new ThreadHandle<BrokerThreadApi>(new URL('./broker-thread.js', import.meta.url), 'broker');
  const consumer = new ThreadHandle<ConsumerThreadApi>(new URL('./consumer-thread.js', import.meta.url), consumerName);
  const load = new ThreadHandle<LoadThreadApi>(new URL('./load-thread.js', import.meta.url), 'publishers');
  const watched: Watched = { threads: {}, processes: settings.pids };
  const published = new Published();
  const runs: RunMeasurement[] = [];
  let unit: Delivery['unit'] = scenario.consumer.mode === 'plain' ? 'messages' : 'readings';
  const target = (): number => (unit === 'messages' ? published.messages : published.readings);
  let error: string | undefined;

  try {
    for (const thread of [broker, consumer, load]) watched.threads[thread.name] = await thread.osThreadId();
    const { url } = await broker.call('start', settings.accounts.accounts);
    const login = { url, ...settings.accounts.ingest, clientId: `bench-${consumerName}` };
    const setup: ConsumerSetup = scenario.consumer.mode === 'plain'
      ? { mode: 'plain', mqtt: login }
      : { mode: 'ingest', mqtt: login, store: scenario.consumer.store, deadLetterPath: scenario.consumer.deadLetterPath };
    await consumer.call('start', setup);
    unit = (await consumer.call('stats')).unit;
    const { clients } = await load.call('connect', {
      url, gateways: settings.accounts.gateways, devicesPerGateway: settings.devicesPerGateway,
      samplesPerMessage: scenario.workload.samplesPerMessage, window: scenario.workload.window, clock: settings.clock,
    });
    say(`    ${clients} gateway clients connected to ${url}; ${consumerName} subscribed`);

    const warmup = await load.call('run', settings.warmupMs);
    published.add(warmup);
    const warmed = await consumer.call('waitFor', target(), settings.catchUpTimeoutMs);
    if (!warmed.reached) throw new Error(`warm-up: ${consumerName} took ${formatCount(warmed.count)} of ${formatCount(target())} ${unit} within ${formatSeconds(settings.catchUpTimeoutMs)}`);
    say(`    warm-up: ${formatCount(warmup.messages)} msgs in ${formatSeconds(warmed.atMs - warmup.startedAtMs)} (not counted)`);

    for (let i = 1; wantsAnotherRun(runs, settings.runs); i++) {
      const before = takeUtilization(watched);
      const run = await load.call('run', settings.runMs);
      published.add(run);
      const caughtUp = await consumer.call('waitFor', target(), settings.catchUpTimeoutMs);
      const measurement = runMeasurement(run.messages, run.readings, caughtUp.atMs - run.startedAtMs, caughtUp.reached, utilizationSince(watched, before));
      runs.push(measurement);
      say(`    ${formatRun(i, measurement)}`);
      if (!caughtUp.reached) throw new Error(`run ${i}: ${consumerName} took ${formatCount(caughtUp.count)} of ${formatCount(target())} ${unit} within ${formatSeconds(settings.catchUpTimeoutMs)}`);
    }
  } catch (err) {
    error = (err as Error).message;
    say(`    FAILED: ${error}`);
  }

  let consumerStats: ConsumerStats | undefined;
  try {
    consumerStats = await consumer.call('stats');
    await load.call('close');
    await consumer.call('close');
    await broker.call('close');
  } catch (err) {
    error ??= `shutting down: ${(err as Error).message}`;
  } finally {
    await Promise.all([load.terminate(), consumer.terminate(), broker.terminate()]);
  }

  const delivery: Delivery = { unit, sent: target(), arrived: consumerStats?.count ?? 0, failedPublishes: published.failed, deadLetters: consumerStats?.rejected };
  if (scenario.consumer.mode === 'ingest') {
    try {
      const stored = await countStored(scenario.consumer.store);
      Object.assign(delivery, { arrived: stored.readings, valuesSent: published.readings * FIELDS_PER_SAMPLE, valuesArrived: stored.values });
    } catch (err) {
      error ??= `counting the store: ${(err as Error).message}`;
    }
  }
  if (published.firstError) error ??= `${published.failed} publishes failed, first: ${published.firstError}`;
  return { runs, delivery, ...(error ? { error } : {}) };
}
