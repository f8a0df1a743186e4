// End to end on loopback: two Modbus TCP simulators → the gateway → a real Aedes broker → a
// real MQTT.js subscriber. Telemetry must equal the simulators' value function at each
// sample's ts, and a stopped device must not stop the other one.
//
// Gateway and simulators share a virtual clock that starts at 05:00 on a January morning in
// Tongjiang. The test moves it forward only while no poll is in flight (checked and moved in
// one synchronous step), so the time a gateway stamps on a sample is exactly the time the
// simulator computed the answer for: the comparison is exact by construction, not by luck.
import net from 'node:net';
import { Aedes, type Client as AedesClient } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { closeServer, listen } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { eventSchema, parseTopic, statusSchema, telemetrySchema, type GatewayEvent, type Sample, type Status, type Telemetry } from '../protocol/index.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import type { DeviceProfile } from '../gateway/profile-schema.js';
import { startModbusSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';

const SITE = 'tj-test';
const GATEWAY = 'gw-1';
const MINUTE = 60_000;

let now = Date.UTC(2026, 0, 15, 21, 0, 0); // 2026-01-16 05:00 in Tongjiang (UTC+8)
const clock = () => now;

interface Received {
  topic: string;
  channel: string;
  device?: string;
  retain: boolean;
  payload: unknown;
}

const received: Received[] = [];
const invalid: string[] = [];

let broker: Aedes;
let brokerServer: net.Server;
let brokerPort: number;
let gatewayConnection: AedesClient | undefined;
let subscriber: MqttClient;
let profiles: Map<string, DeviceProfile>;
let thSim: ModbusSimulator;
let pmSim: ModbusSimulator;
let gateway: Gateway;
const simulators = (): Record<string, ModbusSimulator> => ({ 'th-1': thSim, 'pm-1': pmSim });

function startTh(port = 0): Promise<ModbusSimulator> {
  return startModbusSimulator({ profile: profiles.get('th-transmitter')!, port, unitId: 1, seed: 11, clock });
}

/** Validates every message against its protocol schema as it arrives. */
function record(topic: string, payload: Buffer, retain: boolean): void {
  const parsed = parseTopic(topic);
  if (!parsed || parsed.kind !== 'gateway') {
    invalid.push(`${topic}: not a gateway topic`);
    return;
  }
  const schema = { telemetry: telemetrySchema, event: eventSchema, status: statusSchema }[parsed.channel as 'telemetry' | 'event' | 'status'];
  if (!schema) {
    invalid.push(`${topic}: unexpected channel`);
    return;
  }
  const result = schema.safeParse(JSON.parse(payload.toString('utf8')));
  if (!result.success) {
    invalid.push(`${topic}: ${result.error.message}`);
    return;
  }
  received.push({ topic, channel: parsed.channel, ...(parsed.device ? { device: parsed.device } : {}), retain, payload: result.data });
}

const samplesOf = (device: string): Sample[] =>
  received.filter((m) => m.channel === 'telemetry' && m.device === device).flatMap((m) => (m.payload as Telemetry).samples);
const eventsOf = (device: string): GatewayEvent[] => received.filter((m) => m.channel === 'event' && m.device === device).map((m) => m.payload as GatewayEvent);
const statuses = (): Status[] => received.filter((m) => m.channel === 'status').map((m) => m.payload as Status);

/** Moves the shared clock on, at a moment when no poll is between its sample time and its answer. */
async function advanceClock(ms: number): Promise<void> {
  await waitFor(
    () => {
      if (gateway.stats.pollsInFlight > 0) return false;
      now += ms;
      return true;
    },
    { what: 'a moment with no poll in flight', intervalMs: 2 },
  );
}

const sampledAt = (device: string, ts: number) => waitFor(() => samplesOf(device).some((s) => s.ts === ts), { what: `a ${device} sample at ${new Date(ts).toISOString()}` });

/** Every sample's values are exactly what the device's simulator serves at the sample's ts. */
function expectSamplesMatchSimulators(device: string): number {
  const sim = simulators()[device]!;
  const samples = samplesOf(device);
  for (const sample of samples) {
    const expected = Object.fromEntries(sim.profile.points.map((p) => [p.name, sim.valueAt(p.name, sample.ts)]));
    expect({ ts: sample.ts, values: sample.values, quality: sample.quality }).toEqual({ ts: sample.ts, values: expected, quality: 'good' });
  }
  return samples.length;
}

beforeAll(async () => {
  broker = await Aedes.createBroker();
  broker.on('client', (client) => {
    if (client.id === `sb-gw-${SITE}-${GATEWAY}`) gatewayConnection = client;
  });
  brokerServer = net.createServer(broker.handle);
  brokerPort = await listen(brokerServer, 0);

  profiles = await loadProfileLibrary(defaultProfilesDir());
  thSim = await startTh();
  pmSim = await startModbusSimulator({ profile: profiles.get('pm-sensor')!, unitId: 2, seed: 12, clock });

  subscriber = await connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { protocolVersion: 4, clientId: 'test-subscriber', reconnectPeriod: 0 });
  subscriber.on('message', (topic, payload, packet) => record(topic, payload, packet.retain));
  await subscriber.subscribeAsync(`sb/v1/gw/${SITE}/${GATEWAY}/#`, { qos: 1 });

  gateway = await startGateway(
    {
      site: SITE,
      gateway: GATEWAY,
      mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, username: GATEWAY, password: 'test-only-password', reconnectPeriodMs: 100 },
      devices: [
        // Probed every second once offline (default 30 s), so its recovery shows within the test.
        { id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port: thSim.port }, unit: 1, pollIntervalMs: 100, timeoutMs: 500, offlinePollIntervalMs: 1000 },
        { id: 'pm-1', profile: 'pm-sensor', transport: { kind: 'tcp', host: '127.0.0.1', port: pmSim.port }, unit: 2, pollIntervalMs: 100, timeoutMs: 500 },
      ],
      statusIntervalMs: 60_000,
      offlineAfterFailures: 2,
    },
    { logger: silentLogger(), clock, profiles },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await subscriber?.endAsync(true);
  await Promise.all([thSim?.close(), pmSim?.close()]);
  await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
  if (brokerServer) await closeServer(brokerServer);
});

