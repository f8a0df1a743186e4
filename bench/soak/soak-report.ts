// The soak's figures for people: the "Sustained load (bench/soak)" section of
// docs/BENCHMARKS.md, the short "Sustained load" section of docs/RELIABILITY.md, and
// the console summary. Pure: analyses in, text out.
import type { MachineInfo } from '../ingest/machine.js';
import { formatCount, formatPercent, formatRate } from '../ingest/formatting.js';
import { minuteRows, SUSTAINED_BACKLOG_SECONDS, SUSTAINED_RATE_SHARE, type SoakAnalysis } from './analysis.js';
import type { MemoryTrend, TrendLimits } from './trend.js';
import { NODE_PARTS, type SoakSample } from './soak-types.js';

export const BENCHMARKS_HEADING = '## Sustained load (bench/soak)';
export const RELIABILITY_HEADING = '## Sustained load';

export interface SoakReportContext {
  machine: MachineInfo;
  packages: Record<string, string>;
  date: Date;
  command: string;
  totalMs: number;
  limits: TrendLimits;
  /** The benchmark row the target rate came from, when it came from there. */
  benchmarkRow?: string;
  benchmarkedRate?: number;
}

const mib = (bytes: number | undefined): string => (bytes === undefined || !Number.isFinite(bytes) ? '–' : `${(bytes / 2 ** 20).toFixed(1)}`);
const slope = (value: number | undefined): string => (value === undefined ? '–' : Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}` : 'n/a');
const ms = (value: number): string => (Number.isFinite(value) ? (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`) : '–');
const minutes = (millis: number): string => (millis >= 60_000 ? `${(millis / 60_000).toFixed(millis % 60_000 === 0 ? 0 : 1)} min` : `${(millis / 1000).toFixed(0)} s`);

function rateTitle(a: SoakAnalysis, context: SoakReportContext): string {
  const share = context.benchmarkedRate ? ` (${formatPercent(a.run.msgsPerSec / context.benchmarkedRate)} of the benchmark)` : '';
  return `${formatCount(a.run.msgsPerSec)} msgs/s${share}`;
}

interface Span { start: number; end: number; peak: number }
function span(samples: readonly SoakSample[], value: (s: SoakSample) => number | undefined): Span {
  const values = samples.map(value).filter((v): v is number => v !== undefined);
  return { start: values[0] ?? NaN, end: values[values.length - 1] ?? NaN, peak: values.length ? Math.max(...values) : NaN };
}
const spanText = (s: Span): string => `${mib(s.start)} → ${mib(s.end)} (${mib(s.peak)})`;

function trendVerdict(trend: MemoryTrend | undefined, judged: boolean): string {
  if (!trend) return '–';
  const words = trend.heapSlope === undefined
    ? (trend.rssPlateau ? 'RSS plateau' : 'RSS rising')
    : `${trend.heapStable ? 'heap stable' : '**heap growing**'}, ${trend.rssPlateau ? 'RSS plateau' : '**RSS rising**'}`;
  return judged ? words : `${words} (not judged)`;
}

function memoryTable(a: SoakAnalysis): string[] {
  const rows = NODE_PARTS.map((part) => {
    const trend = a.memory[part];
    return `| ${part} | ${spanText(span(a.measured, (s) => s.memory[part].rss))} | ${spanText(span(a.measured, (s) => s.liveHeap?.[part]))} | ${slope(trend.heapSlope)} | ${slope(trend.rssSlope)} | ${trendVerdict(trend, part !== 'publishers')} |`;
  });
  rows.push(`| influxd | ${spanText(span(a.measured, (s) => s.influxdRss))} | – | – | ${slope(a.memory.influxd?.rssSlope)} | ${trendVerdict(a.memory.influxd, false)} |`);
  return [
    '| process | RSS MiB: start → end (peak) | live V8 heap MiB: start → end (peak) | live heap, 2nd half (MiB/min) | RSS, 2nd half (MiB/min) | verdict |',
    '|---|---|---|--:|--:|---|',
    ...rows,
  ];
}

