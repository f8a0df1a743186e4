// The generated backlog: the size an outage produces, in poll order, with valid samples.
import { describe, expect, it } from 'vitest';
import { telemetrySchema } from '../../protocol/index.js';
import { BACKLOG_HEAD, backlogReadings, backlogSize } from './backlog.js';

describe('backlog', () => {
  it('is what N devices polled at an interval take during the outage, oldest first', () => {
    const spec = { devices: 3, intervalMs: 5000, offlineMs: 60_000 };
    const end = Date.UTC(2026, 0, 16, 5, 0, 0);
    const readings = [...backlogReadings(spec, end)];
    expect(readings).toHaveLength(backlogSize(spec));
    expect(readings).toHaveLength(36);
    expect(readings.slice(0, 4).map((r) => r.device)).toEqual(['aqi-001', 'aqi-002', 'aqi-003', 'aqi-001']);
    expect(readings.map((r) => r.sample.seq)).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
    expect(readings.at(-1)!.sample.ts).toBe(end);
    expect(readings[0]!.sample.ts).toBe(end - 55_000);
    expect(telemetrySchema.safeParse({ v: 1, ...BACKLOG_HEAD, samples: readings.map((r) => r.sample) }).success).toBe(true);
  });
});
