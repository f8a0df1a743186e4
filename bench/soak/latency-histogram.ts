// End-to-end latency (sample time → stored) as a histogram with logarithmic buckets,
// so ingest can record every reading at the cost of one array increment, and the
// runner can merge snapshots and read percentiles. Pure.

/** Bucket i holds latencies in [BASE^(i-1), BASE^i) ms; bucket 0 holds everything below 1 ms. */
const BASE = 1.1;
const BUCKETS = 160; // 1.1^159 ≈ 3.8e6 ms ≈ an hour: enough for any backlog a soak can build

export type LatencyCounts = number[];

export function emptyLatencies(): LatencyCounts {
  return new Array<number>(BUCKETS).fill(0);
}

export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(ms) / Math.log(BASE)) + 1);
}

/** Upper bound of a bucket in ms: a percentile is reported as at most this. */
export function bucketUpperMs(bucket: number): number {
  return BASE ** bucket;
}

export function recordLatency(counts: LatencyCounts, ms: number): void {
  counts[bucketOf(ms)]! += 1;
}

/** `later` minus `earlier`, bucket by bucket: the latencies recorded in between. */
export function latencyDifference(later: LatencyCounts, earlier: LatencyCounts): LatencyCounts {
  return later.map((n, i) => n - (earlier[i] ?? 0));
}

/** The q-quantile (0 < q ≤ 1) as its bucket's upper bound, ≤ 10 % above the true value; NaN when empty. */
export function latencyQuantile(counts: LatencyCounts, q: number): number {
  const total = counts.reduce((s, n) => s + n, 0);
  if (total === 0) return NaN;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return bucketUpperMs(i);
  }
  return bucketUpperMs(counts.length - 1);
}
