// Renders part (c): the drain table (medians of the runs), what was checked, and a reading of
// the figures written from the figures themselves, so a re-run rewrites it. Pure.
import type { BacklogSpec } from './backlog.js';
import type { DrainOutcome } from './outbox-drain.js';

export const OUTBOX_DRAIN_HEADING = '### (c) Outbox drain after 10 minutes offline';

export interface DrainRow {
  sender: string;
  backlog: string;
  spec: BacklogSpec;
  runs: DrainOutcome[];
  /** Not run: estimated from another row's measured rate. */
  estimatedFrom?: { rate: number; what: string };
}

export interface DrainReport {
  date: Date;
  command: string;
  machine: string;
  software: string;
  rttMs: number;
  window: number;
  rows: DrainRow[];
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const rate = (n: number): string => (n >= 100 ? count(Number(n.toPrecision(3))) : n.toFixed(1));
export function duration(ms: number): string {
  if (ms >= 120_000) return `${(ms / 60_000).toFixed(1)} min`;
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

/** The run with the median drain time (the lower middle one for an even count). */
export function medianRun(runs: readonly DrainOutcome[]): DrainOutcome | undefined {
  const sorted = [...runs].sort((a, b) => a.drainMs - b.drainMs);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function readingsPerSecond(outcome: DrainOutcome): number {
  return outcome.readings / (outcome.drainMs / 1000);
}

function backlogText(spec: BacklogSpec): string {
  return `${spec.devices} devices × every ${spec.intervalMs / 1000} s × ${spec.offlineMs / 60_000} min`;
}

function rowCells(row: DrainRow, baseline: number | undefined): string[] {
  if (row.estimatedFrom) {
    const ms = (row.runs[0]?.readings ?? 0) / row.estimatedFrom.rate * 1000;
    return [row.sender, backlogText(row.spec), count(row.runs[0]?.readings ?? 0), '–', `≈ ${duration(ms)} (estimated)`, `${rate(row.estimatedFrom.rate)} (${row.estimatedFrom.what})`, '–', '1 ×', 'not run'];
  }
  const m = medianRun(row.runs);
  if (!m) return [row.sender, backlogText(row.spec), '–', '–', '–', '–', '–', '–', 'no run'];
  const perSecond = readingsPerSecond(m);
  const check = m.error ? `**${m.error}**` : m.delivered >= m.readings ? `all ${count(m.readings)} delivered` : `**${count(m.delivered)} of ${count(m.readings)} delivered**`;
  const each = row.runs.length > 1 ? ` (${row.runs.map((r) => duration(r.drainMs)).join(' · ')})` : '';
  return [
    row.sender, backlogText(row.spec), count(m.readings), count(m.messages), `${duration(m.drainMs)}${each}`,
    rate(perSecond), rate(m.messages / (m.drainMs / 1000)), baseline ? `${rate(perSecond / baseline)} ×` : '–', check,
  ];
}

export function renderOutboxDrain(report: DrainReport): string {
  const baselineRow = report.rows.find((r) => r.sender.startsWith('MQTT.js') && !r.estimatedFrom);
  const baselineRun = baselineRow ? medianRun(baselineRow.runs) : undefined;
  const baseline = baselineRun && !baselineRun.error ? readingsPerSecond(baselineRun) : undefined;
  const table = [
    '| sender | backlog | readings | messages | drain (median; each run) | readings/s | messages/s | vs MQTT.js | delivered |',
    '|---|---|--:|--:|---|--:|--:|--:|---|',
    ...report.rows.map((row) => `| ${rowCells(row, baseline).join(' | ')} |`),
  ];
  const fill = fillOfLargest(report.rows);
  const lines = [
    OUTBOX_DRAIN_HEADING,
    '',
    `A gateway was offline for 10 minutes; how fast does the backlog reach the broker once the uplink is back? The backlog is generated (the readings N devices polled at an interval would have taken), not waited for. Link: the delaying TCP proxy (test/harness/tcp-proxy.ts) between the sender and the broker adds ${report.rttMs} ms of round-trip time (${report.rttMs / 2} ms each way); the machine's network settings are untouched. Time runs from the broker's CONNACK to the last PUBACK. A subscriber on the broker counts the distinct sequence numbers that arrived.`,
    '',
    '- **MQTT.js offline queue**: one QoS 1 message per reading (as the gateway published before the outbox), published while the client could not reach the broker; MQTT.js keeps them in memory and replays them after reconnecting.',
    `- **Outbox**: gateway/outbox.ts over gateway/uplink.ts, SQLite on disk (WAL, synchronous=FULL), ${report.window} messages in flight; "batched" sends up to 1000 samples of one device per message, "unbatched" one sample per message (the window alone).`,
    '',
    `- **Date**: ${report.date.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- **Command**: \`${report.command}\``,
    `- **Machine**: ${report.machine}`,
    `- **Software**: ${report.software}`,
    '- **Layout**: broker (Aedes with accounts), proxy, sender and the counting subscriber in one Node process on 127.0.0.1',
    '',
    ...table,
    '',
  ];
  if (fill) {
    lines.push(`Writing the largest backlog into the outbox (${count(fill.readings)} readings, one transaction per poll round of ${fill.devices} readings, fsynced) took ${duration(fill.ms)} (median of ${fill.runs} runs) = ${rate(fill.readings / (fill.ms / 1000))} readings/s: far above the pace at which devices produce readings.`, '');
  }
  lines.push(...interpretation(report, baseline));
  return `${lines.join('\n').replace(/\n*$/, '')}\n`;
}

/** Median time to write the largest backlog into the outbox, over every run that wrote it. */
export function fillOfLargest(rows: readonly DrainRow[]): { readings: number; devices: number; ms: number; runs: number } | undefined {
  const filled = rows.flatMap((row) => row.runs.filter((r) => r.fillMs !== undefined).map((r) => ({ readings: r.readings, devices: row.spec.devices, ms: r.fillMs! })));
  const largest = Math.max(...filled.map((f) => f.readings));
  const runs = filled.filter((f) => f.readings === largest).sort((a, b) => a.ms - b.ms);
  const median = runs[Math.floor((runs.length - 1) / 2)];
  return median ? { ...median, runs: runs.length } : undefined;
}

function interpretation(report: DrainReport, baseline: number | undefined): string[] {
  const out: string[] = ['**Reading the figures.**'];
  if (baseline !== undefined) {
    const perMessageMs = 1000 / baseline;
    out.push(`MQTT.js replays its queue one message at a time: each waits for the previous PUBACK, so its rate is one message per round trip (${perMessageMs.toFixed(1)} ms per message here against ${report.rttMs} ms of added RTT) whatever the machine.`);
  }
  const unbatched = report.rows.find((r) => r.sender.includes('unbatched') && !r.estimatedFrom);
  const m = unbatched ? medianRun(unbatched.runs) : undefined;
  if (m && !m.error) {
    const windowBound = report.window / (report.rttMs / 1000);
    const reached = m.messages / (m.drainMs / 1000);
    const share = Math.round((reached / windowBound) * 100);
    out.push(`With ${report.window} messages in flight the round trip allows at most ${rate(windowBound)} messages/s; the unbatched outbox reached ${rate(reached)} (${share} % of that bound): ${share >= 80 ? 'the window sets its pace, the rest is the sender\'s CPU (SQLite reads and deletes, JSON, MQTT) on a shared machine' : 'the sender\'s CPU (SQLite reads and deletes, JSON, MQTT), not the window, limits it here'}.`);
  }
  const batched = report.rows.filter((r) => r.sender.includes('batched') && !r.sender.includes('unbatched') && !r.estimatedFrom);
  const best = batched.map((r) => medianRun(r.runs)).filter((x): x is DrainOutcome => x !== undefined && !x.error).sort((a, b) => b.readings - a.readings)[0];
  if (best) {
    out.push(`Batching samples of one device (the protocol allows 1000 per message, and ingest writes a message in one go) cuts the messages by about ${Math.round(best.readings / Math.max(1, best.messages))} × for this backlog: ${count(best.readings)} readings drained in ${duration(best.drainMs)}, so 10 minutes offline cost ${(best.drainMs / 600_000 * 100).toFixed(2)} % of 10 minutes to catch up.`);
  }
  return [out.join(' ')];
}
