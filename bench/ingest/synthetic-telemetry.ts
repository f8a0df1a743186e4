// Synthetic telemetry for the ingest benchmark: a fleet of gateways with devices,
// each device producing deterministic 10-field air-quality samples one second
// apart, and the v1 telemetry messages (or store samples) they become. Pure: no I/O.
import type { Sample, Telemetry } from '../../protocol/index.js';
import type { StoredSample } from '../../store/types.js';
import { toStoredSamples } from '../../ingest/telemetry-to-samples.js';
import { topics } from '../../protocol/index.js';

export const MEASUREMENT = 'air';
export const PROFILE = 'bench-air-10';
/** Ten fields, as an air-quality station reports them. */
export const FIELD_NAMES = ['pm25', 'pm10', 'no2', 'so2', 'co', 'o3', 'temperature', 'humidity', 'pressure', 'wind_speed'] as const;
export const FIELDS_PER_SAMPLE = FIELD_NAMES.length;

/** Typical level and swing of each field, so the numbers look (and compress) like real ones. */
const FIELD_SHAPES: ReadonlyArray<readonly [level: number, swing: number]> = [
  [35, 20], [60, 30], [40, 15], [12, 6], [0.9, 0.4], [80, 40], [-18, 8], [65, 20], [1013, 12], [4, 3],
];

export interface BenchGateway {
  site: string;
  gateway: string;
  /** Broker account name, as cli/system.ts names gateway accounts. */
  username: string;
}

/** `count` gateways, one per site: site-01/gw-01, site-02/gw-01, … */
export function benchGateways(count: number): BenchGateway[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, i) => {
    const site = `site-${String(i + 1).padStart(width, '0')}`;
    return { site, gateway: 'gw-01', username: `${site}.gw-01` };
  });
}

export function benchDeviceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `aq-${String(i + 1).padStart(2, '0')}`);
}

/** Where sample times start and how far apart they are (each device: one sample per interval). */
export interface SampleClock {
  firstTs: number;
  intervalMs: number;
}

/**
 * The values of the k-th sample of a device: a slow triangle wave per field with a
 * little jitter, rounded like a sensor. Integer arithmetic only: the publishers share
 * the machine with what is measured, so making up numbers must cost next to nothing.
 */
export function sampleValues(deviceSeed: number, k: number): Record<string, number> {
  const values: Record<string, number> = {};
  for (let i = 0; i < FIELDS_PER_SAMPLE; i++) {
    const [level, swing] = FIELD_SHAPES[i]!;
    const phase = (k + deviceSeed * 37 + i * 113) % 1200; // a 20-minute cycle at one sample a second
    const wave = phase < 600 ? phase / 300 - 1 : 3 - phase / 300;
    const jitter = (((k * 7 + i * 3) % 11) - 5) / 50;
    values[FIELD_NAMES[i]!] = Math.round((level + swing * (wave + jitter)) * 100) / 100;
  }
  return values;
}

export interface OutgoingMessage {
  topic: string;
  payload: string;
  samples: number;
}

/**
 * The messages one gateway publishes: its devices in turn, each message holding the
 * next `samplesPerMessage` samples of one device, `seq` counting per gateway.
 */
export class GatewayTelemetry {
  private readonly devices: Array<{ topic: string; device: string; seed: number; next: number }>;
  private turn = 0;
  private seq = 0;

  constructor(
    readonly gateway: BenchGateway,
    gatewayIndex: number,
    deviceIds: readonly string[],
    private readonly clock: SampleClock,
  ) {
    this.devices = deviceIds.map((device, i) => ({
      topic: topics.telemetry(gateway, device),
      device,
      seed: gatewayIndex * deviceIds.length + i,
      next: 0,
    }));
  }

  /** The next message as a Telemetry object and the device it belongs to. */
  nextTelemetry(samplesPerMessage: number): { device: string; topic: string; telemetry: Telemetry } {
    const device = this.devices[this.turn]!;
    this.turn = (this.turn + 1) % this.devices.length;
    const samples: Sample[] = [];
    for (let i = 0; i < samplesPerMessage; i++) {
      const k = device.next++;
      samples.push({ ts: this.clock.firstTs + k * this.clock.intervalMs, seq: this.seq++, values: sampleValues(device.seed, k), quality: 'good' });
    }
    return { device: device.device, topic: device.topic, telemetry: { v: 1, measurement: MEASUREMENT, profile: PROFILE, samples } };
  }

  nextMessage(samplesPerMessage: number): OutgoingMessage {
    const { topic, telemetry } = this.nextTelemetry(samplesPerMessage);
    return { topic, payload: JSON.stringify(telemetry), samples: samplesPerMessage };
  }

  /** The same samples as ingest would hand them to the store (for store-level ceilings). */
  nextStoredSamples(samplesPerMessage: number): StoredSample[] {
    const { device, telemetry } = this.nextTelemetry(samplesPerMessage);
    return toStoredSamples({ site: this.gateway.site, gateway: this.gateway.gateway, device }, telemetry);
  }
}

/** One GatewayTelemetry per gateway of the fleet. */
export function fleetTelemetry(gateways: readonly BenchGateway[], devicesPerGateway: number, clock: SampleClock): GatewayTelemetry[] {
  const devices = benchDeviceIds(devicesPerGateway);
  return gateways.map((gateway, i) => new GatewayTelemetry(gateway, i, devices, clock));
}

/**
 * `count` store samples spread over the whole fleet (every gateway's devices in
 * turn), each a distinct series + time: what a store receives from many gateways.
 */
export function fleetStoredSamples(fleet: readonly GatewayTelemetry[], count: number): StoredSample[] {
  const out: StoredSample[] = [];
  for (let i = 0; out.length < count; i++) out.push(...fleet[i % fleet.length]!.nextStoredSamples(1));
  return out;
}
