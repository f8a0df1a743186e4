// One Modbus device: its read plan, one poll attempt at a time (the bus scheduler in
// modbus-bus.ts decides when), the sample it yields, retries and online/offline transitions.
// Never throws: a failing device only affects itself.
import type { Logger } from '../lib/logger.js';
import type { DeviceConfig, GatewayEvent, Telemetry } from '../protocol/index.js';
import { DeviceHealthTracker } from './device-health.js';
import { buildDeviceEvent, buildSample, buildTelemetry, type DeviceEventType } from './messages.js';
import { classifyModbusError, ModbusRequestError, TRANSIENT_EXCEPTIONS } from './modbus-errors.js';
import { isModbusException, type ModbusLink, type ModbusReader } from './modbus-link.js';
import { afterCycle, initialTiming, retryAfterFailure, type PollTiming, type PollTimingConfig } from './poll-timing.js';
import { isBitTable, type DeviceProfile } from './profile-schema.js';
import type { PointValue } from './decode.js';
import { decodeBlock, describeBlock, planReads, spansGaps, type DecodedBlock, type ReadBlock, type ReadPlanOptions } from './read-plan.js';

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
  values: Record<string, PointValue>;
  /** Blocks the device refused with a Modbus exception. */
  refused: string[];
  /** Points whose registers held no valid reading. */
  invalid: string[];
  /** The plan after splitting reads the device refused across gaps, if that happened. */
  replan?: ReadBlock[];
}

const ILLEGAL_DATA_ADDRESS = 2;

export function planOptionsOf(device: DeviceConfig): ReadPlanOptions {
  return {
    maxRegisters: device.maxRegistersPerRequest,
    maxBits: device.maxBitsPerRequest,
    maxGapRegisters: device.maxGapRegisters,
    maxGapBits: device.maxGapBits,
  };
}

async function readBlock(reader: ModbusReader, block: ReadBlock): Promise<DecodedBlock> {
  const data = isBitTable(block.table) ? await reader.readBits(block.table, block.address, block.count) : await reader.readRegisters(block.table, block.address, block.count);
  return decodeBlock(block, data);
}

/**
 * Reads every block inside one session. The sample time is taken after the link is ours and
 * connected, right before the first request: the moment the device is asked, which is as
 * close as the gateway can get to when the device produced its answer. A Modbus exception
 * loses only its block; a transport error fails the whole read. A block that reads across
 * unused addresses and is refused with "illegal data address" is split into gap-free reads
 * (many devices refuse reads that touch unmapped registers): `replan` carries the new plan.
 */
export async function readDevice(reader: ModbusReader, blocks: readonly ReadBlock[], clock: Clock, options: ReadPlanOptions = {}): Promise<DeviceRead> {
  const ts = clock();
  const values: Record<string, PointValue> = {};
  const refused: string[] = [];
  const invalid: string[] = [];
  const take = (decoded: DecodedBlock) => {
    Object.assign(values, decoded.values);
    invalid.push(...decoded.invalid);
  };
  let replan: ReadBlock[] | undefined;
  for (const [index, block] of blocks.entries()) {
    try {
      take(await readBlock(reader, block));
    } catch (err) {
      if (!isModbusException(err)) throw err;
      if (err.modbusCode === ILLEGAL_DATA_ADDRESS && spansGaps(block)) {
        const parts = planReads(block.points, { ...options, maxGapRegisters: 0, maxGapBits: 0 });
        replan = [...(replan ?? blocks.slice(0, index)), ...parts];
        for (const part of parts) {
          try {
            take(await readBlock(reader, part));
          } catch (partErr) {
            if (!isModbusException(partErr)) throw partErr;
            refused.push(`${describeBlock(part)}: ${partErr.message}`);
          }
        }
        continue;
      }
      refused.push(`${describeBlock(block)}: ${err.message}`);
    }
    if (replan && !replan.includes(block)) replan.push(block);
  }
  return { ts, values, refused, invalid, ...(replan ? { replan } : {}) };
}

export interface DevicePollerOptions {
  device: DeviceConfig;
  profile: DeviceProfile;
  /** Label of the bus, for events and logs. */
  busLabel: string;
  sink: PollSink;
  clock: Clock;
  logger: Logger;
  offlineAfterFailures: number;
  /** When the first poll is due (performance.now() time); default now. */
  firstDue?: number;
}

/** Failures a prompt retry can cure: nothing came back, it came back damaged, or "busy". */
function retryable(err: unknown): boolean {
  const kind = classifyModbusError(err);
  if (kind === 'exception') return TRANSIENT_EXCEPTIONS.has((err as { modbusCode: number }).modbusCode);
  return true;
}

export class DevicePoller {
  readonly health: DeviceHealthTracker;
  private blocks: ReadBlock[];
  private timing: PollTiming;
  private dueAt: number;
  private polling = false;
  private stopped = false;
  private readonly timingConfig: PollTimingConfig;

  constructor(private readonly options: DevicePollerOptions) {
    this.health = new DeviceHealthTracker(options.offlineAfterFailures);
    this.blocks = planReads(options.profile.points, planOptionsOf(options.device));
    const { pollIntervalMs, retries, retryDelayMs, offlinePollIntervalMs } = options.device;
    this.timingConfig = { intervalMs: pollIntervalMs, retries, retryDelayMs, offlineIntervalMs: offlinePollIntervalMs };
    this.dueAt = options.firstDue ?? performance.now();
    this.timing = initialTiming(this.dueAt);
  }

  get device(): DeviceConfig {
    return this.options.device;
  }

  get profile(): DeviceProfile {
    return this.options.profile;
  }

