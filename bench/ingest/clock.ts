// One monotonic clock for every thread of the benchmark: process.hrtime is
// CLOCK_MONOTONIC for the whole process, so times taken in different worker
// threads can be subtracted from one another (performance.now() cannot: each
// thread has its own time origin).

/** Milliseconds on the process-wide monotonic clock, with sub-microsecond resolution. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