function minuteTable(a: SoakAnalysis): string[] {
  const perRow = a.run.durationMs > 20 * 60_000 ? Math.ceil(a.run.durationMs / (20 * 60_000)) : 1;
  return [
    '| minute | msgs/s acked | backlog (acked − written) | broker live heap | ingest live heap | broker RSS | ingest RSS | influxd RSS | publishers RSS |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...minuteRows(a, perRow).map((r) => `| ${r.minute} | ${formatRate(r.ackedPerSec)} | ${formatCount(r.backlog)} | ${mib(r.liveHeap.broker)} | ${mib(r.liveHeap.ingest)} | ${mib(r.rss.broker)} | ${mib(r.rss.ingest)} | ${mib(r.rss.influxd)} | ${mib(r.rss.publishers)} |`),
  ];
}

function resultRow(a: SoakAnalysis, context: SoakReportContext): string {
  const t = a.run.totals;
  const lost = a.lost === 0 && t.stored === t.acked ? '**0**' : `**${formatCount(a.lost)}** (stored ${formatCount(t.stored)} of ${formatCount(t.acked)})`;
  return `| ${rateTitle(a, context)} | ${minutes(a.run.durationMs)} | ${formatRate(a.ackedPerSec)} | ${formatCount(a.scheduleDeficit.end)} (${formatCount(a.scheduleDeficit.peak)}) | ${formatCount(a.brokerBacklog.end)} (${formatCount(a.brokerBacklog.peak)}) | ${a.sustained ? 'yes' : '**no**'} | ${formatCount(t.acked)} | ${formatCount(t.stored)} | ${lost} | ${formatCount(a.rewritten)} | ${ms(a.run.latency.p50)} / ${ms(a.run.latency.p99)} | ${a.memoryStable ? 'stable' : '**growing**'} |`;
}

function cpuRow(a: SoakAnalysis, context: SoakReportContext): string {
  const c = a.run.cpu.cores;
  const f = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
  const total = ['publishers', 'broker', 'ingest', 'influxd', 'runner'].reduce((sum, k) => sum + (c[k] ?? 0), 0);
  const perMsg = a.ackedPerSec > 0 ? `${((total * 1e6) / a.ackedPerSec).toFixed(0)} µs` : '–';
  return `| ${rateTitle(a, context)} | ${f(c.publishers)} | ${f(c.broker)} | ${f(c.ingest)} | ${f(c.influxd)} | ${f(c.runner)} | ${perMsg} | ${formatPercent(a.run.cpu.machineBusy)} | ${f(a.run.cpu.otherCores)} |`;
}

/** Where the readings that could not keep pace waited, which decides what memory growth means. */
function backlogNote(a: SoakAnalysis): string {
  if (a.brokerBacklog.end > SUSTAINED_BACKLOG_SECONDS * a.run.msgsPerSec) {
    return ' The backlog sat in the broker (Aedes\' in-memory queue for ingest\'s session): memory growth in such a run is that queue, not a leak; judge memory by a sustained run.';
  }
  return ' The backlog did not reach the backend\'s memory: the broker acknowledged no faster than ingest wrote (TCP backpressure from ingest through the broker to the publishers), so the unsent readings waited in the publishers, as they would in the gateways\' outboxes.';
}

/** A rate that sank while the broker's queue grew: said in words, it is easy to miss in a table. */
function declineNote(a: SoakAnalysis): string {
  const rows = minuteRows(a);
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (!first || !last || rows.length < 3 || !(last.ackedPerSec < 0.75 * first.ackedPerSec) || last.backlog <= first.backlog) return '';
  return ` The acknowledged rate sank from ${formatRate(first.ackedPerSec)} msgs/s in the first minute to ${formatRate(last.ackedPerSec)} in the last while the broker's queue for ingest grew from ${formatCount(first.backlog)} to ${formatCount(last.backlog)} readings: ` +
    'the longer the queue, the dearer each delivery (the ingest benchmark notes that aedes-persistence scans its in-memory outgoing list on every delivery and PUBACK), so an overload feeds itself.';
}

