// One device's poll attempts against a scripted Modbus link: samples, partial reads, retries,
// online/offline events and timing, and splitting reads the device refuses across gaps.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { deviceConfigSchema, eventSchema, telemetrySchema, type DeviceConfigInput, type GatewayEvent, type Telemetry } from '../protocol/index.js';
import { DevicePoller, type PollSink } from './device-poller.js';
import { ModbusRequestError } from './modbus-errors.js';
import type { ModbusLink, ModbusRequester, RegisterTable } from './modbus-link.js';
import { parseProfile } from './profile.js';

const profile = parseProfile({
  name: 'meter',
  manufacturer: 't',
  model: 't',
  measurement: 'energy',
  source: 't',
  points: [
    { name: 'voltage', table: 'input', address: 0, type: 'float32' },
    { name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1 },
    { name: 'pressure', table: 'holding', address: 5, type: 'uint16' },
    { name: 'relay', table: 'coil', address: 0, type: 'bool' },
  ],
});

const modbusException = (code: number) => Object.assign(new Error(`Modbus exception ${code}`), { modbusCode: code });

/** Answers from a table of registers; `fail` makes the next sessions throw a transport error. */
class ScriptedLink implements ModbusLink {
  readonly label = 'tcp test:502';
  registers: Record<RegisterTable, Record<number, number>> = { input: { 0: 0x4365, 1: 0xb333 }, holding: { 1: 0xff20, 5: 1013 } };
  refuseInput = false;
  /** Refuse reads that touch a register not in `registers` (many devices do). */
  refuseUnmapped = false;
  fail: Error | undefined;
  requests: string[] = [];

  async session<T>(_options: { unit: number; timeoutMs: number }, work: (requester: ModbusRequester) => Promise<T>): Promise<T> {
    if (this.fail) throw this.fail;
    return work({
      readRegisters: async (table, address, count) => {
        this.requests.push(`${table}@${address}×${count}`);
        if (table === 'input' && this.refuseInput) throw modbusException(2);
        const words = Array.from({ length: count }, (_, i) => this.registers[table][address + i]);
        if (this.refuseUnmapped && words.some((w) => w === undefined)) throw modbusException(2);
        return words.map((w) => w ?? 0);
      },
      readBits: async (table, address, count) => {
        this.requests.push(`${table}@${address}×${count}`);
        return Array.from({ length: count }, () => true);
      },
      writeRegisters: async () => undefined,
      writeCoil: async () => undefined,
    });
  }

  async close(): Promise<void> {}
}

const timeout = () => new ModbusRequestError('timeout', 'timeout: no answer from unit 3 within 1000 ms (read input 0x0000×2)');

function harness(overrides: Partial<DeviceConfigInput> = {}, offlineAfterFailures = 2) {
  const link = new ScriptedLink();
  const telemetry: Telemetry[] = [];
  const events: GatewayEvent[] = [];
  let seq = 100;
  let now = Date.UTC(2026, 0, 15, 21, 0, 0);
  const sink: PollSink = {
    telemetry: (_id, message) => telemetry.push(telemetrySchema.parse(message)),
    event: (_id, event) => events.push(eventSchema.parse(event)),
    nextSeq: () => ++seq,
  };
  const device = deviceConfigSchema.parse({ id: 'meter-1', profile: 'meter', transport: { kind: 'tcp', host: 'test', port: 502 }, unit: 3, pollIntervalMs: 1000, retries: 0, ...overrides });
  const poller = new DevicePoller({ device, profile, busLabel: link.label, sink, clock: () => (now += 1000), logger: silentLogger(), offlineAfterFailures, firstDue: performance.now() });
  const poll = () => poller.pollOnce(link);
  return { link, telemetry, events, poller, poll };
}

