// The scheduler of one physical bus (a serial line, or a TCP endpoint): exactly one request in
// flight, writes before polls, and among polls the one due earliest. Each device's timing
// (interval, retries with back-off, the slow probe of an offline device) is its own
// (poll-timing.ts); the bus only orders the attempts.
//
// Guarantee: a device due at time t starts by t + (the rest of the attempt in flight) + (the
// attempts due before t). A dead device's attempt costs at most its own timeout (its first
// request fails the attempt; its other requests are never sent), its retries are separate,
// later jobs that the other due devices overtake, and once offline it costs one timeout per
// offline interval. So on a bus that is not overloaded, no device waits for a dead one for
// longer than one timeout of the dead device.
import type { Logger } from '../lib/logger.js';
import type { DevicePoller } from './device-poller.js';
import type { ModbusLink } from './modbus-link.js';
import type { WriteRequest } from './point-write.js';

interface WriteJob {
  poller: DevicePoller;
  request: WriteRequest;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface BusStats {
  /** Poll attempts (retries included) and writes run. */
  attempts: number;
  writes: number;
  /** Time the bus spent in attempts and writes, ms: divided by the elapsed time, its load. */
  busyMs: number;
  /** Largest delay between a device falling due and its attempt starting, ms. */
  maxStartDelayMs: number;
}

export class ModbusBus {
  private readonly pollers = new Map<string, DevicePoller>();
  private readonly writes: WriteJob[] = [];
  private running: DevicePoller | undefined;
  private runningDone: Promise<void> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly counters: BusStats = { attempts: 0, writes: 0, busyMs: 0, maxStartDelayMs: 0 };

  constructor(
    readonly link: ModbusLink,
    private readonly logger: Logger,
  ) {}

  get label(): string {
    return this.link.label;
  }

  get size(): number {
    return this.pollers.size;
  }

  devices(): DevicePoller[] {
    return [...this.pollers.values()];
  }

  stats(): BusStats {
    return { ...this.counters };
  }

  add(poller: DevicePoller): void {
    if (this.stopped) throw new Error(`${this.label} is stopped`);
    this.pollers.set(poller.device.id, poller);
    this.loop ??= this.run();
    this.nudge();
  }

  /** Removes a device; resolves once no attempt of it is running (its result is discarded). */
  async remove(deviceId: string): Promise<void> {
    const poller = this.pollers.get(deviceId);
    if (!poller) return;
    poller.stop();
    this.pollers.delete(deviceId);
    for (const job of this.writes.filter((w) => w.poller === poller)) {
      this.writes.splice(this.writes.indexOf(job), 1);
      job.reject(new Error(`${deviceId} was removed from the gateway before the write was sent`));
    }
    if (this.running === poller) await this.runningDone;
  }

  /** Queues a write ahead of every poll; resolves when the device confirmed it. */
  write(poller: DevicePoller, request: WriteRequest): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`${this.label} is stopped`));
    return new Promise<void>((resolve, reject) => {
      this.writes.push({ poller, request, resolve, reject });
      this.nudge();
    });
  }

  /** Stops scheduling, fails a request in flight at once, closes the link. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const poller of this.pollers.values()) poller.stop();
    for (const job of this.writes.splice(0)) job.reject(new Error(`${this.label} stopped before the write was sent`));
    this.nudge();
    await this.link.close();
    await this.loop;
  }

  private nudge(): void {
    this.wake?.();
  }

  /** When a device can next be polled: its own due time, or later if the link needs it quiet. */
  private readyTime(poller: DevicePoller): number {
    return Math.max(poller.due, this.link.readyAt?.(poller.device.unit) ?? 0);
  }

  private nextPoller(): { poller: DevicePoller; at: number } | undefined {
    let next: { poller: DevicePoller; at: number } | undefined;
    // Strictly earlier wins: among equal times the device added first goes first, and a
    // device just served is due later, so nobody starves.
    for (const poller of this.pollers.values()) {
      const at = this.readyTime(poller);
      if (!next || at < next.at) next = { poller, at };
    }
    return next;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const write = this.writes.shift();
      if (write) {
        await this.timed(() => this.runWrite(write));
        continue;
      }
      const next = this.nextPoller();
      const now = performance.now();
      if (!next || next.at > now) {
        await this.sleep(next ? next.at - now : undefined);
        continue;
      }
      const { poller } = next;
      this.counters.maxStartDelayMs = Math.max(this.counters.maxStartDelayMs, now - next.at);
      this.counters.attempts++;
      this.running = poller;
      this.runningDone = this.timed(() => poller.pollOnce(this.link));
      await this.runningDone;
      this.running = undefined;
    }
  }

  private async timed(job: () => Promise<void>): Promise<void> {
    const started = performance.now();
    try {
      await job();
    } finally {
      this.counters.busyMs += performance.now() - started;
    }
  }

  private async runWrite(job: WriteJob): Promise<void> {
    const { device } = job.poller;
    this.counters.writes++;
    try {
      await this.link.session({ unit: device.unit, timeoutMs: device.timeoutMs }, async (requester) => {
        const { request } = job;
        if (request.table === 'coil') await requester.writeCoil(request.address, request.value);
        else await requester.writeRegisters(request.address, request.words);
      });
      job.poller.pollSoon();
      job.resolve();
    } catch (err) {
      this.logger.debug({ device: device.id, err }, 'write failed');
      job.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Sleeps until `ms` have passed (forever if undefined) or something changes. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, Math.max(0, ms));
      this.wake = done;
    });
  }
}
