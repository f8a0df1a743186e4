// The benchmark's synthetic telemetry is valid v1 telemetry that ingest accepts, and
// every reading is a distinct series + time (so the store's count equals what was sent).
import { describe, expect, it } from 'vitest';
import { parseTopic, telemetrySchema } from '../../protocol/index.js';
import { assertWritableSamples } from '../../store/validation.js';
import { benchGateways, FIELDS_PER_SAMPLE, fleetStoredSamples, fleetTelemetry } from './synthetic-telemetry.js';

const clock = { firstTs: Date.UTC(2026, 10, 1), intervalMs: 1000 };

describe('synthetic telemetry', () => {
  it.each([1, 50])('messages of %i sample(s) pass the protocol schema with %i fields each', (samplesPerMessage) => {
    const [gateway] = fleetTelemetry(benchGateways(2), 3, clock);
    for (let i = 0; i < 7; i++) {
      const message = gateway!.nextMessage(samplesPerMessage);
      const parsed = telemetrySchema.parse(JSON.parse(message.payload));
      expect(parsed.samples).toHaveLength(samplesPerMessage);
      expect(Object.keys(parsed.samples[0]!.values)).toHaveLength(FIELDS_PER_SAMPLE);
      expect(parseTopic(message.topic)).toMatchObject({ kind: 'gateway', channel: 'telemetry', site: 'site-01', gateway: 'gw-01' });
    }
  });

  it('gives every reading its own series + time, and seq counts up per gateway', () => {
    const fleet = fleetTelemetry(benchGateways(3), 4, clock);
    const samples = fleetStoredSamples(fleet, 600);
    const keys = new Set(samples.map((s) => `${s.site}/${s.gateway}/${s.device}@${s.ts}`));
    expect(keys.size).toBe(600);
    const seqs = samples.filter((s) => s.site === 'site-02').map((s) => s.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(() => assertWritableSamples(samples)).not.toThrow();
  });

  it('names gateways like the system does (site.gateway accounts)', () => {
    expect(benchGateways(12)[11]).toEqual({ site: 'site-12', gateway: 'gw-01', username: 'site-12.gw-01' });
  });
});
