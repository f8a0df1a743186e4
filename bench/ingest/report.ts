// Renders the benchmark's results: the summary printed at the end of a run, and the
// "## Ingest (bench/ingest)" section of docs/BENCHMARKS.md (results, ceilings, ratios
// against the targets, CPU per reading by component, and an interpretation drawn from
// those figures, so that a re-run rewrites it with its own numbers). Pure.
import { batchedRunMs, type BenchOptions } from './bench-options.js';
import { formatCount, formatPercent, formatRate } from './formatting.js';
import type { MachineInfo } from './machine.js';
import { DISTURBING_OTHER_CORES, EXTRA_RUNS, lossOf, type IngestOutcome, type ScenarioOutcome } from './measurements.js';
import { FIELDS_PER_SAMPLE } from './synthetic-telemetry.js';
import { checkTargets, figuresOf, findIngest, type Figures, type TargetCheck } from './targets.js';
import { cpuBreakdown, diagnoseBrokerCeiling, diagnoseIngest, diagnoseInfluxCeiling, type CpuBreakdown } from './diagnosis.js';

export const INGEST_SECTION_HEADING = '## Ingest (bench/ingest)';

export interface BenchResults {
  machine: MachineInfo;
  packages: Record<string, string>;
  date: Date;
  command: string;
  options: BenchOptions;
  brokerCeiling?: ScenarioOutcome;
  influxCeiling?: ScenarioOutcome;
  ingest: IngestOutcome[];
  durationMs: number;
}

export const STORE_NAME = { sqlite: 'SQLite', influx: 'InfluxDB' } as const;

function workloadName(options: BenchOptions, workload: 'single' | 'batched'): string {
  return workload === 'single' ? `single-sample (1 × ${FIELDS_PER_SAMPLE} fields)` : `batched (${options.samplesPerBatch} × ${FIELDS_PER_SAMPLE} fields)`;
}

export function lossText(outcome: ScenarioOutcome): string {
  const loss = lossOf(outcome.delivery);
  const values = loss.values === undefined ? '' : ` / ${formatCount(loss.values)} values`;
  const extra = [
    outcome.delivery.failedPublishes ? `${formatCount(outcome.delivery.failedPublishes)} publishes failed` : '',
    outcome.delivery.deadLetters ? `${formatCount(outcome.delivery.deadLetters)} dead letters` : '',
    outcome.error ? `error: ${outcome.error}` : '',
  ].filter(Boolean).join('; ');
  return `${formatCount(loss.units)} ${outcome.delivery.unit}${values} of ${formatCount(outcome.delivery.sent)}${extra ? ` (${extra})` : ''}`;
}

/** Each run's figure; disturbed runs (left out of the median when others are not) marked. */
function runsText(outcome: ScenarioOutcome, pick: (f: Figures) => number): string {
  return outcome.runs.map((run) => `${formatRate(pick(figuresOf([run])))}${run.disturbed ? '\\*' : ''}`).join(' · ') || '–';
}

function verdictText(check: TargetCheck): string {
  if (!Number.isFinite(check.ratio)) return 'not measured';
  if (check.inconclusive) return 'inconclusive: other programs kept the machine busy';
  return check.met ? '**met**' : '**not met**';
}

const micro = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(1));

function cpuRow(label: string, b: CpuBreakdown): string {
  return `| ${label} | ${micro(b.publishers)} | ${micro(b.broker)} | ${micro(b.consumer)} | ${micro(b.otherNodeThreads)} | ${micro(b.influxd)} | ${micro(b.total)} | ${formatPercent(b.machineBusy)} | ${b.otherCores.toFixed(2)} |`;
}

