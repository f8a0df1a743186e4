// The soak's default rate: the single-sample InfluxDB figure of the ingest benchmark,
// read from its results table in docs/BENCHMARKS.md (so a new benchmark run moves the
// soak with it) rather than copied into code. Pure.

export interface BenchmarkedRate {
  msgsPerSec: number;
  /** The table row it came from, for the report. */
  row: string;
}

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

/**
 * Finds the row `| InfluxDB | single-sample … | <msgs/s> | …` of the ingest section's
 * results table, locating the msgs/s column by its header. Undefined when absent.
 */
export function benchmarkedSingleSampleRate(document: string): BenchmarkedRate | undefined {
  const lines = document.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!;
    if (!header.trim().startsWith('|')) continue;
    const columns = cells(header).map((c) => c.toLowerCase());
    const storeCol = columns.indexOf('store');
    const workloadCol = columns.indexOf('workload');
    const rateCol = columns.indexOf('msgs/s');
    if (storeCol < 0 || workloadCol < 0 || rateCol < 0) continue;
    for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith('|'); j++) {
      const row = cells(lines[j]!);
      if (row[storeCol]?.toLowerCase() !== 'influxdb' || !row[workloadCol]?.toLowerCase().startsWith('single-sample')) continue;
      const rate = Number(row[rateCol]?.replace(/[,\s]/g, ''));
      if (Number.isFinite(rate) && rate > 0) return { msgsPerSec: rate, row: lines[j]!.trim() };
    }
  }
  return undefined;
}
