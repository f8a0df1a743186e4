// Command-line options of `npm run bench:ingest -- [options]`, with the defaults that
// keep the whole benchmark within about five minutes on a 2-core machine. Pure.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  runs: number;
  /** Publishing time of a single-sample run; batched runs publish half as long (see batchedRunMs). */
  runMs: number;
  warmupMs: number;
  gateways: number;
  devicesPerGateway: number;
  /** In-flight window per client, single-sample workload. */
  singleWindow: number;
  /** In-flight window per client, batched workload. */
  batchedWindow: number;
  samplesPerBatch: number;
  /** InfluxDB ceiling: lines per /write request and requests in flight. */
  linesPerRequest: number;
  writeConcurrency: number;
  /** Longest wait, before each measurement, for other programs to leave the CPU alone. */
  maxQuietWaitMs: number;
  /** Whether to rewrite the ingest section of docs/BENCHMARKS.md. */
  writeDoc: boolean;
  /** Measurements to run (all when absent); a partial run never writes the doc. */
  only?: ReadonlySet<MeasurementId>;
}

export const MEASUREMENT_IDS = ['broker-ceiling', 'sqlite-single', 'sqlite-batched', 'influx-ceiling', 'influx-single', 'influx-batched'] as const;
export type MeasurementId = (typeof MEASUREMENT_IDS)[number];

function parseOnly(text: string | undefined): ReadonlySet<MeasurementId> | undefined {
  if (text === undefined) return undefined;
  const ids = text.split(',').map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !(MEASUREMENT_IDS as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0) throw new Error(`--only takes a comma-separated list of ${MEASUREMENT_IDS.join(', ')}; got "${text}"`);
  return new Set(ids as MeasurementId[]);
}

export const DEFAULT_OPTIONS: Readonly<BenchOptions> = {
  runs: 3,
  runMs: 5000,
  warmupMs: 2000,
  gateways: 40,
  devicesPerGateway: 5,
  singleWindow: 16,
  batchedWindow: 4,
  samplesPerBatch: 50,
  linesPerRequest: 5000,
  writeConcurrency: 2,
  maxQuietWaitMs: 20_000,
  writeDoc: true,
};

/**
 * Batched publishers outrun ingest several times over, and ingest reads ahead up to
 * its un-acked limit: the backlog left at the end of publishing takes much longer to
 * drain than it took to send. Half the publishing time keeps the run short.
 */
export function batchedRunMs(options: BenchOptions): number {
  return Math.max(500, Math.round(options.runMs / 2));
}

export const USAGE = `usage: npm run bench:ingest -- [options]
  --runs N              timed runs per measurement (default ${DEFAULT_OPTIONS.runs}; the median is reported)
  --seconds S           publishing time of each run (default ${DEFAULT_OPTIONS.runMs / 1000}; batched runs half of it)
  --warmup-seconds S    publishing time of the warm-up, not counted (default ${DEFAULT_OPTIONS.warmupMs / 1000})
  --gateways N          MQTT clients, one gateway account each (default ${DEFAULT_OPTIONS.gateways})
  --devices N           devices per gateway (default ${DEFAULT_OPTIONS.devicesPerGateway})
  --window N            in-flight QoS 1 messages per client, single-sample (default ${DEFAULT_OPTIONS.singleWindow})
  --batched-window N    in-flight QoS 1 messages per client, batched (default ${DEFAULT_OPTIONS.batchedWindow})
  --quiet-wait S        before each measurement, wait up to S s for other programs to go idle (default ${DEFAULT_OPTIONS.maxQuietWaitMs / 1000}; 0: never)
  --only A,B            run only these measurements (${MEASUREMENT_IDS.join(', ')}); implies --no-doc
  --no-doc              do not rewrite docs/BENCHMARKS.md
  --help`;

function positiveNumber(name: string, text: string | undefined, fallback: number, scale = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${text}"`);
  return Math.round(value * scale);
}

/** Parsed options, or 'help'. Throws with a message naming the bad option. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'runs': { type: 'string' },
      'seconds': { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'gateways': { type: 'string' },
      'devices': { type: 'string' },
      'window': { type: 'string' },
      'batched-window': { type: 'string' },
      'only': { type: 'string' },
      'quiet-wait': { type: 'string' },
      'no-doc': { type: 'boolean' },
      'help': { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const d = DEFAULT_OPTIONS;
  const only = parseOnly(values.only);
  return {
    ...d,
    runs: positiveNumber('runs', values.runs, d.runs),
    runMs: positiveNumber('seconds', values.seconds, d.runMs, 1000),
    warmupMs: positiveNumber('warmup-seconds', values['warmup-seconds'], d.warmupMs, 1000),
    gateways: positiveNumber('gateways', values.gateways, d.gateways),
    devicesPerGateway: positiveNumber('devices', values.devices, d.devicesPerGateway),
    singleWindow: positiveNumber('window', values.window, d.singleWindow),
    batchedWindow: positiveNumber('batched-window', values['batched-window'], d.batchedWindow),
    maxQuietWaitMs: values['quiet-wait'] === '0' ? 0 : positiveNumber('quiet-wait', values['quiet-wait'], d.maxQuietWaitMs, 1000),
    writeDoc: !values['no-doc'] && only === undefined,
    ...(only ? { only } : {}),
  };
}
