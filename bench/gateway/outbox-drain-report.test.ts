// Rendering part (c): medians, the ratio to MQTT.js, estimated rows, failures shown.
import { describe, expect, it } from 'vitest';
import { fillOfLargest, medianRun, OUTBOX_DRAIN_HEADING, renderOutboxDrain, type DrainRow } from './outbox-drain-report.js';

const small = { devices: 10, intervalMs: 5000, offlineMs: 600_000 };
const large = { devices: 100, intervalMs: 1000, offlineMs: 600_000 };
const run = (drainMs: number, extra: Partial<{ messages: number; delivered: number; fillMs: number; error: string; readings: number }> = {}) =>
  ({ readings: 1200, messages: 1200, delivered: 1200, drainMs, ...extra });

const rows: DrainRow[] = [
  { sender: 'MQTT.js offline queue', backlog: 'small', spec: small, runs: [run(48_000)] },
  { sender: 'Outbox, unbatched', backlog: 'small', spec: small, runs: [run(900, { fillMs: 300 }), run(1000, { fillMs: 100 }), run(800, { fillMs: 200 })] },
  { sender: 'MQTT.js offline queue', backlog: 'large', spec: large, runs: [run(0, { readings: 60_000 })], estimatedFrom: { rate: 25, what: 'rate measured above' } },
  { sender: 'Outbox, batched', backlog: 'large', spec: large, runs: [run(1200, { readings: 60_000, messages: 300, delivered: 59_999, fillMs: 1000 })] },
];

describe('part (c) report', () => {
  it('takes the median run and the median fill of the largest backlog', () => {
    expect(medianRun(rows[1]!.runs)?.drainMs).toBe(900);
    expect(fillOfLargest(rows)).toEqual({ readings: 60_000, devices: 100, ms: 1000, runs: 1 });
  });

  it('renders the table against the measured MQTT.js rate, marking estimates and losses', () => {
    const text = renderOutboxDrain({ date: new Date(Date.UTC(2026, 10, 29)), command: 'node dist/bench/gateway/run.js', machine: 'm', software: 's', rttMs: 40, window: 64, rows });
    expect(text.startsWith(`${OUTBOX_DRAIN_HEADING}\n`)).toBe(true);
    expect(text).toContain('| MQTT.js offline queue | 10 devices × every 5 s × 10 min | 1,200 | 1,200 | 48.0 s | 25.0 | 25.0 | 1.0 × | all 1,200 delivered |');
    expect(text).toContain('| Outbox, unbatched | 10 devices × every 5 s × 10 min | 1,200 | 1,200 | 0.90 s (0.90 s · 1.00 s · 0.80 s) | 1,330 | 1,330 | 53.3 × |');
    expect(text).toContain('≈ 40.0 min (estimated)');
    expect(text).toContain('**59,999 of 60,000 delivered**');
    expect(text).toMatch(/allows at most 1,600 messages\/s; the unbatched outbox reached 1,330 \(83 % of that bound\)/);
  });
});