describe('DevicePoller.pollOnce', () => {
  it('publishes one sample per poll, stamped when the session began, with the gateway sequence', async () => {
    const h = harness();
    await h.poll();
    await h.poll();
    expect(h.telemetry).toHaveLength(2);
    expect(h.telemetry[0]).toEqual({
      v: 1,
      measurement: 'energy',
      profile: 'meter',
      samples: [{ ts: Date.UTC(2026, 0, 15, 21, 0, 1), seq: 101, values: { relay: true, temperature: -22.4, pressure: 1013, voltage: 229.7 }, quality: 'good' }],
    });
    expect(h.telemetry[1]!.samples[0]!.seq).toBe(102);
    expect(h.events.map((e) => e.type)).toEqual(['device-online']);
    expect(h.poller.health.snapshot()).toMatchObject({ state: 'online', pollsOk: 2 });
  });

  it('keeps what it could read when the device refuses a block, marked uncertain and degraded', async () => {
    const h = harness();
    h.link.refuseInput = true;
    await h.poll();
    expect(h.telemetry[0]!.samples[0]).toMatchObject({ values: { relay: true, temperature: -22.4 }, quality: 'uncertain' });
    expect(h.poller.health.snapshot()).toMatchObject({ online: true, state: 'degraded', lastIncomplete: true });
  });

  it('leaves out a float32 NaN', async () => {
    const h = harness();
    h.link.registers.input = { 0: 0x7fc0, 1: 0 };
    await h.poll();
    expect(h.telemetry[0]!.samples[0]).toMatchObject({ values: { relay: true, temperature: -22.4 }, quality: 'uncertain' });
    expect(h.telemetry[0]!.samples[0]!.values).not.toHaveProperty('voltage');
  });

  it('announces offline after N failed polls, then probes at the slow rate, and announces recovery', async () => {
    const h = harness({ offlinePollIntervalMs: 60_000 });
    await h.poll();
    h.link.fail = timeout();
    await h.poll();
    expect(h.events.map((e) => e.type)).toEqual(['device-online']);
    expect(h.poller.health.snapshot().state).toBe('degraded');
    const before = performance.now();
    await h.poll();
    expect(h.events.map((e) => e.type)).toEqual(['device-online', 'device-offline']);
    expect(h.events[1]).toMatchObject({ data: { error: h.link.fail.message, fault: 'timeout', consecutiveFailures: 2, unit: 3, link: 'tcp test:502', nextProbeInS: 60 } });
    expect(h.events[1]!.message).toMatch(/meter-1 is not answering on tcp test:502 unit 3 after 2 failed polls: timeout: no answer/);
    expect(h.poller.due - before).toBeGreaterThanOrEqual(59_000);
    h.link.fail = undefined;
    await h.poll();
    expect(h.events.map((e) => e.type)).toEqual(['device-online', 'device-offline', 'device-online']);
    expect(h.telemetry).toHaveLength(2);
    expect(h.poller.health.snapshot()).toMatchObject({ pollsOk: 2, pollsFailed: 2, faults: { timeout: 2 } });
    expect(h.poller.due - performance.now()).toBeLessThanOrEqual(1000);
  });

  it('retries a timeout as a separate, later attempt that does not count as a failed poll', async () => {
    const h = harness({ retries: 2, retryDelayMs: 100 });
    h.link.fail = timeout();
    const before = performance.now();
    await h.poll();
    // A retry is due after the back-off, long before the next regular poll.
    expect(h.poller.due - before).toBeGreaterThanOrEqual(100);
    expect(h.poller.due - before).toBeLessThan(300);
    expect(h.poller.health.snapshot()).toMatchObject({ pollsFailed: 0, faults: { timeout: 1 } });
    h.link.fail = undefined;
    await h.poll();
    expect(h.poller.health.snapshot()).toMatchObject({ pollsOk: 1, pollsFailed: 0, recoveredByRetry: 1 });
  });

  it('does not retry a device that refused everything: the answer would be the same', async () => {
    const h = harness({ retries: 2 });
    h.link.fail = Object.assign(new Error('Modbus exception 1'), { modbusCode: 1 });
    await h.poll();
    expect(h.poller.health.snapshot()).toMatchObject({ pollsFailed: 1, faults: { exception: 1 }, lastFault: 'exception' });
  });

  it('retries "busy" (exception 6)', async () => {
    const h = harness({ retries: 1 });
    h.link.fail = Object.assign(new Error('Modbus exception 6'), { modbusCode: 6 });
    await h.poll();
    expect(h.poller.health.snapshot()).toMatchObject({ pollsFailed: 0, faults: { exception: 1 } });
  });

  it('splits a read across unused registers that the device refuses, and reads that way from then on', async () => {
    const h = harness({ maxGapRegisters: 8 });
    h.link.refuseUnmapped = true;
    expect(h.poller.plan.map((b) => `${b.table}@${b.address}×${b.count}`)).toEqual(['coil@0×1', 'holding@1×5', 'input@0×2']);
    await h.poll();
    expect(h.telemetry[0]!.samples[0]).toMatchObject({ values: { relay: true, temperature: -22.4, pressure: 1013, voltage: 229.7 }, quality: 'good' });
    expect(h.link.requests).toEqual(['coil@0×1', 'holding@1×5', 'holding@1×1', 'holding@5×1', 'input@0×2']);
    expect(h.poller.plan.map((b) => `${b.table}@${b.address}×${b.count}`)).toEqual(['coil@0×1', 'holding@1×1', 'holding@5×1', 'input@0×2']);
    h.link.requests = [];
    await h.poll();
    expect(h.link.requests).toEqual(['coil@0×1', 'holding@1×1', 'holding@5×1', 'input@0×2']);
  });

  it('reports nothing for an attempt that ends after stop()', async () => {
    const h = harness();
    const pending = h.poll();
    h.poller.stop();
    await pending;
    expect(h.telemetry).toHaveLength(0);
    expect(h.poller.busy).toBe(false);
  });
});
