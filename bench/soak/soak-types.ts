// What a soak records, shared by the runner (soak.ts, which fills it), the analysis
// and the report. Types only.
import type { CpuShares } from '../ingest/cpu-usage.js';
import type { ProcessMemory } from './process-rpc.js';

export const NODE_PARTS = ['broker', 'ingest', 'publishers'] as const;
export type NodePart = (typeof NODE_PARTS)[number];

export interface SoakSample {
  /** Milliseconds since the load started; the measured period starts at warmupMs. */
  atMs: number;
  memory: Record<NodePart, ProcessMemory>;
  /** Heap used right after a full GC, bytes: taken every few samples only (a full GC pauses the process). */
  liveHeap?: Record<NodePart, number>;
  /** influxd's resident set, bytes (undefined when /proc could not tell). */
  influxdRss: number | undefined;
  /** Due by the schedule, handed to MQTT.js, acknowledged by the broker, written by ingest. */
  due: number;
  published: number;
  acked: number;
  written: number;
  /** Messages ingest has received and not yet written. */
  ingestPending: number;
}

/** How a soak is shaped: what it was asked to do, and what its record repeats. */
export interface SoakShape {
  msgsPerSec: number;
  durationMs: number;
  warmupMs: number;
  gateways: number;
  devicesPerGateway: number;
  window: number;
  sampleEveryMs: number;
  /** Every how many samples to force a full GC in the Node processes and take their live heap. */
  liveHeapEverySamples: number;
}

export interface SoakRun extends SoakShape {
  startedAt: Date;
  loadAverage: { start: number; end: number };
  samples: SoakSample[];
  /** Counts over the whole run (warm-up included). */
  totals: {
    published: number;
    acked: number;
    failed: number;
    /** Write successes in ingest (a redelivered reading counts twice). */
    written: number;
    rejected: number;
    /** Counted in InfluxDB at the end. */
    stored: number;
    storedValues: number;
  };
  /** From the end of publishing until ingest had written every acknowledged reading. */
  drainMs: number;
  /** End-to-end latency (sample time → write done) over the measured period, ms; NaN when none. */
  latency: { p50: number; p99: number; p999: number };
  /** Over the measured period: cores of each part (and of the runner), machine busy share. */
  cpu: CpuShares & { otherCores: number; machineCores: number };
  error?: string;
}
