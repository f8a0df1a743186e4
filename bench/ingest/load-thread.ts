// Worker thread playing the gateways: one MQTT.js client per gateway account, each
// publishing synthetic telemetry at QoS 1 through a bounded in-flight window, for a
// given time. Kept off the broker's and ingest's threads, as real gateways are
// other machines (here they still share the CPU).
import mqtt, { type MqttClient } from 'mqtt';
import { monotonicMs } from './clock.js';
import { fleetTelemetry, type BenchGateway, type SampleClock } from './synthetic-telemetry.js';
import { serveThreadApi } from './thread-rpc.js';
import { WindowedPublisher } from './windowed-publisher.js';

export interface GatewayLogin extends BenchGateway { password: string }

export interface LoadSetup {
  url: string;
  gateways: GatewayLogin[];
  devicesPerGateway: number;
  samplesPerMessage: number;
  /** Messages each client may have awaiting their PUBACK. */
  window: number;
  clock: SampleClock;
}

export interface LoadRun {
  /** Acknowledged by the broker. */
  messages: number;
  readings: number;
  failed: number;
  firstError?: string;
  /** Monotonic times (clock.ts): first publish, end of the publishing time, last PUBACK. */
  startedAtMs: number;
  stoppedAtMs: number;
  drainedAtMs: number;
}

let clients: MqttClient[] = [];
let publishers: WindowedPublisher[] = [];

const api = {
  async connect(setup: LoadSetup): Promise<{ clients: number }> {
    const fleet = fleetTelemetry(setup.gateways, setup.devicesPerGateway, setup.clock);
    clients = await Promise.all(setup.gateways.map((gw) => mqtt.connectAsync(setup.url, {
      username: gw.username,
      password: gw.password,
      clientId: `bench-${gw.site}-${gw.gateway}`,
      clean: true,
      reconnectPeriod: 0, // a dropped connection is a benchmark failure, not something to hide
      protocolVersion: 4,
    })));
    publishers = clients.map((client, i) => new WindowedPublisher(client, () => fleet[i]!.nextMessage(setup.samplesPerMessage), setup.window));
    return { clients: clients.length };
  },

  async run(durationMs: number): Promise<LoadRun> {
    const startedAtMs = monotonicMs();
    for (const publisher of publishers) publisher.start();
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const stoppedAtMs = monotonicMs();
    const counts = await Promise.all(publishers.map((p) => p.stop()));
    const drainedAtMs = monotonicMs();
    return {
      messages: counts.reduce((sum, c) => sum + c.messages, 0),
      readings: counts.reduce((sum, c) => sum + c.readings, 0),
      failed: counts.reduce((sum, c) => sum + c.failed, 0),
      firstError: counts.find((c) => c.firstError)?.firstError,
      startedAtMs,
      stoppedAtMs,
      drainedAtMs,
    };
  },

  async close(): Promise<void> {
    await Promise.all(clients.map((client) => client.endAsync()));
    clients = [];
    publishers = [];
  },
};

export type LoadThreadApi = typeof api;
serveThreadApi(api);
