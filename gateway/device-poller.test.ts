// One device's poll against a scripted Modbus link: samples, partial reads, online/offline events.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from '../lib/wait.js';
import { eventSchema, telemetrySchema, type GatewayEvent, type Telemetry } from '../protocol/index.js';
import { deviceConfigSchema } from '../protocol/index.js';
import { DevicePoller, type PollSink } from './device-poller.js';
import type { ModbusLink, ModbusReader, RegisterTable } from './modbus-link.js';
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
    { name: 'relay', table: 'coil', address: 0, type: 'bool' },
  ],
});

const modbusException = (code: number) => Object.assign(new Error(`Modbus exception ${code}`), { modbusCode: code });

/** Answers from a table of registers; `fail` makes the next sessions throw a transport error. */
class ScriptedLink implements ModbusLink {
  readonly label = 'tcp test:502';
  registers: Record<RegisterTable, Record<number, number>> = { input: { 0: 0x4365, 1: 0xb333 }, holding: { 1: 0xff20 } };
  refuseInput = false;
  fail: Error | undefined;
  sessions = 0;

  async session<T>(_options: { unit: number; timeoutMs: number }, work: (reader: ModbusReader) => Promise<T>): Promise<T> {
    this.sessions++;
    if (this.fail) throw this.fail;
    return work({
      readRegisters: async (table, address, count) => {
        if (table === 'input' && this.refuseInput) throw modbusException(2);
        return Array.from({ length: count }, (_, i) => this.registers[table][address + i] ?? 0);
      },
      readBits: async (_table, _address, count) => Array.from({ length: count }, () => true),
    });
  }

  async close(): Promise<void> {}
}

function harness(offlineAfterFailures = 2) {
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
  const poller = new DevicePoller({
    device: deviceConfigSchema.parse({ id: 'meter-1', profile: 'meter', transport: { kind: 'tcp', host: 'test', port: 502 }, unit: 3, pollIntervalMs: 100 }),
    profile,
    link,
    sink,
    clock: () => (now += 1000),
    logger: silentLogger(),
    offlineAfterFailures,
  });
  return { link, telemetry, events, poller, now: () => now };
}

describe('DevicePoller.pollOnce', () => {
  it('publishes one sample per poll, stamped when the session began, with the gateway sequence', async () => {
    const h = harness();
    await h.poller.pollOnce();
    await h.poller.pollOnce();
    expect(h.telemetry).toHaveLength(2);
    expect(h.telemetry[0]).toEqual({
      v: 1,
      measurement: 'energy',
      profile: 'meter',
      samples: [{ ts: Date.UTC(2026, 0, 15, 21, 0, 1), seq: 101, values: { relay: true, temperature: -22.4, voltage: 229.7 }, quality: 'good' }],
    });
    expect(h.telemetry[1]!.samples[0]!.seq).toBe(102);
    expect(h.events.map((e) => e.type)).toEqual(['device-online']);
  });

  it('keeps what it could read when the device refuses a block, marked uncertain', async () => {
    const h = harness();
    h.link.refuseInput = true;
    await h.poller.pollOnce();
    expect(h.telemetry[0]!.samples[0]).toMatchObject({ values: { relay: true, temperature: -22.4 }, quality: 'uncertain' });
    expect(h.poller.health.snapshot().online).toBe(true);
  });

  it('leaves out a float32 NaN', async () => {
    const h = harness();
    h.link.registers.input = { 0: 0x7fc0, 1: 0 };
    await h.poller.pollOnce();
    expect(h.telemetry[0]!.samples[0]).toMatchObject({ values: { relay: true, temperature: -22.4 }, quality: 'uncertain' });
    expect(h.telemetry[0]!.samples[0]!.values).not.toHaveProperty('voltage');
  });

  it('announces offline after N failed polls and online again on recovery', async () => {
    const h = harness(2);
    await h.poller.pollOnce();
    h.link.fail = new Error('connect ECONNREFUSED 127.0.0.1:502');
    await h.poller.pollOnce();
    expect(h.events.map((e) => e.type)).toEqual(['device-online']);
    await h.poller.pollOnce();
    await h.poller.pollOnce();
    expect(h.events.map((e) => e.type)).toEqual(['device-online', 'device-offline']);
    expect(h.events[1]).toMatchObject({ data: { error: 'connect ECONNREFUSED 127.0.0.1:502', consecutiveFailures: 2, unit: 3, link: 'tcp test:502' } });
    expect(h.events[1]!.message).toMatch(/meter-1 is not answering on tcp test:502 unit 3 after 2 failed polls/);
    h.link.fail = undefined;
    await h.poller.pollOnce();
    expect(h.events.map((e) => e.type)).toEqual(['device-online', 'device-offline', 'device-online']);
    expect(h.telemetry).toHaveLength(2);
    expect(h.poller.health.snapshot()).toMatchObject({ pollsOk: 2, pollsFailed: 3 });
  });

  it('polls on its own at the configured interval until stopped', async () => {
    const h = harness();
    const started = performance.now();
    h.poller.start();
    await waitFor(() => h.telemetry.length >= 3, { what: 'three polls' });
    // The first poll is immediate, the next ones 100 ms apart.
    expect(performance.now() - started).toBeGreaterThanOrEqual(180);
    await h.poller.stop(); // resolves once the loop has ended: no poll can follow
    expect(h.poller.busy).toBe(false);
  });
});
