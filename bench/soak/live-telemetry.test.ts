// Live telemetry: valid v1 messages, devices in turn, timestamps unique per series.
import { describe, expect, it } from 'vitest';
import { telemetrySchema } from '../../protocol/index.js';
import { liveFleet } from './live-telemetry.js';

describe('live telemetry', () => {
  it('stamps readings now, one device after another, never twice the same ms for a device', () => {
    const now = 1_764_290_000_000;
    const [gw] = liveFleet([{ site: 'site-01', gateway: 'gw-01', username: 'site-01.gw-01' }], 2, () => now);
    const messages = Array.from({ length: 6 }, () => gw!.nextMessage());
    expect(messages.map((m) => m.topic.split('/').pop())).toEqual(['aq-01', 'aq-02', 'aq-01', 'aq-02', 'aq-01', 'aq-02']);
    const samples = messages.map((m) => (JSON.parse(m.payload) as { samples: Array<{ ts: number; seq: number }> }).samples[0]!);
    expect(samples.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(samples.filter((_, i) => i % 2 === 0).map((s) => s.ts)).toEqual([now, now + 1, now + 2]);
    for (const m of messages) expect(telemetrySchema.safeParse(JSON.parse(m.payload)).success).toBe(true);
  });
});
