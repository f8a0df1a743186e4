// Modbus RTU for real: the gateway's acquisition on one end of a socat pseudo-terminal pair,
// simulated RS-485 slaves on the other. Ten devices share the line and one is dead: the nine
// others keep their rate (measured sample intervals, not sleeps). Faults show as clear health
// states, writes reach the slaves, and RTU over TCP works the same way.
import fs from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from '../lib/wait.js';
import { deviceConfigSchema, type DeviceConfig, type DeviceConfigInput, type GatewayEvent, type Sample } from '../protocol/index.js';
import { createAcquisition, type Acquisition } from '../gateway/acquisition.js';
import type { PollSink } from '../gateway/device-poller.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import type { DeviceProfile } from '../gateway/profile-schema.js';
import { startModbusSimulator, startPtyPair, startRtuSimulator, type PtyPair, type RtuSimulator, type SimulatedDeviceSpec } from '../simulators/modbus/index.js';
import { startLagMonitor } from './harness/loop-lag.js';
import { describeWithTool, requireTool } from './harness/tools.js';
import { levelGaugeProfile } from './harness/level-gauge-profile.js';

const gauge = levelGaugeProfile;

let profiles: Map<string, DeviceProfile>;
beforeAll(async () => {
  profiles = new Map([...(await loadProfileLibrary(defaultProfilesDir())), [gauge.name, gauge]]);
});

interface Rig {
  pty: PtyPair;
  slaves: RtuSimulator;
  acquisition: Acquisition;
  samples: Map<string, Sample[]>;
  events: { device: string; event: GatewayEvent }[];
}

const rigs: Rig[] = [];
async function stopRig(rig: Rig): Promise<void> {
  await rig.acquisition.stop();
  await rig.slaves.close();
  await rig.pty.close(); // kills our socat by PID
}

/** A serial line with `slaves` on one end and an acquisition polling `devices` on the other. */
async function rig(slaves: SimulatedDeviceSpec[], devices: (path: string) => DeviceConfig[]): Promise<Rig> {
  const pty = await startPtyPair({ socat: requireTool('socat') });
  const simulator = await startRtuSimulator({ path: pty.devicePath, devices: slaves, baudRate: 9600 });
  const samples = new Map<string, Sample[]>();
  const events: Rig['events'] = [];
  let seq = 0;
  const sink: PollSink = {
    telemetry: (device, message) => samples.set(device, [...(samples.get(device) ?? []), ...message.samples]),
    event: (device, event) => events.push({ device, event }),
    nextSeq: () => ++seq,
  };
  const acquisition = createAcquisition({ profiles, sink, clock: Date.now, logger: silentLogger(), offlineAfterFailures: 2 });
  const r: Rig = { pty, slaves: simulator, acquisition, samples, events };
  rigs.push(r);
  await acquisition.apply(devices(pty.gatewayPath));
  return r;
}

const rtuDevice = (id: string, profile: string, path: string, unit: number, extra: Partial<DeviceConfigInput> = {}): DeviceConfig =>
  deviceConfigSchema.parse({ id, profile, transport: { kind: 'rtu', path, baudRate: 9600 }, unit, ...extra });

const intervals = (samples: Sample[]) => samples.slice(1).map((s, i) => s.ts - samples[i]!.ts);

