// Is memory still growing? Least-squares slopes of sampled memory over the second
// half of a soak, of the live V8 heap (heap used right after a full GC, so the GC
// sawtooth and old-space garbage not yet collected do not read as a trend) and of
// RSS, judged against limits in MiB per minute. Pure.

export interface Point {
  /** Minutes since the measured period began. */
  minute: number;
  value: number;
}

/** Slope of the least-squares line through the points (value units per minute); NaN for fewer than 2 distinct minutes. */
export function leastSquaresSlope(points: readonly Point[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const meanX = points.reduce((s, p) => s + p.minute, 0) / n;
  const meanY = points.reduce((s, p) => s + p.value, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.minute - meanX) * (p.value - meanY);
    sxx += (p.minute - meanX) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/** The points at or after the middle of their time span. */
export function secondHalf(points: readonly Point[]): Point[] {
  if (points.length === 0) return [];
  const start = points[0]!.minute;
  const end = points[points.length - 1]!.minute;
  const middle = (start + end) / 2;
  return points.filter((p) => p.minute >= middle);
}

export interface TrendLimits {
  /** Largest live-heap growth that still counts as stable, MiB per minute. */
  heapMiBPerMin: number;
  /** Largest RSS growth that still counts as a plateau, MiB per minute. */
  rssMiBPerMin: number;
}

export interface MemorySeries {
  /** Bytes, one point per sample after the warm-up. */
  rss: readonly Point[];
  /** V8 heap used after a full GC, bytes; absent for a process that is not Node (influxd). */
  heapUsed?: readonly Point[];
}

export interface MemoryTrend {
  /** MiB per minute over the second half; NaN when there were too few samples. */
  heapSlope?: number;
  rssSlope: number;
  heapStable?: boolean;
  rssPlateau: boolean;
  /** Stable heap (when there is one) and RSS plateau. */
  stable: boolean;
}

const MiB = 2 ** 20;

function slopeMiB(points: readonly Point[]): number {
  return leastSquaresSlope(points.map((p) => ({ minute: p.minute, value: p.value / MiB })));
}

/** Too few samples to compute a slope is not "stable": the verdict must be earned. */
export function memoryTrend(series: MemorySeries, limits: TrendLimits): MemoryTrend {
  const rssSlope = slopeMiB(secondHalf(series.rss));
  const rssPlateau = rssSlope <= limits.rssMiBPerMin;
  if (!series.heapUsed) return { rssSlope, rssPlateau, stable: rssPlateau };
  const heapSlope = slopeMiB(secondHalf(series.heapUsed));
  const heapStable = heapSlope <= limits.heapMiBPerMin;
  return { heapSlope, rssSlope, heapStable, rssPlateau, stable: heapStable && rssPlateau };
}