function header(results: BenchResults): string[] {
  const { machine, options, packages } = results;
  return [
    `Readings per second from MQTT to the store, end to end. ${options.gateways} MQTT.js clients, each logged in with its own`,
    `gateway account (${options.devicesPerGateway} devices each), publish telemetry at QoS 1 as fast as the broker acknowledges, with at most`,
    `${options.singleWindow} (single-sample) or ${options.batchedWindow} (batched) messages in flight per client. The broker (broker/, Aedes) delivers`,
    `them to ingest (ingest/service.ts, default settings: persistent QoS 1 session, zod validation, batched store writes,`,
    `PUBACK only after the write). A run publishes for ${options.runMs / 1000} s (batched: ${batchedRunMs(options) / 1000} s) and ends when the store holds the last`,
    `reading the broker acknowledged; afterwards the readings and values in the database are counted, and loss = acknowledged`,
    `by the broker but not in the store. A reading is one sample of one device; values = readings × ${FIELDS_PER_SAMPLE} fields (the`,
    `store's own sb_seq and sb_quality fields not counted).`,
    '',
    `- **Date**: ${results.date.toISOString().replace(/\.\d+Z$/, 'Z')}; the whole benchmark took ${Math.round(results.durationMs / 1000)} s`,
    `- **Command**: \`${results.command}\``,
    `- **Machine**: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.os}; load average ${machine.loadAverage.toFixed(2)} at the start`,
    `- **Software**: Node ${machine.node}; ${machine.influxdb} (Debian's influxd, started by the benchmark on 127.0.0.1 in a temp dir, stopped by PID); ${Object.entries(packages).map(([n, v]) => `${n} ${v}`).join(', ')}`,
    `- **Layout**: broker, ingest (or the plain subscriber) and the publishers each run on a worker thread of one Node process, so each has an event loop of its own as separate processes would; influxd is its own process; all on 127.0.0.1, sharing the ${machine.cores} cores`,
    `- **Runs**: before each measurement the benchmark waits up to ${options.maxQuietWaitMs / 1000} s for other programs to go idle; a warm-up (not counted), then ${options.runs} runs per measurement; every figure is the median run. A run during which other programs kept ≥ ${DISTURBING_OTHER_CORES} cores busy is marked \\* and repeated (at most ${EXTRA_RUNS} extra run); the median leaves such runs out unless all were`,
  ];
}

