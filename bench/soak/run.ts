// `npm run soak`: the real broker, ingest and a throwaway InfluxDB under a steady
// single-sample load at the rate docs/BENCHMARKS.md measured (or --rate) for 10
// minutes (or --duration), checking that nothing is lost and memory stays flat. If
// the rate is not sustained it runs again at the fallback rate (80 %). Prints progress
// and rewrites the "Sustained load" sections of docs/BENCHMARKS.md and docs/RELIABILITY.md.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInfluxd } from '../../test/harness/influxd.js';
import { requireTool } from '../../test/harness/tools.js';
import { writeBenchmarksSection } from '../ingest/benchmarks-doc.js';
import { say } from '../ingest/console-output.js';
import { describeMachine, packageVersions } from '../ingest/machine.js';
import { dropInfluxDatabase } from '../ingest/store-counts.js';
import { analyzeSoak, type SoakAnalysis } from './analysis.js';
import { benchmarkedSingleSampleRate } from './benchmarked-rate.js';
import { runSoak } from './soak.js';
import type { SoakRun } from './soak-types.js';
import { parseSoakOptions, resolveRate, SOAK_USAGE, type RateChoice, type SoakOptions } from './soak-options.js';
import { renderReliabilitySection, renderSoakSection, summaryLines, type SoakReportContext } from './soak-report.js';
import type { TrendLimits } from './trend.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SAVED_RUNS = path.join(REPO_ROOT, 'dist', 'soak-report.json');
const MEASURED_PACKAGES = ['aedes', 'mqtt', '@influxdata/influxdb-client'];
/** A full GC in each Node process every 5 s: often enough for a trend, rare enough not to slow them (tens of ms each). */
const LIVE_HEAP_EVERY_SAMPLES = 5;
const FALLBACK_SHARE_OF_WRITTEN = 0.9;

function describeFallback(choice: RateChoice): string {
  return 'msgsPerSec' in choice
    ? `${choice.msgsPerSec.toLocaleString('en-US')} msgs/s`
    : `${Math.round(choice.shareOfBenchmark * 100)} % of the benchmark, or ${Math.round(FALLBACK_SHARE_OF_WRITTEN * 100)} % of what ingest wrote if that is lower`;
}

/**
 * The second run's rate. A share of the benchmark alone can still be too fast for a
 * machine busy with other work; what ingest actually wrote in the first run is what
 * this machine sustains now, so a share given in % is capped at 90 % of that.
 */
function fallbackRate(choice: RateChoice, benchmarked: number | undefined, first: SoakAnalysis): number {
  const chosen = resolveRate(choice, benchmarked);
  if ('msgsPerSec' in choice || !Number.isFinite(first.writtenPerSec)) return chosen;
  return Math.min(chosen, Math.floor((FALLBACK_SHARE_OF_WRITTEN * first.writtenPerSec) / 100) * 100);
}

