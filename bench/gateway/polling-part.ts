// Part (b): what polling costs the gateway process. One gateway (gateway-child.ts, a process of
// its own) polls N Modbus TCP devices of M points each at 1 Hz; the devices are simulated in
// another child process (simulators-child.ts); the MQTT broker (Aedes) and a subscriber that
// counts what arrives run in this runner process. The gateway's CPU (utime + stime from
// /proc/PID/stat over the window) and memory (/proc/PID/status: VmHWM = peak RSS over its whole
// life, start-up included; VmRSS sampled each second) are read from outside, so measuring does
// not load it. Twice: with the outbox in memory, and on disk as `shaobing gateway` runs it.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { closeServer, listen } from '../../lib/net.js';
import { delay } from '../../lib/wait.js';
import { planReads } from '../../gateway/read-plan.js';
import type { Telemetry } from '../../protocol/index.js';
import { benchProfile } from './bench-profile.js';
import { startChild, type Child } from './child-rpc.js';
import type { GatewayChildStats } from './gateway-child.js';
import { formatMarkdownTable } from './markdown-table.js';
import { partHeading, type GatewayBenchOptions, type GatewayBenchPart, type PartResult } from './parts.js';
import { readMemory, readTicks, TICKS_PER_SECOND } from './proc-stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface PollingOutcome {
  variant: string;
  seconds: number;
  /** Busy share of one core, in percent. */
  cpuPercent: number;
  peakRssMiB: number;
  meanRssMiB: number;
  pollsPerSecond: number;
  failedPolls: number;
  samplesReceivedPerSecond: number;
  /** |interval between consecutive samples of a device − poll interval|, ms. */
  jitterP50: number;
  jitterP99: number;
  jitterMax: number;
  simulatorsCpuPercent: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sample-interval deviations from the poll interval, per device, from the sample times seen. Pure. */
export function jitter(times: Map<string, number[]>, intervalMs: number): number[] {
  const deviations: number[] = [];
  for (const list of times.values()) {
    for (let i = 1; i < list.length; i++) deviations.push(Math.abs(list[i]! - list[i - 1]! - intervalMs));
  }
  return deviations.sort((a, b) => a - b);
}

async function measureVariant(
  variant: { name: string; dataDir?: string; devices?: number },
  options: GatewayBenchOptions,
  env: { brokerUrl: string; ports: number[]; simulators: Child; received: { samples: number; times: Map<string, number[]> } },
  say: (line: string) => void,
): Promise<PollingOutcome> {
  const gateway = await startChild(path.join(HERE, 'gateway-child.js'), {
    brokerUrl: env.brokerUrl, ports: env.ports.slice(0, variant.devices ?? env.ports.length), points: options.points, pollIntervalMs: options.pollIntervalMs, dataDir: variant.dataDir,
  });
  try {
    say(`  ${variant.name}: gateway pid ${gateway.pid}, warming up ${options.warmupMs / 1000} s`);
    await delay(options.warmupMs);
    const start = { at: performance.now(), ticks: readTicks(gateway.pid)!, simTicks: readTicks(env.simulators.pid)!, stats: await gateway.request<GatewayChildStats>({ type: 'stats' }), samples: env.received.samples };
    env.received.times.clear();
    const rss: number[] = [];
    const end = start.at + options.durationMs;
    while (performance.now() < end) {
      await delay(Math.min(1000, end - performance.now()));
      const memory = readMemory(gateway.pid);
      if (memory) rss.push(memory.rss);
    }
    const stop = { at: performance.now(), ticks: readTicks(gateway.pid)!, simTicks: readTicks(env.simulators.pid)!, stats: await gateway.request<GatewayChildStats>({ type: 'stats' }), samples: env.received.samples };
    const memory = readMemory(gateway.pid)!;
    const seconds = (stop.at - start.at) / 1000;
    const deviations = jitter(env.received.times, options.pollIntervalMs);
    const outcome: PollingOutcome = {
      variant: variant.name,
      seconds,
      cpuPercent: ((stop.ticks - start.ticks) / TICKS_PER_SECOND / seconds) * 100,
      peakRssMiB: memory.peakRss / 1024,
      meanRssMiB: rss.reduce((a, b) => a + b, 0) / Math.max(rss.length, 1) / 1024,
      pollsPerSecond: (stop.stats.pollsOk - start.stats.pollsOk) / seconds,
      failedPolls: stop.stats.pollsFailed - start.stats.pollsFailed,
      samplesReceivedPerSecond: (stop.samples - start.samples) / seconds,
      jitterP50: percentile(deviations, 50),
      jitterP99: percentile(deviations, 99),
      jitterMax: deviations.at(-1) ?? NaN,
      simulatorsCpuPercent: ((stop.simTicks - start.simTicks) / TICKS_PER_SECOND / seconds) * 100,
    };
    say(`  ${variant.name}: CPU ${outcome.cpuPercent.toFixed(1)} % of a core, peak RSS ${outcome.peakRssMiB.toFixed(1)} MiB, ${outcome.pollsPerSecond.toFixed(1)} polls/s (${outcome.failedPolls} failed), ${outcome.samplesReceivedPerSecond.toFixed(1)} samples/s at the broker, interval deviation p50/p99/max ${outcome.jitterP50}/${outcome.jitterP99}/${outcome.jitterMax} ms`);
    return outcome;
  } finally {
    await gateway.stop();
  }
}

