// The soak (bench/soak, `npm run soak`) in CI: the real broker, ingest and a throwaway
// influxd, each a process of its own, under a steady single-sample load for 40 s at
// 2,000 msgs/s (a rate a busy 2-core runner sustains), then: nothing lost, every
// acknowledged reading stored once, and the live heap (after a full GC) and RSS of
// broker and ingest not growing. The live heap of a healthy run moves by less than
// 0.5 MiB/min; the 4 MiB/min limit leaves room for a busy runner, yet a leak of
// ~35 bytes per message fails it (at 2,000/s that is 4 MiB/min): ingest keeping each
// written sample (an in-flight map never pruned) grew 58 MiB/min, keeping just two
// numbers per reading 7.7 MiB/min. RSS is noisier, its limit wider. The children run
// compiled: `npm run build` first (`npm test` does).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyzeSoak } from '../bench/soak/analysis.js';
import { runSoak } from '../bench/soak/soak.js';
import { summaryLines } from '../bench/soak/soak-report.js';
import { describeMachine } from '../bench/ingest/machine.js';
import { startInfluxd, type InfluxdServer } from './harness/influxd.js';
import { describeWithTool, requireTool } from './harness/tools.js';

const RATE = 2000;
const WARMUP_MS = 8000;
const DURATION_MS = 40_000;
const LIMITS = { heapMiBPerMin: 4, rssMiBPerMin: 40 };

describeWithTool('influxd', `soak: ${RATE} msgs/s for ${DURATION_MS / 1000} s, broker + ingest + influxd as separate processes`, () => {
  let influxd: InfluxdServer | undefined;
  let tempDir: string | undefined;

  beforeAll(async () => {
    influxd = await startInfluxd();
    tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-soak-test-'));
  });

  afterAll(async () => {
    await influxd?.cleanup();
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  });

  it('loses nothing, stores each acknowledged reading once, and memory does not keep growing', async () => {
    const lines: string[] = [];
    const run = await runSoak({
      msgsPerSec: RATE, durationMs: DURATION_MS, warmupMs: WARMUP_MS, gateways: 40, devicesPerGateway: 5, window: 16,
      sampleEveryMs: 1000, liveHeapEverySamples: 2, progressEveryMs: 10_000,
      influx: { url: influxd!.url, pid: influxd!.pid }, database: 'soak_ci', tempDir: tempDir!, drainTimeoutMs: 30_000,
      say: (line) => lines.push(line),
    });
    const analysis = analyzeSoak(run, LIMITS);
    const machine = await describeMachine(requireTool('influxd'));
    const report = [...lines, ...summaryLines([analysis], { machine, packages: {}, date: run.startedAt, command: 'test/soak.test.ts', totalMs: 0, limits: LIMITS })].join('\n');
    process.stdout.write(`${report}\n`);

    expect(run.error, report).toBeUndefined();
    expect(run.totals.failed, report).toBe(0);
    // Not a vacuous pass: the load really ran at about the rate.
    expect(run.totals.acked, report).toBeGreaterThan(0.5 * RATE * ((WARMUP_MS + DURATION_MS) / 1000));
    expect(analysis.lost, report).toBe(0);
    expect(run.totals.stored, report).toBe(run.totals.acked);
    for (const part of ['broker', 'ingest'] as const) {
      const trend = analysis.memory[part];
      expect(trend.heapSlope, `${part} live heap slope (MiB/min)\n${report}`).toBeLessThanOrEqual(LIMITS.heapMiBPerMin);
      expect(trend.rssSlope, `${part} RSS slope (MiB/min)\n${report}`).toBeLessThanOrEqual(LIMITS.rssMiBPerMin);
    }
  }, 120_000);
});