async function main(): Promise<number> {
  let options: SoakOptions | 'help';
  try {
    options = parseSoakOptions(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`${(err as Error).message}\n${SOAK_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    say(SOAK_USAGE);
    return 0;
  }
  const started = Date.now();
  const docsDir = options.docsDir ?? path.join(REPO_ROOT, 'docs');
  const BENCHMARKS_DOC = path.join(docsDir, 'BENCHMARKS.md');
  const RELIABILITY_DOC = path.join(docsDir, 'RELIABILITY.md');
  if (options.from !== undefined) return renderSaved(options.from, options, BENCHMARKS_DOC, RELIABILITY_DOC);
  const benchmark = benchmarkedSingleSampleRate(await fs.readFile(BENCHMARKS_DOC, 'utf8').catch(() => ''));
  const rate = resolveRate(options.rate, benchmark?.msgsPerSec);
  const limits: TrendLimits = { heapMiBPerMin: options.heapLimitMiBPerMin, rssMiBPerMin: options.rssLimitMiBPerMin };
  const machine = await describeMachine(requireTool('influxd'));
  say(`Shaobing soak — ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.influxdb}; load average ${machine.loadAverage.toFixed(2)}`);
  say(`target ${rate.toLocaleString('en-US')} msgs/s${benchmark ? ` (benchmark: ${benchmark.msgsPerSec.toLocaleString('en-US')})` : ''} for ${options.durationMs / 1000} s after ${options.warmupMs / 1000} s of warm-up` +
    `${options.fallback ? `; if not sustained, again at ${describeFallback(options.fallback)}` : ''}`);

  const influxd = await startInfluxd();
  say(`influxd pid ${influxd.pid} on ${influxd.url}, data in ${influxd.dir}`);
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-soak-'));
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    say(`\n${signal}: stopping influxd (pid ${influxd.pid}) and removing temp files`);
    void influxd.cleanup().finally(() => fs.rm(tempDir, { recursive: true, force: true })).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const analyses: SoakAnalysis[] = [];
  const runs: SoakRun[] = [];
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      let msgsPerSec = rate;
      if (attempt === 1) {
        if (!options.fallback || analyses[0]!.sustained) break;
        msgsPerSec = fallbackRate(options.fallback, benchmark?.msgsPerSec, analyses[0]!);
        say(`\n${rate.toLocaleString('en-US')} msgs/s was not sustained: running again at ${msgsPerSec.toLocaleString('en-US')} msgs/s`);
      }
      const database = `soak_${analyses.length + 1}`;
      say(`\n[${analyses.length + 1}] ${msgsPerSec.toLocaleString('en-US')} msgs/s, ${options.gateways} gateway clients × ${options.devicesPerGateway} devices, window ${options.window}`);
      const run = await runSoak({
        msgsPerSec, durationMs: options.durationMs, warmupMs: options.warmupMs, gateways: options.gateways, devicesPerGateway: options.devicesPerGateway,
        window: options.window, sampleEveryMs: options.sampleEveryMs, liveHeapEverySamples: LIVE_HEAP_EVERY_SAMPLES, progressEveryMs: options.progressEveryMs,
        influx: { url: influxd.url, pid: influxd.pid }, database, tempDir, drainTimeoutMs: 10 * 60_000, say,
      });
      runs.push(run);
      analyses.push(analyzeSoak(run, limits));
      // Its compactions would otherwise share the CPU with the next run.
      await dropInfluxDatabase(influxd.url, database).catch(() => undefined);
    }
  } finally {
    const pid = influxd.pid;
    await influxd.cleanup();
    await fs.rm(tempDir, { recursive: true, force: true });
    say(`\ninfluxd (pid ${pid}) stopped, temp files removed`);
  }

  const context: SoakReportContext = {
    machine, packages: await packageVersions(REPO_ROOT, MEASURED_PACKAGES), date: new Date(started), totalMs: Date.now() - started, limits,
    command: ['npm run soak', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    ...(benchmark && 'shareOfBenchmark' in options.rate ? { benchmarkRow: benchmark.row } : {}),
    ...(benchmark ? { benchmarkedRate: benchmark.msgsPerSec } : {}),
  };
  await fs.writeFile(SAVED_RUNS, JSON.stringify({ runs, context } satisfies SavedSoak));
  say(`\nsamples and figures saved in ${path.relative(process.cwd(), SAVED_RUNS)} (npm run soak -- --from ${path.relative(process.cwd(), SAVED_RUNS)} renders them again)`);
  return report(analyses, context, options.writeDoc, BENCHMARKS_DOC, RELIABILITY_DOC);
}

/** What a soak saves, so its sections can be rendered again (new report code, other limits) without running it again. */
interface SavedSoak {
  runs: SoakRun[];
  context: SoakReportContext;
}

async function report(analyses: SoakAnalysis[], context: SoakReportContext, writeDoc: boolean, benchmarksDoc: string, reliabilityDoc: string): Promise<number> {
  say('');
  for (const line of summaryLines(analyses, context)) say(line);
  if (writeDoc) {
    await writeBenchmarksSection(benchmarksDoc, renderSoakSection(analyses, context));
    await writeBenchmarksSection(reliabilityDoc, renderReliabilitySection(analyses, context));
    say(`\nwrote "Sustained load" in ${path.relative(process.cwd(), benchmarksDoc)} and ${path.relative(process.cwd(), reliabilityDoc)}`);
  }
  say(`total time ${(context.totalMs / 60_000).toFixed(1)} min`);
  return analyses.every((a) => a.passed) ? 0 : 1;
}

async function renderSaved(file: string, options: SoakOptions, benchmarksDoc: string, reliabilityDoc: string): Promise<number> {
  const saved = JSON.parse(await fs.readFile(file, 'utf8')) as SavedSoak;
  const limits: TrendLimits = { heapMiBPerMin: options.heapLimitMiBPerMin, rssMiBPerMin: options.rssLimitMiBPerMin };
  const runs = saved.runs.map((run) => ({ ...run, startedAt: new Date(run.startedAt) }));
  const context = { ...saved.context, date: new Date(saved.context.date), limits };
  say(`rendering the soak of ${context.date.toISOString()} from ${file}`);
  return report(runs.map((run) => analyzeSoak(run, limits)), context, options.writeDoc, benchmarksDoc, reliabilityDoc);
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`soak failed: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
