// Pure conversion of a validated telemetry message to store samples. Site, gateway
// and device come from the topic (checked by the broker's ACL), never from the payload.
import type { Telemetry } from '../protocol/index.js';
import type { StoredSample } from '../store/types.js';

export interface TelemetrySource { site: string; gateway: string; device: string }

export function toStoredSamples(source: TelemetrySource, message: Telemetry): StoredSample[] {
  return message.samples.map((sample) => ({
    measurement: message.measurement,
    site: source.site,
    gateway: source.gateway,
    device: source.device,
    profile: message.profile,
    ts: sample.ts,
    seq: sample.seq,
    ...(sample.quality ? { quality: sample.quality } : {}),
    values: sample.values,
  }));
}

/**
 * A sample stamped far in the future is a gateway with a wrong clock; writing it
 * would make it the "latest" reading for months. Returns a reason, or undefined if all is well.
 */
export function futureTimestampProblem(message: Telemetry, nowMs: number, maxFutureSkewMs: number): string | undefined {
  const limit = nowMs + maxFutureSkewMs;
  const index = message.samples.findIndex((s) => s.ts > limit);
  if (index < 0) return undefined;
  const ts = message.samples[index]!.ts;
  return `samples.${index}.ts: ${new Date(ts).toISOString()} is more than ${Math.round(maxFutureSkewMs / 1000)} s ahead of the ingest clock (gateway clock wrong?)`;
}