export function renderIngestSection(results: BenchResults): string {
  const { options } = results;
  const checks = checkTargets({ broker: results.brokerCeiling, influx: results.influxCeiling, ingest: results.ingest });
  const out: string[] = [INGEST_SECTION_HEADING, '', ...header(results)];

  out.push('', '### Results', '', '| store | workload | msgs/s | readings/s | values/s | loss | readings/s of each run |', '|---|---|--:|--:|--:|---|---|');
  for (const store of ['sqlite', 'influx'] as const) {
    for (const workload of ['single', 'batched'] as const) {
      const outcome = findIngest(results.ingest, store, workload);
      if (!outcome) continue;
      const f = figuresOf(outcome.runs);
      out.push(`| ${STORE_NAME[store]} | ${workloadName(options, workload)} | ${formatRate(f.msgsPerSec)} | ${formatRate(f.readingsPerSec)} | ${formatRate(f.valuesPerSec)} | ${lossText(outcome)} | ${runsText(outcome, (x) => x.readingsPerSec)} |`);
    }
  }

  out.push('', '### Ceilings', '', '| ceiling | how | rate | loss |', '|---|---|--:|---|');
  if (results.brokerCeiling) {
    const f = figuresOf(results.brokerCeiling.runs);
    out.push(`| Broker QoS 1 | the same ${options.gateways} publishers (single-sample, window ${options.singleWindow}) → Aedes → one plain QoS 1 subscriber (persistent session, like ingest) that acks at once and stores nothing | ${formatRate(f.msgsPerSec)} msgs/s | ${lossText(results.brokerCeiling)} |`);
  }
  if (results.influxCeiling) {
    const f = figuresOf(results.influxCeiling.runs);
    out.push(`| InfluxDB /write | ${options.linesPerRequest}-line requests, ${options.writeConcurrency} in flight, built before each run: the very lines ingest writes for such readings (4 tags, ${FIELDS_PER_SAMPLE} float fields + sb_seq + sb_quality, ms timestamps) | ${formatRate(f.readingsPerSec)} lines/s = ${formatRate(f.valuesPerSec)} values/s | ${lossText(results.influxCeiling)} |`);
  }

  out.push('', '### Against the targets', '', '| target | measured | ceiling | ratio | verdict |', '|---|--:|--:|--:|---|');
  for (const c of checks) out.push(`| ${c.target} | ${formatRate(c.measured)} ${c.unit} | ${formatRate(c.ceiling)} ${c.unit} | ${formatPercent(c.ratio)} | ${verdictText(c)} |`);

  out.push(
    '', '### CPU per reading', '',
    'Microseconds of CPU per reading (single-sample: per message), median run, from /proc: each thread\'s own time, influxd\'s',
    'process time, and "other Node threads" = the rest of this Node process (V8\'s GC helpers, the libuv pool). Total ×',
    'rate = cores used; with two cores the total bounds the rate once the machine is busy. "Other processes" is work',
    'on the machine that is not ours (cores): above ~0.1 it lowers the figures.',
    '',
    '| measurement | publishers | broker | ingest / subscriber | other Node threads | influxd | total | machine busy | other processes |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  if (results.brokerCeiling?.runs.length) out.push(cpuRow('broker ceiling', cpuBreakdown(figuresOf(results.brokerCeiling.runs), 'subscriber')));
  if (results.influxCeiling?.runs.length) out.push(cpuRow('InfluxDB ceiling (its writer in the ingest column)', cpuBreakdown(figuresOf(results.influxCeiling.runs), 'writer')));
  for (const outcome of results.ingest) {
    if (outcome.runs.length) out.push(cpuRow(`${STORE_NAME[outcome.store]}, ${outcome.workload}`, cpuBreakdown(figuresOf(outcome.runs), 'ingest')));
  }

  const notes: string[] = [];
  if (results.brokerCeiling?.runs.length) notes.push(diagnoseBrokerCeiling(figuresOf(results.brokerCeiling.runs)));
  if (results.influxCeiling?.runs.length) notes.push(diagnoseInfluxCeiling(figuresOf(results.influxCeiling.runs)));
  const brokerFigures = results.brokerCeiling?.runs.length ? figuresOf(results.brokerCeiling.runs) : undefined;
  const influxFigures = results.influxCeiling?.runs.length ? figuresOf(results.influxCeiling.runs) : undefined;
  for (const outcome of results.ingest) {
    if (outcome.runs.length) notes.push(diagnoseIngest(outcome, figuresOf(outcome.runs), { broker: brokerFigures, influx: influxFigures }));
  }
  out.push('', '### Interpretation', '', ...notes.map((line) => `- ${line}`));
  return `${out.join('\n')}\n`;
}

/** The closing summary on the console. */
export function summaryLines(results: BenchResults): string[] {
  const lines = ['Summary (median run)'];
  if (results.brokerCeiling?.runs.length) lines.push(`  broker ceiling        ${formatRate(figuresOf(results.brokerCeiling.runs).msgsPerSec)} msgs/s, loss ${lossText(results.brokerCeiling)}`);
  if (results.influxCeiling?.runs.length) lines.push(`  InfluxDB ceiling      ${formatRate(figuresOf(results.influxCeiling.runs).readingsPerSec)} lines/s, loss ${lossText(results.influxCeiling)}`);
  for (const outcome of results.ingest) {
    const f = figuresOf(outcome.runs);
    lines.push(`  ${`${STORE_NAME[outcome.store]} ${outcome.workload}`.padEnd(21)} ${formatRate(f.msgsPerSec)} msgs/s, ${formatRate(f.readingsPerSec)} readings/s, ${formatRate(f.valuesPerSec)} values/s, loss ${lossText(outcome)}`);
  }
  for (const c of checkTargets({ broker: results.brokerCeiling, influx: results.influxCeiling, ingest: results.ingest })) {
    lines.push(`  ${c.inconclusive ? 'INCONCLUSIVE (disturbed)' : c.met ? 'MET' : 'NOT MET'} ${c.target}: ${formatPercent(c.ratio)}`);
  }
  return lines;
}