describe('gateway with Modbus simulators and a real broker', () => {
  it('announces itself with a retained online status listing its devices', async () => {
    const status = await waitFor(() => statuses().find((s) => s.state === 'online'), { what: 'an online status' });
    expect(status.devices).toHaveProperty('th-1');
    expect(status.devices).toHaveProperty('pm-1');
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('publishes telemetry equal to the simulators’ value function at each sample ts', async () => {
    const stepTimes: number[] = [];
    for (let step = 0; step < 5; step++) {
      stepTimes.push(now);
      await Promise.all([sampledAt('th-1', now), sampledAt('pm-1', now)]);
      await advanceClock(17 * MINUTE);
    }

    expect(expectSamplesMatchSimulators('th-1')).toBeGreaterThanOrEqual(5);
    expect(expectSamplesMatchSimulators('pm-1')).toBeGreaterThanOrEqual(5);

    // Plausible, and moving: a January dawn in Heilongjiang, warming slowly after 05:00.
    const temperatures = stepTimes.map((ts) => samplesOf('th-1').find((s) => s.ts === ts)!.values.temperature as number);
    for (const t of temperatures) expect(t).toBeLessThan(-20);
    expect(new Set(temperatures).size).toBeGreaterThan(1);

    // Telemetry metadata comes from the profile; device identity only from the topic.
    const message = received.find((m) => m.channel === 'telemetry' && m.device === 'pm-1')!;
    expect(message.topic).toBe(`sb/v1/gw/${SITE}/${GATEWAY}/telemetry/pm-1`);
    expect(message.payload).toMatchObject({ v: 1, measurement: 'air', profile: 'pm-sensor' });
    expect(message.retain).toBe(false);
  });

  it('numbers samples with one gateway-wide sequence', () => {
    const all = [...samplesOf('th-1'), ...samplesOf('pm-1')];
    const seqs = all.map((s) => s.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (const device of ['th-1', 'pm-1']) {
      const bySeq = [...samplesOf(device)].sort((a, b) => a.seq - b.seq);
      bySeq.slice(1).forEach((s, i) => expect(s.ts).toBeGreaterThanOrEqual(bySeq[i]!.ts));
    }
    expect(gateway.stats.lastSeq).toBeGreaterThanOrEqual(Math.max(...seqs));
  });

  it('reports a stopped device offline while the other keeps publishing, and its recovery', async () => {
    const thPort = thSim.port;
    await thSim.close();
    const offline = await waitFor(() => eventsOf('th-1').find((e) => e.type === 'device-offline'), { what: 'th-1 device-offline' });
    expect(offline.message).toMatch(/th-1 is not answering on tcp 127\.0\.0\.1:\d+ unit 1/);
    expect(offline.data).toMatchObject({ consecutiveFailures: 2, unit: 1 });
    expect(eventsOf('pm-1').some((e) => e.type === 'device-offline')).toBe(false);

    await advanceClock(MINUTE);
    const whileDown = now;
    await sampledAt('pm-1', whileDown);
    expect(samplesOf('th-1').some((s) => s.ts >= whileDown)).toBe(false);
    expect(gateway.stats.devices['th-1']).toMatchObject({ online: false });
    expect(gateway.stats.devices['th-1']!.pollsFailed).toBeGreaterThanOrEqual(2);
    expect(gateway.stats.devices['pm-1']).toMatchObject({ online: true, consecutiveFailures: 0 });

    thSim = await startTh(thPort);
    const back = await waitFor(() => eventsOf('th-1').find((e) => e.type === 'device-online' && e.ts >= whileDown), { what: 'th-1 device-online' });
    expect(back.ts).toBeGreaterThanOrEqual(offline.ts);
    await advanceClock(MINUTE);
    await Promise.all([sampledAt('th-1', now), sampledAt('pm-1', now)]);
    expectSamplesMatchSimulators('th-1');
    expectSamplesMatchSimulators('pm-1');
  });

  it('the broker publishes the retained last will when the gateway vanishes; it comes back online', async () => {
    expect(gatewayConnection).toBeDefined();
    const before = statuses().length;
    gatewayConnection!.conn.destroy(); // as if the 4G link died without a DISCONNECT
    const will = await waitFor(() => statuses().slice(before).find((s) => s.state === 'offline'), { what: 'the last will' });
    expect(will).toEqual({ v: 1, state: 'offline', reason: 'connection lost' });
    await waitFor(() => statuses().slice(before).some((s) => s.state === 'online'), { what: 'online again after reconnecting' });
    await advanceClock(MINUTE);
    await sampledAt('pm-1', now);
  });

  it('stops with a retained offline status, and every payload matched the protocol', async () => {
    await gateway.stop();
    const stopped = await waitFor(() => statuses().find((s) => s.reason === 'gateway stopped'), { what: 'the offline status' });
    expect(stopped).toEqual({ v: 1, state: 'offline', reason: 'gateway stopped', ts: now });
    expect(statuses().at(-1)).toEqual(stopped);

    // A newcomer sees the retained status: the gateway is offline.
    const late = await connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { protocolVersion: 4, clientId: 'test-late', reconnectPeriod: 0 });
    try {
      let retained: { status: Status; retain: boolean } | undefined;
      late.on('message', (_topic, payload, packet) => (retained = { status: statusSchema.parse(JSON.parse(payload.toString())), retain: packet.retain }));
      await late.subscribeAsync(`sb/v1/gw/${SITE}/${GATEWAY}/status`, { qos: 1 });
      expect(await waitFor(() => retained, { what: 'the retained status' })).toMatchObject({ retain: true, status: { state: 'offline', reason: 'gateway stopped' } });
    } finally {
      await late.endAsync(true);
    }

    expect(invalid).toEqual([]);
    expect(received.filter((m) => m.channel === 'telemetry').length).toBeGreaterThan(10);
  });
});
