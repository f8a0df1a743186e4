// CPU % between two readings of process CPU time and wall time.
import { describe, expect, it } from 'vitest';
import { cpuPercentBetween, CpuMeter } from './cpu-meter.js';

describe('cpuPercentBetween', () => {
  it.each([
    { what: 'idle', cpuUs: 0, wallMs: 1000, percent: 0 },
    { what: 'a quarter of a core', cpuUs: 250_000, wallMs: 1000, percent: 25 },
    { what: 'two threads busy', cpuUs: 2_000_000, wallMs: 1000, percent: 200 },
    { what: 'no wall time', cpuUs: 5000, wallMs: 0, percent: 0 },
  ])('$what', ({ cpuUs, wallMs, percent }) => {
    const before = { cpu: { user: 1_000_000, system: 500_000 }, wallMs: 10_000 };
    const after = { cpu: { user: 1_000_000 + cpuUs * 0.8, system: 500_000 + cpuUs * 0.2 }, wallMs: 10_000 + wallMs };
    expect(cpuPercentBetween(before, after)).toBeCloseTo(percent, 1);
  });

  it('measures this process', () => {
    const meter = new CpuMeter();
    const until = performance.now() + 50;
    while (performance.now() < until) Math.sqrt(Math.random()); // busy
    expect(meter.read()).toBeGreaterThan(10);
  });
});
