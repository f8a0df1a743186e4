// Polls one Modbus device at its interval: reads the profile's blocks in one link session,
// turns them into a telemetry sample, and reports online/offline transitions. Never throws:
// a failing device only affects itself.
import type { Logger } from '../lib/logger.js';
import type { DeviceConfig, GatewayEvent, Telemetry } from '../protocol/index.js';
import { DeviceHealthTracker } from './device-health.js';
import { buildDeviceEvent, buildSample, buildTelemetry, type DeviceEventType } from './messages.js';
import { isModbusException, type ModbusLink, type ModbusReader } from './modbus-link.js';
import { isBitTable, type DeviceProfile } from './profile-schema.js';
import { decodeBlock, planReads, type ReadBlock } from './read-plan.js';
import { delay } from '../lib/wait.js';

export type Clock = () => number;

/** Where a poller's results go; the gateway publishes them. */
export interface PollSink {
  telemetry(deviceId: string, message: Telemetry): void;
  event(deviceId: string, event: GatewayEvent): void;
  /** The gateway-wide sample sequence. */
  nextSeq(): number;
}

export interface DeviceRead {
  /** Sample time: when the first request of the poll went out (see readDevice). */
  ts: number;
  values: Record<string, number | boolean>;
  /** Blocks the device refused with a Modbus exception. */
  refused: string[];
}

function describeBlock(block: ReadBlock): string {
  return `${block.table} 0x${block.address.toString(16).padStart(4, '0')}×${block.count} (${block.points.map((p) => p.name).join(', ')})`;
}

/**
 * Reads every block inside one session. The sample time is taken after the link is ours and
 * connected, right before the first request: the moment the device is asked, which is as
 * close as the gateway can get to when the device produced its answer (on a LAN a few ms
 * later). A Modbus exception loses only its block; a transport error fails the whole read.
 */
export async function readDevice(reader: ModbusReader, blocks: readonly ReadBlock[], clock: Clock): Promise<DeviceRead> {
  const ts = clock();
  const values: Record<string, number | boolean> = {};
  const refused: string[] = [];
  for (const block of blocks) {
    try {
      const data = isBitTable(block.table)
        ? await reader.readBits(block.table, block.address, block.count)
        : await reader.readRegisters(block.table, block.address, block.count);
      Object.assign(values, decodeBlock(block, data));
    } catch (err) {
      if (!isModbusException(err)) throw err;
      refused.push(`${describeBlock(block)}: ${err.message}`);
    }
  }
  return { ts, values, refused };
}

export interface DevicePollerOptions {
  device: DeviceConfig;
  profile: DeviceProfile;
  link: ModbusLink;
  sink: PollSink;
  clock: Clock;
  logger: Logger;
  offlineAfterFailures: number;
}

export class DevicePoller {
  readonly health: DeviceHealthTracker;
  private readonly blocks: ReadBlock[];
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private polling = false;

  constructor(private readonly options: DevicePollerOptions) {
    this.health = new DeviceHealthTracker(options.offlineAfterFailures);
    this.blocks = planReads(options.profile.points);
  }

  get device(): DeviceConfig {
    return this.options.device;
  }

  /** True while a poll is between taking its sample time and handing over its result. */
  get busy(): boolean {
    return this.polling;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops polling; a poll in flight is abandoned without reporting (the link is closing). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const interval = this.options.device.pollIntervalMs;
    let due = performance.now();
    while (!this.stopping.signal.aborted) {
      await this.pollOnce();
      due += interval;
      const now = performance.now();
      // Behind schedule (timeouts, slow bus): skip the missed ticks instead of bursting.
      if (due < now) due = now;
      await delay(due - now, this.stopping.signal);
    }
  }

  async pollOnce(): Promise<void> {
    const { device, link } = this.options;
    this.polling = true;
    try {
      const read = await link.session({ unit: device.unit, timeoutMs: device.timeoutMs }, (reader) => readDevice(reader, this.blocks, this.options.clock));
      if (!this.stopping.signal.aborted) this.report(read);
    } catch (err) {
      if (!this.stopping.signal.aborted) this.fail(err instanceof Error ? err.message : String(err));
    } finally {
      this.polling = false;
    }
  }

  private report(read: DeviceRead): void {
    const { device, profile, sink, logger } = this.options;
    const sample = buildSample({ values: read.values, incomplete: read.refused.length > 0 }, read.ts, () => sink.nextSeq());
    if (!sample) {
      this.fail(read.refused.length ? read.refused.join('; ') : 'no finite value in the response');
      return;
    }
    if (read.refused.length) logger.warn({ device: device.id, refused: read.refused }, 'device refused some points');
    const transition = this.health.succeeded(read.ts);
    if (transition) this.announce(transition, read.ts);
    sink.telemetry(device.id, buildTelemetry(profile, [sample]));
  }

  private fail(error: string): void {
    const { device, logger } = this.options;
    const transition = this.health.failed(error);
    if (transition) {
      this.announce(transition, this.options.clock());
    } else {
      logger.debug({ device: device.id, error }, 'poll failed');
    }
  }

  private announce(type: DeviceEventType, ts: number): void {
    const { device, link, sink, logger } = this.options;
    const health = this.health.snapshot();
    const data: Record<string, unknown> = { link: link.label, unit: device.unit, pollsOk: health.pollsOk, pollsFailed: health.pollsFailed };
    let message: string;
    if (type === 'device-offline') {
      message = `${device.id} is not answering on ${link.label} unit ${device.unit} after ${health.consecutiveFailures} failed polls: ${health.lastError ?? 'unknown error'}`;
      Object.assign(data, { error: health.lastError, consecutiveFailures: health.consecutiveFailures, ...(health.lastOkTs !== undefined ? { lastOkTs: health.lastOkTs } : {}) });
      logger.warn({ device: device.id, error: health.lastError }, 'device offline');
    } else {
      message = `${device.id} is answering on ${link.label} unit ${device.unit}`;
      logger.info({ device: device.id }, 'device online');
    }
    sink.event(device.id, buildDeviceEvent(type, ts, message, data));
  }
}