export function renderPolling(outcomes: PollingOutcome[], options: GatewayBenchOptions, requestsPerPoll: number, machine: string): string {
  const f1 = (n: number) => n.toFixed(1);
  const table = formatMarkdownTable(
    ['gateway outbox', 'CPU (% of one core)', 'peak RSS (VmHWM)', 'mean RSS', 'polls/s', 'failed polls', 'samples/s at the broker', 'sample interval − 1 s: p50 / p99 / max', 'simulators’ CPU'],
    outcomes.map((o) => [
      o.variant, f1(o.cpuPercent), `${f1(o.peakRssMiB)} MiB`, `${f1(o.meanRssMiB)} MiB`, f1(o.pollsPerSecond), String(o.failedPolls), f1(o.samplesReceivedPerSecond),
      // The baseline polls nothing, so it has no sample intervals to describe.
      Number.isNaN(o.jitterP50) ? '–' : `${f1(o.jitterP50)} / ${f1(o.jitterP99)} / ${f1(o.jitterMax)} ms`, `${f1(o.simulatorsCpuPercent)} %`,
    ]),
  );
  return [
    `${options.devices} Modbus TCP devices × ${options.points} points (${requestsPerPoll} requests per poll after coalescing), polled every ${options.pollIntervalMs} ms, each device its own endpoint (bus). ` +
      `Measured over ${(options.durationMs / 1000).toFixed(0)} s after ${(options.warmupMs / 1000).toFixed(0)} s of warm-up, ${machine}.`,
    '',
    '- The gateway runs alone in a child process (`bench/gateway/gateway-child.ts`, `startGateway` as `shaobing gateway` runs it); the simulated devices in another child process; the Aedes broker and a counting subscriber in the runner.',
    '- CPU: utime + stime of the gateway process from `/proc/PID/stat` over the window; peak RSS: `VmHWM` from `/proc/PID/status` (whole life, start-up included); mean RSS: `VmRSS` sampled each second.',
    '- "outbox on disk" is the production setting (`dataDir` set, SQLite, `synchronous: full`); "in memory" isolates polling and publishing.',
    '',
    table,
  ].join('\n');
}

export const pollingPart: GatewayBenchPart = {
  id: 'b',
  title: 'Gateway CPU and memory polling Modbus TCP devices',
  async run(options, say): Promise<PartResult> {
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    const port = await listen(server, 0);
    const brokerUrl = `mqtt://127.0.0.1:${port}`;
    const received = { samples: 0, times: new Map<string, number[]>() };
    const subscriber = await connectAsync(brokerUrl, { protocolVersion: 4, clientId: 'bench-subscriber', reconnectPeriod: 0 });
    subscriber.on('message', (topic, payload) => {
      const device = topic.slice(topic.lastIndexOf('/') + 1);
      const message = JSON.parse(payload.toString()) as Telemetry;
      received.samples += message.samples.length;
      const list = received.times.get(device) ?? [];
      for (const sample of message.samples) list.push(sample.ts);
      received.times.set(device, list);
    });
    await subscriber.subscribeAsync('sb/v1/gw/bench/gw-bench/telemetry/#', { qos: 1 });
    const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-bench-gateway-'));
    const simulators = await startChild(path.join(HERE, 'simulators-child.js'), { devices: options.devices, points: options.points });
    say(`  ${options.devices} simulated devices in pid ${simulators.pid}; broker on ${brokerUrl}`);
    try {
      const env = { brokerUrl, ports: simulators.ready as number[], simulators, received };
      const outcomes = [
        // The same process with no devices: what Node, the MQTT client and the outbox cost by themselves.
        await measureVariant({ name: 'in memory, no devices (baseline)', devices: 0 }, options, env, say),
        await measureVariant({ name: 'in memory' }, options, env, say),
        await measureVariant({ name: 'on disk (SQLite)', dataDir: path.join(tempDir, 'gw') }, options, env, say),
      ];
      const requestsPerPoll = planReads(benchProfile(options.points).points).length;
      const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)} at the end`;
      const markdown = `${partHeading(this)}\n\n${renderPolling(outcomes, options, requestsPerPoll, machine)}\n`;
      const summary = outcomes.map((o) => `${o.variant}: gateway CPU ${o.cpuPercent.toFixed(1)} % of a core, peak RSS ${o.peakRssMiB.toFixed(1)} MiB, ${o.pollsPerSecond.toFixed(1)} polls/s, jitter p99 ${o.jitterP99.toFixed(1)} ms`);
      return { markdown, summary };
    } finally {
      await simulators.stop();
      await subscriber.endAsync(true);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closeServer(server);
      await fs.rm(tempDir, { recursive: true, force: true });
    }
  },
};
