// Soak verdicts on made-up runs: sustained or not, loss, memory, per-minute rows; and
// the Markdown they become.
import { describe, expect, it } from 'vitest';
import type { MachineInfo } from '../ingest/machine.js';
import { analyzeSoak, minuteRows } from './analysis.js';
import { BENCHMARKS_HEADING, RELIABILITY_HEADING, renderReliabilitySection, renderSoakSection } from './soak-report.js';
import type { SoakRun, SoakSample } from './soak-types.js';

const MiB = 2 ** 20;
const LIMITS = { heapMiBPerMin: 2, rssMiBPerMin: 4 };

interface Shape {
  rate: number;
  /** Share of the rate the system manages (at minute m of the run, when a function). */
  keepsUp: number | ((minute: number) => number);
  /** Live-heap growth of ingest, MiB per minute. */
  ingestLeak: number;
  stored: (acked: number) => number;
}

/** A 4-minute run after a 30 s warm-up, one sample every 5 s, a live heap every second sample. */
function fakeRun({ rate, keepsUp, ingestLeak, stored }: Shape): SoakRun {
  const samples: SoakSample[] = [];
  for (let atMs = 5000; atMs <= 270_000; atMs += 5000) {
    const due = Math.floor((rate * atMs) / 1000);
    const minute = atMs / 60_000;
    const acked = Math.floor(due * (typeof keepsUp === 'number' ? keepsUp : keepsUp(minute)));
    // A broker queue that grows with the shortfall.
    const queued = 300 + Math.floor((due - acked) / 10);
    const memory = (heap: number, rss: number) => ({ rss: rss * MiB, heapUsed: heap * MiB, heapTotal: 2 * heap * MiB, external: 0, collected: false });
    samples.push({
      atMs, due, published: acked + 50, acked, written: acked - queued, ingestPending: 300,
      memory: { broker: memory(20, 110), ingest: memory(30 + ingestLeak * minute, 150 + ingestLeak * minute), publishers: memory(19, 100) },
      influxdRss: 200 * MiB,
      ...((atMs / 5000) % 2 === 0 ? { liveHeap: { broker: 20 * MiB, ingest: (30 + ingestLeak * minute) * MiB, publishers: 19 * MiB } } : {}),
    });
  }
  const acked = samples[samples.length - 1]!.acked;
  return {
    msgsPerSec: rate, durationMs: 240_000, warmupMs: 30_000, gateways: 40, devicesPerGateway: 5, window: 16,
    sampleEveryMs: 5000, liveHeapEverySamples: 2, startedAt: new Date('2026-12-01T21:00:00Z'), loadAverage: { start: 1.5, end: 1.7 }, samples,
    totals: { published: acked, acked, failed: 0, written: acked + 10, rejected: 0, stored: stored(acked), storedValues: stored(acked) * 10 },
    drainMs: 200, latency: { p50: 40, p99: 900, p999: 1500 },
    cpu: { machineBusy: 0.9, cores: { publishers: 0.3, broker: 0.5, ingest: 0.4, influxd: 0.4, runner: 0.01 }, otherCores: 0.2, machineCores: 2 },
  };
}