  /** The requests one poll sends (after any split the device forced). */
  get plan(): readonly ReadBlock[] {
    return this.blocks;
  }

  /** When the next attempt is due (performance.now() time). */
  get due(): number {
    return this.dueAt;
  }

  /** True while a poll is between taking its sample time and handing over its result. */
  get busy(): boolean {
    return this.polling;
  }

  /** Brings the next poll forward to now (after a write, so the new value shows at once). */
  pollSoon(): void {
    this.dueAt = Math.min(this.dueAt, performance.now());
  }

  /** No more results are reported; an attempt in flight is abandoned by its bus. */
  stop(): void {
    this.stopped = true;
  }

  /** One attempt: a poll, or a retry of a failed one. Reports the outcome and reschedules. */
  async pollOnce(link: ModbusLink): Promise<void> {
    if (this.stopped) return;
    const { device, clock } = this.options;
    const startedAt = performance.now();
    this.polling = true;
    try {
      const read = await link.session({ unit: device.unit, timeoutMs: device.timeoutMs }, (reader) => readDevice(reader, this.blocks, clock, planOptionsOf(device)));
      if (this.stopped) return;
      if (read.replan) this.adoptPlan(read.replan);
      this.report(read, startedAt);
    } catch (err) {
      if (this.stopped) return;
      this.attemptFailed(err, startedAt);
    } finally {
      this.polling = false;
    }
  }

  private adoptPlan(blocks: ReadBlock[]): void {
    this.options.logger.info({ device: this.options.device.id, requests: blocks.map(describeBlock) }, 'device refused reads across unused registers; reading around them from now on');
    this.blocks = blocks;
  }

  private report(read: DeviceRead, startedAt: number): void {
    const { device, profile, sink, logger } = this.options;
    const incomplete = read.refused.length > 0 || read.invalid.length > 0;
    const sample = buildSample({ values: read.values as Parameters<typeof buildSample>[0]['values'], incomplete }, read.ts, () => sink.nextSeq());
    if (!sample) {
      // The device answered but nothing usable came back: retrying in 100 ms would get the same.
      const refusedAll = read.refused.length > 0;
      const error = new ModbusRequestError(refusedAll ? 'exception' : 'protocol', refusedAll ? read.refused.join('; ') : `no valid reading in the response (${read.invalid.join(', ')})`);
      this.health.attemptFailed(error.kind, error.message);
      this.cycleFailed(error, startedAt);
      return;
    }
    if (incomplete) logger.warn({ device: device.id, refused: read.refused }, 'device refused some points');
    const now = performance.now();
    const transition = this.health.succeeded(read.ts, { latencyMs: Math.round(now - startedAt), incomplete: incomplete || sample.quality !== 'good', retried: this.timing.retriesUsed > 0 });
    this.schedule(afterCycle(this.timingConfig, this.timing, { startedAt, now, offline: false }));
    if (transition) this.announce(transition, read.ts);
    sink.telemetry(device.id, buildTelemetry(profile, [sample]));
  }

  private attemptFailed(err: unknown, startedAt: number): void {
    const error = err instanceof ModbusRequestError
      ? err
      : new ModbusRequestError(classifyModbusError(err), err instanceof Error ? err.message : String(err), isModbusException(err) ? err.modbusCode : undefined, { cause: err });
    this.health.attemptFailed(error.kind, error.message);
    if (!this.health.offline && retryable(error)) {
      const retry = retryAfterFailure(this.timingConfig, this.timing, { startedAt, now: performance.now() });
      if (retry) {
        this.options.logger.debug({ device: this.options.device.id, error: error.message, retry: retry.timing.retriesUsed }, 'poll failed, retrying');
        this.schedule(retry);
        return;
      }
    }
    this.cycleFailed(error, startedAt);
  }

  private cycleFailed(error: ModbusRequestError, startedAt: number): void {
    const transition = this.health.failed(error.message, error.kind);
    this.schedule(afterCycle(this.timingConfig, this.timing, { startedAt, now: performance.now(), offline: this.health.offline }));
    if (transition) {
      this.announce(transition, this.options.clock());
    } else {
      this.options.logger.debug({ device: this.options.device.id, error: error.message }, 'poll failed');
    }
  }

  private schedule(next: { timing: PollTiming; due: number }): void {
    this.timing = next.timing;
    this.dueAt = next.due;
  }

  private announce(type: DeviceEventType, ts: number): void {
    const { device, busLabel, sink, logger } = this.options;
    const health = this.health.snapshot();
    const data: Record<string, unknown> = { link: busLabel, unit: device.unit, pollsOk: health.pollsOk, pollsFailed: health.pollsFailed };
    let message: string;
    if (type === 'device-offline') {
      message = `${device.id} is not answering on ${busLabel} unit ${device.unit} after ${health.consecutiveFailures} failed polls: ${health.lastError ?? 'unknown error'}`;
      Object.assign(data, {
        error: health.lastError,
        fault: health.lastFault,
        consecutiveFailures: health.consecutiveFailures,
        nextProbeInS: Math.round(Math.max(device.offlinePollIntervalMs, device.pollIntervalMs) / 1000),
        ...(health.lastOkTs !== undefined ? { lastOkTs: health.lastOkTs } : {}),
      });
      logger.warn({ device: device.id, error: health.lastError }, 'device offline');
    } else {
      message = `${device.id} is answering on ${busLabel} unit ${device.unit}`;
      logger.info({ device: device.id }, 'device online');
    }
    sink.event(device.id, buildDeviceEvent(type, ts, message, data));
  }
}
