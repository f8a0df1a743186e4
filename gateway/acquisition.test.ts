// Acquisition over Modbus TCP simulators: devices sharing an endpoint share one bus; apply()
// adds, removes and re-times devices without a restart (and refuses contradictions without
// touching anything); writes reach the device and show in the next sample.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from '../lib/wait.js';
import { deviceConfigSchema, type DeviceConfig, type DeviceConfigInput, type GatewayEvent, type Sample } from '../protocol/index.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import { createAcquisition, type Acquisition } from './acquisition.js';
import type { PollSink } from './device-poller.js';
import { defaultProfilesDir, loadProfileLibrary } from './profile.js';
import type { DeviceProfile } from './profile-schema.js';
import { levelGaugeProfile } from '../test/harness/level-gauge-profile.js';

const T0 = Date.UTC(2026, 0, 15, 21, 0, 0);
const clock = () => T0;

const gauge = levelGaugeProfile;

interface Harness {
  acquisition: Acquisition;
  samples: Map<string, Sample[]>;
  events: { device: string; event: GatewayEvent }[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let library: Map<string, DeviceProfile> | undefined;
async function profiles(): Promise<Map<string, DeviceProfile>> {
  library ??= await loadProfileLibrary(defaultProfilesDir());
  return new Map([...library, [gauge.name, gauge]]);
}

async function simulator(units: [number, DeviceProfile][]): Promise<ModbusSimulator> {
  const sim = await startModbusSimulator({ devices: units.map(([unit, profile]) => ({ unit, profile, seed: unit })), clock });
  cleanups.push(() => sim.close());
  return sim;
}

async function acquisition(): Promise<Harness> {
  const samples = new Map<string, Sample[]>();
  const events: Harness['events'] = [];
  let seq = 0;
  const sink: PollSink = {
    telemetry: (device, message) => samples.set(device, [...(samples.get(device) ?? []), ...message.samples]),
    event: (device, event) => events.push({ device, event }),
    nextSeq: () => ++seq,
  };
  const acq = createAcquisition({ profiles: await profiles(), sink, clock, logger: silentLogger(), offlineAfterFailures: 2 });
  cleanups.push(() => acq.stop());
  return { acquisition: acq, samples, events };
}

const device = (id: string, profile: string, port: number, unit: number, extra: Partial<DeviceConfigInput> = {}): DeviceConfig =>
  deviceConfigSchema.parse({ id, profile, transport: { kind: 'tcp', host: '127.0.0.1', port }, unit, pollIntervalMs: 100, timeoutMs: 300, ...extra });

const count = (h: Harness, id: string) => h.samples.get(id)?.length ?? 0;
const requestsOf = (sim: ModbusSimulator, unit: number, since = 0) => sim.bus.log.filter((r) => r.unit === unit && r.at >= since);

describe('createAcquisition', () => {
  it('polls devices behind one endpoint over one bus, with the values the devices serve', async () => {
    const lib = await profiles();
    const sim = await simulator([[1, lib.get('th-transmitter')!], [2, lib.get('pm-sensor')!], [3, gauge]]);
    const h = await acquisition();
    await h.acquisition.apply([device('th-1', 'th-transmitter', sim.port, 1), device('pm-1', 'pm-sensor', sim.port, 2), device('gauge-1', 'level-gauge', sim.port, 3)]);
    await waitFor(() => ['th-1', 'pm-1', 'gauge-1'].every((id) => count(h, id) >= 3), { what: 'three samples each' });
    expect(h.acquisition.buses().map((b) => ({ label: b.label, devices: b.devices }))).toEqual([{ label: `tcp 127.0.0.1:${sim.port}`, devices: ['th-1', 'pm-1', 'gauge-1'] }]);
    expect(sim.connections.accepted).toBe(1);
    for (const [id, unit] of [['th-1', 1], ['pm-1', 2], ['gauge-1', 3]] as const) {
      const served = sim.bus.device(unit)!;
      const expected = Object.fromEntries(served.profile.points.map((p) => [p.name, served.valueAt(p.name, T0)]));
      expect(h.samples.get(id)![0]).toMatchObject({ ts: T0, values: expected, quality: 'good' });
    }
    expect(h.events.map((e) => `${e.device} ${e.event.type}`).sort()).toEqual(['gauge-1 device-online', 'pm-1 device-online', 'th-1 device-online']);
    expect(h.acquisition.snapshot()['th-1']).toMatchObject({ state: 'online', faults: { timeout: 0, crc: 0, exception: 0, connection: 0, protocol: 0 } });
  });

  it('applies a new device list without a restart: removes, re-times and adds on the shared bus, keeps the rest', async () => {
    const lib = await profiles();
    const th = lib.get('th-transmitter')!;
    const sim = await simulator([[1, th], [2, th], [3, th], [4, th]]);
    const h = await acquisition();
    await h.acquisition.apply([device('a', 'th-transmitter', sim.port, 1), device('b', 'th-transmitter', sim.port, 2), device('c', 'th-transmitter', sim.port, 3)]);
    await waitFor(() => ['a', 'b', 'c'].every((id) => count(h, id) >= 3), { what: 'a, b, c polling' });
    const cPolls = h.acquisition.snapshot().c!.pollsOk;

    // b goes, a is re-timed to 400 ms, d joins, c is untouched.
    await h.acquisition.apply([device('a', 'th-transmitter', sim.port, 1, { pollIntervalMs: 400 }), device('c', 'th-transmitter', sim.port, 3), device('d', 'th-transmitter', sim.port, 4)]);
    const applied = performance.now();
    await waitFor(() => count(h, 'd') >= 3 && requestsOf(sim, 1, applied).length >= 4, { what: 'd polling and a four times' });

    expect(requestsOf(sim, 2, applied)).toEqual([]);
    const aTimes = requestsOf(sim, 1, applied).map((r) => r.at);
    for (let i = 1; i < aTimes.length; i++) expect(aTimes[i]! - aTimes[i - 1]!).toBeGreaterThan(300);
    expect(h.acquisition.snapshot().c!.pollsOk).toBeGreaterThan(cPolls); // same poller, counters kept
    expect(Object.keys(h.acquisition.health()).sort()).toEqual(['a', 'c', 'd']);
    expect(sim.connections.accepted).toBe(1); // one bus, one connection, all along
  });

  it('refuses a list that contradicts itself, and changes nothing', async () => {
    const lib = await profiles();
    const sim = await simulator([[1, lib.get('th-transmitter')!]]);
    const h = await acquisition();
    await h.acquisition.apply([device('a', 'th-transmitter', sim.port, 1)]);
    const rtuOverTcp = deviceConfigSchema.parse({ id: 'b', profile: 'th-transmitter', transport: { kind: 'rtu-over-tcp', host: '127.0.0.1', port: sim.port }, unit: 2 });
    await expect(h.acquisition.apply([device('a', 'th-transmitter', sim.port, 1), rtuOverTcp])).rejects.toThrow(/devices\.1 \(b\) shares tcp 127\.0\.0\.1:\d+ with devices\.0 \(a\) but speaks rtu-over-tcp where the other speaks tcp/);
    await expect(h.acquisition.apply([device('a', 'th-transmitter', sim.port, 1), device('x', 'no-such-profile', sim.port, 5)])).rejects.toThrow(/devices\.1 \(x\): unknown profile "no-such-profile"/);
    const before = count(h, 'a');
    await waitFor(() => count(h, 'a') > before + 2, { what: 'a still polling' });
    expect(Object.keys(h.acquisition.health())).toEqual(['a']);
  });

  it('closes a bus nobody uses any more', async () => {
    const lib = await profiles();
    const first = await simulator([[1, lib.get('th-transmitter')!]]);
    const second = await simulator([[1, lib.get('th-transmitter')!]]);
    const h = await acquisition();
    await h.acquisition.apply([device('a', 'th-transmitter', first.port, 1)]);
    await waitFor(() => count(h, 'a') >= 1, { what: 'a polling on the first endpoint' });
    await h.acquisition.apply([device('a', 'th-transmitter', second.port, 1)]);
    await waitFor(() => first.connections.open === 0 && second.connections.open === 1, { what: 'the first connection closed, the second open' });
    expect(h.acquisition.buses().map((b) => b.label)).toEqual([`tcp 127.0.0.1:${second.port}`]);
  });

  it('writes a register and a coil; the device serves them and the next sample shows them', async () => {
    const sim = await simulator([[3, gauge]]);
    const h = await acquisition();
    await h.acquisition.apply([device('gauge-1', 'level-gauge', sim.port, 3, { pollIntervalMs: 5000 })]);
    await waitFor(() => count(h, 'gauge-1') >= 1, { what: 'a first sample' });
    await h.acquisition.write('gauge-1', 'install_height', 9.25);
    await h.acquisition.write('gauge-1', 'siren', true);
    expect(sim.bus.device(3)!.valueAt('install_height', T0)).toBe(9.25);
    expect(sim.bus.device(3)!.valueAt('siren', T0)).toBe(true);
    // The device is polled right after a write, not 5 s later.
    const sample = await waitFor(() => h.samples.get('gauge-1')!.find((s) => s.values.siren === true), { what: 'a sample with the siren on', timeoutMs: 3000 });
    expect(sample.values).toMatchObject({ install_height: 9.25, level: 2.5 });
  });

  it('refuses writes it must not send, saying why', async () => {
    const sim = await simulator([[3, gauge]]);
    const h = await acquisition();
    await h.acquisition.apply([device('gauge-1', 'level-gauge', sim.port, 3)]);
    await expect(h.acquisition.write('gauge-1', 'level', 1)).rejects.toThrow(/cannot write "level": it is in the read-only input table/);
    await expect(h.acquisition.write('gauge-1', 'install_height', 1000)).rejects.toThrow(/1000 is out of range for uint16 ×0.01/);
    await expect(h.acquisition.write('gauge-1', 'height', 1)).rejects.toThrow(/device gauge-1 \(level-gauge\) has no point "height" \(writable: install_height, siren\)/);
    await expect(h.acquisition.write('gauge-2', 'siren', true)).rejects.toThrow(/no device "gauge-2" on this gateway/);
    expect(sim.bus.log.filter((r) => r.request.startsWith('write'))).toEqual([]);
  });

  it('reports a write the device refuses or does not confirm', async () => {
    const sim = await simulator([[3, gauge]]);
    const h = await acquisition();
    await h.acquisition.apply([device('gauge-1', 'level-gauge', sim.port, 3, { timeoutMs: 100 })]);
    sim.setFault(3, { kind: 'exception', code: 4 });
    await expect(h.acquisition.write('gauge-1', 'siren', true)).rejects.toMatchObject({ kind: 'exception', modbusCode: 4 });
    sim.setFault(3, { kind: 'silent' });
    await expect(h.acquisition.write('gauge-1', 'siren', true)).rejects.toMatchObject({ kind: 'timeout', message: expect.stringMatching(/no answer from unit 3 within 100 ms \(write coil 0x0000\)/) });
  });
});
