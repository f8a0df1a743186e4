// The bus scheduler against a simulated half-duplex line (requests take time, a dead unit
// costs its timeout): one request in flight, a dead device never holds up the others longer
// than its timeout, writes go first, removal and stop are clean.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { delay, waitFor } from '../lib/wait.js';
import { startLagMonitor } from '../test/harness/loop-lag.js';
import { deviceConfigSchema, type DeviceConfigInput } from '../protocol/index.js';
import { DevicePoller, type PollSink } from './device-poller.js';
import { ModbusBus } from './modbus-bus.js';
import { ModbusRequestError } from './modbus-errors.js';
import type { ModbusLink, ModbusRequester, SessionOptions } from './modbus-link.js';
import { parseProfile } from './profile.js';

const profile = parseProfile({
  name: 'th',
  manufacturer: 't',
  model: 't',
  measurement: 'weather',
  source: 't',
  points: [
    { name: 'humidity', table: 'holding', address: 0, type: 'uint16', scale: 0.1 },
    { name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1 },
    { name: 'siren', table: 'coil', address: 0, type: 'bool', access: 'rw' },
  ],
});

/** A line where each request takes `requestMs` and a dead unit answers nothing until the timeout. */
class LineLink implements ModbusLink {
  readonly label = 'rtu /dev/fake';
  readonly dead = new Set<number>();
  inFlight = 0;
  maxInFlight = 0;
  log: string[] = [];
  closed = false;

  constructor(private readonly requestMs = 2) {}