function readingLines(a: SoakAnalysis, context: SoakReportContext): string[] {
  const lines: string[] = [];
  const r = a.run;
  lines.push(a.sustained
    ? `- **${rateTitle(a, context)}: sustained.** ${formatRate(a.ackedPerSec)} msgs/s acknowledged over ${minutes(r.durationMs)}; at the end ${formatCount(a.scheduleDeficit.end)} messages behind schedule and ${formatCount(a.brokerBacklog.end)} acknowledged but not yet written (a batch in flight).`
    : `- **${rateTitle(a, context)}: not sustained on this machine.** ${formatRate(a.ackedPerSec)} msgs/s acknowledged (${formatPercent(a.ackedPerSec / r.msgsPerSec)} of the target); at the end the publishers were ${formatCount(a.scheduleDeficit.end)} messages behind schedule and ${formatCount(a.brokerBacklog.end)} acknowledged readings waited for ingest (backlog slope over the second half ${formatRate(a.brokerBacklog.slopePerMin)} per minute).${declineNote(a)}`);
  const lostText = a.lost === 0 && r.totals.stored === r.totals.acked
    ? `every one of the ${formatCount(r.totals.acked)} acknowledged readings is in InfluxDB, once (${formatCount(a.rewritten)} redelivered writes overwrote themselves)`
    : `${formatCount(a.lost)} acknowledged readings are missing from InfluxDB (stored ${formatCount(r.totals.stored)} of ${formatCount(r.totals.acked)})`;
  const queue = a.sustained ? '' : backlogNote(a);
  lines.push(`  Loss: ${lostText}. Memory: ${a.memoryStable ? 'broker and ingest stable' : '**broker or ingest still growing**'} (live heap ${slope(a.memory.broker.heapSlope)} / ${slope(a.memory.ingest.heapSlope)} MiB/min, RSS ${slope(a.memory.broker.rssSlope)} / ${slope(a.memory.ingest.rssSlope)} MiB/min over the second half, broker / ingest); influxd RSS ${slope(a.memory.influxd?.rssSlope)} MiB/min.${queue}${r.error ? ` Error: ${r.error}.` : ''}`);
  return lines;
}

export function renderSoakSection(analyses: readonly SoakAnalysis[], context: SoakReportContext): string {
  const { machine, limits } = context;
  const first = analyses[0]!.run;
  const packages = Object.entries(context.packages).map(([name, version]) => `${name} ${version}`).join(', ');
  const loads = analyses.map((a) => `${a.run.loadAverage.start.toFixed(2)} → ${a.run.loadAverage.end.toFixed(2)}`).join('; ');
  const out = [
    BENCHMARKS_HEADING,
    '',
    `The real system under a steady load for a fixed time: does it keep up, lose nothing, and does its memory stay flat? ` +
    `${first.gateways} MQTT.js clients, each logged in with its own gateway account (${first.devicesPerGateway} devices each), publish live single-sample ` +
    `telemetry (1 reading × 10 fields per message, stamped with the time it was taken, as gateways publish readings one by one) at QoS 1 on a shared ` +
    `schedule at the target rate, at most ${first.window} messages in flight per client. The broker (broker/, Aedes, with ingest's durable session) delivers them to ingest ` +
    '(ingest/service.ts, default settings, PUBACK only after the write) on a throwaway InfluxDB 1.6. After a warm-up, memory ' +
    `(RSS and V8 heap used) of every process, and progress, are sampled every ${(first.sampleEveryMs / 1000).toFixed(0)} s. At the end the publishers stop, the ` +
    'soak waits until ingest has written every reading the broker acknowledged, and counts the readings in InfluxDB: lost = acknowledged but not stored.',
    '',
    `- **Date**: ${context.date.toISOString().replace(/\.\d+Z$/, 'Z')}; the whole soak took ${minutes(Math.round(context.totalMs / 1000) * 1000)}`,
    `- **Command**: \`${context.command}\``,
    `- **Machine**: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.os}; load average (1 min) ${loads} (start → end of each run). The machine was shared with other engineers' test runs`,
    `- **Software**: Node ${machine.node}; ${machine.influxdb} (Debian's influxd, started by the soak on 127.0.0.1 in a temp dir, stopped by PID); ${packages}`,
    '- **Layout**: broker, ingest and the publishers each run in a child process of their own (bench/soak/*-process.ts), so each has its own heap and resident set; influxd is its own process; all on 127.0.0.1, sharing the cores',
    `- **Target rate**: ${context.benchmarkRow ? `the single-sample InfluxDB rate of "Ingest (bench/ingest)" above (\`${context.benchmarkRow.replace(/\s+/g, ' ')}\`), read from this file` : 'given with --rate'}; warm-up ${minutes(first.warmupMs)}, measured ${minutes(first.durationMs)}`,
    `- **Verdicts**: sustained = at least ${formatPercent(SUSTAINED_RATE_SHARE)} of the target acknowledged, and at the end less than ${SUSTAINED_BACKLOG_SECONDS} s of load behind schedule and waiting in the broker. ` +
    `Memory stable = least-squares slope over the second half of the measured time of the live heap (V8 heap used right after a full GC, forced every ${first.liveHeapEverySamples} samples with --expose-gc, so the GC sawtooth does not count) at most ${limits.heapMiBPerMin} MiB/min, ` +
    `and of RSS at most ${limits.rssMiBPerMin} MiB/min, for broker and ingest; influxd and the publishers are shown, not judged`,
    '',
    '### Results',
    '',
    '| target | measured | msgs/s acked | behind schedule at end (peak) | acked, not yet written, at end (peak) | sustained | acked | in InfluxDB | lost | rewritten | latency p50 / p99 | memory |',
    '|---|---|--:|--:|--:|---|--:|--:|---|--:|---|---|',
    ...analyses.map((a) => resultRow(a, context)),
    '',
    'One reading per message, so msgs/s = readings/s. Latency: from the reading\'s timestamp (taken by the publisher just before it publishes) to the end of the InfluxDB write that stored it, over the measured period (histogram buckets ≤ 10 % wide). "Rewritten": writes beyond one per reading (redeliveries), which InfluxDB absorbs by overwriting series + time.',
  ];
  for (const a of analyses) {
    out.push('', `### Memory at ${rateTitle(a, context)}`, '', ...memoryTable(a), '', ...minuteTable(a));
  }
  out.push(
    '',
    '### CPU (cores, measured period)',
    '',
    '| target | publishers | broker | ingest | influxd | soak runner | CPU per message, all of these | machine busy | other processes |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...analyses.map((a) => cpuRow(a, context)),
    '',
    '### Reading the figures',
    '',
    ...analyses.flatMap((a) => readingLines(a, context)),
  );
  return `${out.join('\n')}\n`;
}

