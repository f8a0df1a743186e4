// Small statistics for benchmark runs: medians, rates, ratios. Pure.

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Events per second; NaN when no time passed. */
export function perSecond(count: number, milliseconds: number): number {
  return milliseconds > 0 ? (count * 1000) / milliseconds : NaN;
}

export function ratio(measured: number, reference: number): number {
  return reference > 0 ? measured / reference : NaN;
}
