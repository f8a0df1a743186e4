// The parts of `npm run bench:gateway`, as a list: each measures one thing and renders its own
// `### ` subsection of the Gateway section of docs/BENCHMARKS.md. Another part (e.g. the outbox
// drain) is one more module and one more entry in PARTS (run.ts).

export interface GatewayBenchOptions {
  /** Measurement window of timed parts, ms. */
  durationMs: number;
  /** Time to let a timed part settle before measuring, ms. */
  warmupMs: number;
  /** Part (b): devices and points per device. */
  devices: number;
  points: number;
  /** Part (b): poll interval, ms. */
  pollIntervalMs: number;
}

export interface PartResult {
  /** The `### …` subsection (markdown, heading included). */
  markdown: string;
  /** Lines for the console summary. */
  summary: string[];
}

export interface GatewayBenchPart {
  /** Short id used by --only and as the subsection's key: `a`, `b`, … */
  id: string;
  title: string;
  run(options: GatewayBenchOptions, say: (line: string) => void): Promise<PartResult>;
}

/** The subsection heading of a part: `### (a) Requests per poll cycle`. */
export function partHeading(part: Pick<GatewayBenchPart, 'id' | 'title'>): string {
  return `### (${part.id}) ${part.title}`;
}
