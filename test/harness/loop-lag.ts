// How late this process's timers ran during a measurement: timing assertions in tests allow
// for it, so a loaded CI machine (other test files, other processes) stretches the bounds
// instead of failing them, while a scheduling bug still shows.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LagMonitor {
  /** Largest event-loop delay seen so far, ms. */
  maxMs(): number;
  stop(): void;
}

export function startLagMonitor(): LagMonitor {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return {
    // The histogram counts the sampling resolution too; its max is what a timer could be late.
    maxMs: () => histogram.max / 1e6,
    stop: () => histogram.disable(),
  };
}