export function renderReliabilitySection(analyses: readonly SoakAnalysis[], context: SoakReportContext): string {
  const out = [
    RELIABILITY_HEADING,
    '',
    'Not a fault but the baseline the faults are judged against: the real broker, ingest and InfluxDB under a steady load for ' +
    `${minutes(analyses[0]!.run.durationMs)}, each a process of its own (\`${context.command}\`, bench/soak/; details and per-minute memory in ` +
    'docs/BENCHMARKS.md, "Sustained load"). `test/soak.test.ts` runs the same code in CI for under a minute at 2,000 msgs/s and fails on any loss or a growing heap.',
    '',
  ];
  for (const a of analyses) {
    const t = a.run.totals;
    out.push(`- ${context.date.toISOString().slice(0, 10)}, ${context.machine.cores}-core machine shared with other test runs (load average ${a.run.loadAverage.start.toFixed(1)}): ` +
      `target ${rateTitle(a, context)}, achieved ${formatRate(a.ackedPerSec)} msgs/s — ${a.sustained ? 'sustained' : '**not sustained** (a backlog built up)'}; ` +
      `${formatCount(t.acked)} readings acknowledged, ${formatCount(t.stored)} in InfluxDB, **${formatCount(a.lost)} lost**; latency p50 ${ms(a.run.latency.p50)}, p99 ${ms(a.run.latency.p99)}; ` +
      `memory ${a.memoryStable ? 'stable' : '**growing**'} (live heap of broker ${slope(a.memory.broker.heapSlope)}, ingest ${slope(a.memory.ingest.heapSlope)} MiB/min; RSS broker ${slope(a.memory.broker.rssSlope)}, ingest ${slope(a.memory.ingest.rssSlope)}, influxd ${slope(a.memory.influxd?.rssSlope)} MiB/min).`);
  }
  return `${out.join('\n')}\n`;
}

export function summaryLines(analyses: readonly SoakAnalysis[], context: SoakReportContext): string[] {
  return analyses.flatMap((a) => [
    `${rateTitle(a, context)} for ${minutes(a.run.durationMs)}: ${a.passed ? 'PASSED' : 'FAILED'}${a.sustained ? '' : ' — rate NOT SUSTAINED'}`,
    ...readingLines(a, context).map((line) => line.replace(/\*\*/g, '')),
    ...memoryTable(a).filter((_, i) => i !== 1).map((line) => `  ${line}`),
  ]);
}
