// Options of `npm run soak -- [options]` (each also an SB_SOAK_* variable; a flag wins).
// Pure: parses argv and an environment into settings.
import { parseArgs } from 'node:util';

/** A rate given as messages per second, or as a share of the benchmarked rate. */
export type RateChoice = { msgsPerSec: number } | { shareOfBenchmark: number };

export interface SoakOptions {
  /** Measured time under load, after the warm-up. */
  durationMs: number;
  warmupMs: number;
  rate: RateChoice;
  /** Run again at this share of the benchmarked rate if the first run did not sustain its rate; none when undefined. */
  fallback?: RateChoice;
  gateways: number;
  devicesPerGateway: number;
  /** PUBLISHes each gateway client may have awaiting their PUBACK. */
  window: number;
  sampleEveryMs: number;
  progressEveryMs: number;
  heapLimitMiBPerMin: number;
  rssLimitMiBPerMin: number;
  writeDoc: boolean;
  /** Folder holding BENCHMARKS.md and RELIABILITY.md (default: the repository's docs/). */
  docsDir?: string;
  /** Render the sections from a saved soak (dist/soak-report.json) instead of running one. */
  from?: string;
}

export const SOAK_DEFAULTS: Readonly<SoakOptions> = {
  durationMs: 10 * 60_000,
  warmupMs: 30_000,
  rate: { shareOfBenchmark: 1 },
  fallback: { shareOfBenchmark: 0.8 },
  gateways: 40,
  devicesPerGateway: 5,
  window: 16,
  sampleEveryMs: 1000,
  progressEveryMs: 30_000,
  heapLimitMiBPerMin: 2,
  rssLimitMiBPerMin: 4,
  writeDoc: true,
};

export const SOAK_USAGE = `usage: npm run soak -- [options]
  --duration D      measured time under load (default 10m; e.g. 600s, 45s, 90000ms)   SB_SOAK_DURATION
  --warmup D        load before memory is sampled (default 30s)                          SB_SOAK_WARMUP
  --rate R          msgs/s, or N% of the single-sample InfluxDB rate in docs/BENCHMARKS.md
                    (default 100%)                                                       SB_SOAK_RATE
  --fallback R|none if the rate was not sustained, run again at R (default 80%)          SB_SOAK_FALLBACK
  --gateways N      gateway clients (default 40), --devices N per gateway (default 5)
  --window N        QoS 1 messages in flight per client (default 16)
  --heap-limit X    heap-floor growth that still counts as stable, MiB/min (default 2)
  --rss-limit X     RSS growth that still counts as a plateau, MiB/min (default 4)
  --no-doc          do not rewrite docs/BENCHMARKS.md and docs/RELIABILITY.md
  --docs DIR        read and rewrite BENCHMARKS.md and RELIABILITY.md in DIR instead of docs/
  --from FILE       do not run: render the sections again from a saved soak (dist/soak-report.json)`;

/** "10m", "45s", "1500ms" or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!match) throw new Error(`${name}: "${text}" is not a duration (e.g. 10m, 45s, 1500ms)`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const ms = value * ({ ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 } as const)[unit as 'ms' | 's' | 'm' | 'min' | 'h'];
  if (!(ms > 0)) throw new Error(`${name}: must be longer than zero`);
  return Math.round(ms);
}

export function parseRate(text: string, name: string): RateChoice {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$/.exec(text.replace(/,/g, ''));
  const value = Number(match?.[1]);
  if (!match || !(value > 0)) throw new Error(`${name}: "${text}" is neither msgs/s nor a percentage (e.g. 12400, 80%)`);
  return match[2] ? { shareOfBenchmark: value / 100 } : { msgsPerSec: value };
}

function positive(text: string, name: string, integer: boolean): number {
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new Error(`${name}: "${text}" must be a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

export function parseSoakOptions(argv: readonly string[], env: Record<string, string | undefined>): SoakOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: 'string' }, warmup: { type: 'string' }, rate: { type: 'string' }, fallback: { type: 'string' },
      gateways: { type: 'string' }, devices: { type: 'string' }, window: { type: 'string' },
      'heap-limit': { type: 'string' }, 'rss-limit': { type: 'string' }, 'no-doc': { type: 'boolean' }, docs: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const pick = (flag: string | undefined, variable: string): string | undefined => flag ?? env[variable];
  const options: SoakOptions = { ...SOAK_DEFAULTS };
  const duration = pick(values.duration, 'SB_SOAK_DURATION');
  if (duration !== undefined) options.durationMs = parseDuration(duration, '--duration');
  const warmup = pick(values.warmup, 'SB_SOAK_WARMUP');
  if (warmup !== undefined) options.warmupMs = parseDuration(warmup, '--warmup');
  const rate = pick(values.rate, 'SB_SOAK_RATE');
  if (rate !== undefined) options.rate = parseRate(rate, '--rate');
  const fallback = pick(values.fallback, 'SB_SOAK_FALLBACK');
  if (fallback !== undefined) {
    if (fallback.trim() === 'none') delete options.fallback;
    else options.fallback = parseRate(fallback, '--fallback');
  }
  if (values.gateways !== undefined) options.gateways = positive(values.gateways, '--gateways', true);
  if (values.devices !== undefined) options.devicesPerGateway = positive(values.devices, '--devices', true);
  if (values.window !== undefined) options.window = positive(values.window, '--window', true);
  if (values['heap-limit'] !== undefined) options.heapLimitMiBPerMin = positive(values['heap-limit'], '--heap-limit', false);
  if (values['rss-limit'] !== undefined) options.rssLimitMiBPerMin = positive(values['rss-limit'], '--rss-limit', false);
  if (values['no-doc']) options.writeDoc = false;
  if (values.docs !== undefined) options.docsDir = values.docs;
  if (values.from !== undefined) options.from = values.from;
  return options;
}

/** Messages per second of a choice, given the benchmarked rate (needed only for a percentage). */
export function resolveRate(choice: RateChoice, benchmarked: number | undefined): number {
  if ('msgsPerSec' in choice) return choice.msgsPerSec;
  if (benchmarked === undefined) throw new Error('a rate in % needs the single-sample InfluxDB figure of docs/BENCHMARKS.md, which was not found: give --rate in msgs/s');
  return Math.round(benchmarked * choice.shareOfBenchmark);
}
