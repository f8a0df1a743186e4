// InfluxDB's own write ceiling on this machine: the lines ingest would write for the
// same fleet, posted straight to /write by a tight writer (influx-writer.ts). Bodies
// are built before each timed run, so the run measures influxd, not line building.
import { say } from './console-output.js';
import { formatCount, formatRate, formatRun } from './formatting.js';
import { postBodies } from './influx-writer.js';
import { lineProtocolBodies } from './line-protocol-bodies.js';
import { runMeasurement, wantsAnotherRun, type RunMeasurement, type ScenarioOutcome } from './measurements.js';
import { perSecond } from './statistics.js';
import { countInflux, createInfluxDatabase, dropInfluxDatabase } from './store-counts.js';
import { FIELDS_PER_SAMPLE, fleetTelemetry, type BenchGateway, type SampleClock } from './synthetic-telemetry.js';
import { takeUtilization, utilizationSince, type Watched } from './utilization.js';

export interface CeilingSettings {
  influxUrl: string;
  database: string;
  linesPerBody: number;
  concurrency: number;
  gateways: readonly BenchGateway[];
  devicesPerGateway: number;
  clock: SampleClock;
  warmupBodies: number;
  /** Each run is sized from the warm-up rate to last about this long. */
  runMs: number;
  runs: number;
  influxdPid: number | undefined;
}

const MIN_BODIES_PER_RUN = 4;
const MAX_BODIES_PER_RUN = 400;

export async function measureInfluxCeiling(settings: CeilingSettings): Promise<ScenarioOutcome> {
  const { influxUrl, database, linesPerBody, concurrency } = settings;
  const fleet = fleetTelemetry(settings.gateways, settings.devicesPerGateway, settings.clock);
  const watched: Watched = { threads: { writer: process.pid }, processes: { influxd: settings.influxdPid } };
  const runs: RunMeasurement[] = [];
  let linesSent = 0;
  let error: string | undefined;

  try {
    await createInfluxDatabase(influxUrl, database);
    const warmup = lineProtocolBodies(fleet, settings.warmupBodies, linesPerBody);
    const warm = await postBodies(influxUrl, database, warmup, concurrency);
    linesSent += warmup.length * linesPerBody;
    const warmRate = perSecond(warmup.length * linesPerBody, warm.finishedAtMs - warm.startedAtMs);
    const bodiesPerRun = Math.min(MAX_BODIES_PER_RUN, Math.max(MIN_BODIES_PER_RUN, Math.round((warmRate * settings.runMs) / 1000 / linesPerBody)));
    say(`    warm-up: ${formatCount(warmup.length * linesPerBody)} lines at ${formatRate(warmRate)} lines/s (not counted); runs of ${bodiesPerRun} requests`);

    for (let i = 1; wantsAnotherRun(runs, settings.runs); i++) {
      const bodies = lineProtocolBodies(fleet, bodiesPerRun, linesPerBody);
      const before = takeUtilization(watched);
      const timing = await postBodies(influxUrl, database, bodies, concurrency);
      const lines = bodies.length * linesPerBody;
      linesSent += lines;
      const measurement = runMeasurement(bodies.length, lines, timing.finishedAtMs - timing.startedAtMs, true, utilizationSince(watched, before));
      runs.push(measurement);
      say(`    ${formatRun(i, measurement, 'lines')}`);
    }
  } catch (err) {
    error = (err as Error).message;
    say(`    FAILED: ${error}`);
  }

  let arrived = 0;
  let valuesArrived = 0;
  try {
    ({ readings: arrived, values: valuesArrived } = await countInflux(influxUrl, database));
    await dropInfluxDatabase(influxUrl, database);
  } catch (err) {
    error ??= `counting: ${(err as Error).message}`;
  }
  return {
    runs,
    delivery: { unit: 'readings', sent: linesSent, arrived, valuesSent: linesSent * FIELDS_PER_SAMPLE, valuesArrived, failedPublishes: 0 },
    ...(error ? { error } : {}),
  };
}
