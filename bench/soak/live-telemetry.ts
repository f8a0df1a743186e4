// Live single-sample telemetry, as a gateway publishes a reading it has just taken:
// the sample time is "now" on the gateway's clock (kept strictly increasing per
// device, so no two readings of a series share a timestamp and overwrite each other
// in InfluxDB), which also lets ingest measure the end-to-end latency of each reading.
// Values come from the ingest benchmark's synthetic shapes. Pure: the clock is injected.
import { topics } from '../../protocol/index.js';
import { benchDeviceIds, MEASUREMENT, PROFILE, sampleValues, type BenchGateway, type OutgoingMessage } from '../ingest/synthetic-telemetry.js';

export class LiveGatewayTelemetry {
  private readonly devices: Array<{ topic: string; seed: number; taken: number; lastTs: number }>;
  private turn = 0;
  private seq = 0;

  constructor(gateway: BenchGateway, gatewayIndex: number, deviceIds: readonly string[], private readonly now: () => number) {
    this.devices = deviceIds.map((device, i) => ({
      topic: topics.telemetry(gateway, device),
      seed: gatewayIndex * deviceIds.length + i,
      taken: 0,
      lastTs: 0,
    }));
  }

  /** One reading of the next device in turn, stamped now. */
  nextMessage(): OutgoingMessage {
    const device = this.devices[this.turn]!;
    this.turn = (this.turn + 1) % this.devices.length;
    const ts = Math.max(Math.floor(this.now()), device.lastTs + 1);
    device.lastTs = ts;
    const sample = { ts, seq: this.seq++, values: sampleValues(device.seed, device.taken++), quality: 'good' as const };
    return { topic: device.topic, payload: JSON.stringify({ v: 1, measurement: MEASUREMENT, profile: PROFILE, samples: [sample] }), samples: 1 };
  }
}

export function liveFleet(gateways: readonly BenchGateway[], devicesPerGateway: number, now: () => number): LiveGatewayTelemetry[] {
  const devices = benchDeviceIds(devicesPerGateway);
  return gateways.map((gateway, i) => new LiveGatewayTelemetry(gateway, i, devices, now));
}
