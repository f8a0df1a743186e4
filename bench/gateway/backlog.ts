// The readings a site's devices would have taken during an outage, generated instead of
// waited for: N devices polled every `intervalMs` for `offlineMs`, in the order they were
// taken (one poll round after another), with gateway-wide sequence numbers. Pure.
import type { Sample } from '../../protocol/index.js';

export interface BacklogSpec {
  devices: number;
  intervalMs: number;
  offlineMs: number;
}

export interface BacklogReading {
  device: string;
  sample: Sample;
}

export const BACKLOG_HEAD = { measurement: 'air', profile: 'bench-aqi-station' } as const;

export function backlogSize(spec: BacklogSpec): number {
  return spec.devices * Math.floor(spec.offlineMs / spec.intervalMs);
}

export function deviceId(index: number): string {
  return `aqi-${String(index + 1).padStart(3, '0')}`;
}

/** Readings oldest first; the last round is taken at `endTs`. Five fields, like an air station. */
export function* backlogReadings(spec: BacklogSpec, endTs: number): Generator<BacklogReading> {
  const rounds = Math.floor(spec.offlineMs / spec.intervalMs);
  let seq = 0;
  for (let round = 0; round < rounds; round++) {
    const ts = endTs - (rounds - 1 - round) * spec.intervalMs;
    for (let d = 0; d < spec.devices; d++) {
      seq++;
      const wave = Math.sin((ts / 60_000 + d) / 7);
      yield {
        device: deviceId(d),
        sample: {
          ts, seq, quality: 'good',
          values: { pm25: Math.round(350 + 120 * wave) / 10, pm10: Math.round(610 + 200 * wave) / 10, no2: Math.round(220 + 40 * wave) / 10, temperature: Math.round(-180 + 30 * wave) / 10, humidity: Math.round(700 + 80 * wave) / 10 },
        },
      };
    }
  }
}