  async session<T>(options: SessionOptions, work: (requester: ModbusRequester) => Promise<T>): Promise<T> {
    if (this.closed) throw new ModbusRequestError('connection', 'closed');
    const request = async <R>(what: string, answer: R): Promise<R> => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      this.log.push(`${options.unit} ${what}`);
      try {
        if (this.dead.has(options.unit)) {
          await delay(options.timeoutMs);
          throw new ModbusRequestError('timeout', `timeout: no answer from unit ${options.unit} within ${options.timeoutMs} ms`);
        }
        await delay(this.requestMs);
        return answer;
      } finally {
        this.inFlight--;
      }
    };
    return work({
      readRegisters: (_table, _address, count) => request('read', Array.from({ length: count }, () => 100)),
      readBits: (_table, _address, count) => request('read bits', Array.from({ length: count }, () => false)),
      writeRegisters: (address) => request(`write ${address}`, undefined),
      writeCoil: (address, value) => request(`write coil ${address}=${value}`, undefined),
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

interface Harness {
  bus: ModbusBus;
  link: LineLink;
  samples: Map<string, number[]>;
  pollers: Map<string, DevicePoller>;
}

const running: ModbusBus[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((bus) => bus.stop()));
});

function harness(devices: Partial<DeviceConfigInput>[], link = new LineLink()): Harness {
  const bus = new ModbusBus(link, silentLogger());
  running.push(bus);
  const samples = new Map<string, number[]>();
  const sink: PollSink = {
    // The sample time: taken when the poll's first request goes out, i.e. when the bus served it.
    telemetry: (id, message) => samples.set(id, [...(samples.get(id) ?? []), message.samples[0]!.ts]),
    event: () => undefined,
    nextSeq: () => 1,
  };
  const pollers = new Map<string, DevicePoller>();
  const now = performance.now();
  devices.forEach((overrides, i) => {
    const device = deviceConfigSchema.parse({ id: `d${i + 1}`, profile: 'th', transport: { kind: 'rtu', path: '/dev/fake' }, unit: i + 1, pollIntervalMs: 200, timeoutMs: 100, ...overrides });
    const poller = new DevicePoller({ device, profile, busLabel: link.label, sink, clock: Date.now, logger: silentLogger(), offlineAfterFailures: 2, firstDue: now + i * 20 });
    pollers.set(device.id, poller);
    bus.add(poller);
  });
  return { bus, link, samples, pollers };
}

const intervals = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('ModbusBus', () => {
  it('keeps one request in flight and polls every device at its interval', async () => {
    const lag = startLagMonitor();
    const h = harness([{}, {}, {}, {}, {}]);
    await waitFor(() => [...h.pollers.keys()].every((id) => (h.samples.get(id)?.length ?? 0) >= 6), { what: 'six samples per device' });
    lag.stop();
    // Five 2 ms polls fit easily in 200 ms: each device keeps its own rate, within timer
    // lateness (a poll waits for its own timer, and maybe for one lagging request before it).
    const slack = 20 + 2 * lag.maxMs();
    expect(h.link.maxInFlight).toBe(1);
    for (const times of h.samples.values()) {
      for (const gap of intervals(times)) expect(gap).toBeGreaterThan(200 - slack);
      for (const gap of intervals(times)) expect(gap).toBeLessThan(200 + slack);
    }
  });

  it('a dead device delays the others by at most its timeout, and is probed slowly once offline', async () => {
    const lag = startLagMonitor();
    const h = harness([{}, {}, { retries: 1, retryDelayMs: 30, offlinePollIntervalMs: 1000 }, {}, {}]);
    h.link.dead.add(3);
    await waitFor(() => h.pollers.get('d3')!.health.offline && (h.samples.get('d1')?.length ?? 0) >= 12, { what: 'd3 offline and 12 samples of d1', timeoutMs: 15_000 });
    lag.stop();
    // The bus never started an attempt more than one dead timeout (100 ms) after it fell due
    // (plus a few 2 ms polls and timer lateness): no back-to-back retries, no pile-up.
    const slack = 20 + 2 * lag.maxMs();
    expect(h.bus.stats().maxStartDelayMs).toBeLessThan(100 + slack);
    for (const id of ['d1', 'd2', 'd4', 'd5']) {
      for (const gap of intervals(h.samples.get(id)!)) expect(gap).toBeLessThan(200 + 100 + slack);
    }
    // Once offline, one probe per second at most: over the next 8 polls of d1 (1.6 s), ≤ 2 probes.
    const deadRequests = () => h.link.log.filter((line) => line.startsWith('3 ')).length;
    const before = deadRequests();
    const d1Before = h.samples.get('d1')!.length;
    await waitFor(() => h.samples.get('d1')!.length >= d1Before + 8, { what: '8 more polls of d1' });
    expect(deadRequests() - before).toBeLessThanOrEqual(2);
    expect(h.link.maxInFlight).toBe(1);
  });

  it('sends a write ahead of due polls, after the request in flight, and polls the device right after', async () => {
    const h = harness([{}, {}, {}]);
    await waitFor(() => h.samples.get('d3')?.length, { what: 'a first round' });
    const d2 = h.pollers.get('d2')!;
    await h.bus.write(d2, { table: 'coil', address: 0, value: true });
    const at = h.link.log.lastIndexOf('2 write coil 0=true');
    expect(at).toBeGreaterThanOrEqual(0);
    await waitFor(() => h.link.log.length > at + 1, { what: 'the next request' });
    expect(h.link.log[at + 1]).toMatch(/^2 read/);
    expect(h.link.maxInFlight).toBe(1);
  });

  it('removes a device only once its attempt in flight is over, and never polls it again', async () => {
    const h = harness([{}, { timeoutMs: 300 }]);
    h.link.dead.add(2);
    await waitFor(() => h.pollers.get('d2')!.busy, { what: 'd2 in flight', intervalMs: 5 });
    await h.bus.remove('d2');
    expect(h.pollers.get('d2')!.busy).toBe(false);
    const count = h.link.log.filter((l) => l.startsWith('2 ')).length;
    await waitFor(() => (h.samples.get('d1')?.length ?? 0) >= 4, { what: 'd1 polling on' });
    expect(h.link.log.filter((l) => l.startsWith('2 ')).length).toBe(count);
    expect(h.bus.size).toBe(1);
  });

  it('stop() rejects writes not yet sent', async () => {
    const h = harness([{ timeoutMs: 300 }]);
    h.link.dead.add(1);
    await waitFor(() => h.pollers.get('d1')!.busy, { what: 'd1 in flight', intervalMs: 5 });
    const write = h.bus.write(h.pollers.get('d1')!, { table: 'holding', address: 0, words: [1] });
    const rejected = expect(write).rejects.toThrow(/stopped before the write was sent/);
    await h.bus.stop();
    await rejected;
  });
});