describe('soak analysis', () => {
  it.each<[string, Shape, { sustained: boolean; lost: number; memoryStable: boolean; passed: boolean }]>([
    ['keeps up, all stored, flat memory', { rate: 2000, keepsUp: 1, ingestLeak: 0, stored: (n) => n }, { sustained: true, lost: 0, memoryStable: true, passed: true }],
    ['falls behind: not sustained, still passes', { rate: 12_400, keepsUp: 0.55, ingestLeak: 0, stored: (n) => n }, { sustained: false, lost: 0, memoryStable: true, passed: true }],
    ['loses 7 readings', { rate: 2000, keepsUp: 1, ingestLeak: 0, stored: (n) => n - 7 }, { sustained: true, lost: 7, memoryStable: true, passed: false }],
    ['ingest leaks 10 MiB/min', { rate: 2000, keepsUp: 1, ingestLeak: 10, stored: (n) => n }, { sustained: true, lost: 0, memoryStable: false, passed: false }],
    ['falls behind while memory grows: reported, not failed (the queue)', { rate: 12_400, keepsUp: 0.55, ingestLeak: 10, stored: (n) => n }, { sustained: false, lost: 0, memoryStable: false, passed: true }],
  ])('%s', (_name, shape, expected) => {
    const analysis = analyzeSoak(fakeRun(shape), LIMITS);
    expect({ sustained: analysis.sustained, lost: analysis.lost, memoryStable: analysis.memoryStable, passed: analysis.passed }).toEqual(expected);
  });

  it('measures the rate over the measured period and counts redelivered writes', () => {
    const analysis = analyzeSoak(fakeRun({ rate: 2000, keepsUp: 1, ingestLeak: 0, stored: (n) => n }), LIMITS);
    expect(analysis.ackedPerSec).toBeCloseTo(2000, 0);
    expect(analysis.rewritten).toBe(10);
    expect(analysis.memory.influxd?.stable).toBe(true);
  });

  it('makes one row per minute of the measured period', () => {
    const rows = minuteRows(analyzeSoak(fakeRun({ rate: 2000, keepsUp: 1, ingestLeak: 0, stored: (n) => n }), LIMITS));
    expect(rows.map((r) => r.minute)).toEqual([1, 2, 3, 4]);
    expect(rows[0]!.liveHeap.ingest).toBe(30 * MiB);
    expect(rows[0]!.backlog).toBe(300);
  });
});

describe('soak report', () => {
  const machine: MachineInfo = { cpuModel: 'AMD EPYC', cores: 2, memoryGiB: 23.5, os: 'Linux x64', node: 'v20.20.2', influxdb: 'InfluxDB v1.6.7', loadAverage: 1.5 };
  const context = { machine, packages: { aedes: '1.2.0' }, date: new Date('2026-12-01T21:00:00Z'), command: 'npm run soak', totalMs: 300_000, limits: LIMITS, benchmarkedRate: 12_400 };
  const analyses = [
    analyzeSoak(fakeRun({ rate: 12_400, keepsUp: 0.55, ingestLeak: 0, stored: (n) => n }), LIMITS),
    analyzeSoak(fakeRun({ rate: 6000, keepsUp: 1, ingestLeak: 0, stored: (n) => n }), LIMITS),
  ];

  it('renders the BENCHMARKS.md section: heading, a result row per run, memory per run', () => {
    const section = renderSoakSection(analyses, context);
    expect(section.startsWith(`${BENCHMARKS_HEADING}\n`)).toBe(true);
    expect(section).toMatch(/\| 12,400 msgs\/s \(100 % of the benchmark\) \| 4 min \| 6,820 \|.*\| \*\*no\*\* \|/);
    expect(section).toMatch(/\| 6,000 msgs\/s \(48 % of the benchmark\) \| 4 min \| 6,000 \|.*\| yes \|/);
    expect(section.match(/^### Memory at /gm)).toHaveLength(2);
    expect(section).toContain('The backlog sat in the broker');
    expect(section.match(/^## /gm)).toHaveLength(1);
    expect(section).not.toContain('sank');
  });

  it('says so when the rate sank while the broker queue grew', () => {
    const sinking = analyzeSoak(fakeRun({ rate: 12_400, keepsUp: (minute) => 0.8 / (1 + minute / 2), ingestLeak: 0, stored: (n) => n }), LIMITS);
    expect(renderSoakSection([sinking], context)).toMatch(/rate sank from [\d,]+ msgs\/s in the first minute to [\d,]+ in the last/);
  });

  it('renders the short RELIABILITY.md section with one line per run', () => {
    const section = renderReliabilitySection(analyses, context);
    expect(section.startsWith(`${RELIABILITY_HEADING}\n`)).toBe(true);
    expect(section.match(/^- /gm)).toHaveLength(2);
    expect(section).toContain('**0 lost**');
  });
});
