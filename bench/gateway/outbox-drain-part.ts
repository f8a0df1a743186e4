// Part (c) of the gateway benchmark: outbox drain after 10 minutes offline, side by side with
// MQTT.js's own offline queue, over a link with 40 ms of added round trip. Runs the scenarios
// of outbox-drain.ts on a throwaway broker and renders the subsection. Its settings are the
// defaults below (DRAIN_DEFAULTS); the runner's options (duration, devices…) are for parts a/b.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestBroker } from '../../test/harness/mqtt-broker.js';
import { backlogSize, type BacklogSpec } from './backlog.js';
import { drainThroughMqttJs, drainThroughOutbox, startCounter, BENCH_SITE, type DrainEnv, type DrainOutcome } from './outbox-drain.js';
import { duration, medianRun, OUTBOX_DRAIN_HEADING, readingsPerSecond, renderOutboxDrain, type DrainRow } from './outbox-drain-report.js';
import { partHeading, type GatewayBenchPart } from './parts.js';

const MINUTE = 60_000;

export interface DrainOptions {
  /** Added round trip of the link, ms. */
  rttMs: number;
  /** Outbox messages in flight. */
  window: number;
  /** Runs of each outbox measurement (median reported); MQTT.js runs once, it takes a minute. */
  runs: number;
  /** Backlog measured against MQTT.js, and a larger one for the outbox only. */
  small: BacklogSpec;
  large: BacklogSpec;
  mqttjs: boolean;
}

const OFFLINE_MS = 10 * MINUTE;

export const DRAIN_DEFAULTS: DrainOptions = {
  rttMs: 40, window: 64, runs: 3, mqttjs: true,
  small: { devices: 10, intervalMs: 5000, offlineMs: OFFLINE_MS },
  large: { devices: 100, intervalMs: 1000, offlineMs: OFFLINE_MS },
};

function versions(): string {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const version = (name: string): string => {
    try {
      return (JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return `Node ${process.version}; mqtt ${version('mqtt')}, aedes ${version('aedes')}, better-sqlite3 ${version('better-sqlite3')}`;
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(os.freemem() / 2 ** 30).toFixed(1)} free), ${os.type()} ${os.release()}; load average ${os.loadavg()[0]!.toFixed(2)} at the start`;
}

export const outboxDrainPart: GatewayBenchPart = {
  id: 'c',
  title: 'Outbox drain after 10 minutes offline',
  run: (_options, say) => runOutboxDrain(DRAIN_DEFAULTS, say),
};

export async function runOutboxDrain(options: DrainOptions, say: (line: string) => void): Promise<{ markdown: string; summary: string[] }> {
  if (partHeading(outboxDrainPart) !== OUTBOX_DRAIN_HEADING) throw new Error('part (c) heading and title disagree');
  const started = new Date();
  const machineText = machine();
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-bench-outbox-'));
  const broker = await startTestBroker(Array.from({ length: 40 }, (_, i) => ({ site: BENCH_SITE, gateway: `gw-${i + 1}` })));
  const counter = await startCounter(broker);
  const env: DrainEnv = { broker, tempDir, rttMs: options.rttMs };
  let gatewayNo = 0;
  const nextGateway = (): string => `gw-${++gatewayNo}`;
  const rows: DrainRow[] = [];
  const report = (label: string, outcome: DrainOutcome): void => {
    say(`  ${label}: ${outcome.readings} readings, ${outcome.messages} messages in ${duration(outcome.drainMs)} = ${readingsPerSecond(outcome).toFixed(0)} readings/s; delivered ${outcome.delivered}${outcome.fillMs !== undefined ? `; filled in ${duration(outcome.fillMs)}` : ''}${outcome.error ? `; ERROR ${outcome.error}` : ''}`);
  };
  const outboxRow = async (sender: string, backlog: string, spec: BacklogSpec, maxSamplesPerMessage: number): Promise<void> => {
    say(`${sender}, ${backlog} backlog (${backlogSize(spec)} readings), ${options.runs} runs`);
    const runs: DrainOutcome[] = [];
    for (let run = 1; run <= options.runs; run++) {
      const outcome = await drainThroughOutbox(env, counter, nextGateway(), spec, { window: options.window, maxSamplesPerMessage });
      report(`run ${run}`, outcome);
      runs.push(outcome);
    }
    rows.push({ sender, backlog, spec, runs });
  };

  try {
    let mqttRate: number | undefined;
    if (options.mqttjs) {
      const readings = backlogSize(options.small);
      // One message per round trip: allow 4 × that, at least a minute.
      const timeoutMs = Math.max(60_000, readings * options.rttMs * 4);
      say(`MQTT.js offline queue, small backlog (${readings} readings, expect about ${duration(readings * (options.rttMs + 2))})`);
      const outcome = await drainThroughMqttJs(env, counter, nextGateway(), options.small, timeoutMs);
      report('run 1', outcome);
      rows.push({ sender: 'MQTT.js offline queue', backlog: 'small', spec: options.small, runs: [outcome] });
      if (!outcome.error) mqttRate = readingsPerSecond(outcome);
    }
    await outboxRow('Outbox, unbatched', 'small', options.small, 1);
    await outboxRow('Outbox, batched', 'small', options.small, 1000);
    if (mqttRate !== undefined) {
      const estimate = { readings: backlogSize(options.large), messages: 0, drainMs: 0, delivered: 0 };
      rows.push({ sender: 'MQTT.js offline queue', backlog: 'large', spec: options.large, runs: [estimate], estimatedFrom: { rate: mqttRate, what: 'rate measured above' } });
    }
    await outboxRow('Outbox, unbatched', 'large', options.large, 1);
    await outboxRow('Outbox, batched', 'large', options.large, 1000);
  } finally {
    await counter.close();
    await broker.close();
    await fs.rm(tempDir, { recursive: true, force: true });
  }

  const markdown = renderOutboxDrain({
    date: started, command: 'npm run build && node dist/bench/gateway/run.js --only c', machine: machineText, software: versions(),
    rttMs: options.rttMs, window: options.window, rows,
  });
  const failed = rows.some((row) => row.runs.some((r) => r.error !== undefined || (!row.estimatedFrom && r.delivered < r.readings)));
  const summary = rows.filter((row) => !row.estimatedFrom).map((row) => {
    const m = medianRun(row.runs)!;
    return `${row.sender}, ${row.backlog} backlog: ${m.readings} readings in ${duration(m.drainMs)} = ${readingsPerSecond(m).toFixed(0)} readings/s`;
  });
  return { markdown, summary: failed ? ['PROBLEM: a run failed or lost readings (see the table)', ...summary] : summary };
}
