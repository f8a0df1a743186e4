// Child process playing the gateways for the soak: one MQTT.js client per gateway
// account, publishing live single-sample readings at QoS 1 on a shared schedule (a
// steady total rate, not as fast as possible), each client with a bounded in-flight
// window as the gateway's outbox has. When windows are full the fleet falls behind
// its schedule; the deficit is reported, not hidden.
import mqtt, { type MqttClient } from 'mqtt';
import type { GatewayLogin } from '../ingest/load-thread.js';
import { liveFleet, type LiveGatewayTelemetry } from './live-telemetry.js';
import { assignMessages, dueBy } from './pacing.js';
import { serveProcessApi } from './process-rpc.js';

export interface LoadSetup {
  url: string;
  gateways: GatewayLogin[];
  devicesPerGateway: number;
  window: number;
}

export interface LoadProgress {
  /** Due by the schedule since the start. */
  due: number;
  /** Handed to MQTT.js. */
  published: number;
  /** Acknowledged by the broker (PUBACK); one reading each. */
  acked: number;
  failed: number;
  firstError?: string;
}

/** Often enough that a tick's share (rate × tick) stays well inside the fleet's windows. */
const TICK_MS = 5;

interface Client { mqtt: MqttClient; telemetry: LiveGatewayTelemetry; inflight: number }

let clients: Client[] = [];
let window = 16;
let timer: NodeJS.Timeout | undefined;
let schedule: { startedAt: number; msgsPerSec: number } | undefined;
const counts: LoadProgress = { due: 0, published: 0, acked: 0, failed: 0 };
let cursor = 0;
let drained: (() => void) | undefined;

function inflight(): number {
  return clients.reduce((sum, c) => sum + c.inflight, 0);
}

function publish(client: Client): void {
  const message = client.telemetry.nextMessage();
  client.inflight++;
  counts.published++;
  client.mqtt.publish(message.topic, message.payload, { qos: 1 }, (err) => {
    client.inflight--;
    if (err) {
      counts.failed++;
      counts.firstError ??= err.message;
    } else counts.acked++;
    if (!schedule && inflight() === 0) drained?.();
  });
}

function tick(): void {
  if (!schedule) return;
  counts.due = dueBy(performance.now() - schedule.startedAt, schedule.msgsPerSec);
  const { picks, cursor: next } = assignMessages(clients, window, counts.due - counts.published, cursor);
  cursor = next;
  for (const i of picks) publish(clients[i]!);
}

const api = {
  async connect(setup: LoadSetup): Promise<{ clients: number }> {
    window = setup.window;
    const fleet = liveFleet(setup.gateways, setup.devicesPerGateway, Date.now);
    const connected = await Promise.all(setup.gateways.map((gw) => mqtt.connectAsync(setup.url, {
      username: gw.username, password: gw.password, clientId: `soak-${gw.site}-${gw.gateway}`,
      clean: true,
      reconnectPeriod: 0, // a dropped connection is a soak failure, not something to hide
      protocolVersion: 4,
    })));
    clients = connected.map((client, i) => ({ mqtt: client, telemetry: fleet[i]!, inflight: 0 }));
    return { clients: clients.length };
  },
  start(msgsPerSec: number): void {
    schedule = { startedAt: performance.now(), msgsPerSec };
    timer = setInterval(tick, TICK_MS);
  },
  progress(): LoadProgress {
    return { ...counts };
  },
  /** Stops the schedule; resolves once every message in flight is acknowledged (or failed). */
  async stop(): Promise<LoadProgress> {
    clearInterval(timer);
    schedule = undefined;
    if (inflight() > 0) await new Promise<void>((resolve) => { drained = resolve; });
    return { ...counts };
  },
  async close(): Promise<void> {
    await Promise.all(clients.map((c) => c.mqtt.endAsync()));
    clients = [];
  },
};

export type LoadProcessApi = typeof api;
serveProcessApi(api);