describeWithTool('socat', 'Modbus RTU over a socat pseudo-terminal pair', () => {
  afterEach(async () => {
    await Promise.all(rigs.splice(0).map(stopRig));
  });
  afterAll(async () => {
    await Promise.all(rigs.splice(0).map(stopRig));
  });

  it('ten devices on one line, one dead: the nine others keep their poll rate within the dead one’s timeout', { timeout: 60_000 }, async ({ annotate }) => {
    const INTERVAL = 500;
    const TIMEOUT = 150;
    const lib = (unit: number) => (unit % 2 ? profiles.get('th-transmitter')! : profiles.get('pm-sensor')!);
    // Units 1–9 answer; unit 10 is configured on the gateway but nothing answers it.
    const slaves = Array.from({ length: 9 }, (_, i) => ({ unit: i + 1, profile: lib(i + 1), seed: i + 1 }));
    const lag = startLagMonitor();
    const r = await rig(slaves, (path) =>
      Array.from({ length: 10 }, (_, i) =>
        rtuDevice(`dev-${i + 1}`, lib(i + 1).name, path, i + 1, { pollIntervalMs: INTERVAL, timeoutMs: TIMEOUT, retries: 1, retryDelayMs: 50, offlinePollIntervalMs: 2000 }),
      ),
    );
    const live = Array.from({ length: 9 }, (_, i) => `dev-${i + 1}`);
    await waitFor(() => live.every((id) => (r.samples.get(id)?.length ?? 0) >= 12) && r.events.some((e) => e.device === 'dev-10' && e.event.type === 'device-offline'), {
      what: '12 samples of every live device and dev-10 offline',
      timeoutMs: 30_000,
    });
    lag.stop();
    const slack = 30 + 2 * lag.maxMs();

    const report: Record<string, { mean: number; min: number; max: number }> = {};
    for (const id of live) {
      const gaps = intervals(r.samples.get(id)!);
      const samples = r.samples.get(id)!;
      const mean = (samples.at(-1)!.ts - samples[0]!.ts) / (samples.length - 1);
      report[id] = { mean, min: Math.min(...gaps), max: Math.max(...gaps) };
      // The rate holds (phase-locked: the mean is the interval), and no single poll slipped by
      // more than the dead device's timeout.
      expect(mean).toBeGreaterThan(INTERVAL * 0.95);
      expect(mean).toBeLessThan(INTERVAL * 1.05);
      expect(Math.max(...gaps)).toBeLessThan(INTERVAL + TIMEOUT + slack);
      expect(Math.min(...gaps)).toBeGreaterThan(INTERVAL - TIMEOUT - slack);
    }
    const [bus] = r.acquisition.buses();
    expect(bus).toMatchObject({ label: `rtu ${r.pty.gatewayPath}`, devices: [...live, 'dev-10'] });
    expect(bus!.maxStartDelayMs).toBeLessThan(TIMEOUT + slack);
    const round = (n: number) => Math.round(n);
    await annotate(
      `sample intervals (ms, target ${INTERVAL}): ` +
        live.map((id) => `${id} mean ${report[id]!.mean.toFixed(1)} min ${round(report[id]!.min)} max ${round(report[id]!.max)}`).join('; ') +
        `; bus max start delay ${round(bus!.maxStartDelayMs)} ms, busy ${round(bus!.busyMs)} ms, ${bus!.attempts} attempts; max event-loop lag ${round(lag.maxMs())} ms`,
    );

    // Every device's first sample equals what its slave served (values step once a second).
    for (const id of live) {
      const unit = Number(id.slice(4));
      const sample = r.samples.get(id)![0]!;
      const slave = r.slaves.bus.device(unit)!;
      const at = (t: number) => Object.fromEntries(slave.profile.points.map((p) => [p.name, slave.valueAt(p.name, t)]));
      expect([at(sample.ts), at(sample.ts + 200)]).toContainEqual(sample.values);
    }

    // Offline: a clear event, and one probe per offline interval from then on.
    const offline = r.events.find((e) => e.device === 'dev-10' && e.event.type === 'device-offline')!;
    expect(offline.event.message).toMatch(/dev-10 is not answering on rtu .* unit 10 after 2 failed polls: timeout: no answer from unit 10 within 150 ms/);
    expect(r.acquisition.snapshot()['dev-10']).toMatchObject({ state: 'offline', lastFault: 'timeout' });
    const probesBefore = r.slaves.bus.log.filter((s) => s.unit === 10).length;
    const polls = r.samples.get('dev-1')!.length;
    await waitFor(() => r.samples.get('dev-1')!.length >= polls + 8, { what: '8 more polls of dev-1 (4 s)', timeoutMs: 15_000 });
    expect(r.slaves.bus.log.filter((s) => s.unit === 10).length - probesBefore).toBeLessThanOrEqual(3);
  });

  it('slow, refusing and garbling devices get clear health states, and recover', { timeout: 60_000 }, async () => {
    const th = profiles.get('th-transmitter')!;
    const r = await rig(
      [1, 2, 3, 4].map((unit) => ({ unit, profile: th, seed: unit })),
      (path) => [1, 2, 3, 4].map((unit) => rtuDevice(`th-${unit}`, 'th-transmitter', path, unit, { pollIntervalMs: 200, timeoutMs: 600, retries: 1, retryDelayMs: 20, offlinePollIntervalMs: 1000 })),
    );
    await waitFor(() => [1, 2, 3, 4].every((u) => r.acquisition.snapshot()[`th-${u}`]?.state === 'online'), { what: 'all online' });
    r.slaves.setFault(2, { kind: 'slow', delayMs: 120 });
    r.slaves.setFault(3, { kind: 'exception', code: 4 });
    r.slaves.setFault(4, { kind: 'garble' });
    await waitFor(
      () => {
        const s = r.acquisition.snapshot();
        return s['th-3']!.state === 'offline' && s['th-4']!.state === 'offline' && (s['th-2']!.lastLatencyMs ?? 0) >= 120;
      },
      { what: 'th-3 and th-4 offline, th-2 slow', timeoutMs: 15_000 },
    );
    const s = r.acquisition.snapshot();
    expect(s['th-1']).toMatchObject({ state: 'online', pollsFailed: 0 });
    expect(s['th-2']).toMatchObject({ state: 'online', pollsFailed: 0 }); // slow (120 ms), but well within its 600 ms timeout, even on a loaded CI machine
    expect(s['th-3']).toMatchObject({ state: 'offline', lastFault: 'exception', lastError: expect.stringMatching(/unit 3 refused with exception 4 \(slave device failure\)/) });
    expect(s['th-3']!.faults.exception).toBeGreaterThanOrEqual(2);
    expect(s['th-4']).toMatchObject({ state: 'offline', lastFault: 'crc', lastError: expect.stringMatching(/crc: damaged answer from unit 4 \(CRC error\)/) });
    expect(s['th-4']!.faults.crc).toBeGreaterThanOrEqual(3); // damaged frames are retried before giving up
    expect(r.acquisition.health()['th-4']).toMatchObject({ online: false, lastError: expect.stringMatching(/^crc: /) });

    for (const unit of [2, 3, 4]) r.slaves.setFault(unit, { kind: 'none' });
    await waitFor(() => [1, 2, 3, 4].every((u) => r.acquisition.snapshot()[`th-${u}`]?.state === 'online'), { what: 'all online again', timeoutMs: 10_000 });
    expect(r.events.filter((e) => e.event.type === 'device-online').map((e) => e.device).sort()).toEqual(['th-1', 'th-2', 'th-3', 'th-3', 'th-4', 'th-4']);
  });

  it('writes reach the slave and show in the next sample', { timeout: 30_000 }, async () => {
    const r = await rig([{ unit: 7, profile: gauge }, { unit: 8, profile: gauge }], (path) => [
      rtuDevice('gauge-7', 'level-gauge', path, 7, { pollIntervalMs: 10_000 }),
      rtuDevice('gauge-8', 'level-gauge', path, 8, { pollIntervalMs: 200 }),
    ]);
    await waitFor(() => r.samples.get('gauge-7')?.length, { what: 'a first sample of gauge-7' });
    await r.acquisition.write('gauge-7', 'install_height', 12.5);
    await r.acquisition.write('gauge-7', 'siren', true);
    const now = Date.now();
    expect(r.slaves.bus.device(7)!.valueAt('install_height', now)).toBe(12.5);
    expect(r.slaves.bus.device(7)!.valueAt('siren', now)).toBe(true);
    expect(r.slaves.bus.device(8)!.valueAt('siren', now)).toBe(false);
    const sample = await waitFor(() => r.samples.get('gauge-7')!.find((s) => s.values.siren === true), { what: 'gauge-7 sampled with the siren on' });
    expect(sample.values).toMatchObject({ install_height: 12.5 });
    expect(r.slaves.bus.log.filter((s) => s.request.startsWith('write')).map((s) => `${s.unit} ${s.request} ${s.outcome}`)).toEqual(['7 write holding 0x0010 answered', '7 write coil 0x0000 answered']);
  });

  it('releases the serial port of a bus it no longer uses', { timeout: 30_000 }, async () => {
    const th = profiles.get('th-transmitter')!;
    const r = await rig([{ unit: 1, profile: th }], (path) => [rtuDevice('th-1', 'th-transmitter', path, 1, { pollIntervalMs: 200 })]);
    await waitFor(() => r.samples.get('th-1')?.length, { what: 'a sample' });
    await r.acquisition.apply([]);
    // serialport locks the device it opens: opening it again only works once the gateway let go.
    const again = new SerialPort({ path: r.pty.gatewayPath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => again.open((err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('a serial adapter that disappears takes its devices offline; they come back with it', { timeout: 30_000 }, async () => {
    const th = profiles.get('th-transmitter')!;
    const r = await rig([{ unit: 1, profile: th }], (path) => [rtuDevice('th-1', 'th-transmitter', path, 1, { pollIntervalMs: 200, timeoutMs: 200, retries: 0, offlinePollIntervalMs: 1000 })]);
    await waitFor(() => r.acquisition.snapshot()['th-1']?.state === 'online', { what: 'online' });
    await r.slaves.close();
    await r.pty.close(); // the cable is pulled: the pty goes away
    await waitFor(() => r.acquisition.snapshot()['th-1']?.state === 'offline', { what: 'offline', timeoutMs: 10_000 });
    expect(r.acquisition.snapshot()['th-1']!.faults.connection + r.acquisition.snapshot()['th-1']!.faults.timeout).toBeGreaterThanOrEqual(2);

    // Plugged back in at the same path.
    const dir = path.dirname(r.pty.gatewayPath);
    const pty = await startPtyPair({ socat: requireTool('socat'), dir });
    const slaves = await startRtuSimulator({ path: pty.devicePath, devices: [{ unit: 1, profile: th }] });
    const close = async () => {
      await pty.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    rigs.push({ ...r, pty: { ...pty, close }, slaves });
    await waitFor(() => r.acquisition.snapshot()['th-1']?.state === 'online', { what: 'online again', timeoutMs: 10_000 });
  });
});

describe('Modbus RTU over TCP (transparent serial server)', () => {
  let acquisition: Acquisition | undefined;
  afterEach(async () => {
    await acquisition?.stop();
  });

  it('polls several units through one TCP connection with RTU framing', async () => {
    const th = profiles.get('th-transmitter')!;
    const pm = profiles.get('pm-sensor')!;
    const T0 = Date.UTC(2026, 0, 15, 21, 0, 0);
    const sim = await startModbusSimulator({ framing: 'rtu', devices: [{ unit: 1, profile: th, seed: 5 }, { unit: 2, profile: pm, seed: 6 }], clock: () => T0 });
    try {
      const samples = new Map<string, Sample[]>();
      acquisition = createAcquisition({
        profiles,
        sink: { telemetry: (d, m) => samples.set(d, [...(samples.get(d) ?? []), ...m.samples]), event: () => undefined, nextSeq: () => 1 },
        clock: () => T0,
        logger: silentLogger(),
        offlineAfterFailures: 2,
      });
      const transport = { kind: 'rtu-over-tcp', host: '127.0.0.1', port: sim.port } as const;
      await acquisition.apply([
        deviceConfigSchema.parse({ id: 'th-1', profile: 'th-transmitter', transport, unit: 1, pollIntervalMs: 100 }),
        deviceConfigSchema.parse({ id: 'pm-1', profile: 'pm-sensor', transport, unit: 2, pollIntervalMs: 100 }),
      ]);
      await waitFor(() => (samples.get('th-1')?.length ?? 0) >= 3 && (samples.get('pm-1')?.length ?? 0) >= 3, { what: 'samples of both' });
      for (const [id, unit] of [['th-1', 1], ['pm-1', 2]] as const) {
        const device = sim.bus.device(unit)!;
        expect(samples.get(id)![0]!.values).toEqual(Object.fromEntries(device.profile.points.map((p) => [p.name, device.valueAt(p.name, T0)])));
      }
      expect(sim.connections.accepted).toBe(1);
      expect(acquisition.buses()[0]!.label).toBe(`rtu-over-tcp 127.0.0.1:${sim.port}`);
    } finally {
      await acquisition?.stop();
      acquisition = undefined;
      await sim.close();
    }
  });
});
